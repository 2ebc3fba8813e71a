"""Inspections (明察暗访): visits, their findings and evidence, the hand-over to the office, answers.

An inspector records a visit with its findings and photos in one action (all or nothing: a
refused photo stores nothing of the visit). Findings are the team's draft until handed over
(移交) to the office; from then on the unit's liaison sees them and answers. Who sees what
is decided here (db.scope), not in a page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from core import casework as rules
from core.clock import office_today, to_office, utcnow
from core.errors import NotFound, UserError, ValidationError
from core.evidence import EVIDENCE_MAX_BYTES, check_evidence
from db.access import Actor, require
from db.audit import record
from db.models import Campaign, Dimension, Evidence, Finding, Inspection, Unit
from db.scope import unit_ids, unit_names, visible_unit

OFFICE = ("admin",)
RECORDERS = ("admin", "inspector")
VISIT_READERS = ("admin", "inspector", "leader", "analyst")  # a liaison reads findings, never the visit log
FINDING_READERS = (*VISIT_READERS, "liaison")
ANSWERERS = ("admin", "liaison")


@dataclass(frozen=True)
class EvidenceUpload:
    finding: int  # index of the finding in the visit's list, from 0
    filename: str
    content: bytes


@dataclass(frozen=True)
class VisitRow:
    id: int
    kind: str
    visited_on: date
    unit_code: str
    unit_name: str
    site: str
    team: str
    recorded_by: str
    notes: str
    findings: int
    recorded: int  # findings not yet handed over


@dataclass(frozen=True)
class EvidenceRow:
    id: int
    finding_id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class FindingRow:
    id: int
    inspection_id: int
    kind: str
    visited_on: date
    site: str
    unit_code: str
    unit_name: str
    dimension_code: str
    dimension_zh: str
    dimension_en: str
    severity: str
    deduction: float
    description: str
    state: str
    handed_over_at: datetime | None
    reply: str
    replied_at: datetime | None
    evidence: int  # number of files


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign.not_found", "there is no campaign {year}", year=campaign_id)
    return campaign


def _not_found(finding_id: object) -> NotFound:
    return NotFound("casework.finding_not_found", "no finding with the number {id}", id=finding_id)


def _dimension_ids(session: Session, campaign_id: int) -> dict[str, int]:
    return dict(session.exec(select(Dimension.code, Dimension.id).where(Dimension.campaign_id == campaign_id)).all())


def _finding_view(finding: Finding, unit_code: str, dimension_code: str) -> dict:
    return {"unit": unit_code, "dimension": dimension_code, "severity": finding.severity,
            "description": finding.description, "state": finding.state}


# ---------------------------------------------------------------------------------------
# Recording


def _checked_findings(session: Session, campaign_id: int, findings: Sequence[rules.FindingFields],
                      problems: list[UserError]) -> list[rules.FindingFields]:
    units, dimensions = unit_names(session, campaign_id), _dimension_ids(session, campaign_id)
    checked = []
    for number, finding in enumerate(findings, start=1):
        try:
            checked.append(rules.check_finding(finding, units=units, dimensions=dimensions, number=number))
        except ValidationError as error:
            problems.extend(error.problems)
    return checked


def _checked_evidence(uploads: Sequence[EvidenceUpload], n_findings: int, problems: list[UserError],
                      max_bytes: int) -> list:
    checked = []
    for upload in uploads:
        if not 0 <= upload.finding < n_findings:
            problems.append(UserError("evidence.no_finding", "{name} belongs to no finding of this visit",
                                      name=upload.filename))
            continue
        try:
            checked.append((upload.finding, check_evidence(upload.filename, upload.content, max_bytes=max_bytes),
                            upload.content))
        except UserError as error:
            problems.append(error)
    return checked


def _add_findings(session: Session, *, actor: Actor, inspection: Inspection, findings: list[rules.FindingFields],
                  evidence: list, hand_over: bool) -> list[Finding]:
    ids, dimensions = unit_ids(session, inspection.campaign_id), _dimension_ids(session, inspection.campaign_id)
    now = utcnow()
    rows = []
    for finding in findings:
        row = Finding(inspection_id=inspection.id, unit_id=ids[finding.unit],
                      dimension_id=dimensions[finding.dimension], severity=finding.severity,
                      description=finding.description,
                      state="handed_over" if hand_over else "recorded", handed_over_at=now if hand_over else None)
        session.add(row)
        rows.append(row)
    session.flush()
    for index, checked, content in evidence:
        session.add(Evidence(finding_id=rows[index].id, filename=checked.filename, content_type=checked.content_type,
                             size=checked.size, sha256=hashlib.sha256(content).hexdigest(), content=content))
    for row, finding in zip(rows, findings):
        files = [checked.filename for index, checked, _ in evidence if rows[index] is row]
        record(session, actor=actor, action="inspection.finding_add", entity="finding", entity_id=row.id,
               campaign_id=inspection.campaign_id,
               after={**_finding_view(row, finding.unit, finding.dimension), "inspection": inspection.id,
                      "evidence": files})
    session.flush()
    return rows


def record_inspection(session: Session, *, actor: Actor, campaign_id: int, visit: rules.VisitFields,
                      findings: Sequence[rules.FindingFields] = (), evidence: Sequence[EvidenceUpload] = (),
                      hand_over: bool = False, today: date | None = None,
                      max_bytes: int = EVIDENCE_MAX_BYTES) -> Inspection:
    """A visit with its findings and evidence, all or nothing; every problem of the form is listed at once."""
    require(actor, *RECORDERS)
    campaign = _campaign(session, campaign_id)
    problems: list[UserError] = []
    try:
        visit = rules.check_visit(visit, units=unit_names(session, campaign_id),
                                  period=(campaign.starts_on, campaign.ends_on), today=today or office_today())
    except ValidationError as error:
        problems.extend(error.problems)
    checked = _checked_findings(session, campaign_id, findings, problems)
    files = _checked_evidence(evidence, len(findings), problems, max_bytes)
    if problems:
        raise ValidationError("casework.visit_invalid", "the visit was not saved", problems=problems)
    inspection = Inspection(campaign_id=campaign_id, unit_id=unit_ids(session, campaign_id)[visit.unit],
                            kind=visit.kind, visited_on=visit.visited_on, site=visit.site, team=visit.team,
                            recorded_by=actor.username, notes=visit.notes)
    session.add(inspection)
    session.flush()
    record(session, actor=actor, action="inspection.record", entity="inspection", entity_id=inspection.id,
           campaign_id=campaign_id, after={"kind": visit.kind, "visited_on": visit.visited_on.isoformat(),
                                           "unit": visit.unit, "site": visit.site, "team": visit.team,
                                           "findings": len(checked), "evidence": len(files)})
    _add_findings(session, actor=actor, inspection=inspection, findings=checked, evidence=files, hand_over=hand_over)
    return inspection


def add_findings(session: Session, *, actor: Actor, inspection_id: int, findings: Sequence[rules.FindingFields],
                 evidence: Sequence[EvidenceUpload] = (), hand_over: bool = False,
                 max_bytes: int = EVIDENCE_MAX_BYTES) -> list[Finding]:
    """More findings for a visit already recorded (the team's notes are typed up later)."""
    require(actor, *RECORDERS)
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound("casework.visit_not_found", "no visit with the number {id}", id=inspection_id)
    problems: list[UserError] = []
    if not findings:
        problems.append(UserError("casework.no_findings", "add at least one finding"))
    checked = _checked_findings(session, inspection.campaign_id, findings, problems)
    files = _checked_evidence(evidence, len(findings), problems, max_bytes)
    if problems:
        raise ValidationError("casework.finding_invalid", "finding {n} was not saved", n=len(findings),
                              problems=problems)
    return _add_findings(session, actor=actor, inspection=inspection, findings=checked, evidence=files,
                         hand_over=hand_over)


def add_evidence(session: Session, *, actor: Actor, finding_id: int, filename: str, content: bytes,
                 max_bytes: int = EVIDENCE_MAX_BYTES) -> Evidence:
    require(actor, *RECORDERS)
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise _not_found(finding_id)
    checked = check_evidence(filename, content, max_bytes=max_bytes)
    row = Evidence(finding_id=finding_id, filename=checked.filename, content_type=checked.content_type,
                   size=checked.size, sha256=hashlib.sha256(content).hexdigest(), content=content)
    session.add(row)
    session.flush()
    inspection = session.get(Inspection, finding.inspection_id)
    record(session, actor=actor, action="inspection.evidence_add", entity="evidence", entity_id=row.id,
           campaign_id=inspection.campaign_id, after={"finding": finding_id, "file": checked.filename,
                                                      "size": checked.size, "sha256": row.sha256})
    return row


# ---------------------------------------------------------------------------------------
# Hand-over, answers, closing


def _finding(session: Session, actor: Actor, finding_id: int, *roles: str) -> tuple[Finding, Inspection, Unit,
                                                                                    Dimension]:
    row = session.exec(select(Finding, Inspection, Unit, Dimension)
                       .join(Inspection, Inspection.id == Finding.inspection_id)
                       .join(Unit, Unit.id == Finding.unit_id)
                       .join(Dimension, Dimension.id == Finding.dimension_id)
                       .where(Finding.id == finding_id)).first()
    if row is None:
        raise _not_found(finding_id)
    visible = visible_unit(session, actor, row[1].campaign_id, *roles)
    if visible is not None and (row[0].unit_id != visible or row[0].state not in rules.VISIBLE_TO_UNIT):
        raise _not_found(finding_id)
    return row


def hand_over(session: Session, *, actor: Actor, finding_ids: Sequence[int]) -> int:
    """Hand recorded findings over to the office (移交); returns how many changed."""
    require(actor, *RECORDERS)
    now, changed = utcnow(), 0
    for finding_id in finding_ids:
        finding, inspection, *_ = _finding(session, actor, finding_id, *RECORDERS)
        if finding.state != "recorded":
            continue  # handed over already: handing over twice is harmless
        finding.state, finding.handed_over_at = "handed_over", now
        session.add(finding)
        record(session, actor=actor, action="inspection.hand_over", entity="finding", entity_id=finding.id,
               campaign_id=inspection.campaign_id, before={"state": "recorded"}, after={"state": "handed_over"})
        changed += 1
    return changed


def answer_finding(session: Session, *, actor: Actor, finding_id: int, reply: str) -> Finding:
    """The unit's answer (its liaison, own unit only, or the office for it)."""
    require(actor, *ANSWERERS)
    finding, inspection, *_ = _finding(session, actor, finding_id, *ANSWERERS)
    if finding.state == "closed":
        raise UserError("casework.finding_closed", "the finding is closed; it takes no more answers")
    rules.check_finding_step(finding.state if finding.state != "answered" else "handed_over", "answered")
    text = rules.check_text("reply", reply, required=True, multiline=True)
    before = {"state": finding.state, "reply": finding.reply}
    finding.reply, finding.replied_at, finding.state = text, utcnow(), "answered"
    session.add(finding)
    record(session, actor=actor, action="inspection.answer", entity="finding", entity_id=finding.id,
           campaign_id=inspection.campaign_id, before=before, after={"state": "answered", "reply": text})
    return finding


def set_finding_state(session: Session, *, actor: Actor, finding_id: int, to: str, note: str = "") -> Finding:
    """The office closes a finding, or sends an answer back (answered -> handed_over, with a note)."""
    require(actor, *OFFICE)
    finding, inspection, *_ = _finding(session, actor, finding_id, *OFFICE)
    rules.check_finding_step(finding.state, to)
    if to == "answered":
        raise UserError("casework.answer_by_reply", "a finding is answered with the unit's reply")
    note = rules.check_text("note", note, required=finding.state == "answered" and to == "handed_over",
                            multiline=True)
    before = {"state": finding.state}
    finding.state = to
    if to == "handed_over" and finding.handed_over_at is None:
        finding.handed_over_at = utcnow()
    session.add(finding)
    record(session, actor=actor, action="inspection.finding_state", entity="finding", entity_id=finding.id,
           campaign_id=inspection.campaign_id, before=before, after={"state": to, "note": note})
    return finding


def update_finding(session: Session, *, actor: Actor, finding_id: int, finding: rules.FindingFields) -> Finding:
    """Correct a finding while it is still the team's draft; handed over, it is the office's record."""
    require(actor, *RECORDERS)
    row, inspection, unit, dimension = _finding(session, actor, finding_id, *RECORDERS)
    if row.state != "recorded":
        raise UserError("casework.finding_handed_over", "the finding was handed over to the office and cannot be "
                        "changed any more")
    checked = rules.check_finding(finding, units=unit_names(session, inspection.campaign_id),
                                  dimensions=_dimension_ids(session, inspection.campaign_id))
    before = _finding_view(row, unit.code, dimension.code)
    row.unit_id = unit_ids(session, inspection.campaign_id)[checked.unit]
    row.dimension_id = _dimension_ids(session, inspection.campaign_id)[checked.dimension]
    row.severity, row.description = checked.severity, checked.description
    session.add(row)
    record(session, actor=actor, action="inspection.finding_update", entity="finding", entity_id=row.id,
           campaign_id=inspection.campaign_id, before=before,
           after=_finding_view(row, checked.unit, checked.dimension))
    return row


# ---------------------------------------------------------------------------------------
# Reading


def list_visits(session: Session, *, actor: Actor, campaign_id: int, unit_code: str | None = None,
                kind: str | None = None, start: date | None = None, end: date | None = None,
                limit: int = 2000) -> list[VisitRow]:
    """The visit log, newest first: the office, the teams, leadership and analysts (not liaisons)."""
    require(actor, *VISIT_READERS)
    counts = (select(Finding.inspection_id, func.count().label("n"),
                     func.sum(case((Finding.state == "recorded", 1), else_=0)).label("recorded"))
              .group_by(Finding.inspection_id).subquery())
    query = (select(Inspection, Unit, counts.c.n, counts.c.recorded)
             .join(Unit, Unit.id == Inspection.unit_id)
             .outerjoin(counts, counts.c.inspection_id == Inspection.id)
             .where(Inspection.campaign_id == campaign_id))
    if unit_code:
        query = query.where(Unit.code == unit_code)
    if kind:
        query = query.where(Inspection.kind == kind)
    if start:
        query = query.where(Inspection.visited_on >= start)
    if end:
        query = query.where(Inspection.visited_on <= end)
    rows = session.exec(query.order_by(col(Inspection.visited_on).desc(), col(Inspection.id).desc())
                        .limit(limit)).all()
    return [VisitRow(v.id, v.kind, v.visited_on, u.code, u.name, v.site, v.team, v.recorded_by, v.notes,
                     int(n or 0), int(recorded or 0)) for v, u, n, recorded in rows]


def list_findings(session: Session, *, actor: Actor, campaign_id: int, unit_code: str | None = None,
                  state: str | None = None, inspection_id: int | None = None, start: date | None = None,
                  end: date | None = None, limit: int = 5000) -> list[FindingRow]:
    """Findings the actor may see, newest visit first; a liaison gets their unit's handed-over findings only."""
    visible = visible_unit(session, actor, campaign_id, *FINDING_READERS)
    campaign = _campaign(session, campaign_id)
    files = (select(Evidence.finding_id, func.count().label("n")).group_by(Evidence.finding_id).subquery())
    query = (select(Finding, Inspection, Unit, Dimension, files.c.n)
             .join(Inspection, Inspection.id == Finding.inspection_id)
             .join(Unit, Unit.id == Finding.unit_id)
             .join(Dimension, Dimension.id == Finding.dimension_id)
             .outerjoin(files, files.c.finding_id == Finding.id)
             .where(Inspection.campaign_id == campaign_id))
    if visible is not None:
        query = query.where(Finding.unit_id == visible, col(Finding.state).in_(rules.VISIBLE_TO_UNIT))
    if unit_code:
        query = query.where(Unit.code == unit_code)
    if state:
        query = query.where(Finding.state == state)
    if inspection_id is not None:
        query = query.where(Finding.inspection_id == inspection_id)
    if start:
        query = query.where(Inspection.visited_on >= start)
    if end:
        query = query.where(Inspection.visited_on <= end)
    rows = session.exec(query.order_by(col(Inspection.visited_on).desc(), col(Finding.id)).limit(limit)).all()
    deductions = campaign.settings.get("severity_deductions") or {}
    return [_finding_row(row, deductions) for row in rows]


def _finding_row(row: tuple, deductions: dict) -> FindingRow:
    f, v, u, d, n = row
    return FindingRow(f.id, v.id, v.kind, v.visited_on, v.site, u.code, u.name, d.code, d.name_zh, d.name_en,
                      f.severity, rules.deduction(f.severity, deductions), f.description, f.state, f.handed_over_at,
                      f.reply, f.replied_at, int(n or 0))


def get_finding(session: Session, *, actor: Actor, finding_id: int) -> tuple[FindingRow, list[EvidenceRow]]:
    finding, inspection, unit, dimension = _finding(session, actor, finding_id, *FINDING_READERS)
    files = session.exec(select(Evidence.id, Evidence.finding_id, Evidence.filename, Evidence.content_type,
                                Evidence.size).where(Evidence.finding_id == finding_id).order_by(Evidence.id)).all()
    deductions = _campaign(session, inspection.campaign_id).settings.get("severity_deductions") or {}
    return (_finding_row((finding, inspection, unit, dimension, len(files)), deductions),
            [EvidenceRow(*row) for row in files])


def get_evidence(session: Session, *, actor: Actor, evidence_id: int) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of one evidence file, if the actor may see its finding."""
    require(actor, *FINDING_READERS)  # the role first: whether a number exists is not for everyone to learn
    evidence = session.get(Evidence, evidence_id)
    missing = NotFound("casework.evidence_not_found", "no evidence file with the number {id}", id=evidence_id)
    if evidence is None:
        raise missing
    try:
        _finding(session, actor, evidence.finding_id, *FINDING_READERS)
    except NotFound:
        raise missing from None
    return evidence.filename, evidence.content_type, evidence.content


def finding_counts(session: Session, *, actor: Actor, campaign_id: int) -> dict[str, int]:
    """Findings by state (GROUP BY in the database), scoped like list_findings."""
    visible = visible_unit(session, actor, campaign_id, *FINDING_READERS)
    query = (select(Finding.state, func.count()).join(Inspection, Inspection.id == Finding.inspection_id)
             .where(Inspection.campaign_id == campaign_id).group_by(Finding.state))
    if visible is not None:
        query = query.where(Finding.unit_id == visible, col(Finding.state).in_(rules.VISIBLE_TO_UNIT))
    return {state: int(n) for state, n in session.exec(query).all()}


def recorded_on(moment: datetime | None) -> date | None:
    """The office day of a stored moment (answers and hand-overs are shown as days)."""
    return to_office(moment).date() if moment else None



def problem_list(session: Session, *, actor: Actor, campaign_id: int, unit_code: str | None = None,
                 start: date | None = None, end: date | None = None) -> tuple[str, bytes]:
    """The problem list (问题清单) as an Excel file: every finding of the period the actor may see,
    for one unit or all (a liaison: their own unit's handed-over findings)."""
    from db.demo_rows import holds_demo
    from documents.problem_list import problem_list_xlsx

    campaign = _campaign(session, campaign_id)
    start, end = start or campaign.starts_on, end or campaign.ends_on
    if end < start:
        raise UserError("casework.period_reversed", "the period ends before it starts")
    rows = list_findings(session, actor=actor, campaign_id=campaign_id, unit_code=unit_code, start=start, end=end,
                         limit=1_000_000)
    rows = sorted(rows, key=lambda r: (r.visited_on, r.id))
    names = unit_names(session, campaign_id, active_only=False)
    scope = names.get(unit_code, unit_code) if unit_code else (
        names.get(actor.unit_code, "") if actor.role == "liaison" else "全部单位")
    title = f"{campaign.year}年度明察暗访问题清单（{scope}）"
    content = problem_list_xlsx(rows, title=title, period=(start, end), is_demo=holds_demo(session, campaign_id))
    return f"问题清单-{campaign.year}-{unit_code or actor.unit_code or 'all'}-{start}-{end}.xlsx", content
