"""Media-exposed problems: the register, entry and import (office), answers (liaisons, office), sources.

What each role sees is decided in db.media (a liaison gets only their unit's cases from the
store itself); this page only chooses which tabs to offer.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.clock import office_today
from core.errors import UserError
from core.media import STATUSES, CaseFields, answer_calendar
from core.poll import OPTIONS
from db.media import (
    add_source,
    answer_case,
    check_case_file,
    create_case,
    import_cases,
    list_cases,
    list_sources,
    set_source_active,
    update_case,
)
from db.units import list_units
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.i18n import error_text, named, t
from ui.notices import flash, show_flash
from ui.plain import plain
from ui.store import session
from ui.uploads import file_uploader, problems_table

OVERDUE_STYLE = "background-color: #fde2e1"

actor = guard("media")
campaign = require_campaign()
office = actor.role == "admin"
st.title(t("media.title", year=campaign.year))
demo_notice(campaign)
show_flash()

with session() as s:
    all_sources = list_sources(s, include_inactive=True)
    units = list_units(s, campaign_id=campaign.id, include_inactive=False)
source_names = {src.code: named(src) for src in all_sources}
active_sources = [src.code for src in all_sources if src.active]
unit_names = {u.code: u.name for u in units}
calendar = answer_calendar(campaign.settings)
st.caption(t("media.overdue_note", days=calendar.working_days))
if actor.role == "liaison":
    st.info(t("media.liaison_scope", unit=plain(unit_names.get(actor.unit_code or "", actor.unit_code or "—"))))


def status_label(status: str) -> str:
    return t(f"media.statuses.{status}")


def satisfaction_label(value: str | None) -> str:
    return t(f"option.{value}") if value else t("media.not_rated")


def cases(**filters):
    with session() as s:
        return list_cases(s, actor=actor, campaign_id=campaign.id, **filters)


def case_label(case) -> str:
    return f"{case.external_ref} · {case.unit_name} · {case.title}"


def refuse(error: UserError) -> None:
    st.error(error_text(error))


def case_form(key: str, case=None) -> CaseFields | None:
    """The office's form for a new case or a correction; the fields once submitted, else None."""
    with st.form(key, clear_on_submit=case is None):
        cols = st.columns(2)
        sources = active_sources if case is None or case.source_code in active_sources \
            else [*active_sources, case.source_code]
        source = cols[0].selectbox(t("media.source"), sources, format_func=source_names.get,
                                   index=sources.index(case.source_code) if case else 0)
        ref = cols[1].text_input(t("media.external_ref"), case.external_ref if case else "", max_chars=64,
                                 key=f"{key}_ref")
        codes = list(unit_names)
        unit = st.selectbox(t("media.unit"), codes, format_func=unit_names.get,
                            index=codes.index(case.unit_code) if case and case.unit_code in codes else 0)
        title = st.text_input(t("media.case_title"), case.title if case else "", max_chars=200, key=f"{key}_title")
        cols = st.columns(3)
        exposed = cols[0].date_input(t("media.exposed_on"), case.exposed_on if case else office_today())
        answered = cols[1].date_input(t("media.answered_on"), case.answered_on if case else None)
        status = cols[2].selectbox(t("media.status"), STATUSES, format_func=status_label,
                                   index=STATUSES.index(case.status) if case else 0)
        cols = st.columns(2)
        ratings = [None, *OPTIONS]
        rating = cols[0].selectbox(t("media.satisfaction"), ratings, format_func=satisfaction_label,
                                   index=ratings.index(case.public_satisfaction) if case else 0)
        repeated = cols[1].checkbox(t("media.repeated"), case.repeated if case else False)
        reply = st.text_area(t("media.reply"), case.reply if case else "", max_chars=2000)
        if not st.form_submit_button(t("common.save"), type="primary"):
            return None
    return CaseFields(source=source, external_ref=ref, unit=unit, title=title, exposed_on=exposed,
                      answered_on=answered, status=status, repeated=repeated, public_satisfaction=rating,
                      reply=reply)


def register_tab() -> None:
    cols = st.columns([2, 2, 2, 1])
    source = cols[0].selectbox(t("media.source"), ["", *source_names], key="media_f_source",
                               format_func=lambda c: source_names.get(c, t("common.all")))
    unit = "" if actor.role == "liaison" else cols[1].selectbox(
        t("media.unit"), ["", *unit_names], key="media_f_unit",
        format_func=lambda c: unit_names.get(c, t("common.all")))
    status = cols[2].selectbox(t("media.status"), ["", *STATUSES], key="media_f_status",
                               format_func=lambda c: status_label(c) if c else t("common.all"))
    overdue_only = cols[3].toggle(t("media.only_overdue"), key="media_f_overdue")
    rows = cases(source=source or None, unit_code=unit or None, status=status or None, overdue_only=overdue_only)
    st.caption(t("media.count", n=len(rows), overdue=sum(c.overdue for c in rows)))
    if not rows:
        st.info(t("media.none"))
        return
    frame = pd.DataFrame([{
        t("media.source"): source_names.get(c.source_code, c.source_code), t("media.external_ref"): c.external_ref,
        t("media.unit"): c.unit_name, t("media.case_title"): c.title, t("media.exposed_on"): c.exposed_on,
        t("media.due_on"): c.due_on, t("media.answered_on"): c.answered_on,
        t("media.overdue"): t("media.overdue") if c.overdue else "", t("media.status"): status_label(c.status),
        t("media.repeated"): c.repeated, t("media.satisfaction"): satisfaction_label(c.public_satisfaction),
        t("media.reply"): c.reply} for c in rows])
    overdue = [c.overdue for c in rows]
    styled = frame.style.apply(lambda row: [OVERDUE_STYLE if overdue[row.name] else ""] * len(row), axis=1)
    st.dataframe(styled, hide_index=True, width="stretch")


def entry_tab() -> None:
    fields = case_form("media_new")
    if fields is not None:
        try:
            with session() as s:
                create_case(s, actor=actor, campaign_id=campaign.id, case=fields)
        except UserError as error:
            refuse(error)
        else:
            flash(t("media.created"))
            st.rerun()


def import_tab() -> None:
    st.caption(t("media.import_help"))
    uploads = st.session_state.setdefault("media_uploads", 0)
    upload = file_uploader(t("media.file"), types=["csv", "xlsx"], key=f"media_file_{campaign.year}_{uploads}")
    if upload is None:
        return
    content = upload.getvalue()
    with session() as s:
        parsed = check_case_file(s, campaign_id=campaign.id, content=content, filename=upload.name)
    if not parsed.ok:
        st.error(t("media.refused", n=len(parsed.problems)))
        problems_table(parsed.problems)
        return
    st.success(t("media.checked", n=len(parsed.rows), encoding=parsed.encoding))
    for notice in parsed.notices:
        st.warning(error_text(notice))
    if st.button(t("media.confirm_import"), type="primary"):
        try:
            with session() as s:
                n = import_cases(s, actor=actor, campaign_id=campaign.id, content=content, filename=upload.name)
        except UserError as error:
            refuse(error)
        else:
            flash(t("media.imported", n=n))
            st.session_state["media_uploads"] = uploads + 1
            st.rerun()


def answer_tab() -> None:
    rows = sorted(cases(), key=lambda c: (c.status != "open", not c.overdue, c.exposed_on))  # open, overdue first
    if not rows:
        st.info(t("media.none"))
        return
    by_id = {c.id: c for c in rows}
    chosen = by_id[st.selectbox(t("media.pick_case"), list(by_id), key="media_answer_case",
                                format_func=lambda i: case_label(by_id[i]))]
    st.caption(t("media.case_dates", exposed=chosen.exposed_on, due=chosen.due_on,
                 status=status_label(chosen.status)))
    if chosen.overdue:
        st.warning(t("media.is_overdue"))
    with st.form(f"media_answer_{chosen.id}"):
        reply = st.text_area(t("media.reply"), chosen.reply, max_chars=2000)
        answered = st.date_input(t("media.answered_on"), chosen.answered_on or office_today())
        submitted = st.form_submit_button(t("media.send_answer"), type="primary")
    if submitted:
        try:
            with session() as s:
                answer_case(s, actor=actor, case_id=chosen.id, reply=reply, answered_on=answered)
        except UserError as error:
            refuse(error)
        else:
            flash(t("media.answered"))
            st.rerun()


def outcome_tab() -> None:
    rows = cases()
    if not rows:
        st.info(t("media.none"))
        return
    by_id = {c.id: c for c in rows}
    chosen = by_id[st.selectbox(t("media.pick_case"), list(by_id), key="media_edit_case",
                                format_func=lambda i: case_label(by_id[i]))]
    fields = case_form(f"media_edit_{chosen.id}", chosen)
    if fields is not None:
        try:
            with session() as s:
                update_case(s, actor=actor, case_id=chosen.id, case=fields)
        except UserError as error:
            refuse(error)
        else:
            flash(t("common.saved"))
            st.rerun()


def sources_tab() -> None:
    st.dataframe([{t("media.source_code"): src.code, t("media.source_zh"): src.name_zh,
                   t("media.source_en"): src.name_en, t("media.active"): src.active} for src in all_sources],
                  hide_index=True, width="stretch")
    with st.form("media_source_new", clear_on_submit=True):
        cols = st.columns(3)
        code = cols[0].text_input(t("media.source_code"), max_chars=40)
        name_zh = cols[1].text_input(t("media.source_zh"), max_chars=100)
        name_en = cols[2].text_input(t("media.source_en"), max_chars=100)
        if st.form_submit_button(t("media.add_source")):
            try:
                with session() as s:
                    add_source(s, actor=actor, code=code, name_zh=name_zh, name_en=name_en)
            except UserError as error:
                refuse(error)
            else:
                flash(t("media.source_added"))
                st.rerun()
    cols = st.columns([3, 1])
    code = cols[0].selectbox(t("media.source"), list(source_names), format_func=source_names.get,
                             key="media_source_toggle")
    source = next(src for src in all_sources if src.code == code)
    if cols[1].button(t("media.retire") if source.active else t("media.restore")):
        with session() as s:
            set_source_active(s, actor=actor, code=code, active=not source.active)
        flash(t("common.saved"))
        st.rerun()


TABS = {"register": register_tab, "entry": entry_tab, "import": import_tab, "answer": answer_tab,
        "outcome": outcome_tab, "sources": sources_tab}
ROLE_TABS = {"admin": list(TABS), "liaison": ["register", "answer"]}
shown = ROLE_TABS.get(actor.role, ["register"])  # leadership and analysts read the register
for tab, name in zip(st.tabs([t(f"media.tabs.{name}") for name in shown], key="media_tabs"), shown):
    with tab:
        TABS[name]()
