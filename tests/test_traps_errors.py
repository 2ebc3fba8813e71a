"""Issue 26 §4: a refusal reaches the office in its own words, with what to do, never a developer's."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.errors import UserError
from db.campaigns import get_campaign, reviewer_groups
from db.draws import create_draw, preview
from db.engine import session_scope
from db.models import DailyScore, Draw, Reviewer
from db.scoring import score_campaign
from db.units import list_units
from ui.i18n import catalogue


@pytest.fixture
def db_url(tmp_path):
    """SQLite only: these are rules of the screens and the store, not of the database (the store's SQL is
    exercised on PostgreSQL by its own tests)."""
    return f"sqlite:///{tmp_path / 'review.db'}"


def pool_of(engine, per_group: int) -> None:
    with session_scope(engine) as s:
        campaign = get_campaign(s, 2017)
        s.bulk_insert_mappings(Reviewer, [
            dict(campaign_id=campaign.id, group_id=g.id, person_key=f"k{g.code}{i}", name=f"人{g.code}{i}")
            for g in reviewer_groups(s, campaign.id) for i in range(per_group)])


def office_words(error: UserError) -> str:
    text = catalogue("zh")[error.key].format(**error.params)
    assert "n=" not in text and "population" not in text and "larger than" not in text
    return text


def test_a_draw_larger_than_the_pool_says_so_and_what_to_do(scheme_engine, admin):
    pool_of(scheme_engine, 10)  # 6 groups: 60 people
    for attempt in (lambda s: preview(s, year=2017, seed="s", n=200),
                    lambda s: create_draw(s, actor=admin, year=2017, seed="s", n=200)):
        with pytest.raises(UserError) as refused, session_scope(scheme_engine) as s:
            attempt(s)
        assert refused.value.key == "draw.larger_than_pool"
        assert "人员库只有 60 人,无法抽取 200 人" in office_words(refused.value)
    with session_scope(scheme_engine) as s:
        assert not s.exec(select(Draw)).all()


def test_a_minimum_per_group_above_the_draw_says_so(scheme_engine, admin):
    pool_of(scheme_engine, 10)
    with pytest.raises(UserError) as refused, session_scope(scheme_engine) as s:
        preview(s, year=2017, seed="s", n=10, minimum=3)
    assert refused.value.key == "draw.minimum_too_large"
    assert "合计 18 人" in office_words(refused.value)


def test_results_before_any_questionnaire_are_computed(scheme_engine, admin):
    with session_scope(scheme_engine) as s:
        campaign = get_campaign(s, 2017)
        s.add_all([DailyScore(campaign_id=campaign.id, unit_id=u.id, score=80)
                   for u in list_units(s, campaign_id=campaign.id, include_inactive=False)])
    with session_scope(scheme_engine) as s:
        result = score_campaign(s, campaign.id, admin, replicates=20, draws=20)
    assert result.version == 1
