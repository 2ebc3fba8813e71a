"""The objection period (公示) and objections (异议) on /results (the office) and /feedback (the units).

Everything is read and written through db.objections, which decides who sees what; these helpers only
draw it.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.clock import office_today, to_office
from core.errors import UserError
from core.evidence import EVIDENCE_MAX_BYTES, MB
from core.objections import ITEM_KINDS, MAX_FILES, ROW_KINDS, period_from
from db.objections import READERS as OBJECTION_READERS
from db.objections import (
    ObjectionRow,
    PeriodInfo,
    file_objection,
    items,
    list_objections,
    objection_file,
    open_period,
    periods,
    posted_result,
    rule,
)
from db.scoring import publication_blockers
from ui.casework import attempt
from ui.i18n import error_text, t
from ui.notices import flash
from ui.plain import plain
from ui.store import session


def moment(value) -> str:
    return to_office(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def period_line(period: PeriodInfo) -> str:
    key = "objections.period_running" if period.running else "objections.period_over"
    return t(key, version=period.version, opens=period.opens_on.isoformat(), closes=period.closes_on.isoformat(),
             days=period.working_days, received=period.received, upheld=period.upheld, dismissed=period.dismissed,
             open=period.unruled)


def item_text(row: ObjectionRow) -> str:
    kind = t(f"objections.kinds.{row.item_kind}")
    return f"{kind} · {plain(row.item_label)}" if row.item_label else kind


def files(row: ObjectionRow, actor, *, key: str) -> None:
    """The objection's evidence files, each a download (the store checks who may read it)."""
    if not row.files:
        st.caption(t("objections.no_files"))
        return
    for f in row.files:
        with session() as s:
            name, mime, content = objection_file(s, actor=actor, file_id=f.id)
        size = f"{f.size / MB:.1f} MB" if f.size >= MB / 10 else f"{max(1, round(f.size / 1024))} KB"
        st.download_button(t("objections.file", name=plain(name), size=size), content, file_name=name,
                           mime=mime, key=f"{key}_file_{f.id}", icon=":material/attach_file:", on_click="ignore")


def ruling_text(row: ObjectionRow) -> str:
    return t(f"objections.ruled.{row.state}", by=plain(row.ruled_by or "—"), at=moment(row.ruled_at),
             reason=plain(row.ruling_reason))


def show_ruling(row: ObjectionRow) -> None:
    if row.state == "open":
        st.info(t("objections.awaiting"), icon=":material/pending:")
    elif row.state == "upheld":
        st.success(ruling_text(row), icon=":material/check_circle:")
    else:
        st.warning(ruling_text(row), icon=":material/block:")


def objection_header(row: ObjectionRow) -> str:
    return t("objections.header", id=row.id, unit=plain(row.unit_name), kind=t(f"objections.kinds.{row.item_kind}"),
             state=t(f"objections.states.{row.state}"))


def objection_body(row: ObjectionRow, actor) -> None:
    st.markdown(t("objections.about", item=item_text(row), version=row.version))
    st.markdown(t("objections.filed", by=plain(row.filed_by), at=moment(row.filed_at)))
    st.text(row.reason)
    files(row, actor, key=f"obj{row.id}")


# ---------------------------------------------------------------------------------------
# /results: the office opens the period and rules


def office_panel(actor, campaign, result) -> None:
    """On /results, for the office: the periods, the opening of one on this version, every objection."""
    st.subheader(t("objections.title"))
    with session() as s:
        found = periods(s, actor=actor, campaign_id=campaign.id)
        rows = list_objections(s, actor=actor, campaign_id=campaign.id)
    for period in found:
        (st.warning if period.running else st.info)(period_line(period), icon=":material/campaign:")
    running = any(p.running for p in found)
    if result.status == "provisional" and not running:
        planned = period_from(office_today(), campaign.settings or {})
        with st.form(f"objections_open_{result.id}"):
            st.write(t("objections.open_help", version=result.version, days=planned.working_days,
                       closes=planned.closes_on.isoformat()))
            if st.form_submit_button(t("objections.open_button"), type="primary"):
                if attempt(lambda s: open_period(s, actor=actor, result_id=result.id),
                           t("objections.opened", version=result.version, closes=planned.closes_on.isoformat())):
                    st.rerun()
    if not rows:
        if found:
            st.caption(t("objections.none_yet"))
        return
    if any(r.state == "upheld" for r in rows):
        st.info(t("objections.upheld_help"), icon=":material/info:")
    for row in rows:
        with st.expander(objection_header(row), expanded=row.state == "open"):
            objection_body(row, actor)
            if row.state != "open":
                show_ruling(row)
                continue
            with st.form(f"objection_rule_{row.id}"):
                ruling = st.radio(t("objections.ruling"), ("upheld", "dismissed"), index=None, horizontal=True,
                                  format_func=lambda r: t(f"objections.rulings.{r}"), key=f"obj_ruling_{row.id}")
                reason = st.text_area(t("objections.ruling_reason"), max_chars=2000, key=f"obj_reason_{row.id}")
                st.caption(t("objections.ruling_help"))
                if st.form_submit_button(t("objections.rule_button"), type="primary"):
                    if attempt(lambda s, ruling=ruling, reason=reason, row=row: rule(
                            s, actor=actor, objection_id=row.id, ruling=ruling or "", reason=reason),
                            t("objections.ruled_flash", id=row.id)):
                        st.rerun()


def posted_version(actor, campaign_id: int) -> int | None:
    """The version posted to the units now (for the office's banner), if any."""
    with session() as s:
        posted = posted_result(s, actor=actor, campaign_id=campaign_id)
    return posted[0].version if posted else None


def blockers(campaign_id: int) -> list[UserError]:
    with session() as s:
        return publication_blockers(s, campaign_id)


# ---------------------------------------------------------------------------------------
# /feedback: the unit files and reads


def posted_notice(period: PeriodInfo) -> None:
    st.warning(t("objections.posted_banner", version=period.version, opens=period.opens_on.isoformat(),
                 closes=period.closes_on.isoformat(), days=period.working_days)
               if period.running else t("objections.posted_over", version=period.version,
                                         closes=period.closes_on.isoformat()), icon=":material/campaign:")


def unit_panel(actor, campaign, unit_code: str, period: PeriodInfo | None) -> None:
    """On /feedback: the unit's objections with their rulings, and (a liaison, while the period runs) the form.
    Leaders and analysts see no objection (the store would refuse them): nothing is drawn for them."""
    if actor.role not in OBJECTION_READERS:
        return
    with session() as s:
        rows = [r for r in list_objections(s, actor=actor, campaign_id=campaign.id) if r.unit_code == unit_code]
    if period is None and not rows:
        return
    st.subheader(t("objections.unit_title"))
    if not rows:
        st.caption(t("objections.none_filed"))
    for row in rows:  # the rulings first: a liaison coming back comes for them
        with st.container(border=True):
            st.markdown(f"**{objection_header(row)}**")
            objection_body(row, actor)
            show_ruling(row)
    if actor.role == "liaison" and period is not None and period.running:
        st.markdown(f"**{t('objections.new')}**")
        objection_form(actor, campaign)


def objection_form(actor, campaign) -> None:
    with session() as s:
        choices = items(s, actor=actor, campaign_id=campaign.id)
    st.info(t("objections.opinions_note"), icon=":material/info:")
    kind = st.selectbox(t("objections.kind"), ITEM_KINDS, index=None, key="objection_kind",
                        format_func=lambda k: t(f"objections.kinds.{k}"), placeholder=t("objections.kind_pick"))
    refs: Sequence = [c for c in choices if c.kind == kind]
    form_no = st.session_state.get("objection_form", 0)
    with st.form(f"objection_form_{form_no}"):
        ref = None
        if kind in ROW_KINDS:
            if refs:
                ref = st.selectbox(t("objections.item"), [c.ref for c in refs], key=f"objection_ref_{form_no}",
                                   format_func=lambda r: next(c.label for c in refs if c.ref == r))
            else:
                st.caption(t("objections.no_items"))
        reason = st.text_area(t("objections.reason"), max_chars=2000, key=f"objection_reason_{form_no}",
                              help=t("objections.reason_help"))
        uploads = st.file_uploader(t("objections.evidence"), type=["jpg", "jpeg", "png", "webp", "pdf"],
                                   accept_multiple_files=True, key=f"objection_files_{form_no}",
                                   help=t("objections.evidence_help", n=MAX_FILES,
                                          mb=f"{EVIDENCE_MAX_BYTES / MB:g}"))
        submitted = st.form_submit_button(t("objections.file_button"), type="primary")
    if submitted:
        if kind is None:
            st.error(t("objections.bad_item"))
            return
        sent = [(f.name, f.getvalue()) for f in uploads or []]
        try:
            with session() as s:
                filed = file_objection(s, actor=actor, campaign_id=campaign.id, item_kind=kind, item_ref=ref or "",
                                       reason=reason, files=sent)
        except UserError as error:
            st.error(error_text(error))
            return
        flash(t("objections.filed_flash", id=filed.id, files=len(filed.files)))
        st.session_state["objection_form"] = form_no + 1
        st.rerun()
