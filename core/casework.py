"""Casework rules besides the case workflow (core.cases): visits and findings, rectification
notices and talks, and the units' plans and summaries.

Pure: plain values in, checked values or refusals out. A `ValidationError` lists every
problem of a form at once, so a person on a tablet fixes all of them in one go.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from core.errors import UserError, ValidationError
from core.pool_import import clean, has_control

KINDS = ("open", "covert")  # 明察, 暗访
SEVERITIES = ("minor", "general", "serious")
FINDING_STATES = ("recorded", "handed_over", "answered", "closed")
# A finding is the team's draft until handed over to the office (移交); only then does the unit see it.
FINDING_STEPS: dict[str, tuple[str, ...]] = {
    "recorded": ("handed_over",),
    "handed_over": ("answered", "closed"),
    "answered": ("closed", "handed_over"),  # back to handed_over: the office found the answer insufficient
    "closed": (),
}
VISIBLE_TO_UNIT = ("handed_over", "answered", "closed")

RECTIFICATION_REASONS = ("unqualified", "public_rejected", "finding")
RECTIFICATION_STATES = ("issued", "in_progress", "submitted", "verified")
RECTIFICATION_STEPS: dict[str, tuple[str, ...]] = {
    "issued": ("in_progress", "submitted"),
    "in_progress": ("submitted",),
    "submitted": ("verified", "in_progress"),  # in_progress again: the office sends it back
    "verified": (),
}
TALK_ROLES = ("head", "deputy")  # 主要负责人, 分管领导: each is talked to
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")
DEFAULT_OFFICE = "区治庸问责办、纠风办"
REPORT_KINDS = ("plan", "summary")  # 工作实施方案 (due 15 May), 工作总结 (due 20 October)
REPORT_STATUSES = ("on_time", "late", "missing", "pending")

LIMITS = {"site": 200, "team": 200, "notes": 2000, "description": 1000, "reply": 4000, "problems": 4000,
          "issuing_office": 100, "notice_no": 60, "persons": 200, "note": 2000}
# How messages name a field: Chinese / English.
FIELD_NAMES = {
    "unit": ("单位", "unit"), "site": ("地点或窗口", "site or service window"), "team": ("检查组", "team"),
    "notes": ("备注", "notes"), "dimension": ("督查内容", "dimension"), "severity": ("严重程度", "severity"),
    "description": ("问题描述", "description"), "reply": ("答复", "reply"), "problems": ("存在问题", "problems"),
    "issuing_office": ("发文单位", "issuing office"), "notice_no": ("文号", "notice number"),
    "persons": ("约谈对象", "persons talked to"), "note": ("说明", "note"), "kind": ("方式", "kind"),
    "reason": ("原因", "reason"), "title": ("标题", "title"),
}


def label(field: str) -> str:
    return " / ".join(FIELD_NAMES.get(field, (field, field)))


def check_text(field: str, value: object, *, required: bool, limit: int | None = None,
               multiline: bool = False) -> str:
    """Cleaned text, or a refusal: missing, control characters, too long."""
    text = clean(str(value if value is not None else ""))
    if not text:
        if required:
            raise UserError("casework.required", "{field} is required", field=label(field))
        return ""
    if has_control(text, allow_lines=multiline):
        raise UserError("casework.bad_characters", "{field} contains invisible control characters; retype it",
                        field=label(field))
    if not multiline:
        text = " ".join(text.split())
    limit = limit or LIMITS.get(field, 200)
    if len(text) > limit:
        raise UserError("casework.too_long", "{field} has {length} characters, at most {limit} are allowed",
                        field=label(field), length=len(text), limit=limit)
    return text


def _collect(problems: list[UserError], check, *args, **kwargs):
    try:
        return check(*args, **kwargs)
    except ValidationError as error:
        problems.extend(error.problems or [error])
    except UserError as error:
        problems.append(error)
    return None


# ---------------------------------------------------------------------------------------
# Visits and findings


@dataclass(frozen=True)
class VisitFields:
    kind: str  # open, covert
    visited_on: date
    unit: str  # the unit visited (its code)
    site: str  # the grassroots office or service window
    team: str = ""
    notes: str = ""


@dataclass(frozen=True)
class FindingFields:
    unit: str | None  # a joint service hall holds windows of several units: each finding names its own
    dimension: str
    severity: str
    description: str


def check_visit(visit: VisitFields, *, units: Mapping[str, str], period: tuple[date, date],
                today: date) -> VisitFields:
    """A visit cleaned, or a ValidationError listing every problem."""
    problems: list[UserError] = []
    if visit.kind not in KINDS:
        problems.append(UserError("casework.bad_kind", "a visit is open (明察) or covert (暗访)"))
    if not visit.unit:
        problems.append(UserError("casework.unit_needed", "choose the unit visited"))
    elif visit.unit not in units:
        problems.append(UserError("casework.unknown_unit", "{value!r} is not a unit of this year", value=visit.unit))
    if not isinstance(visit.visited_on, date):
        problems.append(UserError("casework.date_needed", "enter the date of the visit"))
    elif visit.visited_on > today:
        problems.append(UserError("casework.future_visit", "the visit date lies in the future"))
    elif not period[0] <= visit.visited_on <= period[1]:
        problems.append(UserError("casework.outside_campaign", "the visit date {day} lies outside this year's "
                                  "review ({first} to {last})", day=visit.visited_on.isoformat(),
                                  first=period[0].isoformat(), last=period[1].isoformat()))
    site = _collect(problems, check_text, "site", visit.site, required=True)
    team = _collect(problems, check_text, "team", visit.team, required=False)
    notes = _collect(problems, check_text, "notes", visit.notes, required=False, multiline=True)
    if problems:
        raise ValidationError("casework.visit_invalid", "the visit was not saved", problems=problems)
    return replace(visit, site=site, team=team, notes=notes)


def check_finding(finding: FindingFields, *, units: Mapping[str, str], dimensions: Iterable[str],
                  number: int = 1) -> FindingFields:
    """A finding cleaned; `number` says which finding of the visit a refusal is about."""
    problems: list[UserError] = []
    if not finding.unit:
        problems.append(UserError("casework.finding_unit_needed", "finding {n}: choose the unit it concerns",
                                  n=number))
    elif finding.unit not in units:
        problems.append(UserError("casework.unknown_unit", "{value!r} is not a unit of this year",
                                  value=finding.unit))
    if finding.dimension not in set(dimensions):
        problems.append(UserError("casework.dimension_needed", "finding {n}: choose what it concerns (one of the "
                                  "five review contents)", n=number))
    if finding.severity not in SEVERITIES:
        problems.append(UserError("casework.severity_needed", "finding {n}: choose minor, general or serious",
                                  n=number))
    description = _collect(problems, check_text, "description", finding.description, required=True,
                           multiline=True)
    if problems:
        raise ValidationError("casework.finding_invalid", "finding {n} was not saved", n=number, problems=problems)
    return replace(finding, description=description)


def check_finding_step(state: str, to: str) -> None:
    if to not in FINDING_STEPS.get(state, ()):
        raise UserError("casework.finding_step", "a finding in the state {from_state} cannot become {to_state}",
                        from_state=state, to_state=to)


def deduction(severity: str, deductions: Mapping[str, object]) -> float:
    """Points a finding of this severity takes off the inspection score (campaign setting)."""
    value = deductions.get(severity, 0) if isinstance(deductions, Mapping) else 0
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


# ---------------------------------------------------------------------------------------
# Rectification notices and talks


@dataclass(frozen=True)
class NoticeFields:
    unit: str
    reason: str  # unqualified, public_rejected, finding
    problems: str
    issued_on: date
    deadline: date
    issuing_office: str = DEFAULT_OFFICE
    notice_no: str = ""  # empty: the next number of the year


def check_notice(notice: NoticeFields, *, units: Mapping[str, str]) -> NoticeFields:
    problems: list[UserError] = []
    if not notice.unit:
        problems.append(UserError("casework.unit_needed", "choose the unit"))
    elif notice.unit not in units:
        problems.append(UserError("casework.unknown_unit", "{value!r} is not a unit of this year", value=notice.unit))
    if notice.reason not in RECTIFICATION_REASONS:
        problems.append(UserError("casework.bad_reason", "choose why the notice is issued"))
    if not isinstance(notice.issued_on, date) or not isinstance(notice.deadline, date):
        problems.append(UserError("casework.dates_needed", "enter the issue date and the deadline"))
    elif notice.deadline <= notice.issued_on:
        problems.append(UserError("casework.deadline_before_issue", "the deadline {deadline} must come after the "
                                  "issue date {issued}", deadline=notice.deadline.isoformat(),
                                  issued=notice.issued_on.isoformat()))
    text = _collect(problems, check_text, "problems", notice.problems, required=True, multiline=True)
    office = _collect(problems, check_text, "issuing_office", notice.issuing_office, required=True)
    number = _collect(problems, check_text, "notice_no", notice.notice_no, required=False)
    if problems:
        raise ValidationError("casework.notice_invalid", "the notice was not issued", problems=problems)
    return replace(notice, problems=text, issuing_office=office, notice_no=number)


def next_notice_no(year: int, existing: Iterable[str]) -> str:
    """纠风整改〔2017〕N号 with N one more than the highest number of the year already used."""
    prefix = f"纠风整改〔{year}〕"
    used = [int(no[len(prefix):-1]) for no in existing
            if no.startswith(prefix) and no.endswith("号") and no[len(prefix):-1].isdigit()]
    return f"{prefix}{max(used, default=0) + 1}号"


def check_rectification_step(state: str, to: str, *, note: str = "") -> None:
    if to not in RECTIFICATION_STEPS.get(state, ()):
        raise UserError("casework.rectification_step", "a rectification in the state {from_state} cannot become "
                        "{to_state}", from_state=state, to_state=to)
    if state == "submitted" and to == "in_progress" and not note.strip():
        raise UserError("casework.return_reason", "say why the rectification is sent back")


def check_talk(*, held_on: date, with_role: str, persons: str, notes: str, issued_on: date,
               today: date) -> tuple[str, str]:
    """(persons, notes) cleaned, or a refusal."""
    problems: list[UserError] = []
    if with_role not in TALK_ROLES:
        problems.append(UserError("casework.talk_role", "a talk is with the unit's head or its deputy in charge"))
    if not isinstance(held_on, date):
        problems.append(UserError("casework.date_needed", "enter the date"))
    elif held_on > today:
        problems.append(UserError("casework.future_talk", "the talk date lies in the future"))
    elif held_on < issued_on:
        problems.append(UserError("casework.talk_before_notice", "the talk goes with the notice: it cannot be "
                                  "before the issue date {issued}", issued=issued_on.isoformat()))
    who = _collect(problems, check_text, "persons", persons, required=True)
    text = _collect(problems, check_text, "notes", notes, required=False, multiline=True)
    if problems:
        raise ValidationError("casework.talk_invalid", "the talk was not recorded", problems=problems)
    return who, text


# ---------------------------------------------------------------------------------------
# Units' reports and deadlines


def report_status(due: date, submitted_on: date | None, *, today: date) -> str:
    """on_time, late, missing (past due, nothing in), or pending (not due yet, nothing in)."""
    if submitted_on is not None:
        return "on_time" if submitted_on <= due else "late"
    return "missing" if today > due else "pending"


def report_days_late(due: date, submitted_on: date | None, *, today: date) -> int:
    """Days past `due` until the unit handed in (or until today, while nothing is in). A hand-in dated after
    `today` (a record read as of an earlier day) is not in yet."""
    end = submitted_on if submitted_on is not None and submitted_on <= today else today
    return max(0, (end - due).days)


def rectification_days_over(deadline: date, submitted_on: date | None, *, today: date) -> int:
    """Days a rectification notice went past its deadline: counted until the unit reported it done
    (`submitted_on`), else until today. A notice reported done on time is never overdue, verified by the
    office or not: waiting for the office's check is not the unit's delay. The one rule for the
    rectification list, /live and anything else that says "overdue"."""
    return report_days_late(deadline, submitted_on, today=today)


def rectification_overdue(deadline: date, submitted_on: date | None, state: str, *, today: date) -> bool:
    """Overdue and still open: past its deadline by the rule above and not yet verified."""
    return state != "verified" and rectification_days_over(deadline, submitted_on, today=today) > 0
