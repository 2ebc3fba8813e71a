"""The demo's calendar relative to the day it is loaded (pure; no I/O).

The demo always ends in the year of the day it is loaded, with that year's campaign
running: earlier demo years are over and published, the poll of the running year has
votes up to today, and its panel window is open now and for the coming weeks, whatever
the day of the year (on 15 March a year-end window would be nine months away, on
20 December it would close in two days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core.clock import from_office

DEMO_YEARS = 3  # two finished, published years and the running one
PANEL_OPENED_DAYS_AGO = 14
PANEL_OPEN_DAYS_AHEAD = 21


def demo_years(today: date, n: int = DEMO_YEARS) -> tuple[int, ...]:
    """The years a demo loaded on `today` covers, oldest first, the running year last."""
    return tuple(range(today.year - n + 1, today.year + 1))


@dataclass(frozen=True)
class RunningYear:
    """What makes the demo's last year a campaign that is running on `today`."""

    today: date
    now: datetime  # aware UTC: nothing the demo writes happens after it
    panel_opens_at: datetime  # aware UTC
    panel_closes_at: datetime  # aware UTC

    @property
    def year(self) -> int:
        return self.today.year

    @property
    def elapsed(self) -> float:
        """Share of the year gone by at the end of today (0 < elapsed <= 1)."""
        first = date(self.year, 1, 1)
        days = (date(self.year + 1, 1, 1) - first).days
        return ((self.today - first).days + 1) / days

    def scaled(self, per_year: int, least: int = 0) -> int:
        """A yearly count cut to the part of the year gone by."""
        return max(least, round(per_year * self.elapsed)) if per_year else 0


def running_year(today: date, now: datetime) -> RunningYear:
    """The panel window of the running year: opened two weeks ago (not before 1 January), closes
    in three weeks (it may run into January, as a year-end review often does)."""
    opens_day = max(date(today.year, 1, 1), today - timedelta(days=PANEL_OPENED_DAYS_AGO))
    opens_at = from_office(datetime.combine(opens_day, time(0, 0) if opens_day == today.replace(month=1, day=1)
                                            else time(8, 0)))
    opens_at = min(opens_at, now)
    closes_at = from_office(datetime.combine(today + timedelta(days=PANEL_OPEN_DAYS_AHEAD), time(18, 0)))
    return RunningYear(today=today, now=now, panel_opens_at=opens_at, panel_closes_at=closes_at)
