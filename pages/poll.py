"""The public poll (/poll): a citizen finds a unit and says whether they are satisfied with it.

No account and no staff guard. Phone first: one column, full-width buttons a thumb cannot
miss; the same page works on a desktop and embedded in the government portal (an iframe).
The browser is known only by a random cookie id and the network by the connection, both
hashed with the server's salt before anything is stored (db.poll).

Everything a citizen taps (category, search, a unit, an answer, back) is inside one fragment: a tap reruns
that fragment only, never app.py and the page around it (issue 23: the server's work per tap). The
page around it is the language switch, read once per visit: its change reruns the whole app.
Nothing here needs the icon font (no `:material/` icon): a phone on a weak connection downloads none.
"""

from __future__ import annotations

import streamlit as st

from core.clock import office_today
from core.errors import UserError
from core.poll import COMMENT_LIMIT, OPTIONS, find_units
from db import metrics
from db.complaints.intake import vote as vote_and_file
from db.engine import StoreError
from db.poll import poll_salt
from ui import complaint_receipt as complaint
from ui.auth import fragment
from ui.client import client_address
from ui.device import device_id
from ui.i18n import error_text, language, language_selector, t
from ui.plain import plain
from ui.poll_data import poll_structure
from ui.store import transact

# Thumb-sized targets (Apple and Google both ask for at least 44-48 px), and a readable measure on a desktop.
TOUCH_CSS = """<style>
[data-testid="stMainBlockContainer"] { max-width: 40rem; padding-top: 2rem; }
.st-key-poll_votes button, .st-key-poll_units button { min-height: 3.25rem; font-size: 1.1rem; }
/* Captions (a unit's category, the privacy note) in a grey with 4.5:1 contrast on white (WCAG AA): Streamlit
   draws them at 60 % opacity, which made its grey #828180 (3.88:1). */
[data-testid="stCaptionContainer"] { opacity: 1; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #5c5b5a; }
/* At 200 % zoom a long unit name wraps inside its button instead of running off the screen. */
.st-key-poll_units button p, .st-key-poll_votes button p { white-space: normal; overflow-wrap: anywhere; }
</style>"""
UNIT, DONE, REFUSAL, COMMENT = "poll_unit", "poll_done", "poll_refusal", "poll_comment"


def pick(code: str | None) -> None:
    st.session_state[UNIT] = code
    st.session_state.pop(REFUSAL, None)


def finish(unit_name: str, option: str) -> None:
    st.session_state[DONE] = (unit_name, option)
    pick(None)


st.html(TOUCH_CSS)
device = device_id()
language_selector(inline=True)
campaign_id, campaign_names, cats, units = poll_structure(office_today())
english = language() == "en"
if campaign_id is None:
    st.header(t("poll.title"))
    st.info(t("poll.closed_now"))
    st.stop()

by_code = {u.code: u for u in units}
category_name = {code: (en if english else zh) for code, zh, en in cats}
complaint.poster_entry(by_code, pick)  # ?unit=CODE&src=POSTER from a window poster, ?receipt=CODE


def unit_list() -> None:
    complaint.receipt_panel(device)
    st.header(t("poll.title"))
    if not st.context.is_embedded:  # inside the portal, the portal's own heading says where the visitor is
        st.caption(plain(campaign_names[english]))
    st.write(t("poll.intro"))
    category = st.pills(t("poll.category"), [c for c, _, _ in cats], format_func=lambda c: plain(category_name[c]),
                        key="poll_cat")
    query = st.text_input(t("poll.search"), placeholder=t("poll.search_placeholder"), max_chars=30,
                          key="poll_query")
    shown = [u for u in units if category in (None, u.category_code)]
    matches = find_units(query, [(u.code, u.name) for u in shown])
    if not matches:
        st.info(t("poll.no_match", query=plain(query)))
    with st.container(key="poll_units"):
        for code in matches:
            st.button(plain(by_code[code].name), key=f"poll_pick_{code}", on_click=pick, args=(code,), width="stretch")
    complaint.receipt_lookup()
    st.caption(t("poll.privacy"))


def ballot(chosen) -> None:
    st.header(t("poll.question", unit=plain(chosen.name)))
    st.caption(plain(category_name.get(chosen.category_code, "")))
    refusal = st.session_state.get(REFUSAL)
    if refusal:
        st.error(refusal)
    with st.form("poll_vote", border=False, enter_to_submit=False), st.container(key="poll_votes"):
        st.text_area(t("poll.comment", limit=COMMENT_LIMIT), max_chars=COMMENT_LIMIT, height=80,
                     placeholder=t("poll.comment_placeholder"), key=COMMENT)
        # The three answers look alike: a highlighted 满意 would nudge the vote it is meant to measure.
        # A callback: the vote is stored before the fragment draws again, which then shows its outcome.
        for option in OPTIONS:
            st.form_submit_button(t(f"option.{option}"), key=f"poll_{option}", width="stretch", type="secondary",
                                  on_click=vote, args=(chosen, option))
    st.button(t("poll.other_unit"), on_click=pick, args=(None,), type="tertiary")


def vote(chosen, option: str) -> None:
    comment = st.session_state.get(COMMENT) or ""
    address, salt = client_address(), poll_salt()
    try:  # retried after a lock or a database restart; the one-vote-per-day constraint stops a double count
        filed = transact(lambda s: vote_and_file(s, campaign_id=campaign_id, unit_id=chosen.id, option=option,
                                                 device_id=device, ip=address, comment=comment, salt=salt,
                                                 source=complaint.source()))
        result = filed.vote
        complaint.filed(filed.receipt)  # a 不满意 vote with a comment: its receipt, shown on the next screen
    except UserError as error:
        if not isinstance(error, StoreError):  # a store failure is counted as one (db.metrics), not as a refusal
            metrics.VOTES.labels("refused").inc()
        st.session_state[REFUSAL] = error_text(error)
    else:
        metrics.VOTES.labels(result.status).inc()
        if result.recorded:
            # A vote set aside as part of a burst gets the same thanks: a script learns nothing from the answer.
            finish(chosen.name, option)
            st.session_state.pop(COMMENT, None)
        else:
            st.session_state[REFUSAL] = error_text(result.refusal)


@fragment
def poll() -> None:
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(t("poll.thanks", unit=plain(done[0]), option=t(f"option.{done[1]}")))
    chosen = by_code.get(st.session_state.get(UNIT) or "")
    if chosen is None:
        unit_list()
    else:
        ballot(chosen)


poll()
