"""Complaints from the public poll (/complaints): the unit answers, the office rules and watches the figures.

What each role sees is decided in db.complaints.handling: a liaison gets only their unit's complaints
(and only those that reached it), leadership and analysts read with phone numbers masked, and every
text reaches them (the citizen's comment the liaison too) de-identified. The table and its download
never carry a phone number; the number shows only in the one complaint opened. Numbers are erased
when due by the server's housekeeping thread (db/housekeeping.py), not by this page.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from core.complaints import CLOSING_KINDS, RULINGS, STATES
from core.errors import UserError
from db.complaints.handling import (
    acknowledge,
    close,
    export_csv,
    get_complaint,
    list_complaints,
    rule_dispute,
    unit_figures,
)
from db.complaints.posters import DEFAULT_SOURCE, posters_pdf
from db.units import list_units
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.casework import attempt, day, own_unit_note, styled, unit_filter, units_of
from ui.downloads import file_name, show_table
from ui.i18n import error_text, joined, t
from ui.notices import show_flash
from ui.plain import plain
from ui.store import session

actor = guard("complaints")
campaign = require_campaign()
office = actor.role == "admin"
handler = actor.role in ("admin", "liaison")
st.title(t("complaints.title", year=campaign.year))
demo_notice(campaign)
show_flash()

names = units_of(campaign.id)
own_unit_note(actor, names)
settings = campaign.settings.get("complaints") or {}
st.caption(t("complaints.deadlines", ack=settings.get("ack_working_days", 1),
             close=settings.get("close_working_days", 15)))

tabs = st.tabs([t("complaints.tab_list"), t("complaints.tab_figures"), *([t("posters.tab")] if office else [])])
listing, figures_tab = tabs[:2]


def state_label(state: str | None) -> str:
    return t(f"complaints.states.{state}") if state else t("common.all")


def text(value) -> str:
    return "" if value is None else str(value)


def export_csv_bytes() -> bytes:
    """The complaints CSV (no phone numbers: db.complaints.handling.export_csv), made when clicked."""
    with session() as s:
        return export_csv(s, actor=actor, campaign_id=campaign.id)


with listing:
    cols = st.columns(2)
    state = cols[0].selectbox(t("complaints.state"), ["", *STATES], format_func=state_label, key="complaints_state")
    with cols[1]:
        unit_code = unit_filter(actor, names, key="complaints_unit")
    overdue_only = st.toggle(t("complaints.overdue_only"), key="complaints_overdue")
    with session() as s:
        unit_ids = {u.code: u.id for u in list_units(s, campaign_id=campaign.id, include_inactive=False)}
        rows = list_complaints(s, actor=actor, campaign_id=campaign.id, state=state or None,
                               unit_id=unit_ids.get(unit_code) if unit_code else None, overdue_only=overdue_only)
    if not rows:
        st.info(t("complaints.none"))
    else:
        # State and deadlines first, so that a phone shows them without scrolling sideways; a liaison sees
        # only their own unit, so the unit column would only repeat it.
        own = actor.role == "liaison"
        frame = pd.DataFrame([{
            t("complaints.col.id"): r.id, t("complaints.col.state"): state_label(r.state),
            t("complaints.col.ack_due"): text(r.ack_due), t("complaints.col.close_due"): text(r.close_due),
            **({} if own else {t("complaints.col.unit"): r.unit_name}),
            t("complaints.col.comment"): r.comment, t("complaints.col.source"): r.source or "—",
            t("complaints.col.received"): text(r.received_on), t("complaints.col.closed"): text(r.closed_on),
            t("complaints.col.follow_up"): t(f"option.{r.follow_up}") if r.follow_up else "",
        } for r in rows])
        st.dataframe(styled(frame, [r.ack_overdue or r.close_overdue for r in rows]), hide_index=True,
                     width="stretch", height=min(420, 38 + 35 * len(rows)),
                     column_config={t("complaints.col.comment"): st.column_config.TextColumn(width="medium")})
        st.download_button(t("complaints.export"), export_csv_bytes, on_click="ignore",
                           file_name=file_name(f"complaints-{campaign.year}", "csv"), mime="text/csv",
                           icon=":material/download:", key="complaints_export")
        by_id = {r.id: r for r in rows}
        picked = st.selectbox(t("complaints.pick"), list(by_id), key="complaints_pick",
                              format_func=lambda i: f"#{i} · {by_id[i].comment[:30]}" if own else
                              f"#{i} · {by_id[i].unit_name} · {by_id[i].comment[:30]}")
        if picked is not None:
            with session() as s:
                row = get_complaint(s, actor=actor, complaint_id=picked)
            with st.container(border=True, key="complaint_detail"):
                st.markdown(f"**#{row.id} · {plain(row.unit_name)}** — {state_label(row.state)}")
                st.markdown(f"**{t('complaints.comment')}** {plain(row.comment)}")
                st.caption(t("complaints.meta", source=plain(row.source or "—"), voted=day(row.voted_at).isoformat(),
                             received=text(row.received_on) or "—", ack_due=text(row.ack_due) or "—",
                             close_due=text(row.close_due) or "—"))
                if row.phone:
                    st.markdown(f"**{t('complaints.phone')}** {row.phone}")
                elif row.phone_erased:
                    st.caption(t("complaints.phone_erased"))
                if row.ack_overdue or row.close_overdue:
                    st.warning(t("complaints.overdue_note"), icon=":material/schedule:")
                if row.found or row.done:
                    st.markdown(f"**{t('complaints.found')}** {plain(row.found)}")
                    if row.done:
                        st.markdown(f"**{t('complaints.done')}** {plain(row.done)}")
                    st.caption(t("complaints.closed_as", kind=t(f"complaints.kinds.{row.closing_kind}"),
                                 day=text(row.closed_on)))
                if row.ruling:
                    st.info(t("complaints.ruled", ruling=t(f"complaints.rulings.{row.ruling}"),
                              reason=plain(row.ruling_reason)))
                if row.follow_up:
                    st.caption(t("complaints.follow_up_given", option=t(f"option.{row.follow_up}")))

                if handler and row.state == "received":
                    if st.button(t("complaints.acknowledge"), key="complaint_ack", type="primary",
                                 icon=":material/task_alt:"):
                        if attempt(lambda s: acknowledge(s, actor=actor, complaint_id=row.id),
                                   t("complaints.acknowledged")):
                            st.rerun()
                if handler and row.state in ("received", "acknowledged"):
                    with st.form("complaint_close"):
                        found = st.text_area(t("complaints.found"), max_chars=2000, height=90)
                        done = st.text_area(t("complaints.done"), max_chars=2000, height=90,
                                            help=t("complaints.done_help"))
                        kind = st.radio(t("complaints.kind"), CLOSING_KINDS, horizontal=True, index=None,
                                        format_func=lambda k: t(f"complaints.kinds.{k}"))
                        if st.form_submit_button(t("complaints.close"), type="primary"):
                            if attempt(lambda s: close(s, actor=actor, complaint_id=row.id, found=found, done=done,
                                                       kind=kind or ""), t("complaints.closed")):
                                st.rerun()
                if office and row.state == "disputed":
                    with st.form("complaint_rule"):
                        ruling = st.radio(t("complaints.ruling"), RULINGS, horizontal=True, index=None,
                                          format_func=lambda k: t(f"complaints.rulings.{k}"))
                        reason = st.text_area(t("complaints.reason"), max_chars=500, height=80)
                        if st.form_submit_button(t("complaints.rule"), type="primary"):
                            if attempt(lambda s: rule_dispute(s, actor=actor, complaint_id=row.id,
                                                              ruling=ruling or "", reason=reason),
                                       t("complaints.ruled_ok")):
                                st.rerun()


with figures_tab:
    with session() as s:
        figures = unit_figures(s, actor=actor, campaign_id=campaign.id)

    def pct(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    st.caption(t("complaints.figures_help"))
    frame = pd.DataFrame([{
        t("complaints.col.unit"): f.unit_name, t("complaints.col.votes"): f.votes,
        t("complaints.col.complaints"): f.complaints, t("complaints.col.rate"): pct(f.rate),
        t("complaints.col.open"): f.open, t("complaints.col.overdue"): f.overdue,
        t("complaints.col.closed_n"): f.closed, t("complaints.col.disputed"): f.disputed,
        t("complaints.col.excluded"): f.excluded, t("complaints.col.ack_on_time"): pct(f.ack_on_time),
        t("complaints.col.closed_on_time"): pct(f.closed_on_time), t("complaints.col.median_days"): f.median_days,
        **{t(f"option.{o}"): n for o, n in f.follow_up.items()},
        t("complaints.col.satisfaction"): pct(f.satisfaction),
        t("complaints.col.sources"): joined(f"{k or '—'} {n}" for k, n in sorted(f.sources.items())),
    } for f in figures if f.complaints or f.excluded or not office])
    if frame.empty:
        st.info(t("complaints.no_figures"))
    else:
        show_table(frame, name=f"complaint-figures-{campaign.year}", key="complaint_figures")


def public_address() -> str:
    """APP_BASE_URL (as for the invitation links), else the address the office's browser reached the app at."""
    configured = os.environ.get("APP_BASE_URL", "").strip()
    if configured:
        return configured
    parts = urlsplit(st.context.url or "http://localhost:8501")
    return f"{parts.scheme}://{parts.netloc}"


if office:
    with tabs[2]:
        st.caption(t("posters.help"))
        cols = st.columns([2, 1])
        place = cols[0].text_input(t("posters.place"), max_chars=40, placeholder="政务服务大厅 3 号窗口",
                                   key="posters_place")
        source = cols[1].text_input(t("posters.source"), value=DEFAULT_SOURCE, max_chars=32, key="posters_source",
                                    help=t("posters.source_help"))
        base = st.text_input(t("posters.base_url"), value=public_address(), key="posters_base")
        if st.button(t("posters.make"), icon=":material/qr_code_2:", key="posters_make"):
            try:
                with session() as s:
                    st.session_state["posters_file"] = posters_pdf(s, actor=actor, year=campaign.year,
                                                                   base_url=base, place=place, source=source)
            except UserError as error:
                st.error(error_text(error))
        if st.session_state.get("posters_file"):
            st.download_button(t("posters.download"), st.session_state["posters_file"], mime="application/pdf",
                               file_name=file_name(f"posters-{campaign.year}", "pdf"), on_click="ignore",
                               icon=":material/download:", key="posters_download")
