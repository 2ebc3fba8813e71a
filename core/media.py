"""Media-exposed problems (媒体曝光问题): the channels, a case's fields and their rules, the answer deadline.

Pure. The same rules serve the entry form and the file import (core.media_import), so a case
typed by hand and one read from a spreadsheet can never be held to different standards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from core.errors import UserError, ValidationError
from core.poll import OPTIONS, add_working_days, answer_overdue, name_key
from core.pool_import import FORMULA_STARTS, clean, has_control, short

# The four channels the 2017 plan names; an administrator may add others.
CHANNELS: dict[str, tuple[str, str]] = {  # code: (name_zh, name_en)
    "daily_express": ("《每日快报》", "Daily Express"),
    "changjiang_board": ("长江日报留言板", "Changjiang Daily message board"),
    "all_media_platform": ("全媒体监督平台", "All-media supervision platform"),
    "tv_style_focus": ("作风聚焦", "TV programme Work Style in Focus"),
}
STATUSES = ("open", "answered", "resolved")
# How messages and file headers name a case's fields: Chinese / English.
FIELD_NAMES = {
    "source": ("来源", "source"),
    "external_ref": ("编号", "external_ref"),
    "unit": ("单位", "unit"),
    "title": ("标题", "title"),
    "exposed_on": ("曝光日期", "exposed_on"),
    "answered_on": ("答复日期", "answered_on"),
    "status": ("办理状态", "status"),
    "repeated": ("重复反映", "repeated"),
    "public_satisfaction": ("群众满意度", "public_satisfaction"),
    "reply": ("答复内容", "reply"),
}
LIMITS = {"external_ref": 64, "title": 200, "reply": 2000}
SOURCE_CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")

# Spellings accepted in files, besides the codes themselves (compared with core.poll.name_key).
STATUS_WORDS = {
    "open": ("未答复", "待答复", "办理中", "未办结", "待办"),
    "answered": ("已答复", "已回复"),
    "resolved": ("已办结", "已解决", "办结"),
}
SATISFACTION_WORDS = {
    "satisfied": ("满意",),
    "basically_satisfied": ("基本满意",),
    "dissatisfied": ("不满意",),
    None: ("未评价", "未评", "not rated", "none", "-", "—"),
}
YES = ("是", "y", "yes", "true", "1", "重复", "√")
NO = ("否", "n", "no", "false", "0", "")

# 1899-12-30 is day 0 of Excel's calendar (it counts a 29 February 1900 that never was).
EXCEL_EPOCH = date(1899, 12, 30)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


@dataclass(frozen=True)
class CaseFields:
    """A case as entered: codes for the source and the unit, checked values for the rest."""

    source: str
    external_ref: str
    unit: str
    title: str
    exposed_on: date
    answered_on: date | None = None
    status: str = "open"
    repeated: bool = False
    public_satisfaction: str | None = None  # satisfied, basically_satisfied, dissatisfied; None: not rated
    reply: str = ""


def _words(table: Mapping[object, tuple[str, ...]]) -> dict[str, object]:
    """Every accepted spelling (and the code itself), as compared -> the value it stands for."""
    index: dict[str, object] = {}
    for value, words in table.items():
        for word in (*words, *([value] if isinstance(value, str) else [])):
            index[name_key(word)] = value
    return index


_STATUS = _words(STATUS_WORDS)
_SATISFACTION = _words(SATISFACTION_WORDS)
_YES, _NO = {name_key(w) for w in YES}, {name_key(w) for w in NO}


def _bad_status(text: str) -> UserError:
    return UserError("media.bad_status", "{value!r} is not a handling status; use 未答复, 已答复 or 已办结",
                     value=short(text))


def _bad_satisfaction(text: str) -> UserError:
    return UserError("media.bad_satisfaction",
                     "{value!r} is not a rating; use 满意, 基本满意, 不满意 or leave it empty", value=short(text))


def _unknown(kind: str, text: str, names: Mapping[str, str]) -> UserError:
    if kind == "unit":
        return UserError("media.unknown_unit", "{value!r} is not a unit of this campaign; use its name or code",
                         value=short(text))
    return UserError("media.unknown_source", "{value!r} is not a media source; use one of: {choices}",
                     value=short(text), choices=", ".join(names.values()))


def duplicate_ref(source_name: str, ref: str) -> UserError:
    return UserError("media.duplicate_ref", "{source} already has a case with the reference {ref!r}",
                     source=source_name, ref=ref)


def parse_date(value: object) -> date:
    """A date from a cell: a date, an Excel day number, or text such as 2017-03-15, 2017/3/15, 2017年3月15日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2_958_466:
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = clean(str(value if value is not None else ""))
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise UserError("media.bad_date", "{value!r} is not a date; write it as 2017-03-15", value=short(text))


def parse_status(value: object) -> str | None:
    """A handling status code, or None for an empty cell (the answer date then decides)."""
    text = clean(str(value or ""))
    if not text:
        return None
    status = _STATUS.get(name_key(text))
    if status is None:
        raise _bad_status(text)
    return str(status)


def parse_satisfaction(value: object) -> str | None:
    text = clean(str(value or ""))
    if not text:
        return None
    key = name_key(text)
    if key not in _SATISFACTION:
        raise _bad_satisfaction(text)
    return _SATISFACTION[key]


def parse_flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    key = name_key(clean(str(value if value is not None else "")))
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise UserError("media.bad_flag", "{value!r}: write 是 or 否", value=short(str(value)))


def lookup(value: object, names: Mapping[str, str], *, kind: str) -> str:
    """The code of the unit or source that `value` names (its code or its name), else a refusal."""
    text = clean(str(value or ""))
    key = name_key(text)
    for code, name in names.items():
        if key and key in (name_key(code), name_key(name)):
            return code
    raise _unknown(kind, text, names)


def check_text(field: str, value: object, *, required: bool) -> str:
    """A text field cleaned, or a refusal: empty, starting like a formula, control characters, too long."""
    text = clean(str(value if value is not None else ""))
    label = " / ".join(FIELD_NAMES[field])
    if not text:
        if required:
            raise UserError("media.required", "{field} is required", field=label)
        return text
    if text.startswith(FORMULA_STARTS):
        raise UserError("media.formula", "{field} must not start with {char!r} (spreadsheets run it as a formula)",
                        field=label, char=text[0])
    if has_control(text, allow_lines=field == "reply"):
        raise UserError("media.bad_characters", "{field} contains invisible control characters; retype it",
                        field=label)
    if len(text) > LIMITS[field]:
        raise UserError("media.too_long", "{field} has {length} characters, at most {limit} are allowed",
                        field=label, length=len(text), limit=LIMITS[field])
    return text


def case_problems(case: CaseFields, *, today: date) -> list[tuple[str, UserError]]:
    """Rules across fields, each with the field to point at."""
    problems: list[tuple[str, UserError]] = []
    if case.exposed_on > today:
        problems.append(("exposed_on", UserError("media.future_date", "the date lies in the future")))
    if case.answered_on is not None:
        if case.answered_on > today:
            problems.append(("answered_on", UserError("media.future_date", "the date lies in the future")))
        if case.answered_on < case.exposed_on:
            problems.append(("answered_on", UserError("media.answer_before_exposure",
                                                      "the answer date is before the date of exposure")))
    if case.status not in STATUSES:
        problems.append(("status", _bad_status(str(case.status))))
    elif case.status != "open" and case.answered_on is None:
        problems.append(("answered_on", UserError("media.answer_date_needed",
                                                  "an answered or resolved case needs its answer date")))
    elif case.status == "open" and case.answered_on is not None:
        problems.append(("status", UserError("media.open_with_answer",
                                             "a case with an answer date is answered or resolved, not open")))
    if case.public_satisfaction not in (*OPTIONS, None):
        problems.append(("public_satisfaction", _bad_satisfaction(str(case.public_satisfaction))))
    return problems


def check_case(case: CaseFields, *, units: Mapping[str, str], sources: Mapping[str, str], today: date) -> CaseFields:
    """A case from the entry form, cleaned and checked whole; a ValidationError lists every problem."""
    problems: list[UserError] = []
    texts = {}
    for field, required in (("external_ref", True), ("title", True), ("reply", False)):
        try:
            texts[field] = check_text(field, getattr(case, field), required=required)
        except UserError as error:
            problems.append(error)
    if case.unit not in units:
        problems.append(_unknown("unit", str(case.unit), units))
    if case.source not in sources:
        problems.append(_unknown("source", str(case.source), sources))
    problems += [error for _, error in case_problems(case, today=today)]
    if problems:
        raise ValidationError("media.invalid", "the case was not saved", problems=problems)
    return replace(case, **texts)


# ---------------------------------------------------------------------------------------
# The answer deadline


@dataclass(frozen=True)
class AnswerCalendar:
    """How long a unit has to answer: working days after exposure, with the year's holidays."""

    working_days: int = 5
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend days worked instead of a holiday (调休)

    def due(self, exposed_on: date) -> date:
        return add_working_days(exposed_on, self.working_days, self.holidays, self.workdays)

    def overdue(self, exposed_on: date, answered_on: date | None, *, today: date) -> bool:
        return answer_overdue(exposed_on, answered_on, today=today, working_days=self.working_days,
                              holidays=self.holidays, workdays=self.workdays)


def _dates(values: object) -> frozenset[date]:
    days = set()
    for value in values if isinstance(values, list | tuple) else []:
        try:
            days.add(date.fromisoformat(str(value)))
        except ValueError:
            continue  # a malformed entry must not stop the register from opening
    return frozenset(days)


def answer_calendar(settings: Mapping) -> AnswerCalendar:
    """The calendar from a campaign's settings: poll.media_answer_working_days, optional poll.holidays / workdays."""
    poll = settings.get("poll") or {}
    days = poll.get("media_answer_working_days", AnswerCalendar.working_days)
    if isinstance(days, bool) or not isinstance(days, int | float) or days < 1:
        days = AnswerCalendar.working_days
    return AnswerCalendar(int(days), _dates(poll.get("holidays")), _dates(poll.get("workdays")))
