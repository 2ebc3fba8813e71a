"""Accountability cases (倒查追责): the workflow, second handling, escalation and deadlines.

Pure. The 2017 plan: problems found by inspections, exposed by 作风聚焦 or the all-media
platform, repeatedly reported in 《每日快报》 or 长江日报留言板, or received in a special
campaign are investigated; where the circumstances are bad, the impact large or the scope
wide, the district-level department and its leader in charge are held responsible too; the
results are circulated. Where the investigation was unclear or the handling too lenient, or
the rectification poor, a second handling (二次办理) reopens the case, and then the
investigators and the leaders concerned are held responsible as well (一案双查).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from core.errors import UserError, ValidationError

STATES = ("received", "investigating", "decided", "circulated", "second_handling")
ORIGINS = ("finding", "tv_exposure", "repeated_media", "special_campaign")
SEVERITIES = ("minor", "general", "serious")
# Why a case can be reopened (二次办理), in the plan's words.
SECOND_HANDLING_REASONS = ("perfunctory", "rectification_poor", "facts_unclear", "too_lenient")
INVESTIGATION_FAULTS = ("facts_unclear", "too_lenient")
# 情节恶劣、影响较大、范围较广: any of them, or a serious case, reaches up to the department.
AGGRAVATING = ("bad_circumstances", "large_impact", "wide_scope")
ROLES = ("frontline", "unit_head", "department_head", "leader_in_charge", "investigator")
ESCALATION_ROLES = ("department_head", "leader_in_charge")
DEFAULT_DAYS = 30  # calendar days from receipt to a decision, unless the office sets another deadline

# from -> the states it may move to. Everything else is refused with a reason (see refusal()).
ALLOWED: dict[str, tuple[str, ...]] = {
    "received": ("investigating",),
    "investigating": ("decided",),
    "decided": ("circulated", "second_handling"),
    "circulated": ("second_handling",),
    "second_handling": ("investigating",),
}
OPEN_STATES = ("received", "investigating", "second_handling")  # a decision is still owed
FIELD_NAMES = {"title": "标题 / title", "description": "案情 / description", "note": "说明 / note",
               "name": "姓名 / name", "measure": "处理措施 / measure", "reply": "答复 / reply"}
LIMITS = {"title": 200, "description": 4000, "note": 2000, "name": 60, "measure": 500, "reply": 4000}


@dataclass(frozen=True)
class Step:
    """A requested move, with what the rules look at."""

    state: str  # the case's current state
    to: str
    note: str = ""
    reason: str | None = None  # one of SECOND_HANDLING_REASONS, for a second handling
    escalated: bool = False
    roles: frozenset[str] = frozenset()  # roles of the people recorded as responsible
    reopened_for: str | None = None  # the reason of the latest second handling, if any


def refusal(step: Step) -> UserError | None:
    """Why this move is not allowed, or None if it is."""
    if step.state not in STATES:
        return UserError("cases.unknown_state", "{state!r} is not a case state", state=step.state)
    if step.to not in STATES:
        return UserError("cases.unknown_state", "{state!r} is not a case state", state=step.to)
    if step.to == step.state:
        return UserError("cases.same_state", "the case is already in this state")
    if step.to not in ALLOWED[step.state]:
        return _illegal(step.state, step.to)
    if step.to == "decided":
        if not step.note.strip():
            return UserError("cases.decision_needed", "write down the decision (findings of the investigation and "
                             "the measures taken)")
        if not step.roles:
            return UserError("cases.responsible_needed", "record at least one person held responsible (by role) "
                             "before the decision")
        missing = [role for role in ESCALATION_ROLES if role not in step.roles] if step.escalated else []
        if missing:
            return UserError("cases.escalation_incomplete", "an escalated case also holds the district department "
                             "head and the leader in charge responsible; record them first")
        if step.reopened_for in INVESTIGATION_FAULTS and "investigator" not in step.roles:
            # 一案双查: the first investigation was at fault, so its investigators answer for it too.
            return UserError("cases.investigator_needed", "the case was reopened because of its first "
                             "investigation: record the investigators held responsible as well")
    if step.to == "second_handling":
        if step.reason not in SECOND_HANDLING_REASONS:
            return UserError("cases.second_reason_needed", "a second handling needs its reason: perfunctory work, "
                             "poor rectification, unclear facts or too lenient a handling")
        if not step.note.strip():
            return UserError("cases.second_note_needed", "say what was wrong with the first handling")
    return None


def _illegal(state: str, to: str) -> UserError:
    """A refusal that says what to do instead."""
    if state == "received" and to in ("decided", "circulated"):
        return UserError("cases.investigate_first", "a case must be investigated before it is decided or circulated")
    if state == "investigating" and to == "circulated":
        return UserError("cases.decide_first", "a case is decided before its result is circulated")
    if to == "second_handling":
        return UserError("cases.second_after_decision", "a second handling reopens a decided or circulated case; "
                         "this one is still open")
    if state == "circulated":
        return UserError("cases.closed", "a circulated case is closed; only a second handling reopens it")
    if to == "received":
        return UserError("cases.no_way_back", "a case does not go back to received")
    if state == "second_handling":
        return UserError("cases.reinvestigate", "a case under second handling is investigated again first")
    return UserError("cases.illegal", "a case cannot move from {from_state} to {to_state}", from_state=state,
                     to_state=to)


def check_step(step: Step) -> None:
    error = refusal(step)
    if error is not None:
        raise error


def next_states(state: str) -> tuple[str, ...]:
    return ALLOWED.get(state, ())


def should_escalate(severity: str, factors: Iterable[str] = ()) -> bool:
    """A serious case, or one with any aggravating circumstance, reaches the department and its leader."""
    return severity == "serious" or any(f in AGGRAVATING for f in factors)


def second_handlings(states: Iterable[str]) -> int:
    """How often a case's timeline entered second handling."""
    return sum(1 for s in states if s == "second_handling")


# ---------------------------------------------------------------------------------------
# Deadlines


def default_due(opened_on: date, days: int = DEFAULT_DAYS) -> date:
    return opened_on + timedelta(days=days)


def days_overdue(due_on: date | None, done_on: date | None, *, today: date) -> int:
    """Days past the deadline: until `done_on` if done, else until today; 0 when in time or without deadline.

    Plain date arithmetic, so a case received in December and due in January counts across the
    new year; the campaign year a case belongs to plays no part.
    """
    if due_on is None:
        return 0
    end = done_on if done_on is not None else today
    return max(0, (end - due_on).days)


def is_overdue(due_on: date | None, done_on: date | None, *, today: date) -> bool:
    return days_overdue(due_on, done_on, today=today) > 0


def check_due(opened_on: date, due_on: date | None) -> None:
    if due_on is not None and due_on < opened_on:
        raise UserError("cases.due_before_opened", "the deadline {due} is before the day the case was received "
                        "({opened})", due=due_on.isoformat(), opened=opened_on.isoformat())


# ---------------------------------------------------------------------------------------
# Opening a case


@dataclass(frozen=True)
class CaseFields:
    unit: str
    origin: str  # finding, tv_exposure, repeated_media, special_campaign
    title: str
    opened_on: date
    severity: str = "general"
    description: str = ""
    factors: tuple[str, ...] = ()
    due_on: date | None = None  # None: DEFAULT_DAYS after receipt
    finding_id: int | None = None
    media_case_id: int | None = None


def check_text(field: str, value: object, *, required: bool) -> str:
    text = " ".join(str(value or "").split()) if field in ("title", "name") else str(value or "").strip()
    if not text:
        if required:
            raise UserError("cases.required", "{field} is required", field=FIELD_NAMES[field])
        return ""
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        raise UserError("cases.bad_characters", "{field} contains invisible control characters; retype it",
                        field=FIELD_NAMES[field])
    if len(text) > LIMITS[field]:
        raise UserError("cases.too_long", "{field} has {length} characters, at most {limit} are allowed",
                        field=FIELD_NAMES[field], length=len(text), limit=LIMITS[field])
    return text


def check_case(case: CaseFields, *, units: Iterable[str], today: date) -> CaseFields:
    """A new case cleaned, with its deadline; every problem listed at once."""
    problems: list[UserError] = []
    if not case.unit:
        problems.append(UserError("cases.unit_needed", "choose the unit the case concerns"))
    elif case.unit not in set(units):
        problems.append(UserError("cases.unknown_unit", "{value!r} is not a unit of this year", value=case.unit))
    if case.origin not in ORIGINS:
        problems.append(UserError("cases.bad_origin", "choose where the case comes from"))
    elif case.origin == "finding" and case.finding_id is None:
        problems.append(UserError("cases.finding_needed", "a case from an inspection names its finding"))
    if case.severity not in SEVERITIES:
        problems.append(UserError("cases.bad_severity", "choose minor, general or serious"))
    unknown = [f for f in case.factors if f not in AGGRAVATING]
    if unknown:
        problems.append(UserError("cases.bad_factor", "{value!r} is not an aggravating circumstance",
                                  value=unknown[0]))
    if not isinstance(case.opened_on, date):
        problems.append(UserError("cases.date_needed", "enter the day the case was received"))
    elif case.opened_on > today:
        problems.append(UserError("cases.future_date", "the day of receipt lies in the future"))
    else:
        try:
            check_due(case.opened_on, case.due_on)
        except UserError as error:
            problems.append(error)
    texts = {}
    for field, required in (("title", True), ("description", False)):
        try:
            texts[field] = check_text(field, getattr(case, field), required=required)
        except UserError as error:
            problems.append(error)
    if problems:
        raise ValidationError("cases.invalid", "the case was not opened", problems=problems)
    due = case.due_on if case.due_on is not None else default_due(case.opened_on)
    return replace(case, **texts, factors=tuple(dict.fromkeys(case.factors)), due_on=due)
