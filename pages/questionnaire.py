"""The reviewer's questionnaire: one unit per screen, every answer saved the moment it is given.

Public (no account). Entry by the personal link (`?token=…`) or a typed ballot code;
`?kiosk=1` makes a venue tablet return to the code screen after each submission.
The page holds only the token's hash; a reload reopens the link and resumes.
"""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from db.questionnaire import (
    OPTIONS,
    Ballot,
    load_state,
    open_questionnaire,
    save_answer,
    save_comment,
    save_position,
    structure,
    submit,
)
from ui.client import client_hash
from ui.i18n import error_text, language, language_selector, named, t
from ui.questionnaire import reset_session, touch_styles
from ui.store import session, transact

touch_styles()
language_selector(inline=True)
if "q_kiosk" not in st.session_state:
    st.session_state["q_kiosk"] = st.query_params.get("kiosk") == "1"


def enter(entry: str) -> None:
    try:
        with session() as s:
            st.session_state["q_ballot"] = open_questionnaire(s, entry=entry, client=client_hash())
    except UserError as error:
        st.session_state["q_entry_error"] = error_text(error)


def code_screen() -> None:
    st.title(t("q.welcome"))
    if st.session_state.pop("q_thanks", False):
        st.success(t("q.thanks"))
    if "q_entry_error" in st.session_state:
        st.error(st.session_state.pop("q_entry_error"))
    st.write(t("q.enter_help"))
    with st.form("code", clear_on_submit=True):
        code = st.text_input(t("q.code"), max_chars=64, placeholder="XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX",
                             autocomplete="off")
        if st.form_submit_button(t("q.start"), type="primary", use_container_width=True) and code.strip():
            enter(code)
            st.rerun()


# The link's token is read once on entry; afterwards only its hash is kept in the session.
if "q_ballot" not in st.session_state and "q_link_tried" not in st.session_state:
    st.session_state["q_link_tried"] = True
    token = st.query_params.get("token")
    if token:
        enter(token)

ballot: Ballot | None = st.session_state.get("q_ballot")
if ballot is None:
    code_screen()
    st.stop()

ANSWER_KEY = f"a_{ballot.response_id}_"
COMMENT_KEY = f"c_{ballot.response_id}_"


def unsaved(state) -> tuple[dict[tuple[int, int], str], dict[int, str]]:
    """Taps and comments on screen that the database does not hold yet.

    Widget callbacks are skipped when quick taps cut a rerun short, so every run compares what
    the widgets show with what is stored, and stores the difference: the last run after a burst
    of taps always completes, and with it the last answer is saved.
    """
    answers, comments = {}, {}
    for name, value in st.session_state.to_dict().items():
        key = str(name)
        if key.startswith(ANSWER_KEY) and value in OPTIONS:
            unit_id, dim_id = map(int, key.removeprefix(ANSWER_KEY).split("_"))
            if state.answers.get((unit_id, dim_id)) != value:
                answers[(unit_id, dim_id)] = value
        elif key.startswith(COMMENT_KEY) and isinstance(value, str):
            unit_id = int(key.removeprefix(COMMENT_KEY))
            if state.comments.get(unit_id, "") != value.strip():
                comments[unit_id] = value
    return answers, comments


with session() as s:
    shape = structure(s, campaign_id=ballot.campaign_id)
    try:
        state = load_state(s, token=ballot.token_hash)
    except UserError as error:
        reset_session(keep_kiosk=True)
        st.session_state["q_entry_error"] = error_text(error)
        st.rerun()
pending_answers, pending_comments = unsaved(state)
if pending_answers or pending_comments:
    def save_pending(s) -> None:
        for (unit_id, dim_id), option in pending_answers.items():
            save_answer(s, token=ballot.token_hash, unit_id=unit_id, dimension_id=dim_id, option=option)
        for unit_id, text in pending_comments.items():
            save_comment(s, token=ballot.token_hash, unit_id=unit_id, text=text)

    try:  # retried after a lock or a database restart: saving an answer again changes nothing
        transact(save_pending)
    except UserError as error:
        st.session_state["q_error"] = error_text(error)
    with session() as s:
        state = load_state(s, token=ballot.token_hash)

units = shape.units
dims = shape.dimensions
codes = [u.code for u in units]
per_unit = {u.id: sum((u.id, d.id) in state.answers for d in dims) for u in units}
done = {u.code for u in units if per_unit[u.id] == len(dims)}


def go_to(code: str) -> None:
    st.session_state["q_unit"] = code
    st.session_state["q_review"] = False
    with session() as s:
        save_position(s, token=ballot.token_hash, unit_code=code)


def first_open() -> str:
    return next((c for c in codes if c not in done), codes[-1])


current = st.session_state.get("q_unit")
if current not in codes:
    current = state.position if state.position in codes else first_open()
st.session_state["q_unit"] = current
index = codes.index(current)
unit = units[index]

st.caption(shape.title_en if language() == "en" else shape.title_zh)
if ballot.rehearsal:
    st.warning(t("q.rehearsal"))
if "q_error" in st.session_state:
    st.error(st.session_state.pop("q_error"))
st.progress(len(done) / len(units), text=t("q.progress", done=len(done), total=len(units)))
categories = list(dict.fromkeys(u.category_code for u in units))
st.caption(" · ".join(
    f"{next(u.category_zh if language() == 'zh' else u.category_en for u in units if u.category_code == c)} "
    f"{sum(1 for u in units if u.category_code == c and u.code in done)}/"
    f"{sum(1 for u in units if u.category_code == c)}" for c in categories))


def unit_label(code: str) -> str:
    row = units[codes.index(code)]
    mark = "✓" if code in done else ("◐" if per_unit[row.id] else "○")
    return f"{mark} {codes.index(code) + 1}. {row.name}"


if st.session_state.get("q_review"):
    st.header(t("q.review"))
    missing = [u for u in units if u.code not in done]
    if missing:
        st.warning(t("q.missing", n=sum(len(dims) - per_unit[u.id] for u in missing), units=len(missing)))
        for row in missing:
            st.button(unit_label(row.code), key=f"q_jump_{row.code}", on_click=go_to, args=(row.code,),
                      use_container_width=True)
    else:
        st.success(t("q.complete"))
        st.write(t("q.final_warning"))
        confirmed = st.checkbox(t("q.confirm"), key="q_confirm")
        if st.button(t("q.submit"), type="primary", disabled=not confirmed, use_container_width=True):
            try:
                with session() as s:
                    submit(s, token=ballot.token_hash)
            except UserError as error:
                st.error(error_text(error))
            else:
                kiosk = st.session_state.get("q_kiosk")
                reset_session(keep_kiosk=True)
                st.session_state["q_link_tried"] = True  # a kiosk must not reopen the link it came with
                st.session_state["q_thanks"] = True
                if not kiosk:
                    st.query_params.clear()
                st.rerun()
    st.button(t("q.back_to_units"), on_click=go_to, args=(current,), use_container_width=True)
    st.stop()

# The labels carry progress marks; a key that changes with them makes a fresh widget, since Streamlit
# matches a selectbox's value by its label and would otherwise hand back a label that no longer exists.
nav_key = f"q_nav_{current}_{len(done)}_{sum(per_unit.values())}"


def jump() -> None:
    chosen = st.session_state.get(nav_key)
    if chosen in codes:
        go_to(chosen)


st.selectbox(t("q.jump"), codes, index=index, format_func=unit_label, key=nav_key, on_change=jump)
st.header(unit.name)
st.caption(t("q.unit_of", n=index + 1, total=len(units),
             category=unit.category_zh if language() == "zh" else unit.category_en))

checked = st.session_state.get("q_checked") == unit.code
for dim in dims:
    key = f"{ANSWER_KEY}{unit.id}_{dim.id}"
    saved = state.answers.get((unit.id, dim.id))
    st.segmented_control(named(dim), OPTIONS, default=saved, key=key, format_func=lambda o: t(f"option.{o}"),
                         required=True, width="stretch")  # required: a second tap cannot unselect
    if checked and saved is None:
        st.caption(f":red[{t('q.unanswered')}]")
comment_key = f"{COMMENT_KEY}{unit.id}"
st.text_area(t("q.comment"), value=state.comments.get(unit.id, ""), max_chars=300, key=comment_key,
             placeholder=t("q.comment_help"))

left, middle, right = st.columns(3)
# Buttons keyed by unit: a tap is handled by the button of the unit on screen, even when a quick
# earlier tap's rerun was cut short before this run drew the buttons again.
if index > 0:
    left.button(t("q.previous"), key=f"q_prev_{unit.code}", on_click=go_to, args=(codes[index - 1],),
                use_container_width=True)


def next_unit(code: str) -> None:
    # First tap with gaps: stay and highlight them. A second tap moves on: the reviewer may come back later.
    # Counted afresh: an answer tapped just before "next" may be saved in this very rerun.
    row = units[codes.index(code)]
    with session() as s:
        given = load_state(s, token=ballot.token_hash).answers
    complete = all((row.id, d.id) in given for d in dims)
    if not complete and st.session_state.get("q_checked") != code:
        st.session_state["q_checked"] = code
        return
    if codes.index(code) + 1 < len(codes):
        go_to(codes[codes.index(code) + 1])


if index + 1 < len(codes):
    right.button(t("q.next"), key=f"q_next_{unit.code}", on_click=next_unit, args=(unit.code,), type="primary",
                 use_container_width=True)
middle.button(t("q.to_review"), key=f"q_to_review_{unit.code}", on_click=st.session_state.update,
              kwargs={"q_review": True}, use_container_width=True)
