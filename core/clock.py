"""Time in one place: stored as aware UTC, shown and entered in the office's zone.

SQLModel stores aware datetimes and hands them back in UTC (on SQLite too), so
every moment in this code is timezone-aware. The office works in Beijing time,
whatever zone the server runs in; the interface converts at the edge.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

OFFICE_ZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def office_today() -> date:
    """Today's date at the office (a vote at 07:00 Beijing time is that day's vote)."""
    return datetime.now(OFFICE_ZONE).date()


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
