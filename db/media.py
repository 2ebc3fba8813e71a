"""The register of media-exposed problems: sources, cases by form or import, answers, overdue marks.

Who sees what is decided here, not in the page: a unit's liaison sees and answers only their
own unit's cases (another unit's case is "not found", so its existence is not revealed), the
office sees and edits all, leadership and analysts read all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import media as rules
from core.clock import office_today
from core.errors import NotFound, UserError, ValidationError
from core.media_import import CaseImport, parse_cases
from db.access import Actor, require
from db.audit import changes, record
from db.models import Campaign, MediaCase, MediaSource, Unit
from db.units import list_units

OFFICE = ("admin",)
READERS = ("admin", "leader", "analyst", "liaison")
_NOWHERE = -1  # the unit id a liaison without a unit in this campaign is limited to: none


# ---------------------------------------------------------------------------------------
# Sources


def ensure_channels(session: Session) -> dict[str, int]:
    """The four channels of the plan exist (idempotent; sources are global, not per campaign). code -> id."""
    existing = dict(session.exec(select(MediaSource.code, MediaSource.id)).all())
    for code, (name_zh, name_en) in rules.CHANNELS.items():
        if code not in existing:
            source = MediaSource(code=code, name_zh=name_zh, name_en=name_en)
            session.add(source)
            session.flush()
            existing[code] = source.id
    return existing


def list_sources(session: Session, *, include_inactive: bool = False) -> list[MediaSource]:
    query = select(MediaSource).order_by(MediaSource.id)
    if not include_inactive:
        query = query.where(MediaSource.active)
    return list(session.exec(query).all())


def add_source(session: Session, *, actor: Actor, code: str, name_zh: str, name_en: str) -> MediaSource:
    """A channel beyond the plan's four (a new platform, a newspaper); audited."""
    require(actor, *OFFICE)
    code, name_zh, name_en = code.strip().lower(), " ".join(name_zh.split()), " ".join(name_en.split())
    if not rules.SOURCE_CODE.fullmatch(code):
        raise UserError("media.source_code_rule", "a source code has 2-40 lower-case letters, digits or _, starting "
                                             "with a letter")
    if not name_zh or not name_en or max(len(name_zh), len(name_en)) > 100:
        raise UserError("media.source_names", "a source needs a Chinese and an English name of at most 100 characters")
    if session.exec(select(MediaSource.id).where(MediaSource.code == code)).first() is not None:
        raise UserError("media.source_exists", "a source with the code {code!r} exists already", code=code)
    source = MediaSource(code=code, name_zh=name_zh, name_en=name_en)
    session.add(source)
    session.flush()
    record(session, actor=actor, action="media.source_add", entity="mediasource", entity_id=code,
           after={"name_zh": name_zh, "name_en": name_en})
    return source


def set_source_active(session: Session, *, actor: Actor, code: str, active: bool) -> MediaSource:
    """Retire a source (its cases stay) or bring it back; audited."""
    require(actor, *OFFICE)
    source = session.exec(select(MediaSource).where(MediaSource.code == code)).first()
    if source is None:
        raise NotFound("media.source_not_found", "no media source with the code {code!r}", code=code)
    if source.active != active:
        record(session, actor=actor, action="media.source_update", entity="mediasource", entity_id=code,
               before={"active": source.active}, after={"active": active})
        source.active = active
        session.add(source)
    return source


def _source_names(session: Session) -> dict[str, str]:
    return {s.code: s.name_zh for s in list_sources(session)}


def _unit_names(session: Session, campaign_id: int) -> dict[str, str]:
    return {u.code: u.name for u in list_units(session, campaign_id=campaign_id, include_inactive=False)}


# ---------------------------------------------------------------------------------------
# Reading the register


@dataclass(frozen=True)
class CaseRow:
    id: int
    source_code: str
    source_zh: str
    source_en: str
    external_ref: str
    unit_code: str
    unit_name: str
    title: str
    exposed_on: date
    due_on: date
    answered_on: date | None
    overdue: bool  # unanswered past the due day, or answered after it
    status: str
    repeated: bool
    public_satisfaction: str | None
    reply: str


def _visible_unit(session: Session, actor: Actor, campaign_id: int) -> int | None:
    """None: every unit; else the only unit id this actor may see."""
    require(actor, *READERS)
    if actor.role != "liaison":
        return None
    unit_id = session.exec(select(Unit.id).where(Unit.campaign_id == campaign_id,
                                                 Unit.code == (actor.unit_code or ""))).first()
    return unit_id if unit_id is not None else _NOWHERE


def _case_query(campaign_id: int):
    return (select(MediaCase, MediaSource, Unit)
            .join(MediaSource, MediaSource.id == MediaCase.source_id)
            .join(Unit, Unit.id == MediaCase.unit_id)
            .where(MediaCase.campaign_id == campaign_id))


def _row(case: MediaCase, source: MediaSource, unit: Unit, calendar: rules.AnswerCalendar, today: date) -> CaseRow:
    return CaseRow(case.id, source.code, source.name_zh, source.name_en, case.external_ref, unit.code, unit.name,
                   case.title, case.exposed_on, calendar.due(case.exposed_on), case.answered_on,
                   calendar.overdue(case.exposed_on, case.answered_on, today=today), case.status, case.repeated,
                   case.public_satisfaction, case.reply)


def list_cases(
    session: Session,
    *,
    actor: Actor,
    campaign_id: int,
    source: str | None = None,
    unit_code: str | None = None,
    status: str | None = None,
    overdue_only: bool = False,
    today: date | None = None,
    limit: int = 2000,
) -> list[CaseRow]:
    """The cases the actor may see, newest exposure first, each with its due day and overdue mark."""
    visible = _visible_unit(session, actor, campaign_id)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return []
    query = _case_query(campaign_id)
    if visible is not None:
        query = query.where(MediaCase.unit_id == visible)
    if source:
        query = query.where(MediaSource.code == source)
    if unit_code:
        query = query.where(Unit.code == unit_code)
    if status:
        query = query.where(MediaCase.status == status)
    rows = session.exec(query.order_by(col(MediaCase.exposed_on).desc(), col(MediaCase.id).desc())
                        .limit(limit)).all()
    calendar, today = rules.answer_calendar(campaign.settings), today or office_today()
    # Working days with holidays are not SQL arithmetic: the overdue filter runs on the fetched page.
    cases = [_row(c, s, u, calendar, today) for c, s, u in rows]
    return [c for c in cases if c.overdue] if overdue_only else cases


def _case(session: Session, actor: Actor, case_id: int) -> tuple[MediaCase, MediaSource, Unit, Campaign]:
    row = session.exec(select(MediaCase, MediaSource, Unit, Campaign)
                       .join(MediaSource, MediaSource.id == MediaCase.source_id)
                       .join(Unit, Unit.id == MediaCase.unit_id)
                       .join(Campaign, Campaign.id == MediaCase.campaign_id)
                       .where(MediaCase.id == case_id)).first()
    visible = _visible_unit(session, actor, row[0].campaign_id) if row else None
    if row is None or (visible is not None and row[0].unit_id != visible):
        raise NotFound("media.not_found", "no case with the number {id}", id=case_id)
    return row


def get_case(session: Session, *, actor: Actor, case_id: int, today: date | None = None) -> CaseRow:
    case, source, unit, campaign = _case(session, actor, case_id)
    return _row(case, source, unit, rules.answer_calendar(campaign.settings), today or office_today())


# ---------------------------------------------------------------------------------------
# Writing: the office enters and edits, liaisons answer


def _existing_refs(session: Session) -> set[tuple[str, str]]:
    # References are unique per source across all years (the table's constraint), not per campaign.
    return set(session.exec(select(MediaSource.code, MediaCase.external_ref)
                            .join(MediaSource, MediaSource.id == MediaCase.source_id)).all())


def check_case_file(session: Session, *, campaign_id: int, content: bytes, filename: str,
                    today: date | None = None) -> CaseImport:
    """Parse and check a case file against the campaign's units and the sources; writes nothing."""
    return parse_cases(content, filename, units=_unit_names(session, campaign_id), sources=_source_names(session),
                       existing_refs=_existing_refs(session), today=today or office_today())


def _duplicate(case: rules.CaseFields, source_name: str) -> UserError:
    return rules.duplicate_ref(source_name, case.external_ref)


def _new_case(campaign_id: int, case: rules.CaseFields, source_ids: dict[str, int], unit_ids: dict[str, int]):
    return MediaCase(campaign_id=campaign_id, unit_id=unit_ids[case.unit], source_id=source_ids[case.source],
                     external_ref=case.external_ref, title=case.title, exposed_on=case.exposed_on,
                     answered_on=case.answered_on, status=case.status, repeated=case.repeated,
                     public_satisfaction=case.public_satisfaction, reply=case.reply)


def _ids(session: Session, campaign_id: int) -> tuple[dict[str, int], dict[str, int]]:
    sources = dict(session.exec(select(MediaSource.code, MediaSource.id)).all())
    units = {u.code: u.id for u in list_units(session, campaign_id=campaign_id, include_inactive=False)}
    return sources, units


def _flush_or_duplicate(session: Session, error: UserError) -> None:
    # The constraint (source, reference) has the last word when two people enter the same case at once.
    try:
        session.flush()
    except IntegrityError:
        raise error from None


def import_cases(session: Session, *, actor: Actor, campaign_id: int, content: bytes, filename: str,
                 today: date | None = None) -> int:
    """Import a case file whole or not at all; audited. Returns the number of cases added."""
    require(actor, *OFFICE)
    parsed = check_case_file(session, campaign_id=campaign_id, content=content, filename=filename, today=today)
    if not parsed.ok:
        raise parsed.as_error()
    source_ids, unit_ids = _ids(session, campaign_id)
    session.add_all([_new_case(campaign_id, case, source_ids, unit_ids) for _, case in parsed.rows])
    _flush_or_duplicate(session, UserError("media.import_conflict", "someone registered one of these cases "
                                                                    "meanwhile; check the file again"))
    record(session, actor=actor, action="media.import", entity="campaign", entity_id=campaign_id,
           campaign_id=campaign_id, after={"file": filename, "sha256": hashlib.sha256(content).hexdigest(),
                                           "cases": len(parsed.rows), "encoding": parsed.encoding})
    return len(parsed.rows)


def _checked(session: Session, campaign_id: int, case: rules.CaseFields, today: date | None) -> rules.CaseFields:
    return rules.check_case(case, units=_unit_names(session, campaign_id), sources=_source_names(session),
                            today=today or office_today())


def _view(case: MediaCase, source_code: str, unit_code: str) -> dict:
    """What an audit event keeps of a case."""
    return {"source": source_code, "external_ref": case.external_ref, "unit": unit_code, "title": case.title,
            "exposed_on": case.exposed_on.isoformat(),
            "answered_on": case.answered_on.isoformat() if case.answered_on else None, "status": case.status,
            "repeated": case.repeated, "public_satisfaction": case.public_satisfaction, "reply": case.reply}


def create_case(session: Session, *, actor: Actor, campaign_id: int, case: rules.CaseFields,
                today: date | None = None) -> MediaCase:
    """One case entered by the office; a duplicate reference of the same source is refused."""
    require(actor, *OFFICE)
    case = _checked(session, campaign_id, case, today)
    if (case.source, case.external_ref) in _existing_refs(session):
        raise _duplicate(case, _source_names(session)[case.source])
    source_ids, unit_ids = _ids(session, campaign_id)
    row = _new_case(campaign_id, case, source_ids, unit_ids)
    session.add(row)
    _flush_or_duplicate(session, _duplicate(case, _source_names(session)[case.source]))
    record(session, actor=actor, action="media.create", entity="mediacase", entity_id=row.id,
           campaign_id=campaign_id, after=_view(row, case.source, case.unit))
    return row


def update_case(session: Session, *, actor: Actor, case_id: int, case: rules.CaseFields,
                today: date | None = None) -> MediaCase:
    """The office corrects a case or records its outcome (status, repeated, the public's satisfaction)."""
    require(actor, *OFFICE)
    row, source, unit, _ = _case(session, actor, case_id)
    case = _checked(session, row.campaign_id, case, today)
    if (case.source, case.external_ref) != (source.code, row.external_ref) \
            and (case.source, case.external_ref) in _existing_refs(session):
        raise _duplicate(case, _source_names(session)[case.source])
    before = _view(row, source.code, unit.code)
    source_ids, unit_ids = _ids(session, row.campaign_id)
    fresh = _new_case(row.campaign_id, case, source_ids, unit_ids)  # the same mapping as for a new case
    for name in ("unit_id", "source_id", "external_ref", "title", "exposed_on", "answered_on", "status", "repeated",
                 "public_satisfaction", "reply"):
        setattr(row, name, getattr(fresh, name))
    session.add(row)
    _flush_or_duplicate(session, _duplicate(case, _source_names(session)[case.source]))
    old, new = changes(before, _view(row, case.source, case.unit))
    if new:
        record(session, actor=actor, action="media.update", entity="mediacase", entity_id=case_id,
               campaign_id=row.campaign_id, before=old, after=new)
    return row


def answer_case(session: Session, *, actor: Actor, case_id: int, reply: str, answered_on: date,
                today: date | None = None) -> MediaCase:
    """A unit's answer: its liaison (own unit only) or the office records the reply and its date."""
    require(actor, "admin", "liaison")
    row, source, unit, _ = _case(session, actor, case_id)
    status = "resolved" if row.status == "resolved" else "answered"
    problems = []
    try:
        reply = rules.check_text("reply", reply, required=True)
    except UserError as error:
        problems.append(error)
    fields = rules.CaseFields(source=source.code, external_ref=row.external_ref, unit=unit.code, title=row.title,
                              exposed_on=row.exposed_on, answered_on=answered_on, status=status,
                              repeated=row.repeated, public_satisfaction=row.public_satisfaction, reply=reply)
    problems += [error for _, error in rules.case_problems(fields, today=today or office_today())]
    if problems:
        raise ValidationError("media.answer_invalid", "the answer was not saved", problems=problems)
    before = _view(row, source.code, unit.code)
    row.reply, row.answered_on, row.status = reply, answered_on, status
    session.add(row)
    old, new = changes(before, _view(row, source.code, unit.code))
    if new:
        record(session, actor=actor, action="media.answer", entity="mediacase", entity_id=case_id,
               campaign_id=row.campaign_id, before=old, after=new)
    return row
