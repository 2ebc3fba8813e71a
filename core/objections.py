"""The objection period (公示) and objections (异议): the rules, without storage.

A provisional result is posted to the units for `objections.working_days` working days (campaign
setting, default 5; the media cases' calendar of holidays and 调休 workdays). The day it is opened
does not count: the period runs to the n-th working day after it, inclusive, as every other
deadline of the review does. A liaison objects to one item of their unit's result; the office
upholds (the change is made through the ordinary casework screens, then the campaign is scored
again) or dismisses, with a written reason either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from core.errors import UserError, ValidationError
from core.media import answer_calendar
from core.poll import add_working_days

# What a unit may contest. The panel's and the public's opinions themselves are not on the list:
# only how they were counted (a complaint, a media case) or an office's own judgement.
ITEM_KINDS = ("finding", "media", "complaint", "inspection", "daily", "veto", "override", "other")
# Kinds that name one row of a register (the others are about the unit's result as a whole).
ROW_KINDS = ("finding", "media", "complaint", "inspection", "veto")
STATES = ("open", "upheld", "dismissed")
RULINGS = ("upheld", "dismissed")

DEFAULT_WORKING_DAYS = 5
WORKING_DAYS_RANGE = (1, 30)
REASON_MIN, REASON_MAX = 10, 2000  # a reason says what is wrong and why: more than a word
RULING_MIN, RULING_MAX = 5, 2000
MAX_FILES = 10


def working_days(settings: Mapping) -> int:
    """The period's length from a campaign's settings (`objections.working_days`), else the default."""
    value = (settings.get("objections") or {}).get("working_days", DEFAULT_WORKING_DAYS)
    low, high = WORKING_DAYS_RANGE
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        return DEFAULT_WORKING_DAYS
    return int(value)


def settings_problems(settings: Mapping) -> list[UserError]:
    given = settings.get("objections")
    if given is None:
        return []
    low, high = WORKING_DAYS_RANGE
    value = given.get("working_days", DEFAULT_WORKING_DAYS) if isinstance(given, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high \
            or int(value) != value:
        return [UserError("settings.range", "{name} must be a number from {low} to {high}",
                          name="objections.working_days", low=low, high=high)]
    return []


@dataclass(frozen=True)
class Period:
    opens_on: date
    closes_on: date
    working_days: int

    def running(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on


def period_from(opens_on: date, settings: Mapping) -> Period:
    """The period opened on `opens_on` under these settings (the media cases' working-day calendar)."""
    n = working_days(settings)
    calendar = answer_calendar(settings)
    return Period(opens_on, add_working_days(opens_on, n, calendar.holidays, calendar.workdays), n)


def check_objection(*, item_kind: str, item_ref: str, reason: str) -> tuple[str, str, str]:
    """The fields of an objection, trimmed; every problem at once as a list of UserErrors (empty: fine)."""
    problems: list[UserError] = []
    reason = (reason or "").strip()
    item_ref = (item_ref or "").strip()
    if item_kind not in ITEM_KINDS:
        problems.append(UserError("objections.bad_item", "choose what the objection is about"))
    elif item_kind in ROW_KINDS and not item_ref:
        problems.append(UserError("objections.no_row", "choose the item of this kind the objection is about"))
    if len(reason) < REASON_MIN:
        problems.append(UserError("objections.reason_short", "say in at least {n} characters what is wrong and why",
                                  n=REASON_MIN))
    elif len(reason) > REASON_MAX:
        problems.append(UserError("objections.reason_long", "the reason may have at most {n} characters",
                                  n=REASON_MAX))
    if problems:
        raise ValidationError("objections.invalid", "the objection was not filed", problems=problems)
    return item_kind, item_ref, reason


def check_ruling(*, ruling: str, reason: str) -> tuple[str, str]:
    reason = (reason or "").strip()
    if ruling not in RULINGS:
        raise UserError("objections.bad_ruling", "a ruling upholds or dismisses the objection")
    if len(reason) < RULING_MIN:
        raise UserError("objections.ruling_short", "write the reason for the ruling (at least {n} characters)",
                        n=RULING_MIN)
    if len(reason) > RULING_MAX:
        raise UserError("objections.ruling_long", "the reason may have at most {n} characters", n=RULING_MAX)
    return ruling, reason

