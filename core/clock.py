"""Time in one place: stored as aware UTC, shown and entered in the office's zone.

SQLModel stores aware datetimes and hands them back in UTC (on SQLite too), so
every moment in this code is timezone-aware. The office works in Beijing time,
whatever zone the server runs in; the interface converts at the edge.
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


def utcnow() -> datetime:
    return datetime.now(UTC) + clock_offset()


def office_today() -> date:
    """Today's date at the office (a vote at 07:00 Beijing time is that day's vote)."""
    return utcnow().astimezone(OFFICE_ZONE).date()


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
