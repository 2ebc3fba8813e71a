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

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

OFFICE_ZONE = ZoneInfo("Asia/Shanghai")
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
    now = datetime.now(UTC)
    if _fixed_today is None:
        return now
    wall = now.astimezone(OFFICE_ZONE)
    return datetime.combine(_fixed_today, wall.timetz()).astimezone(UTC)


def office_today() -> date:
    """Today's date at the office (a vote at 07:00 Beijing time is that day's vote)."""
    return _fixed_today or datetime.now(OFFICE_ZONE).date()


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
