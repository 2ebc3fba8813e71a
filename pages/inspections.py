"""Inspections (明察暗访): record a visit with findings and photos (tablet or phone), the findings
register with hand-over, answers and closing, the visit log, and the problem list as Excel.

What each role sees is decided in db.inspections: a liaison gets only their unit's handed-over
findings, from the store itself; this page only chooses which tabs to offer.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.casework import FINDING_STATES, KINDS, SEVERITIES, FindingFields, VisitFields
from core.clock import office_today
from core.evidence import is_image
from db.campaigns import dimensions
from db.inspections import (
    EvidenceUpload,
    answer_finding,
    finding_counts,
    get_evidence,
    get_finding,
    hand_over,
    list_findings,
    list_visits,
    problem_list,
    record_inspection,
    set_finding_state,
)
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.casework import attempt, day, follow_link, label, own_unit_note, unit_filter, units_of
from ui.i18n import language, named, t
from ui.notices import show_flash
from ui.plain import plain
from ui.store import session
from ui.uploads import file_uploader

MAX_FINDINGS = 10

actor = guard("inspections")
campaign = require_campaign()
office, recorder = actor.role == "admin", actor.role in ("admin", "inspector")
st.title(t("inspections.title", year=campaign.year))
demo_notice(campaign)
show_flash()
names = units_of(campaign.id)
with session() as s:
    dimension_rows = dimensions(s, campaign.id)
dimension_names = {d.code: named(d) for d in dimension_rows}
own_unit_note(actor, names)


def record_tab() -> None:
    """One visit, its findings and their photos, saved together or not at all."""
    form_no = st.session_state.setdefault("inspection_form", 0)
    count = st.number_input(t("inspections.finding_count"), min_value=0, max_value=MAX_FINDINGS, value=1, step=1,
                            key=f"insp_count_{form_no}")
    codes = list(names)
    with st.form(f"inspection_{form_no}"):
        kind = st.radio(t("inspections.kind"), KINDS, format_func=label("inspections.kinds"), horizontal=True,
                        key=f"insp_kind_{form_no}")
        cols = st.columns(2)
        # Today, kept within the year (a year prepared ahead has not begun yet).
        visited = cols[0].date_input(t("inspections.visited_on"),
                                     min(max(office_today(), campaign.starts_on), campaign.ends_on),
                                     min_value=campaign.starts_on, max_value=campaign.ends_on,
                                     key=f"insp_day_{form_no}")
        unit = cols[1].selectbox(t("inspections.unit"), codes, format_func=names.get, index=None,
                                 placeholder=t("inspections.choose_unit"), key=f"insp_unit_{form_no}")
        site = st.text_input(t("inspections.site"), max_chars=200, key=f"insp_site_{form_no}",
                             placeholder=t("inspections.site_hint"))
        team = st.text_input(t("inspections.team"), max_chars=200, key=f"insp_team_{form_no}")
        notes = st.text_area(t("inspections.notes"), max_chars=2000, key=f"insp_notes_{form_no}", height=80)
        findings, uploads = [], []
        for k in range(int(count)):
            st.subheader(t("inspections.finding_n", n=k + 1))
            same = st.selectbox(t("inspections.finding_unit"), ["", *codes], key=f"insp_f{k}_unit_{form_no}",
                                format_func=lambda c: names.get(c, t("inspections.same_unit")))
            cols = st.columns(2)
            dimension = cols[0].selectbox(t("inspections.dimension"), list(dimension_names),
                                          format_func=dimension_names.get, key=f"insp_f{k}_dim_{form_no}")
            severity = cols[1].radio(t("inspections.severity"), SEVERITIES, format_func=label("severity"),
                                     horizontal=True, index=1, key=f"insp_f{k}_sev_{form_no}")
            text = st.text_area(t("inspections.description"), max_chars=1000, key=f"insp_f{k}_text_{form_no}",
                                height=90)
            files = file_uploader(t("inspections.evidence"), types=["jpg", "jpeg", "png", "webp", "pdf"],
                                  accept_multiple_files=True, key=f"insp_f{k}_files_{form_no}",
                                  help=t("inspections.evidence_help"))
            findings.append(FindingFields(unit=same or unit, dimension=dimension, severity=severity,
                                          description=text))
            uploads += [EvidenceUpload(k, f.name, f.getvalue()) for f in files or []]
        now = st.checkbox(t("inspections.hand_over_now"), key=f"insp_hand_{form_no}")
        submitted = st.form_submit_button(t("inspections.save_visit"), type="primary", width="stretch")
    if submitted:
        visit = VisitFields(kind=kind, visited_on=visited, unit=unit or "", site=site, team=team, notes=notes)
        saved = attempt(lambda s: record_inspection(s, actor=actor, campaign_id=campaign.id, visit=visit,
                                                    findings=findings, evidence=uploads, hand_over=now),
                        t("inspections.saved", n=len(findings), files=len(uploads)))
        if saved:
            st.session_state["inspection_form"] = form_no + 1  # a fresh, empty form
            st.rerun()


def findings_frame(rows) -> pd.DataFrame:
    return pd.DataFrame([{
        t("inspections.number"): r.id, t("inspections.visited_on"): r.visited_on,
        t("inspections.kind"): t(f"inspections.kinds.{r.kind}"), t("inspections.unit"): r.unit_name,
        t("inspections.site"): r.site, t("inspections.dimension"): t_dimension(r),
        t("inspections.severity"): t(f"severity.{r.severity}"), t("inspections.deduction"): r.deduction,
        t("inspections.description"): r.description, t("inspections.state"): t(f"inspections.states.{r.state}"),
        t("inspections.reply"): r.reply, t("inspections.evidence_count"): r.evidence} for r in rows])


def t_dimension(row) -> str:
    return row.dimension_en if language() == "en" else row.dimension_zh


def findings_tab() -> None:
    cols = st.columns(3)
    unit = unit_filter(actor, names, key="insp_f_unit", place=cols[0])
    states = FINDING_STATES if actor.role != "liaison" else FINDING_STATES[1:]
    state = cols[1].selectbox(t("inspections.state"), ["", *states], format_func=label("inspections.states"),
                              key="insp_f_state")
    with session() as s:
        counts = finding_counts(s, actor=actor, campaign_id=campaign.id)
        rows = list_findings(s, actor=actor, campaign_id=campaign.id, unit_code=unit, state=state or None)
    cols[2].metric(t("inspections.total"), sum(counts.values()),
                   help=" · ".join(f"{t(f'inspections.states.{k}')} {v}" for k, v in counts.items()))
    by_id = {r.id: r for r in rows}
    follow_link("finding", "insp_pick", by_id, lambda s, i: get_finding(s, actor=actor, finding_id=i))
    if not rows:
        st.info(t("inspections.none"))
        return
    st.dataframe(findings_frame(rows), hide_index=True, width="stretch")
    chosen = st.selectbox(t("inspections.pick"), list(by_id), key="insp_pick",
                          format_func=lambda i: f"#{i} · {by_id[i].unit_name} · {by_id[i].description[:40]}")
    finding_detail(chosen)


def finding_detail(finding_id: int) -> None:
    with session() as s:
        row, files = get_finding(s, actor=actor, finding_id=finding_id)
    st.markdown(f"**{plain(row.unit_name)}** · {row.visited_on} · {t(f'inspections.kinds.{row.kind}')} · "
                f"{plain(row.site)}")
    st.markdown(plain(row.description))
    st.caption(t("inspections.detail_state", state=t(f"inspections.states.{row.state}"),
                 handed=day(row.handed_over_at) or "—", deduction=row.deduction))
    for evidence in files:
        with session() as s:
            name, kind, content = get_evidence(s, actor=actor, evidence_id=evidence.id)
        if is_image(kind):
            st.image(content, caption=name, width=360)
        st.download_button(t("inspections.download_file", name=plain(name)), content, file_name=name, mime=kind,
                           key=f"insp_ev_{evidence.id}")
    if row.reply:
        st.success(t("inspections.reply_shown", day=day(row.replied_at) or "—", reply=plain(row.reply)))
    if recorder and row.state == "recorded" and st.button(t("inspections.hand_over"), key=f"insp_ho_{row.id}"):
        if attempt(lambda s: hand_over(s, actor=actor, finding_ids=[row.id]), t("inspections.handed_over")):
            st.rerun()
    if actor.role in ("admin", "liaison") and row.state in ("handed_over", "answered"):
        with st.form(f"insp_answer_{row.id}"):
            reply = st.text_area(t("inspections.reply"), row.reply, max_chars=4000)
            if st.form_submit_button(t("inspections.send_reply"), type="primary"):
                if attempt(lambda s: answer_finding(s, actor=actor, finding_id=row.id, reply=reply),
                           t("inspections.replied")):
                    st.rerun()
    if office and row.state in ("handed_over", "answered"):
        cols = st.columns(2)
        note = cols[0].text_input(t("inspections.office_note"), key=f"insp_note_{row.id}")
        if cols[1].button(t("inspections.close"), key=f"insp_close_{row.id}") and attempt(
                lambda s: set_finding_state(s, actor=actor, finding_id=row.id, to="closed", note=note),
                t("common.saved")):
            st.rerun()
        if row.state == "answered" and cols[1].button(t("inspections.send_back"), key=f"insp_back_{row.id}") \
                and attempt(lambda s: set_finding_state(s, actor=actor, finding_id=row.id, to="handed_over",
                                                        note=note), t("common.saved")):
            st.rerun()


def visits_tab() -> None:
    cols = st.columns(2)
    unit = unit_filter(actor, names, key="insp_v_unit", place=cols[0])
    kind = cols[1].selectbox(t("inspections.kind"), ["", *KINDS], format_func=label("inspections.kinds"),
                             key="insp_v_kind")
    with session() as s:
        visits = list_visits(s, actor=actor, campaign_id=campaign.id, unit_code=unit, kind=kind or None)
    if not visits:
        st.info(t("inspections.no_visits"))
        return
    st.dataframe([{t("inspections.number"): v.id, t("inspections.visited_on"): v.visited_on,
                   t("inspections.kind"): t(f"inspections.kinds.{v.kind}"), t("inspections.unit"): v.unit_name,
                   t("inspections.site"): v.site, t("inspections.team"): v.team,
                   t("inspections.recorded_by"): v.recorded_by, t("inspections.findings"): v.findings,
                   t("inspections.not_handed"): v.recorded} for v in visits], hide_index=True, width="stretch")
    pending = [v for v in visits if v.recorded]
    if recorder and pending:
        by_id = {v.id: v for v in pending}
        chosen = st.selectbox(t("inspections.pick_visit"), list(by_id), key="insp_v_pick",
                              format_func=lambda i: f"#{i} · {by_id[i].visited_on} · {by_id[i].unit_name}")
        if st.button(t("inspections.hand_over_visit", n=by_id[chosen].recorded), type="primary"):
            with session() as s:
                ids = [f.id for f in list_findings(s, actor=actor, campaign_id=campaign.id, inspection_id=chosen,
                                                   state="recorded")]
            if attempt(lambda s: hand_over(s, actor=actor, finding_ids=ids), t("inspections.handed_over")):
                st.rerun()


def export_tab() -> None:
    st.caption(t("inspections.export_help"))
    cols = st.columns(3)
    unit = unit_filter(actor, names, key="insp_x_unit", place=cols[0])
    start = cols[1].date_input(t("inspections.from"), campaign.starts_on, key="insp_x_from")
    end = cols[2].date_input(t("inspections.to"), campaign.ends_on, key="insp_x_to")
    if st.button(t("inspections.make_list"), key="insp_x_make"):
        attempt(lambda s: st.session_state.__setitem__(
            "problem_list", problem_list(s, actor=actor, campaign_id=campaign.id, unit_code=unit, start=start,
                                         end=end)), "")
    if "problem_list" in st.session_state:
        name, content = st.session_state["problem_list"]
        st.download_button(t("inspections.download_list"), content, file_name=name, type="primary",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


TABS = {"record": record_tab, "findings": findings_tab, "visits": visits_tab, "export": export_tab}
ROLE_TABS = {"admin": list(TABS), "inspector": list(TABS), "liaison": ["findings", "export"]}
shown = ROLE_TABS.get(actor.role, ["findings", "visits", "export"])  # leadership and analysts read
for tab, name in zip(st.tabs([t(f"inspections.tabs.{name}") for name in shown], key="inspection_tabs"), shown):
    with tab:
        TABS[name]()
