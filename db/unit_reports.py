"""The units' own reports: the implementation plan (due 15 May) and the work summary (due 20 October).

A liaison uploads their unit's files; the office may record one delivered on paper with the day it
arrived. The first submission decides on time or late: replacing the file later (a corrected version)
keeps that day. Everyone sees the status of the units they may see; the office also gets the overdue list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from core import casework as rules
from core.clock import from_office, office_today, to_office, utcnow
from core.errors import NotFound, UserError
from core.evidence import REPORT_MAX_BYTES, check_report
from db.access import Actor, require
from db.audit import record
from db.models import Campaign, Unit, UnitReport
from db.scope import visible_unit

READERS = ("admin", "leader", "analyst", "liaison")
UPLOADERS = ("admin", "liaison")


@dataclass(frozen=True)
class ReportRow:
    unit_code: str
    unit_name: str
    kind: str  # plan, summary
    due: date
    status: str  # on_time, late, missing, pending
    submitted_on: date | None
    days_late: int
    report_id: int | None
    filename: str
    uploaded_by: str


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign.not_found", "there is no campaign {year}", year=campaign_id)
    return campaign


def due_dates(campaign: Campaign) -> dict[str, date]:
    return {"plan": campaign.plan_due, "summary": campaign.summary_due}


def report_status(session: Session, *, actor: Actor, campaign_id: int, kind: str | None = None,
                  today: date | None = None) -> list[ReportRow]:
    """One row per active unit and report kind (a liaison: their unit only), in the units' order."""
    visible = visible_unit(session, actor, campaign_id, *READERS)
    campaign, today = _campaign(session, campaign_id), today or office_today()
    units_query = select(Unit).where(Unit.campaign_id == campaign_id, Unit.active).order_by(Unit.position, Unit.id)
    if visible is not None:
        units_query = select(Unit).where(Unit.id == visible)
    units = session.exec(units_query).all()
    reports = {(r.unit_id, r.kind): r for r in session.exec(
        select(UnitReport.id, UnitReport.unit_id, UnitReport.kind, UnitReport.submitted_at, UnitReport.filename,
               UnitReport.uploaded_by).where(UnitReport.campaign_id == campaign_id)).all()}
    rows = []
    for unit in units:
        for report_kind, due in due_dates(campaign).items():
            if kind and report_kind != kind:
                continue
            report = reports.get((unit.id, report_kind))
            day = to_office(report.submitted_at).date() if report and report.submitted_at else None
            rows.append(ReportRow(unit.code, unit.name, report_kind, due, rules.report_status(due, day, today=today),
                                  day, rules.report_days_late(due, day, today=today), report.id if report else None,
                                  report.filename if report else "", report.uploaded_by if report else ""))
    return rows


def overdue_list(session: Session, *, actor: Actor, campaign_id: int, today: date | None = None) -> list[ReportRow]:
    """The office's chase list: missing reports first (longest overdue first), then late ones."""
    require(actor, "admin", "leader", "analyst")
    rows = report_status(session, actor=actor, campaign_id=campaign_id, today=today)
    wanted = [r for r in rows if r.status in ("missing", "late")]
    return sorted(wanted, key=lambda r: (r.status != "missing", -r.days_late, r.kind, r.unit_code))


def upload_report(session: Session, *, actor: Actor, campaign_id: int, kind: str, filename: str, content: bytes,
                  unit_code: str | None = None, received_on: date | None = None, now: datetime | None = None,
                  max_bytes: int = REPORT_MAX_BYTES) -> UnitReport:
    """A unit's plan or summary. A liaison uploads for their own unit only; the office for any unit,
    optionally with the day a paper copy arrived."""
    require(actor, *UPLOADERS)
    visible = visible_unit(session, actor, campaign_id, *UPLOADERS)
    if kind not in rules.REPORT_KINDS:
        raise UserError("report.bad_kind", "a report is the implementation plan or the work summary")
    code = actor.unit_code if actor.role == "liaison" else unit_code
    unit = session.exec(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == (code or ""))).first()
    if unit is None or (visible is not None and unit.id != visible):
        raise NotFound("report.unit_not_found", "no unit {code} in this year", code=code or "—")
    if received_on is not None and actor.role != "admin":
        raise UserError("report.received_office_only", "only the office records the day a paper copy arrived")
    checked = check_report(filename, content, max_bytes=max_bytes)
    now = now or utcnow()
    if received_on is not None:
        if received_on > to_office(now).date():
            raise UserError("report.future_date", "the day of receipt lies in the future")
        submitted = from_office(datetime(received_on.year, received_on.month, received_on.day, 9))
    else:
        submitted = now
    report = session.exec(select(UnitReport).where(UnitReport.campaign_id == campaign_id,
                                                   UnitReport.unit_id == unit.id, UnitReport.kind == kind)).first()
    before = None
    if report is None:
        report = UnitReport(campaign_id=campaign_id, unit_id=unit.id, kind=kind, submitted_at=submitted)
    else:
        before = {"file": report.filename, "submitted_at": report.submitted_at.isoformat()
                  if report.submitted_at else None}
        report.submitted_at = report.submitted_at or submitted  # the first submission decides punctuality
    report.filename, report.content_type, report.content = checked.filename, checked.content_type, content
    report.uploaded_by = actor.username
    session.add(report)
    session.flush()
    record(session, actor=actor, action="report.replace" if before else "report.upload", entity="unitreport",
           entity_id=report.id, campaign_id=campaign_id, before=before,
           after={"unit": unit.code, "kind": kind, "file": checked.filename, "size": checked.size,
                  "sha256": hashlib.sha256(content).hexdigest(), "submitted_at": report.submitted_at.isoformat()})
    return report


def download_report(session: Session, *, actor: Actor, report_id: int) -> tuple[str, str, bytes]:
    report = session.get(UnitReport, report_id)
    missing = NotFound("report.not_found", "no report with the number {id}", id=report_id)
    if report is None or report.content is None:
        raise missing
    visible = visible_unit(session, actor, report.campaign_id, *READERS)
    if visible is not None and report.unit_id != visible:
        raise missing
    return report.filename, report.content_type, report.content
