"""The office's view of the panel review: live completion, reminders, venue ballots, rehearsal."""

from __future__ import annotations

import streamlit as st

from core.clock import to_office, utcnow
from core.errors import UserError
from core.privacy import SMALL_CELL, small_cell
from db.campaigns import reviewer_groups
from db.questionnaire import (
    completion,
    issue_ballots,
    quality_summary,
    reminders,
    set_rehearsal,
    wipe_rehearsal,
)
from documents.venue_slips import VenueSlips, venue_slips_pdf
from ui import hall_now
from ui.auth import fragment, guard
from ui.campaign import demo_notice, require_campaign
from ui.i18n import error_text, language, named, t
from ui.notices import flash, show_flash
from ui.store import session

actor = guard("panel")
campaign = require_campaign()
st.title(t("panel.title", year=campaign.year))
demo_notice(campaign)
show_flash()
st.caption(t("panel.window", opens=to_office(campaign.panel_opens_at).strftime("%Y-%m-%d %H:%M"),
             closes=to_office(campaign.panel_closes_at).strftime("%Y-%m-%d %H:%M")))
if campaign.rehearsal:
    st.warning(t("panel.rehearsal_on"))


@fragment(run_every=10)
def live_completion() -> None:
    # One timer for the page: the hall-now strip refreshes with the completion figures.
    if campaign.panel_opens_at <= utcnow() <= campaign.panel_closes_at:
        hall_now.strip(actor)  # during the window: the hall's tablets, answers per minute, p95, store errors
    with session() as s:
        progress = completion(s, campaign_id=campaign.id)
    submitted = sum(p.submitted for p in progress)
    drawn = sum(p.drawn for p in progress)
    cols = st.columns(3)
    cols[0].metric(t("panel.submitted"), submitted)
    cols[1].metric(t("panel.in_progress"), sum(p.started for p in progress))
    cols[2].metric(t("panel.drawn"), drawn)

    def shown(n: int) -> str | int:
        # A group with 1-4 questionnaires could be singled out: its count is withheld.
        return t("panel.fewer_than", n=SMALL_CELL) if small_cell(n) else n

    st.dataframe(
        [{t("pool.group"): p.name_en if language() == "en" else p.name_zh, t("panel.drawn"): p.drawn,
          t("panel.in_progress"): shown(p.started), t("panel.submitted"): shown(p.submitted)} for p in progress],
        hide_index=True, width="content",
    )
    st.caption(t("panel.small_cells", n=SMALL_CELL))
    with session() as s:
        flagged = quality_summary(s, campaign_id=campaign.id)
    if flagged["submitted"]:
        st.caption(t("panel.quality", straight=flagged["straight_lining"], fast=flagged["too_fast"],
                     n=flagged["submitted"]))


live_completion()

remind_tab, ballot_tab, rehearsal_tab = st.tabs([t("panel.reminders"), t("panel.ballots"), t("panel.rehearsal")],
                                                key="panel_tabs")
with session() as s:
    groups = reviewer_groups(s, campaign.id)
group_names = {g.code: named(g) for g in groups}

with remind_tab:
    st.caption(t("panel.reminders_help"))
    with session() as s:
        waiting = reminders(s, actor=actor, campaign_id=campaign.id)
    st.dataframe([{t("pool.name"): name, t("pool.group"): group_names.get(code, code),
                   t("panel.invitation"): t(f"panel.invitation_state.{status}")} for name, code, status in waiting],
                 hide_index=True, width="stretch")

with ballot_tab:
    st.caption(t("panel.ballots_help"))
    if campaign.rehearsal:
        st.warning(t("traps.panel.rehearsal_slips"))
    # Enter in a field only applies the value: codes are issued by the button alone.
    with st.form("ballots", enter_to_submit=False):
        cols = st.columns(3)
        group = cols[0].selectbox(t("pool.group"), list(group_names), format_func=group_names.get)
        count = cols[1].number_input(t("panel.count"), min_value=1, max_value=500, value=20)
        batch = cols[2].text_input(t("panel.batch"), max_chars=40)
        if st.form_submit_button(t("traps.panel.print_rehearsal") if campaign.rehearsal else t("panel.print"),
                                 type="primary"):
            try:
                with session() as s:
                    codes = issue_ballots(s, actor=actor, year=campaign.year, group_code=group, count=int(count),
                                          batch=batch)
            except UserError as error:
                st.error(error_text(error))
            else:
                # The codes exist in plain text only in this PDF: they are stored as hashes.
                base = st.context.url.split("/panel")[0] if st.context.url else ""
                st.session_state["ballot_pdf"] = venue_slips_pdf(
                    VenueSlips(codes, group_names[group], f"{base}/questionnaire?kiosk=1", batch=batch.strip(),
                               rehearsal=campaign.rehearsal),
                    campaign_name=campaign.name_zh, office=t("draw.office"), lang=language())
                st.session_state["ballot_count"] = len(codes)
                st.session_state["ballot_rehearsal"] = campaign.rehearsal
    if "ballot_pdf" in st.session_state:
        st.success(t("traps.panel.printed_rehearsal" if st.session_state.get("ballot_rehearsal") else "panel.printed",
                     n=st.session_state["ballot_count"]))
        st.download_button(t("panel.download_ballots"), st.session_state["ballot_pdf"],
                           file_name=f"ballots-{campaign.year}.pdf", mime="application/pdf")

with rehearsal_tab:
    st.caption(t("panel.rehearsal_help"))
    turned = st.toggle(t("panel.rehearsal_toggle"), value=campaign.rehearsal)
    if turned != campaign.rehearsal:
        with session() as s:
            set_rehearsal(s, actor=actor, year=campaign.year, on=turned)
        st.rerun()
    confirm = st.checkbox(t("panel.wipe_confirm"))
    if st.button(t("panel.wipe"), disabled=not confirm):
        with session() as s:
            counts = wipe_rehearsal(s, actor=actor, year=campaign.year)
        flash(t("panel.wiped", **counts))
        st.rerun()
