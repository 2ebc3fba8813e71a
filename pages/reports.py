"""Units' reports: the implementation plan (due 15 May) and the work summary (due 20 October).

A liaison uploads their unit's files and sees their status; the office sees every unit on time,
late or missing, the overdue list, and may record a paper copy with the day it arrived.
Scoping lives in db.unit_reports.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.casework import REPORT_KINDS, REPORT_STATUSES
from core.clock import office_today
from db.unit_reports import download_report, overdue_list, report_status, upload_report
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.casework import attempt, label, own_unit_note, styled, units_of
from ui.i18n import t
from ui.notices import show_flash
from ui.plain import plain
from ui.store import session
from ui.uploads import file_uploader

actor = guard("reports")
campaign = require_campaign()
office = actor.role == "admin"
st.title(t("reports.title", year=campaign.year))
demo_notice(campaign)
show_flash()
names = units_of(campaign.id)
own_unit_note(actor, names)
st.caption(t("reports.dues", plan=campaign.plan_due, summary=campaign.summary_due))


def status_frame(rows) -> pd.DataFrame:
    return pd.DataFrame([{
        t("reports.unit"): r.unit_name, t("reports.kind"): t(f"reports.kinds.{r.kind}"), t("reports.due"): r.due,
        t("reports.status"): t(f"reports.statuses.{r.status}"), t("reports.submitted_on"): r.submitted_on,
        t("reports.days_late"): r.days_late or "", t("reports.file"): r.filename} for r in rows])


def download(row) -> None:
    with session() as s:
        name, kind, content = download_report(s, actor=actor, report_id=row.report_id)
    st.download_button(t("reports.download", name=plain(name)), content, file_name=name, mime=kind,
                       key=f"report_dl_{row.report_id}")


def upload_form(kind: str, *, unit: str | None = None, key: str) -> None:
    uploads = st.session_state.setdefault(f"{key}_n", 0)
    file = file_uploader(t("reports.choose_file", kind=t(f"reports.kinds.{kind}")), types=["pdf", "docx", "doc"],
                         key=f"{key}_{uploads}", help=t("reports.file_help"))
    received = st.date_input(t("reports.received_on"), None, key=f"{key}_day", help=t("reports.received_help")) \
        if office else None
    if st.button(t("reports.upload"), key=f"{key}_go", type="primary", disabled=file is None) and file is not None:
        if attempt(lambda s: upload_report(s, actor=actor, campaign_id=campaign.id, kind=kind,
                                           filename=file.name, content=file.getvalue(), unit_code=unit,
                                           received_on=received), t("reports.uploaded")):
            st.session_state[f"{key}_n"] = uploads + 1
            st.rerun()


def own_unit() -> None:
    with session() as s:
        rows = report_status(s, actor=actor, campaign_id=campaign.id)
    if not rows:
        st.warning(t("reports.no_unit"))
        return
    for row in rows:
        with st.container(border=True):
            st.markdown(f"**{t(f'reports.kinds.{row.kind}')}** · {t('reports.due')} {row.due}")
            status = t(f"reports.statuses.{row.status}")
            if row.status in ("late", "missing"):
                st.error(t("reports.status_late", status=status, n=row.days_late))
            else:
                st.info(status + (f" · {row.submitted_on}" if row.submitted_on else ""))
            if row.report_id:
                download(row)
            upload_form(row.kind, key=f"report_up_{row.kind}")


def office_view() -> None:
    cols = st.columns([2, 2])
    kind = cols[0].selectbox(t("reports.kind"), ["", *REPORT_KINDS], format_func=label("reports.kinds"),
                             key="report_f_kind")
    status = cols[1].selectbox(t("reports.status"), ["", *REPORT_STATUSES], format_func=label("reports.statuses"),
                               key="report_f_status")
    with session() as s:
        every = report_status(s, actor=actor, campaign_id=campaign.id)
        chase = overdue_list(s, actor=actor, campaign_id=campaign.id)
    rows = [r for r in every if not kind or r.kind == kind]
    counts = st.columns(len(REPORT_STATUSES))
    for place, code in zip(counts, REPORT_STATUSES):
        place.metric(t(f"reports.statuses.{code}"), sum(r.status == code for r in rows))
    shown = [r for r in rows if not status or r.status == status]
    status_tab, overdue_tab, file_tab = st.tabs([t("reports.tabs.status"), t("reports.tabs.overdue"),
                                                 t("reports.tabs.files")], key="report_tabs")
    with status_tab:
        if shown:
            st.dataframe(styled(status_frame(shown), [r.status in ("late", "missing") for r in shown]),
                         hide_index=True, width="stretch")
        else:
            st.info(t("reports.none"))
    with overdue_tab:
        st.caption(t("reports.overdue_help", today=office_today()))
        if chase:
            st.dataframe(status_frame(chase), hide_index=True, width="stretch")
        else:
            st.success(t("reports.nothing_overdue"))
    with file_tab:
        cols = st.columns(2)
        unit = cols[0].selectbox(t("reports.unit"), list(names), format_func=names.get, key="report_o_unit")
        which = cols[1].selectbox(t("reports.kind"), REPORT_KINDS, format_func=label("reports.kinds"),
                                  key="report_o_kind")
        row = next((r for r in every if r.unit_code == unit and r.kind == which), None)
        if row is not None and row.report_id:
            download(row)
        if office:
            upload_form(which, unit=unit, key=f"report_o_{unit}_{which}")


if actor.role == "liaison":
    own_unit()
else:
    office_view()
