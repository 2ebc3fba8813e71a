"""Rectification (整改): notices with deadlines (Word download), the talks with the head and the
deputy, tracking to a verified close, and the public's satisfaction with the result.

Scoping lives in db.rectifications: a liaison gets only their unit's notices from the store.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from core.casework import (
    DEFAULT_OFFICE,
    RECTIFICATION_REASONS,
    RECTIFICATION_STATES,
    SATISFACTION,
    TALK_ROLES,
    NoticeFields,
)
from core.clock import office_today
from db.rectifications import (
    get_rectification,
    issue_notice,
    list_rectifications,
    notice_document,
    record_satisfaction,
    record_talk,
    send_back,
    start,
    submit,
    suggestions,
    unit_problems,
    verify,
)
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.casework import attempt, follow_link, label, own_unit_note, styled, unit_filter, units_of
from ui.i18n import joined, t
from ui.notices import show_flash
from ui.plain import plain
from ui.store import session

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

actor = guard("rectification")
campaign = require_campaign()
office, unit_side = actor.role == "admin", actor.role in ("admin", "liaison")
st.title(t("rectification.title", year=campaign.year))
demo_notice(campaign)
show_flash()
names = units_of(campaign.id)
own_unit_note(actor, names)


def satisfaction(value: str | None) -> str:
    return t(f"option.{value}") if value else t("rectification.not_rated")


def list_tab() -> None:
    cols = st.columns([3, 2, 1])
    unit = unit_filter(actor, names, key="rect_f_unit", place=cols[0])
    state = cols[1].selectbox(t("rectification.state"), ["", *RECTIFICATION_STATES],
                              format_func=label("rectification.states"), key="rect_f_state")
    overdue = cols[2].toggle(t("rectification.only_overdue"), key="rect_f_overdue")
    with session() as s:
        rows = list_rectifications(s, actor=actor, campaign_id=campaign.id, unit_code=unit, state=state or None,
                                   overdue_only=overdue)
    if not rows:
        st.info(t("rectification.none"))
        return
    frame = pd.DataFrame([{
        t("rectification.notice_no"): r.notice_no, t("rectification.unit"): r.unit_name,
        t("rectification.reason"): t(f"rectification.reasons.{r.reason}"), t("rectification.issued_on"): r.issued_on,
        t("rectification.deadline"): r.deadline, t("rectification.state"): t(f"rectification.states.{r.state}"),
        t("rectification.submitted_on"): r.submitted_on, t("rectification.closed_on"): r.closed_on,
        t("rectification.overdue"): t("rectification.days_overdue", n=r.days_overdue) if r.overdue else "",
        t("rectification.talks"): joined(t(f"rectification.roles.{x}") for x in r.talked_to),
        t("rectification.satisfaction"): satisfaction(r.public_satisfaction)} for r in rows])
    st.dataframe(styled(frame, [r.overdue and r.state != "verified" for r in rows]), hide_index=True,
                 width="stretch")


def detail_tab() -> None:
    with session() as s:
        rows = list_rectifications(s, actor=actor, campaign_id=campaign.id)
    by_id = {r.id: r for r in rows}
    follow_link("notice", "rect_pick", by_id, lambda s, i: get_rectification(s, actor=actor, rect_id=i))
    if not rows:
        st.info(t("rectification.none"))
        return
    chosen = st.selectbox(t("rectification.pick"), list(by_id), key="rect_pick",
                          format_func=lambda i: f"{by_id[i].notice_no} · {by_id[i].unit_name}")
    with session() as s:
        row, talks = get_rectification(s, actor=actor, rect_id=chosen)
        filename, document = notice_document(s, actor=actor, rect_id=chosen)
    st.subheader(f"{plain(row.notice_no)} · {plain(row.unit_name)}")
    st.caption(t("rectification.summary", reason=t(f"rectification.reasons.{row.reason}"), issued=row.issued_on,
                 deadline=row.deadline, state=t(f"rectification.states.{row.state}"),
                 office=plain(row.issuing_office)))
    st.text(row.problems)
    if row.overdue and row.state != "verified":
        st.error(t("rectification.is_overdue", n=row.days_overdue))
    st.download_button(t("rectification.download_notice"), document, file_name=filename, mime=DOCX,
                       key=f"rect_doc_{row.id}", type="primary")
    st.markdown(f"**{t('rectification.talks')}**")
    missing = [r for r in TALK_ROLES if r not in row.talked_to]
    if talks:
        st.dataframe([{t("rectification.held_on"): x.held_on, t("rectification.with_role"):
                       t(f"rectification.roles.{x.with_role}"), t("rectification.persons"): x.persons,
                       t("rectification.notes"): x.notes} for x in talks], hide_index=True, width="stretch")
    if missing:
        st.warning(t("rectification.talks_missing", roles=joined(t(f"rectification.roles.{r}") for r in missing)))
    if row.reply:
        st.success(t("rectification.reply_shown", day=row.submitted_on or "—", reply=plain(row.reply)))
    if office:
        with st.form(f"rect_talk_{row.id}", clear_on_submit=True):
            cols = st.columns(2)
            held = cols[0].date_input(t("rectification.held_on"), office_today())
            role = cols[1].selectbox(t("rectification.with_role"), TALK_ROLES, format_func=label("rectification.roles"),
                                     index=TALK_ROLES.index(missing[0]) if missing else 0)
            persons = st.text_input(t("rectification.persons"), max_chars=200,
                                    placeholder=t("rectification.persons_hint"))
            notes = st.text_area(t("rectification.notes"), max_chars=2000, height=80)
            if st.form_submit_button(t("rectification.record_talk")) and attempt(
                    lambda s: record_talk(s, actor=actor, rect_id=row.id, held_on=held, with_role=role,
                                          persons=persons, notes=notes), t("common.saved")):
                st.rerun()
    tracking(row)


def tracking(row) -> None:
    if unit_side and row.state == "issued" and st.button(t("rectification.start"), key=f"rect_start_{row.id}"):
        if attempt(lambda s: start(s, actor=actor, rect_id=row.id), t("common.saved")):
            st.rerun()
    if unit_side and row.state in ("issued", "in_progress"):
        with st.form(f"rect_submit_{row.id}"):
            reply = st.text_area(t("rectification.report"), row.reply, max_chars=4000,
                                 help=t("rectification.report_help"))
            if st.form_submit_button(t("rectification.submit"), type="primary") and attempt(
                    lambda s: submit(s, actor=actor, rect_id=row.id, reply=reply), t("rectification.submitted")):
                st.rerun()
    if office and row.state == "submitted":
        cols = st.columns(2)
        with cols[0].form(f"rect_verify_{row.id}"):
            closed = st.date_input(t("rectification.closed_on"), office_today())
            note = st.text_input(t("rectification.note"), max_chars=2000)
            if st.form_submit_button(t("rectification.verify"), type="primary") and attempt(
                    lambda s: verify(s, actor=actor, rect_id=row.id, closed_on=closed, note=note),
                    t("rectification.verified")):
                st.rerun()
        with cols[1].form(f"rect_back_{row.id}"):
            why = st.text_area(t("rectification.send_back_reason"), max_chars=2000, height=80)
            if st.form_submit_button(t("rectification.send_back")) and attempt(
                    lambda s: send_back(s, actor=actor, rect_id=row.id, note=why), t("common.saved")):
                st.rerun()
    if office and row.state == "verified":
        with st.form(f"rect_satisfaction_{row.id}"):
            rating = st.radio(t("rectification.satisfaction"), SATISFACTION, format_func=lambda o: t(f"option.{o}"),
                              horizontal=True, index=SATISFACTION.index(row.public_satisfaction)
                              if row.public_satisfaction else 0, help=t("rectification.satisfaction_help"))
            if st.form_submit_button(t("common.save")) and attempt(
                    lambda s: record_satisfaction(s, actor=actor, rect_id=row.id, rating=rating), t("common.saved")):
                st.rerun()


def issue_tab() -> None:
    with session() as s:
        suggested = suggestions(s, actor=actor, campaign_id=campaign.id)
    for item in suggested:
        st.warning(t("rectification.suggested", unit=plain(item.unit_name),
                     reason=t(f"rectification.reasons.{item.reason}")))
    codes = list(names)
    cols = st.columns(2)
    unit = cols[0].selectbox(t("rectification.unit"), codes, format_func=names.get, key="rect_new_unit")
    reason = cols[1].selectbox(t("rectification.reason"), RECTIFICATION_REASONS,
                               format_func=label("rectification.reasons"), key="rect_new_reason")
    if st.button(t("rectification.fill_problems"), key="rect_fill"):
        with session() as s:
            st.session_state["rect_new_problems"] = unit_problems(s, actor=actor, campaign_id=campaign.id,
                                                                  unit_code=unit)
    problems = st.text_area(t("rectification.problems"), max_chars=4000, height=160, key="rect_new_problems",
                            help=t("rectification.problems_help"))
    cols = st.columns(2)
    issued = cols[0].date_input(t("rectification.issued_on"), office_today(), key="rect_new_issued")
    deadline = cols[1].date_input(t("rectification.deadline"), office_today() + timedelta(days=60),
                                  key="rect_new_deadline")
    cols = st.columns(2)
    issuer = cols[0].text_input(t("rectification.office"), DEFAULT_OFFICE, max_chars=100, key="rect_new_office")
    number = cols[1].text_input(t("rectification.notice_no"), max_chars=60, key="rect_new_no",
                                placeholder=t("rectification.notice_no_hint"))
    if st.button(t("rectification.issue"), type="primary", key="rect_new_save"):
        notice = NoticeFields(unit=unit, reason=reason, problems=problems, issued_on=issued, deadline=deadline,
                              issuing_office=issuer, notice_no=number)
        if attempt(lambda s: issue_notice(s, actor=actor, campaign_id=campaign.id, notice=notice),
                   t("rectification.issued")):
            st.session_state.pop("rect_new_problems", None)
            st.rerun()


TABS = {"list": list_tab, "detail": detail_tab, "issue": issue_tab}
shown = list(TABS) if office else ["list", "detail"]
for tab, name in zip(st.tabs([t(f"rectification.tabs.{name}") for name in shown], key="rect_tabs"), shown):
    with tab:
        TABS[name]()
