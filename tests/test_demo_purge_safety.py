"""Real work is never demo data (issue 26, 1): a year copied from the demo is the office's own, and
purge-demo refuses, deleting nothing, while a demo year holds anything the demo did not make."""

import pytest
from sqlmodel import func, select

from core.errors import UserError
from db.access import cli_actor
from db.campaigns import copy_campaign, get_campaign, get_campaign_or_none
from db.demo.purge import purge_demo
from db.demo.years import load_demo
from db.draws import create_draw
from db.engine import session_scope
from db.models import Campaign, Draw, Reviewer
from db.reviewer_pool import import_pool
from tests.support.pool_files import csv_bytes, people

# Phones of their own (the demo's made-up reviewers use 139…), so the file also imports into a demo year.
POOL = csv_bytes([[*row[:3], f"1669{5_000_000 + k:07d}", *row[4:]]
                  for k, row in enumerate(people([40, 30, 30, 20, 20, 20]))])


def _pool_and_draw(engine, year):
    with session_scope(engine) as s:
        import_pool(s, actor=cli_actor(), year=year, content=POOL, filename="pool.csv")
    with session_scope(engine) as s:
        create_draw(s, actor=cli_actor(), year=year, seed="office", n=30)


def _count(engine, table, year):
    with session_scope(engine) as s:
        campaign = get_campaign(s, year)
        return s.exec(select(func.count()).select_from(table).where(table.campaign_id == campaign.id)).one()


def test_a_year_copied_from_the_demo_survives_purge_demo_with_its_pool_and_draw(scheme_engine):
    load_demo(scheme_engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=300)
    with session_scope(scheme_engine) as s:
        copied = copy_campaign(s, actor=cli_actor(), from_year=2018, to_year=2019)
        assert not copied.is_demo
        assert "演示数据" not in copied.name_zh and "demo" not in copied.name_en
    _pool_and_draw(scheme_engine, 2019)
    reviewers, draws = _count(scheme_engine, Reviewer, 2019), _count(scheme_engine, Draw, 2019)
    assert reviewers == 160 and draws == 1
    purge_demo(scheme_engine, actor=cli_actor())
    with session_scope(scheme_engine) as s:
        assert get_campaign_or_none(s, 2018) is None  # the demo's own year went
        kept = get_campaign(s, 2019)
        assert kept.copied_from_id is None and not kept.is_demo
        assert s.exec(select(Campaign).where(Campaign.is_demo)).all() == []
    assert (_count(scheme_engine, Reviewer, 2019), _count(scheme_engine, Draw, 2019)) == (reviewers, draws)


def test_purge_demo_refuses_while_a_demo_year_holds_the_offices_work(scheme_engine):
    load_demo(scheme_engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=300)
    with session_scope(scheme_engine) as s:
        demo_reviewers = _count(scheme_engine, Reviewer, 2018)
        import_pool(s, actor=cli_actor(), year=2018, content=POOL, filename="pool.csv")
    before = _count(scheme_engine, Reviewer, 2018)
    assert before > demo_reviewers
    with pytest.raises(UserError, match="reviewer") as refused:
        purge_demo(scheme_engine, actor=cli_actor())
    assert "nothing was removed" in refused.value.english()
    with session_scope(scheme_engine) as s:
        assert get_campaign(s, 2018).is_demo  # nothing was deleted
    assert _count(scheme_engine, Reviewer, 2018) == before
