"""Issue 26 §4: a copied calendar never asks anyone to act on a weekend: deadlines and the panel window that
land on one move to the next working day, and the office is told which."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.clock import from_office, to_office
from core.poll import next_working_day
from db.access import cli_actor
from db.campaigns import copy_campaign, copy_moves, get_campaign
from db.engine import session_scope


@pytest.fixture
def db_url(tmp_path):
    """SQLite only: these are rules of the screens and the store, not of the database (the store's SQL is
    exercised on PostgreSQL by its own tests)."""
    return f"sqlite:///{tmp_path / 'review.db'}"


def test_next_working_day_keeps_working_days_and_skips_weekends_and_holidays():
    assert next_working_day(date(2027, 5, 17)) == date(2027, 5, 17)  # a Monday
    assert next_working_day(date(2027, 5, 15)) == date(2027, 5, 17)  # a Saturday
    assert next_working_day(date(2027, 10, 1), holidays={date(2027, 10, d) for d in range(1, 8)}) == date(2027, 10, 8)
    assert next_working_day(date(2027, 9, 26), workdays={date(2027, 9, 26)}) == date(2027, 9, 26)  # 调休


def test_a_copied_year_moves_weekend_dates_to_working_days_and_says_so(scheme_engine):
    with session_scope(scheme_engine) as s:
        source = get_campaign(s, 2017)
        # A year whose window and deadlines, copied to 2027, land on Sundays and a Saturday.
        source.panel_opens_at = from_office(datetime(2017, 11, 5, 8, 0))  # 2027-11-05 is a Friday
        source.panel_closes_at = from_office(datetime(2017, 11, 28, 18, 0))  # 2027-11-28 is a Sunday
        source.plan_due = date(2017, 5, 15)  # 2027-05-15 is a Saturday
        s.add(source)
    with session_scope(scheme_engine) as s:
        copy = copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=2027)
        closes = to_office(copy.panel_closes_at)
        assert (closes.date(), closes.hour) == (date(2027, 11, 29), 18)  # Monday, same time of day
        assert to_office(copy.panel_opens_at).date() == date(2027, 11, 5)
        assert copy.plan_due == date(2027, 5, 17) and copy.ends_on == date(2027, 12, 31)
        for day in (copy.plan_due, copy.summary_due, closes.date()):
            assert day.weekday() < 5
    with session_scope(scheme_engine) as s:
        assert copy_moves(s, year=2027) == {"plan_due": ["2027-05-15", "2027-05-17"],
                                            "panel_closes_at": ["2027-11-28", "2027-11-29"]}
