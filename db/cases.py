"""Accountability cases (倒查追责): opening, the workflow with its timeline, responsible people,
escalation, deadlines, the unit's answer.

The office (admin) runs the cases; a unit's liaison reads and answers only their unit's cases
(another unit's case is "not found"); leadership and analysts read. Every change is one
transaction with its audit event and its timeline entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from core import cases as rules
from core.clock import office_today, utcnow
from core.errors import NotFound, UserError
from db.access import Actor, require
from db.audit import record
from db.models import AccountabilityCase, CaseEvent, Finding, Inspection, MediaCase, ResponsiblePerson, Unit
from db.scope import unit_ids, unit_names, visible_unit

OFFICE = ("admin",)
READERS = ("admin", "leader", "analyst", "liaison")
ANSWERERS = ("admin", "liaison")


@dataclass(frozen=True)
class CaseRow:
    id: int
    unit_code: str
    unit_name: str
    origin: str
    title: str
    description: str
    severity: str
    state: str
    escalated: bool
    factors: tuple[str, ...]
    veto: bool
    opened_on: date
    due_on: date | None
    decided_on: date | None  # the latest decision, while decided or circulated
    closed_on: date | None
    overdue: bool
    days_overdue: int
    second_handlings: int
    responsible: int
    finding_id: int | None
    media_case_id: int | None
    reply: str
    replied_at: datetime | None


@dataclass(frozen=True)
class EventRow:
    id: int
    at: datetime
    kind: str
    from_state: str | None
    to_state: str
    reason: str
    note: str
    actor: str


@dataclass(frozen=True)
class PersonRow:
    id: int
    role: str
    name: str
    measure: str


@dataclass(frozen=True)
class CaseDetail:
    case: CaseRow
    events: list[EventRow]
    people: list[PersonRow]
    next_states: tuple[str, ...]
    missing_roles: tuple[str, ...]  # escalation roles not yet recorded as responsible


def _not_found(case_id: object) -> NotFound:
    return NotFound("cases.not_found", "no accountability case with the number {id}", id=case_id)


def _view(case: AccountabilityCase) -> dict:
    return {"state": case.state, "severity": case.severity, "escalated": case.escalated,
            "factors": list(case.factors or []), "due_on": case.due_on.isoformat() if case.due_on else None,
            "decided_on": case.decided_on.isoformat() if case.decided_on else None,
            "closed_on": case.closed_on.isoformat() if case.closed_on else None, "veto": case.veto}


def _event(session: Session, case: AccountabilityCase, actor: Actor, *, kind: str, note: str = "",
           to_state: str | None = None, from_state: str | None = None, reason: str = "") -> None:
    session.add(CaseEvent(case_id=case.id, at=utcnow(), kind=kind, from_state=from_state,
                          to_state=to_state or case.state, reason=reason, note=note, actor=actor.username))


# ---------------------------------------------------------------------------------------
# Reading


def _counts(session: Session, case_ids: Sequence[int]) -> tuple[dict[int, int], dict[int, int]]:
    if not case_ids:
        return {}, {}
    seconds = dict(session.exec(select(CaseEvent.case_id, func.count())
                                .where(col(CaseEvent.case_id).in_(case_ids), CaseEvent.kind == "transition",
                                       CaseEvent.to_state == "second_handling")
                                .group_by(CaseEvent.case_id)).all())
    people = dict(session.exec(select(ResponsiblePerson.case_id, func.count())
                               .where(col(ResponsiblePerson.case_id).in_(case_ids))
                               .group_by(ResponsiblePerson.case_id)).all())
    return seconds, people


def _row(case: AccountabilityCase, unit: Unit, *, seconds: int, people: int, today: date) -> CaseRow:
    done = case.decided_on if case.state in ("decided", "circulated") else None
    late = rules.days_overdue(case.due_on, done, today=today)
    return CaseRow(case.id, unit.code, unit.name, case.origin, case.title, case.description, case.severity,
                   case.state, case.escalated, tuple(case.factors or ()), case.veto, case.opened_on, case.due_on,
                   done, case.closed_on, late > 0, late, seconds, people, case.finding_id, case.media_case_id,
                   case.reply, case.replied_at)


def list_cases(session: Session, *, actor: Actor, campaign_id: int, unit_code: str | None = None,
               state: str | None = None, overdue_only: bool = False, escalated_only: bool = False,
               today: date | None = None, limit: int = 2000) -> list[CaseRow]:
    """The cases the actor may see, newest first, with deadlines and overdue flags."""
    visible = visible_unit(session, actor, campaign_id, *READERS)
    query = (select(AccountabilityCase, Unit).join(Unit, Unit.id == AccountabilityCase.unit_id)
             .where(AccountabilityCase.campaign_id == campaign_id))
    if visible is not None:
        query = query.where(AccountabilityCase.unit_id == visible)
    if unit_code:
        query = query.where(Unit.code == unit_code)
    if state:
        query = query.where(AccountabilityCase.state == state)
    if escalated_only:
        query = query.where(AccountabilityCase.escalated)
    rows = session.exec(query.order_by(col(AccountabilityCase.opened_on).desc(), col(AccountabilityCase.id).desc())
                        .limit(limit)).all()
    ids = [case.id for case, _ in rows]
    seconds, people = _counts(session, ids)
    today = today or office_today()
    result = [_row(case, unit, seconds=seconds.get(case.id, 0),
                   people=people.get(case.id, 0), today=today) for case, unit in rows]
    return [r for r in result if r.overdue] if overdue_only else result


def _case(session: Session, actor: Actor, case_id: int, *roles: str) -> tuple[AccountabilityCase, Unit]:
    row = session.exec(select(AccountabilityCase, Unit).join(Unit, Unit.id == AccountabilityCase.unit_id)
                       .where(AccountabilityCase.id == case_id)).first()
    if row is None:
        raise _not_found(case_id)
    visible = visible_unit(session, actor, row[0].campaign_id, *roles)
    if visible is not None and row[0].unit_id != visible:
        raise _not_found(case_id)
    return row


def _roles(session: Session, case_id: int) -> frozenset[str]:
    return frozenset(session.exec(select(ResponsiblePerson.role).where(ResponsiblePerson.case_id == case_id)).all())


def get_case(session: Session, *, actor: Actor, case_id: int, today: date | None = None) -> CaseDetail:
    case, unit = _case(session, actor, case_id, *READERS)
    seconds, people = _counts(session, [case.id])
    row = _row(case, unit, seconds=seconds.get(case.id, 0), people=people.get(case.id, 0),
               today=today or office_today())
    events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)
                          .order_by(CaseEvent.at, CaseEvent.id)).all()
    persons = session.exec(select(ResponsiblePerson).where(ResponsiblePerson.case_id == case_id)
                           .order_by(ResponsiblePerson.id)).all()
    roles = {p.role for p in persons}
    missing = tuple(r for r in rules.ESCALATION_ROLES if r not in roles) if case.escalated else ()
    return CaseDetail(row, [EventRow(e.id, e.at, e.kind, e.from_state, e.to_state, e.reason, e.note, e.actor)
                            for e in events],
                      [PersonRow(p.id, p.role, p.name, p.measure) for p in persons],
                      rules.next_states(case.state), missing)


def state_counts(session: Session, *, actor: Actor, campaign_id: int) -> dict[str, int]:
    """Cases by state (GROUP BY), scoped like list_cases."""
    visible = visible_unit(session, actor, campaign_id, *READERS)
    query = (select(AccountabilityCase.state, func.count()).where(AccountabilityCase.campaign_id == campaign_id)
             .group_by(AccountabilityCase.state))
    if visible is not None:
        query = query.where(AccountabilityCase.unit_id == visible)
    return {state: int(n) for state, n in session.exec(query).all()}


# ---------------------------------------------------------------------------------------
# Writing


def _check_sources(session: Session, campaign_id: int, case: rules.CaseFields, unit_id: int) -> None:
    """A cited finding or media case exists in this year and concerns the same unit."""
    if case.finding_id is not None:
        finding = session.exec(select(Finding).join(Inspection, Inspection.id == Finding.inspection_id)
                               .where(Finding.id == case.finding_id, Inspection.campaign_id == campaign_id)).first()
        if finding is None:
            raise UserError("cases.finding_unknown", "there is no finding {id} in this year", id=case.finding_id)
        if finding.unit_id != unit_id:
            raise UserError("cases.finding_other_unit", "finding {id} concerns another unit", id=case.finding_id)
    if case.media_case_id is not None:
        media = session.exec(select(MediaCase).where(MediaCase.id == case.media_case_id,
                                                     MediaCase.campaign_id == campaign_id)).first()
        if media is None:
            raise UserError("cases.media_unknown", "there is no media case {id} in this year", id=case.media_case_id)
        if media.unit_id != unit_id:
            raise UserError("cases.media_other_unit", "media case {id} concerns another unit", id=case.media_case_id)


def open_case(session: Session, *, actor: Actor, campaign_id: int, case: rules.CaseFields,
              today: date | None = None) -> AccountabilityCase:
    """A case received by the office; serious or aggravated cases are escalated from the start."""
    require(actor, *OFFICE)
    case = rules.check_case(case, units=unit_names(session, campaign_id), today=today or office_today())
    unit_id = unit_ids(session, campaign_id)[case.unit]
    _check_sources(session, campaign_id, case, unit_id)
    row = AccountabilityCase(campaign_id=campaign_id, unit_id=unit_id, origin=case.origin,
                             finding_id=case.finding_id, media_case_id=case.media_case_id, title=case.title,
                             description=case.description, severity=case.severity, state="received",
                             escalated=rules.should_escalate(case.severity, case.factors),
                             factors=list(case.factors), opened_on=case.opened_on, due_on=case.due_on)
    session.add(row)
    session.flush()
    _event(session, row, actor, kind="transition", to_state="received", note=case.description[:200])
    if row.escalated:
        _event(session, row, actor, kind="escalation", note=",".join(case.factors) or case.severity)
    record(session, actor=actor, action="cases.open", entity="accountabilitycase", entity_id=row.id,
           campaign_id=campaign_id, after={**_view(row), "unit": case.unit, "origin": case.origin,
                                           "title": case.title, "finding": case.finding_id,
                                           "media_case": case.media_case_id})
    return row


def move_case(session: Session, *, actor: Actor, case_id: int, to: str, note: str = "", reason: str | None = None,
              today: date | None = None) -> AccountabilityCase:
    """One step of the workflow; an illegal step is refused with its reason and changes nothing."""
    require(actor, *OFFICE)
    case, _ = _case(session, actor, case_id, *OFFICE)
    today = today or office_today()
    note = rules.check_text("note", note, required=False)
    reopened = session.exec(select(CaseEvent.reason).where(CaseEvent.case_id == case_id,
                                                           CaseEvent.to_state == "second_handling",
                                                           CaseEvent.kind == "transition")
                            .order_by(col(CaseEvent.at).desc(), col(CaseEvent.id).desc())).first()
    rules.check_step(rules.Step(state=case.state, to=to, note=note, reason=reason, escalated=case.escalated,
                                roles=_roles(session, case_id), reopened_for=reopened or None))
    before = _view(case)
    from_state, case.state = case.state, to
    if to == "decided":
        case.decided_on = today
    elif to == "circulated":
        case.closed_on = today
    elif to == "second_handling":
        # Reopened: the case is open again and owes a new decision, with a fresh deadline.
        case.closed_on, case.decided_on, case.due_on = None, None, rules.default_due(today)
    session.add(case)
    _event(session, case, actor, kind="transition", from_state=from_state, to_state=to,
           reason=reason if to == "second_handling" else "", note=note)
    record(session, actor=actor, action="cases.move", entity="accountabilitycase", entity_id=case.id,
           campaign_id=case.campaign_id, before=before, after={**_view(case), "note": note, "reason": reason})
    return case


def escalate(session: Session, *, actor: Actor, case_id: int, factors: Sequence[str], note: str = "") -> None:
    """Record aggravating circumstances found later; the case then reaches the department and its leader."""
    require(actor, *OFFICE)
    case, _ = _case(session, actor, case_id, *OFFICE)
    unknown = [f for f in factors if f not in rules.AGGRAVATING]
    if unknown or not factors:
        raise UserError("cases.bad_factor", "{value!r} is not an aggravating circumstance",
                        value=unknown[0] if unknown else "")
    note = rules.check_text("note", note, required=False)
    before = _view(case)
    case.factors = list(dict.fromkeys([*(case.factors or []), *factors]))
    case.escalated = True
    session.add(case)
    _event(session, case, actor, kind="escalation", note=(",".join(factors) + (f": {note}" if note else "")))
    record(session, actor=actor, action="cases.escalate", entity="accountabilitycase", entity_id=case.id,
           campaign_id=case.campaign_id, before=before, after=_view(case))


def set_due(session: Session, *, actor: Actor, case_id: int, due_on: date, note: str = "") -> None:
    require(actor, *OFFICE)
    case, _ = _case(session, actor, case_id, *OFFICE)
    rules.check_due(case.opened_on, due_on)
    note = rules.check_text("note", note, required=False)
    before = _view(case)
    case.due_on = due_on
    session.add(case)
    _event(session, case, actor, kind="deadline", note=f"{due_on.isoformat()} {note}".strip())
    record(session, actor=actor, action="cases.due", entity="accountabilitycase", entity_id=case.id,
           campaign_id=case.campaign_id, before=before, after=_view(case))


def set_veto(session: Session, *, actor: Actor, case_id: int, veto: bool, note: str) -> None:
    """一票否决 against the unit (the grade then is unqualified); the reason is required either way."""
    require(actor, *OFFICE)
    case, _ = _case(session, actor, case_id, *OFFICE)
    note = rules.check_text("note", note, required=True)
    if case.veto == veto:
        return
    before = _view(case)
    case.veto = veto
    session.add(case)
    _event(session, case, actor, kind="veto", note=f"{'+' if veto else '-'} {note}")
    record(session, actor=actor, action="cases.veto", entity="accountabilitycase", entity_id=case.id,
           campaign_id=case.campaign_id, before=before, after={**_view(case), "note": note})


def add_person(session: Session, *, actor: Actor, case_id: int, role: str, name: str = "",
               measure: str = "") -> ResponsiblePerson:
    """Someone held responsible, by role; the name only where the office enters one."""
    require(actor, *OFFICE)
    case, _ = _case(session, actor, case_id, *OFFICE)
    if role not in rules.ROLES:
        raise UserError("cases.bad_role", "choose the role of the person held responsible")
    name = rules.check_text("name", name, required=False)
    measure = rules.check_text("measure", measure, required=True)
    person = ResponsiblePerson(case_id=case_id, role=role, name=name, measure=measure)
    session.add(person)
    session.flush()
    _event(session, case, actor, kind="responsible", note=f"{role}: {measure}")
    record(session, actor=actor, action="cases.person_add", entity="responsibleperson", entity_id=person.id,
           campaign_id=case.campaign_id, after={"case": case_id, "role": role, "name": name, "measure": measure})
    return person


def remove_person(session: Session, *, actor: Actor, person_id: int) -> None:
    require(actor, *OFFICE)
    person = session.get(ResponsiblePerson, person_id)
    if person is None:
        raise NotFound("cases.person_not_found", "no responsible person with the number {id}", id=person_id)
    case, _ = _case(session, actor, person.case_id, *OFFICE)
    if case.state in ("decided", "circulated"):
        raise UserError("cases.decided_people", "the decision names these people; reopen the case by a second "
                        "handling to change them")
    before = {"case": case.id, "role": person.role, "name": person.name, "measure": person.measure}
    session.delete(person)
    _event(session, case, actor, kind="responsible", note=f"- {person.role}")
    record(session, actor=actor, action="cases.person_remove", entity="responsibleperson", entity_id=person_id,
           campaign_id=case.campaign_id, before=before)


def answer_case(session: Session, *, actor: Actor, case_id: int, reply: str) -> AccountabilityCase:
    """The unit's answer: what it found and did (its liaison, own unit only, or the office for it)."""
    require(actor, *ANSWERERS)
    case, _ = _case(session, actor, case_id, *ANSWERERS)
    if case.state == "circulated":
        raise UserError("cases.closed_answer", "the case is closed; it takes no more answers")
    reply = rules.check_text("reply", reply, required=True)
    before = {"reply": case.reply}
    case.reply, case.replied_at = reply, utcnow()
    session.add(case)
    _event(session, case, actor, kind="reply", note=reply[:200])
    record(session, actor=actor, action="cases.answer", entity="accountabilitycase", entity_id=case.id,
           campaign_id=case.campaign_id, before=before, after={"reply": reply})
    return case
