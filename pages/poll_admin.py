"""The public poll seen by staff: votes per unit per day, votes set aside for review, comments.

Leadership and analysts read; only the office rules on votes set aside (each ruling audited).
Comments are shown as plain text in tables, never rendered as Markdown or HTML.
"""

from __future__ import annotations

import streamlit as st

from core.clock import to_office
from core.errors import UserError
from db.poll import flagged_groups, list_votes, rule_on_votes, votes_by_day
from db.units import list_units
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.i18n import error_text, t
from ui.notices import flash, show_flash
from ui.store import session

actor = guard("poll_admin")
campaign = require_campaign()
st.title(t("poll_admin.title", year=campaign.year))
demo_notice(campaign)
show_flash()

with session() as s:
    units = list_units(s, campaign_id=campaign.id)
unit_ids = {u.code: u.id for u in units}
unit_labels = {u.code: f"{u.code} · {u.name}" for u in units}


def moment(at) -> str:
    return to_office(at).strftime("%Y-%m-%d %H:%M:%S")


def unit_filter(key: str) -> int | None:
    code = st.selectbox(t("poll_admin.unit"), ["", *unit_ids], key=key,
                        format_func=lambda c: unit_labels.get(c, t("common.all")))
    return unit_ids.get(code)


days_tab, flagged_tab, comments_tab = st.tabs(
    [t("poll_admin.by_day"), t("poll_admin.flagged"), t("poll_admin.comments")], key="poll_admin_tabs")

with days_tab:
    cols = st.columns([2, 1, 1])
    with cols[0]:
        unit_id = unit_filter("poll_days_unit")
    since = cols[1].date_input(t("poll_admin.since"), value=None, key="poll_days_since")
    until = cols[2].date_input(t("poll_admin.until"), value=None, key="poll_days_until")
    with session() as s:
        days = votes_by_day(s, actor=actor, campaign_id=campaign.id, unit_id=unit_id, since=since, until=until)
    if not days:
        st.info(t("poll_admin.no_votes"))
    else:
        st.dataframe(
            [{t("poll_admin.day"): d.day, t("poll_admin.unit"): d.unit_name,
              t("option.satisfied"): d.satisfied, t("option.basically_satisfied"): d.basically_satisfied,
              t("option.dissatisfied"): d.dissatisfied,
              t("poll_admin.counted"): d.satisfied + d.basically_satisfied + d.dissatisfied,
              t("poll_admin.waiting"): d.flagged, t("poll_admin.rejected"): d.rejected} for d in days],
            hide_index=True, width="stretch",
        )

with flagged_tab:
    st.caption(t("poll_admin.flagged_help"))
    with session() as s:
        groups = flagged_groups(s, actor=actor, campaign_id=campaign.id)
    if not groups:
        st.info(t("poll_admin.no_flagged"))
    else:
        st.dataframe(
            [{t("poll_admin.day"): g.day, t("poll_admin.unit"): g.unit_name,
              t("poll_admin.reason"): t(f"poll_admin.reasons.{g.reason}"), t("poll_admin.votes"): g.votes,
              t("poll_admin.networks"): g.networks, t("poll_admin.first"): moment(g.first_at),
              t("poll_admin.last"): moment(g.last_at)} for g in groups],
            hide_index=True, width="stretch",
        )
        labels = [f"{g.day} · {g.unit_name} · {t(f'poll_admin.reasons.{g.reason}')} · {g.votes}" for g in groups]
        chosen = st.selectbox(t("poll_admin.group"), range(len(groups)), format_func=labels.__getitem__,
                              key="poll_group")
        group = groups[chosen]
        with session() as s:
            votes = list_votes(s, actor=actor, campaign_id=campaign.id, unit_id=group.unit_id, day=group.day,
                               status="flagged", reason=group.reason, limit=5000)
        st.dataframe(
            [{t("poll_admin.time"): moment(v.at), t("poll_admin.option"): t(f"option.{v.option}"),
              t("poll_admin.network"): v.network, t("poll_admin.comment"): v.comment} for v in votes],
            hide_index=True, width="stretch",
        )
        if actor.role != "admin":
            st.caption(t("poll_admin.read_only"))
        else:
            with st.form(f"ruling_{group.unit_id}_{group.day}_{group.reason}", clear_on_submit=True):
                reason = st.text_input(t("poll_admin.ruling_reason"), max_chars=200)
                cols = st.columns(2)
                admit = cols[0].form_submit_button(t("poll_admin.admit"), width="stretch")
                reject = cols[1].form_submit_button(t("poll_admin.reject"), type="primary", width="stretch")
            if admit or reject:
                decision = "admitted" if admit else "rejected"
                try:
                    with session() as s:
                        n = rule_on_votes(s, actor=actor, vote_ids=[v.id for v in votes], decision=decision,
                                          reason=reason)
                except UserError as error:
                    st.error(error_text(error))
                else:
                    flash(t("poll_admin.ruled", n=n, decision=t(f"poll_admin.decisions.{decision}")))
                    st.rerun()

with comments_tab:
    unit_id = unit_filter("poll_comments_unit")
    with session() as s:
        comments = list_votes(s, actor=actor, campaign_id=campaign.id, unit_id=unit_id, with_comment=True)
    if not comments:
        st.info(t("poll_admin.no_comments"))
    else:
        st.dataframe(
            [{t("poll_admin.time"): moment(v.at), t("poll_admin.unit"): v.unit_name,
              t("poll_admin.option"): t(f"option.{v.option}"),
              t("poll_admin.status"): t(f"poll_admin.statuses.{v.status}"),
              t("poll_admin.comment"): v.comment} for v in comments],
            hide_index=True, width="stretch",
        )
