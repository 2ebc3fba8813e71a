"""The objection period (公示) and the units' objections (异议): who may see and do what, stored.

- The office opens a period on a provisional result (`open_period`); it runs for the campaign's
  `objections.working_days` working days (core.objections). Only one period of a campaign runs at a time.
- While a posted result is the campaign's newest word (no later version is published), the office and
  each unit's liaison see it on /feedback (db.feedback asks `posted_result`); a liaison only their own
  unit. Leaders and analysts see published results only, as everywhere (db.scoring).
- A liaison files objections against items of their own unit while the period runs; another unit's
  row is "not found". Evidence files follow the upload rules of inspection evidence (core.evidence).
- The office rules on each: upheld or dismissed, with a written reason; both audited. A liaison reads
  their unit's objections and rulings; the office reads all; nobody else reads any.
- Publication is refused while a period runs or an objection is unruled unless the office gives an
  override reason (db.scoring.publish, `publication_blockers`).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core import objections as rules
from core.casework import VISIBLE_TO_UNIT
from core.clock import office_today, utcnow
from core.deidentify import mask_text
from core.errors import NotFound, UserError, ValidationError
from core.evidence import EVIDENCE_MAX_BYTES, check_evidence
from core.poll import COUNTED
from db.access import Actor, require
from db.audit import record
from db.dashboard import ResultInfo
from db.models import (
    AccountabilityCase,
    Campaign,
    Complaint,
    Finding,
    Inspection,
    MediaCase,
    Objection,
    ObjectionFile,
    ObjectionPeriod,
    PollVote,
    Result,
    Unit,
)
from db.scope import NOWHERE, visible_unit
from db.scoring import current_hash, running_period

OFFICE = ("admin",)
FILERS = ("liaison",)
READERS = ("admin", "liaison")  # nobody else sees posted figures or objections


def _objection_not_found(objection_id: object) -> NotFound:
    return NotFound("objections.not_found", "there is no objection {id}", id=objection_id)


@dataclass(frozen=True)
class PeriodInfo:
    id: int
    campaign_id: int
    result_id: int
    version: int
    opens_on: date
    closes_on: date
    working_days: int
    opened_by: str
    opened_at: datetime
    running: bool  # objections are taken today
    received: int
    upheld: int
    dismissed: int

    @property
    def unruled(self) -> int:
        return self.received - self.upheld - self.dismissed


@dataclass(frozen=True)
class FileInfo:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ObjectionRow:
    id: int
    period_id: int
    version: int
    unit_code: str
    unit_name: str
    item_kind: str
    item_ref: str
    item_label: str
    reason: str
    state: str
    filed_by: str
    filed_at: datetime
    ruling_reason: str
    ruled_by: str | None
    ruled_at: datetime | None
    files: tuple[FileInfo, ...]


@dataclass(frozen=True)
class Item:
    """One thing of a unit's result that may be contested: kind, the row's number, what it says."""

    kind: str
    ref: str
    label: str


# ---------------------------------------------------------------------------------------
# The period


def _counts(session: Session, period_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {pid: {s: 0 for s in rules.STATES} for pid in period_ids}
    for period_id, state, n in session.exec(
            select(Objection.period_id, Objection.state, func.count()).where(
                col(Objection.period_id).in_(period_ids or [-1])).group_by(Objection.period_id, Objection.state)):
        found[period_id][state] = n
    return found


def _info(session: Session, period: ObjectionPeriod, today: date, counts: dict[str, int] | None = None) -> PeriodInfo:
    counts = counts if counts is not None else _counts(session, [period.id])[period.id]
    version = session.get(Result, period.result_id).version
    return PeriodInfo(period.id, period.campaign_id, period.result_id, version, period.opens_on, period.closes_on,
                      period.working_days, period.opened_by, period.opened_at,
                      period.opens_on <= today <= period.closes_on, sum(counts.values()), counts["upheld"],
                      counts["dismissed"])


def periods(session: Session, *, actor: Actor, campaign_id: int, today: date | None = None) -> list[PeriodInfo]:
    """Every period of the campaign, newest first, with its counts (the office's and the unit's view)."""
    require(actor, *READERS)
    today = today or office_today()
    rows = session.exec(select(ObjectionPeriod).where(ObjectionPeriod.campaign_id == campaign_id)
                        .order_by(col(ObjectionPeriod.id).desc())).all()
    counts = _counts(session, [p.id for p in rows])
    return [_info(session, p, today, counts[p.id]) for p in rows]


def _newest_period(session: Session, campaign_id: int) -> ObjectionPeriod | None:
    return session.exec(select(ObjectionPeriod).where(ObjectionPeriod.campaign_id == campaign_id)
                        .order_by(col(ObjectionPeriod.id).desc())).first()


def _posted(session: Session, campaign_id: int) -> tuple[ObjectionPeriod, Result] | None:
    """The newest period and its result, while no version as new or newer is published."""
    period = _newest_period(session, campaign_id)
    if period is None:
        return None
    result = session.get(Result, period.result_id)
    published = session.exec(select(func.max(Result.version)).where(
        Result.campaign_id == campaign_id, Result.status == "published")).one()
    if result.status == "published" or (published is not None and published >= result.version):
        return None
    return period, result


def posted_result(session: Session, *, actor: Actor, campaign_id: int,
                  today: date | None = None) -> tuple[ResultInfo, PeriodInfo] | None:
    """The posted (公示) result the actor may see on /feedback, with its period; None for everyone else.

    Leaders and analysts get None, never an error: for them there is nothing posted, only published.
    """
    require(actor, *READERS, "leader", "analyst")
    if actor.role not in READERS:
        return None
    posted = _posted(session, campaign_id)
    if posted is None:
        return None
    period, result = posted
    info = ResultInfo(result.id, result.campaign_id, result.version, result.status, result.created_at,
                      result.published_at)
    return info, _info(session, period, today or office_today())


def open_period(session: Session, *, actor: Actor, result_id: int, today: date | None = None) -> PeriodInfo:
    """Post a provisional version to the units for objections; audited."""
    require(actor, *OFFICE)
    today = today or office_today()
    result = session.get(Result, result_id)
    if result is None:
        raise NotFound("scoring.no_result", "there is no result with id {id}", id=result_id)
    if result.status != "provisional":
        raise UserError("objections.not_provisional", "version {version} is published already; only a provisional "
                        "version is posted for objections", version=result.version)
    running = running_period(session, result.campaign_id, today)
    if running is not None:
        raise UserError("objections.already_running", "an objection period runs until {day}; it must end before "
                        "another opens", day=running.closes_on.isoformat())
    if current_hash(session, result.campaign_id, today=today) != result.input_hash:
        raise UserError("objections.stale", "the data or settings changed after version {version} was computed; "
                        "score again and post the new version", version=result.version)
    campaign = session.get(Campaign, result.campaign_id)
    period_rule = rules.period_from(today, campaign.settings or {})
    period = ObjectionPeriod(campaign_id=result.campaign_id, result_id=result.id, opens_on=period_rule.opens_on,
                             closes_on=period_rule.closes_on, working_days=period_rule.working_days,
                             opened_by=actor.username, opened_at=utcnow())
    session.add(period)
    session.flush()
    record(session, actor=actor, action="objections.period_open", entity="objection_period", entity_id=period.id,
           campaign_id=result.campaign_id,
           after={"version": result.version, "input_hash": result.input_hash, "opens_on": period.opens_on.isoformat(),
                  "closes_on": period.closes_on.isoformat(), "working_days": period.working_days})
    return _info(session, period, today)


# ---------------------------------------------------------------------------------------
# What a unit may contest


def items(session: Session, *, actor: Actor, campaign_id: int, unit_code: str | None = None) -> list[Item]:
    """The rows of the unit's result a liaison may point an objection at (their own unit only)."""
    unit = _unit(session, actor, campaign_id, unit_code)
    found: list[Item] = []
    for fid, severity, description, visited in session.exec(
            select(Finding.id, Finding.severity, Finding.description, Inspection.visited_on)
            .join(Inspection, Inspection.id == Finding.inspection_id)
            .where(Inspection.campaign_id == campaign_id, Finding.unit_id == unit.id,
                   col(Finding.state).in_(VISIBLE_TO_UNIT)).order_by(Finding.id)):
        found.append(Item("finding", str(fid), f"{visited.isoformat()} · {severity} · {_short(description)}"))
    for mid, title, exposed in session.exec(
            select(MediaCase.id, MediaCase.title, MediaCase.exposed_on)
            .where(MediaCase.campaign_id == campaign_id, MediaCase.unit_id == unit.id).order_by(MediaCase.id)):
        found.append(Item("media", str(mid), f"{exposed.isoformat()} · {_short(title)}"))
    for cid, received, state in session.exec(
            select(Complaint.id, Complaint.received_on, Complaint.state)
            .join(PollVote, PollVote.id == Complaint.vote_id)
            .where(Complaint.campaign_id == campaign_id, Complaint.unit_id == unit.id,
                   col(PollVote.status).in_(COUNTED)).order_by(Complaint.id)):
        found.append(Item("complaint", str(cid), f"#{cid} · {received.isoformat() if received else '—'} · {state}"))
    for iid, kind, visited in session.exec(
            select(Inspection.id, Inspection.kind, Inspection.visited_on)
            .where(Inspection.campaign_id == campaign_id, Inspection.unit_id == unit.id).order_by(Inspection.id)):
        found.append(Item("inspection", str(iid), f"{visited.isoformat()} · {kind}"))
    for aid, title in session.exec(
            select(AccountabilityCase.id, AccountabilityCase.title)
            .where(AccountabilityCase.campaign_id == campaign_id, AccountabilityCase.unit_id == unit.id,
                   AccountabilityCase.veto).order_by(AccountabilityCase.id)):
        found.append(Item("veto", str(aid), _short(title)))
    return found


def _short(text: str, n: int = 40) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _unit(session: Session, actor: Actor, campaign_id: int, unit_code: str | None) -> Unit:
    """The unit asked for, if the actor may see it: a liaison's own (whatever code they send), any for the office."""
    visible = visible_unit(session, actor, campaign_id, *READERS)
    if visible is not None:
        unit = session.get(Unit, visible) if visible != NOWHERE else None
        if unit is None or (unit_code is not None and unit.code != unit_code):
            raise NotFound("feedback.unit_not_found", "no unit {code} in this campaign", code=unit_code or "")
        return unit
    unit = session.exec(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == (unit_code or ""))).first()
    if unit is None:
        raise NotFound("feedback.unit_not_found", "no unit {code} in this campaign", code=unit_code or "")
    return unit


# ---------------------------------------------------------------------------------------
# Filing, ruling


def file_objection(session: Session, *, actor: Actor, campaign_id: int, item_kind: str, item_ref: str = "",
                   reason: str, files: Sequence[tuple[str, bytes]] = (), today: date | None = None,
                   max_bytes: int = EVIDENCE_MAX_BYTES) -> ObjectionRow:
    """A liaison's objection to an item of their own unit's posted result, with evidence; all or nothing."""
    require(actor, *FILERS)
    today = today or office_today()
    unit = _unit(session, actor, campaign_id, None)
    period = running_period(session, campaign_id, today)
    posted = _posted(session, campaign_id)
    if period is None or posted is None or posted[0].id != period.id:
        raise UserError("objections.no_period", "no objection period is running for this campaign")
    problems: list[UserError] = []
    try:
        item_kind, item_ref, reason = rules.check_objection(item_kind=item_kind, item_ref=item_ref, reason=reason)
    except ValidationError as error:
        problems += error.problems
    label = ""
    if not problems and item_kind in rules.ROW_KINDS:
        chosen = next((i for i in items(session, actor=actor, campaign_id=campaign_id)
                       if i.kind == item_kind and i.ref == item_ref), None)
        if chosen is None:  # another unit's row, or none: the same answer
            problems.append(UserError("objections.no_such_item", "no such item in your unit's result"))
        else:
            label = chosen.label
    if len(files) > rules.MAX_FILES:
        problems.append(UserError("objections.too_many_files", "at most {n} files per objection", n=rules.MAX_FILES))
    checked = []
    for filename, content in files:
        try:
            checked.append((check_evidence(filename, content, max_bytes=max_bytes), content))
        except UserError as error:
            problems.append(error)
    if problems:
        raise ValidationError("objections.invalid", "the objection was not filed", problems=problems)
    row = Objection(campaign_id=campaign_id, period_id=period.id, unit_id=unit.id, item_kind=item_kind,
                    item_ref=item_ref, item_label=label, reason=reason, filed_by=actor.username, filed_at=utcnow())
    session.add(row)
    session.flush()
    for info, content in checked:
        session.add(ObjectionFile(objection_id=row.id, filename=info.filename, content_type=info.content_type,
                                  size=info.size, sha256=hashlib.sha256(content).hexdigest(), content=content))
    session.flush()
    record(session, actor=actor, action="objections.file", entity="objection", entity_id=row.id,
           campaign_id=campaign_id,
           after={"unit": unit.code, "item_kind": item_kind, "item_ref": item_ref, "reason": mask_text(reason),
                  "files": [{"file": i.filename, "size": i.size} for i, _ in checked]})
    return _rows(session, [row.id])[0]


def rule(session: Session, *, actor: Actor, objection_id: int, ruling: str, reason: str) -> ObjectionRow:
    """The office upholds or dismisses an objection, with a written reason; audited. Once only."""
    require(actor, *OFFICE)
    row = session.get(Objection, objection_id)
    if row is None:
        raise _objection_not_found(objection_id)
    if row.state != "open":
        raise UserError("objections.already_ruled", "objection {id} was ruled on already", id=objection_id)
    ruling, reason = rules.check_ruling(ruling=ruling, reason=reason)
    row.state, row.ruling_reason, row.ruled_by, row.ruled_at = ruling, reason, actor.username, utcnow()
    session.add(row)
    session.flush()
    record(session, actor=actor, action=f"objections.{ruling}", entity="objection", entity_id=row.id,
           campaign_id=row.campaign_id, before={"state": "open"},
           after={"state": ruling, "reason": mask_text(reason)})
    return _rows(session, [row.id])[0]


# ---------------------------------------------------------------------------------------
# Reading


def _rows(session: Session, ids: list[int] | None = None, *, campaign_id: int | None = None,
          unit_id: int | None = None) -> list[ObjectionRow]:
    query = (select(Objection, Unit.code, Unit.name, Result.version)
             .join(Unit, Unit.id == Objection.unit_id)
             .join(ObjectionPeriod, ObjectionPeriod.id == Objection.period_id)
             .join(Result, Result.id == ObjectionPeriod.result_id))
    if ids is not None:
        query = query.where(col(Objection.id).in_(ids or [-1]))
    if campaign_id is not None:
        query = query.where(Objection.campaign_id == campaign_id)
    if unit_id is not None:
        query = query.where(Objection.unit_id == unit_id)
    found = session.exec(query.order_by(col(Objection.id).desc())).all()
    files: dict[int, list[FileInfo]] = {}
    for oid, fid, name, kind, size, sha in session.exec(
            select(ObjectionFile.objection_id, ObjectionFile.id, ObjectionFile.filename, ObjectionFile.content_type,
                   ObjectionFile.size, ObjectionFile.sha256)
            .where(col(ObjectionFile.objection_id).in_([o.id for o, *_ in found] or [-1])).order_by(ObjectionFile.id)):
        files.setdefault(oid, []).append(FileInfo(fid, name, kind, size, sha))
    return [ObjectionRow(o.id, o.period_id, version, code, name, o.item_kind, o.item_ref, o.item_label, o.reason,
                         o.state, o.filed_by, o.filed_at, o.ruling_reason, o.ruled_by, o.ruled_at,
                         tuple(files.get(o.id, ()))) for o, code, name, version in found]


def list_objections(session: Session, *, actor: Actor, campaign_id: int) -> list[ObjectionRow]:
    """Newest first: every unit's for the office, the liaison's own unit's for a liaison; nobody else's."""
    visible = visible_unit(session, actor, campaign_id, *READERS)
    return _rows(session, campaign_id=campaign_id, unit_id=visible)


def objection_file(session: Session, *, actor: Actor, file_id: int) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of an objection's file, if the actor may read its objection."""
    row = session.get(ObjectionFile, file_id)
    missing = NotFound("objections.file_not_found", "no file with the number {id}", id=file_id)
    if row is None:
        require(actor, *READERS)
        raise missing
    objection = session.get(Objection, row.objection_id)
    visible = visible_unit(session, actor, objection.campaign_id, *READERS)
    if visible is not None and visible != objection.unit_id:
        raise missing
    return row.filename, row.content_type, row.content


CSV_COLUMNS = ["id", "version", "unit_code", "unit_name", "item_kind", "item_ref", "item_label", "reason", "files",
               "filed_by", "filed_at", "state", "ruling_reason", "ruled_by", "ruled_at"]


def objections_csv(rows: Sequence[ObjectionRow]) -> str:
    """The record of a campaign's objections (`python -m db objections --csv`), UTF-8 with a BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in reversed(rows):  # oldest first, as a register reads
        writer.writerow([r.id, r.version, r.unit_code, r.unit_name, r.item_kind, r.item_ref, r.item_label, r.reason,
                         "; ".join(f"{f.filename} ({f.sha256[:12]})" for f in r.files), r.filed_by,
                         r.filed_at.isoformat(), r.state, r.ruling_reason, r.ruled_by or "",
                         r.ruled_at.isoformat() if r.ruled_at else ""])
    return "\ufeff" + buffer.getvalue()
