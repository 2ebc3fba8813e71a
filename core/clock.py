"""Time in one place: stored as aware UTC, shown and entered in the office's zone.

SQLModel stores aware datetimes and hands them back in UTC (on SQLite too), so
every moment in this code is timezone-aware. The office works in Beijing time,
whatever zone the server runs in; the interface converts at the edge.

"Today" can be fixed for tests and demonstrations (`set_today`, or the REVIEW_TODAY
environment variable, which the entry points `python -m db` and `python -m ui.serve`
read): the date is then that day, and the time of day the real one, so every clock
reading in the app (votes, answers, audit) agrees on that day. Never set it in
production: it moves every timestamp the app writes.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

OFFICE_ZONE = ZoneInfo("Asia/Shanghai")
# REVIEW_CLOCK_OFFSET moves this process's clock (tests only: "nine hours later" for an idle
# session, without waiting). A signed number with an optional unit: 90, 9h, -2d, 30m, 15s.
CLOCK_OFFSET_VARIABLE = "REVIEW_CLOCK_OFFSET"
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def clock_offset(text: str | None = None) -> timedelta:
    """The offset REVIEW_CLOCK_OFFSET asks for (zero when unset); ValueError when it is not one."""
    text = (os.environ.get(CLOCK_OFFSET_VARIABLE, "") if text is None else text).strip()
    if not text:
        return timedelta(0)
    match = re.fullmatch(r"([+-]?\d+)\s*([smhd]?)", text)
    if match is None:
        raise ValueError(f"{CLOCK_OFFSET_VARIABLE}={text!r}: expected a number with s, m, h or d, e.g. 9h")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


TODAY_ENV = "REVIEW_TODAY"

_fixed_today: date | None = None


def parse_today(text: str) -> date:
    """A YYYY-MM-DD day, as REVIEW_TODAY or --today give it; ValueError names what is wrong."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{TODAY_ENV} must be a day written YYYY-MM-DD, not {text!r}") from None


def set_today(day: date | None) -> None:
    """Fix the office's today (None: back to the real calendar)."""
    global _fixed_today  # noqa: PLW0603 - one process-wide clock, set once at start-up or by a test
    if day is not None and not isinstance(day, date):
        raise TypeError("set_today takes a date or None")
    _fixed_today = day.date() if isinstance(day, datetime) else day


def fixed_today() -> date | None:
    return _fixed_today


def set_today_from(environment: dict) -> date | None:
    """Apply REVIEW_TODAY from an environment mapping (the entry points pass os.environ)."""
    text = environment.get(TODAY_ENV, "").strip()
    set_today(parse_today(text) if text else None)
    return _fixed_today


def utcnow() -> datetime:
    now = datetime.now(UTC) + clock_offset()
    if _fixed_today is None:
        return now
    wall = now.astimezone(OFFICE_ZONE)
    return datetime.combine(_fixed_today, wall.timetz()).astimezone(UTC)


def office_today() -> date:
    """Today's date at the office (a vote at 07:00 Beijing time is that day's vote)."""
    return utcnow().astimezone(OFFICE_ZONE).date()


def office_now() -> datetime:
    """The current moment as office-local time (aware)."""
    return utcnow().astimezone(OFFICE_ZONE)


def from_office(moment: datetime) -> datetime:
    """An office-local wall-clock time (naive, as typed or written in a scheme) as aware UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OFFICE_ZONE)
    return moment.astimezone(UTC)


def to_office(moment: datetime) -> datetime:
    """An aware moment in office-local time, for display."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(OFFICE_ZONE)
