"""Accountability cases (倒查追责): the register with deadlines and overdue flags, one case's
timeline, its workflow steps, responsible people, escalation and the unit's answer; opening a case.

Scoping lives in db.cases: a liaison gets only their unit's cases from the store.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.cases import AGGRAVATING, ORIGINS, ROLES, SECOND_HANDLING_REASONS, SEVERITIES, STATES, CaseFields
from core.clock import office_today, to_office
from db.cases import (
    add_person,
    answer_case,
    escalate,
    get_case,
    list_cases,
    move_case,
    open_case,
    remove_person,
    set_due,
    set_veto,
    state_counts,
)
from db.inspections import list_findings
from db.media import list_cases as list_media_cases
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.casework import attempt, day, follow_link, label, own_unit_note, styled, unit_filter, units_of
from ui.i18n import joined, t
from ui.notices import show_flash
from ui.plain import plain
from ui.store import session

actor = guard("cases")
campaign = require_campaign()
office = actor.role == "admin"
st.title(t("cases.title", year=campaign.year))
demo_notice(campaign)
show_flash()
names = units_of(campaign.id)
own_unit_note(actor, names)


def register_tab() -> None:
    cols = st.columns([3, 2, 1, 1])
    unit = unit_filter(actor, names, key="case_f_unit", place=cols[0])
    state = cols[1].selectbox(t("cases.state"), ["", *STATES], format_func=label("cases.states"), key="case_f_state")
    overdue = cols[2].toggle(t("cases.only_overdue"), key="case_f_overdue")
    escalated = cols[3].toggle(t("cases.only_escalated"), key="case_f_escalated")
    with session() as s:
        counts = state_counts(s, actor=actor, campaign_id=campaign.id)
        rows = list_cases(s, actor=actor, campaign_id=campaign.id, unit_code=unit, state=state or None,
                          overdue_only=overdue, escalated_only=escalated)
    metrics = st.columns(len(STATES))
    for place, code in zip(metrics, STATES):
        place.metric(t(f"cases.states.{code}"), counts.get(code, 0))
    if not rows:
        st.info(t("cases.none"))
        return
    frame = pd.DataFrame([{
        t("cases.number"): r.id, t("cases.unit"): r.unit_name, t("cases.case_title"): r.title,
        t("cases.origin"): t(f"cases.origins.{r.origin}"), t("cases.severity"): t(f"severity.{r.severity}"),
        t("cases.state"): t(f"cases.states.{r.state}"), t("cases.escalated"): r.escalated,
        t("cases.opened_on"): r.opened_on, t("cases.due_on"): r.due_on,
        t("cases.overdue"): t("cases.days_overdue", n=r.days_overdue) if r.overdue else "",
        t("cases.second_handlings"): r.second_handlings, t("cases.responsible"): r.responsible} for r in rows])
    st.caption(t("cases.count", n=len(rows), overdue=sum(r.overdue for r in rows)))
    st.dataframe(styled(frame, [r.overdue for r in rows]), hide_index=True, width="stretch")


def detail_tab() -> None:
    with session() as s:
        rows = list_cases(s, actor=actor, campaign_id=campaign.id)
    by_id = {r.id: r for r in rows}
    follow_link("case", "case_pick", by_id, lambda s, i: get_case(s, actor=actor, case_id=i))
    if not rows:
        st.info(t("cases.none"))
        return
    chosen = st.selectbox(t("cases.pick"), list(by_id), key="case_pick",
                          format_func=lambda i: f"#{i} · {by_id[i].unit_name} · {by_id[i].title}")
    with session() as s:
        detail = get_case(s, actor=actor, case_id=chosen)
    case = detail.case
    st.subheader(f"#{case.id} {plain(case.title)}")
    st.caption(t("cases.summary", unit=plain(case.unit_name), origin=t(f"cases.origins.{case.origin}"),
                 severity=t(f"severity.{case.severity}"), state=t(f"cases.states.{case.state}"),
                 opened=case.opened_on, due=case.due_on or "—"))
    if case.description:
        st.markdown(plain(case.description))
    if case.overdue:
        st.error(t("cases.is_overdue", n=case.days_overdue))
    if case.escalated:
        factors = joined(t(f"cases.factors.{f}") for f in case.factors) or t(f"severity.{case.severity}")
        st.warning(t("cases.escalated_note", factors=factors))
        if detail.missing_roles:
            st.caption(t("cases.missing_roles", roles=joined(t(f"cases.roles.{r}") for r in detail.missing_roles)))
    if case.veto:
        st.error(t("cases.veto_on"))
    st.markdown(f"**{t('cases.timeline')}**")
    st.dataframe([{t("cases.when"): to_office(e.at).strftime("%Y-%m-%d %H:%M"), t("cases.event"):
                   t(f"cases.kinds.{e.kind}"), t("cases.state"): t(f"cases.states.{e.to_state}"),
                   t("cases.reason"): t(f"cases.reasons.{e.reason}") if e.reason else "", t("cases.note"): e.note,
                   t("cases.actor"): e.actor} for e in detail.events], hide_index=True, width="stretch")
    st.markdown(f"**{t('cases.people')}**")
    if detail.people:
        st.dataframe([{t("cases.role"): t(f"cases.roles.{p.role}"), t("cases.name"): p.name or "—",
                       t("cases.measure"): p.measure} for p in detail.people], hide_index=True, width="stretch")
    else:
        st.caption(t("cases.no_people"))
    if case.reply:
        st.success(t("cases.reply_shown", day=day(case.replied_at) or "—", reply=plain(case.reply)))
    if actor.role in ("admin", "liaison") and case.state != "circulated":
        with st.form(f"case_answer_{case.id}"):
            reply = st.text_area(t("cases.reply"), case.reply, max_chars=4000)
            if st.form_submit_button(t("cases.send_reply")) and attempt(
                    lambda s: answer_case(s, actor=actor, case_id=case.id, reply=reply), t("cases.replied")):
                st.rerun()
    if office:
        office_actions(detail)


def office_actions(detail) -> None:
    case = detail.case
    step_col, person_col = st.columns(2)
    with step_col, st.form(f"case_step_{case.id}"):
        st.markdown(f"**{t('cases.step')}**")
        options = list(detail.next_states)
        to = st.selectbox(t("cases.to_state"), options, format_func=label("cases.states"), disabled=not options)
        reason = st.selectbox(t("cases.reason"), ["", *SECOND_HANDLING_REASONS], format_func=lambda r: t(
            f"cases.reasons.{r}") if r else "—", help=t("cases.reason_help"))
        note = st.text_area(t("cases.note"), max_chars=2000, height=80)
        if st.form_submit_button(t("cases.do_step"), type="primary", disabled=not options) and attempt(
                lambda s: move_case(s, actor=actor, case_id=case.id, to=to, note=note, reason=reason or None),
                t("cases.moved")):
            st.rerun()
    with person_col, st.form(f"case_person_{case.id}", clear_on_submit=True):
        st.markdown(f"**{t('cases.add_person')}**")
        role = st.selectbox(t("cases.role"), ROLES, format_func=label("cases.roles"))
        name = st.text_input(t("cases.name_optional"), max_chars=60)
        measure = st.text_input(t("cases.measure"), max_chars=500)
        if st.form_submit_button(t("cases.add")) and attempt(
                lambda s: add_person(s, actor=actor, case_id=case.id, role=role, name=name, measure=measure),
                t("common.saved")):
            st.rerun()
    if detail.people and case.state not in ("decided", "circulated"):
        cols = st.columns([3, 1])
        people = {p.id: p for p in detail.people}
        person = cols[0].selectbox(t("cases.remove_person"), list(people), key=f"case_rm_{case.id}",
                                   format_func=lambda i: f"{t(f'cases.roles.{people[i].role}')} {people[i].name}")
        if cols[1].button(t("cases.remove"), key=f"case_rm_btn_{case.id}") and attempt(
                lambda s: remove_person(s, actor=actor, person_id=person), t("common.saved")):
            st.rerun()
    cols = st.columns(3)
    with cols[0].form(f"case_escalate_{case.id}"):
        factors = st.multiselect(t("cases.factors_label"), AGGRAVATING, format_func=label("cases.factors"))
        if st.form_submit_button(t("cases.escalate")) and attempt(
                lambda s: escalate(s, actor=actor, case_id=case.id, factors=factors), t("cases.escalated_ok")):
            st.rerun()
    with cols[1].form(f"case_due_{case.id}"):
        due = st.date_input(t("cases.due_on"), case.due_on or office_today())
        if st.form_submit_button(t("cases.set_due")) and attempt(
                lambda s: set_due(s, actor=actor, case_id=case.id, due_on=due), t("common.saved")):
            st.rerun()
    with cols[2].form(f"case_veto_{case.id}"):
        veto = st.toggle(t("cases.veto"), case.veto)
        why = st.text_input(t("cases.veto_reason"), max_chars=2000)
        if st.form_submit_button(t("common.save")) and attempt(
                lambda s: set_veto(s, actor=actor, case_id=case.id, veto=veto, note=why), t("common.saved")):
            st.rerun()


def open_tab() -> None:
    """Not a form: the finding and media-case lists follow the unit chosen."""
    codes = list(names)
    unit = st.selectbox(t("cases.unit"), codes, format_func=names.get, key="case_new_unit")
    origin = st.selectbox(t("cases.origin"), ORIGINS, format_func=label("cases.origins"), key="case_new_origin")
    finding_id = media_id = None
    if origin == "finding":
        with session() as s:
            found = [f for f in list_findings(s, actor=actor, campaign_id=campaign.id, unit_code=unit)]
        by_id = {f.id: f for f in found}
        finding_id = st.selectbox(t("cases.finding"), list(by_id), index=None, key="case_new_finding",
                                  placeholder=t("cases.choose_finding"),
                                  format_func=lambda i: f"#{i} · {by_id[i].visited_on} · {by_id[i].description[:50]}")
    elif origin in ("tv_exposure", "repeated_media"):
        with session() as s:
            media = list_media_cases(s, actor=actor, campaign_id=campaign.id, unit_code=unit,
                                     source="tv_style_focus" if origin == "tv_exposure" else None)
        by_id = {m.id: m for m in media if origin == "tv_exposure" or m.repeated}
        media_id = st.selectbox(t("cases.media_case"), list(by_id), index=None, key="case_new_media",
                                placeholder=t("cases.optional"),
                                format_func=lambda i: f"{by_id[i].external_ref} · {by_id[i].title}")
    title = st.text_input(t("cases.case_title"), max_chars=200, key="case_new_title")
    description = st.text_area(t("cases.description"), max_chars=4000, key="case_new_description")
    cols = st.columns(2)
    severity = cols[0].radio(t("cases.severity"), SEVERITIES, index=1, format_func=label("severity"),
                             horizontal=True, key="case_new_severity")
    factors = cols[1].multiselect(t("cases.factors_label"), AGGRAVATING, format_func=label("cases.factors"),
                                  key="case_new_factors", help=t("cases.escalation_help"))
    cols = st.columns(2)
    opened = cols[0].date_input(t("cases.opened_on"), min(office_today(), campaign.ends_on), key="case_new_opened")
    due = cols[1].date_input(t("cases.due_optional"), None, key="case_new_due", help=t("cases.due_help"))
    if st.button(t("cases.open_case"), type="primary", key="case_new_save"):
        fields = CaseFields(unit=unit, origin=origin, title=title, description=description, severity=severity,
                            factors=tuple(factors), opened_on=opened, due_on=due, finding_id=finding_id,
                            media_case_id=media_id)
        if attempt(lambda s: open_case(s, actor=actor, campaign_id=campaign.id, case=fields), t("cases.opened")):
            for key in ("case_new_title", "case_new_description", "case_new_factors"):
                st.session_state.pop(key, None)
            st.rerun()


TABS = {"register": register_tab, "detail": detail_tab, "open": open_tab}
shown = list(TABS) if office else ["register", "detail"]
for tab, name in zip(st.tabs([t(f"cases.tabs.{name}") for name in shown], key="case_tabs"), shown):
    with tab:
        TABS[name]()
