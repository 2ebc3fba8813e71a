"""Tests for the demo dataset (db.demo) and the model behind it (core.demo_model)."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest
from sqlalchemy import case, func
from sqlmodel import select

from core import demo_model
from core.errors import Forbidden, UserError
from core.sampling import seed_digest
from db import migrate
from db.access import Actor, cli_actor
from db.campaigns import DEFAULT_SCHEME, load_scheme, read_scheme
from db.demo import purge
from db.demo import years as demo
from db.engine import make_engine, session_scope
from db.models import (
    AccountabilityCase,
    Answer,
    AuditEvent,
    Campaign,
    DailyScore,
    Draw,
    DrawMember,
    Finding,
    Inspection,
    MediaCase,
    MediaSource,
    PollVote,
    Response,
    Reviewer,
    ReviewerGroup,
    Unit,
)

VOTES = 2_000  # small enough for a quick suite; the full-size load is timed by hand
YEARS = (2017, 2018, 2019)
SCORE = case((Answer.option == "satisfied", 100.0), (Answer.option == "basically_satisfied", 70.0), else_=0.0)


def with_scheme(engine):
    """The state `python -m db init` leaves: the 2017 campaign from the scheme file."""
    with session_scope(engine) as session:
        load_scheme(session, actor=cli_actor(), scheme=read_scheme(DEFAULT_SCHEME))
    return engine


def sqlite_engine(folder):
    engine = make_engine(f"sqlite:///{folder}/t.db")
    migrate.upgrade(engine)
    return engine


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One full demo (three years, few votes), shared by the tests that only read."""
    engine = with_scheme(sqlite_engine(tmp_path_factory.mktemp("demo")))
    summary = demo.load_demo(engine, actor=cli_actor(), years=YEARS, votes_per_year=VOTES)
    yield engine, summary
    engine.dispose()


def per_year(session, *columns, where=(), join=None):
    """Rows grouped by campaign year: {year: value} for one column, else {year: tuple}."""
    query = select(Campaign.year, *columns)
    if join is not None:
        query = query.select_from(join[0]).join(Campaign, Campaign.id == join[0].campaign_id)
        for table, on in join[1:]:
            query = query.join(table, on)
    rows = session.exec(query.where(*where).group_by(Campaign.year)).all()
    return {row[0]: row[1] if len(row) == 2 else tuple(row[1:]) for row in rows}


def count(session, table, *where) -> int:
    return session.exec(select(func.count()).select_from(table).where(*where)).one()


# -------------------------------------------------------------------------- loading


def test_counts_per_year(loaded):
    engine, summary = loaded
    with session_scope(engine) as s:
        assert per_year(s, func.count(Reviewer.id), join=(Reviewer,)) == dict.fromkeys(YEARS, 2000)
        assert per_year(s, func.count(DrawMember.id), join=(Draw, (DrawMember, DrawMember.draw_id == Draw.id))) \
            == dict.fromkeys(YEARS, 200)
        assert per_year(s, func.count(PollVote.id), join=(PollVote,)) == dict.fromkeys(YEARS, VOTES)
        assert per_year(s, func.count(DailyScore.id), join=(DailyScore,)) == dict.fromkeys(YEARS, 37)
        assert per_year(s, func.count(Inspection.id), join=(Inspection,)) == dict.fromkeys(YEARS, 80)
        assert per_year(s, func.count(MediaCase.id), join=(MediaCase,)) == dict.fromkeys(YEARS, 60)
        assert per_year(s, func.count(AccountabilityCase.id), join=(AccountabilityCase,)) == dict.fromkeys(YEARS, 12)
        submitted = per_year(s, func.count(Response.id), where=[Response.status == "submitted"], join=(Response,))
        answers = per_year(s, func.count(Answer.id), where=[Response.status == "submitted"],
                           join=(Response, (Answer, Answer.response_id == Response.id)))
        drafts = per_year(s, func.count(Response.id), where=[Response.status == "draft",
                                                             Response.token_hash.is_not(None)], join=(Response,))
    assert all(180 <= n < 200 for n in submitted.values())
    assert answers == {year: 185 * n for year, n in submitted.items()}
    assert all(n >= 1 for n in drafts.values())
    assert summary["rows"]["pollvote"] == 3 * VOTES


def test_reviewers_look_real_but_carry_no_id_numbers(loaded):
    engine, _ = loaded
    with session_scope(engine) as s:
        people = s.exec(select(Reviewer)).all()
        sizes = s.exec(select(ReviewerGroup.code, func.count(Reviewer.id))
                       .join(Reviewer, Reviewer.group_id == ReviewerGroup.id)
                       .join(Campaign, Campaign.id == Reviewer.campaign_id).where(Campaign.year == 2017)
                       .group_by(ReviewerGroup.code, ReviewerGroup.position).order_by(ReviewerGroup.position)).all()
    assert [n for _, n in sizes] == [523, 417, 381, 299, 236, 144]
    assert all(p.id_number is None and p.is_demo for p in people)
    assert all(re.fullmatch(r"13[6-9]0000\d{4}", p.phone) for p in people)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", p.name) for p in people)
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.person_key) for p in people)


def test_draw_is_recorded_like_a_real_one(loaded):
    engine, _ = loaded
    with session_scope(engine) as s:
        draws = s.exec(select(Draw).order_by(Draw.id)).all()
    assert len(draws) == 3
    for d in draws:
        assert (d.n, d.method, d.operator, d.is_demo) == (200, "proportional", "demo", True)
        assert d.seed_sha256 == seed_digest(d.seed)
        assert sum(d.allocation.values()) == 200


def test_demo_campaigns_are_created_and_flagged(loaded):
    engine, summary = loaded
    with session_scope(engine) as s:
        campaigns = s.exec(select(Campaign).order_by(Campaign.year)).all()
        units = per_year(s, func.count(Unit.id), join=(Unit,))
        sources = s.exec(select(MediaSource.code)).all()
    assert [(c.year, c.is_demo) for c in campaigns] == [(2017, False), (2018, True), (2019, True)]
    assert campaigns[1].copied_from_id == campaigns[0].id and campaigns[2].copied_from_id == campaigns[1].id
    assert all("演示" in c.name_zh for c in campaigns[1:]) and "演示" not in campaigns[0].name_zh
    assert units == dict.fromkeys(YEARS, 37)
    assert set(sources) == set(demo_model.MEDIA_SOURCES)
    assert summary["created_campaigns"] == [2018, 2019]


def test_votes_are_unique_and_some_are_flagged(loaded):
    engine, _ = loaded
    with session_scope(engine) as s:
        keys = (PollVote.campaign_id, PollVote.unit_id, PollVote.device_hash, PollVote.day)
        repeated = s.exec(select(*keys).group_by(*keys).having(func.count() > 1)).all()
        flagged = s.exec(select(PollVote.flag_reason, func.count()).where(PollVote.status == "flagged")
                         .group_by(PollVote.flag_reason)).all()
        options = set(s.exec(select(PollVote.option).distinct()).all())
    assert repeated == []
    assert [reason for reason, _ in flagged] == ["burst"] and 0 < flagged[0][1] < 0.05 * VOTES * 3
    assert options == {"satisfied", "basically_satisfied", "dissatisfied"}


def test_inspections_have_one_to_three_findings(loaded):
    engine, _ = loaded
    with session_scope(engine) as s:
        per_visit = s.exec(select(func.count(Finding.id)).join(Inspection, Inspection.id == Finding.inspection_id)
                           .group_by(Inspection.id)).all()
        states = set(s.exec(select(AccountabilityCase.state).distinct()).all())
    assert set(per_visit) <= {1, 2, 3}
    assert {"received", "investigating", "decided", "circulated", "second_handling"} == states


def test_a_second_load_is_refused(loaded):
    engine, _ = loaded
    with pytest.raises(UserError) as refused:
        demo.load_demo(engine, actor=cli_actor(), votes_per_year=10)
    assert refused.value.key == "demo.exists"


def test_load_needs_the_first_campaign_and_an_admin(tmp_path):
    engine = sqlite_engine(tmp_path)
    with pytest.raises(UserError) as missing:
        demo.load_demo(engine, actor=cli_actor(), votes_per_year=10)
    assert missing.value.key == "demo.no_campaign"
    with pytest.raises(Forbidden):
        demo.load_demo(engine, actor=Actor("ana", "analyst"))
    with pytest.raises(Forbidden):
        purge.purge_demo(engine, actor=Actor("ana", "analyst"))


# ------------------------------------------------------------------------ structure


def panel_means(session, *group_by):
    """Mean panel score (100/70/0, unknown left out) of submitted answers by the given columns."""
    query = (select(*group_by, func.avg(SCORE)).select_from(Answer)
             .join(Response, Response.id == Answer.response_id).join(Unit, Unit.id == Answer.unit_id)
             .join(Campaign, Campaign.id == Response.campaign_id)
             .join(ReviewerGroup, ReviewerGroup.id == Response.group_id)
             .where(Response.status == "submitted", Answer.option != "unknown").group_by(*group_by))
    return {tuple(row[:-1]): row[-1] for row in session.exec(query).all()}


def test_a_units_score_persists_across_years(loaded):
    engine, _ = loaded
    with session_scope(engine) as s:
        means = panel_means(s, Unit.code, Campaign.year)
    codes = sorted({code for code, _ in means})
    first = [means[(code, 2017)] for code in codes]
    last = [means[(code, 2019)] for code in codes]
    assert np.corrcoef(first, last)[0, 1] > 0.6


def test_harsh_groups_rate_lower(loaded):
    engine, _ = loaded
    with session_scope(engine) as s:
        means = {code: value for (code,), value in panel_means(s, ReviewerGroup.code).items()}
    assert means["service_recipient"] < means["industry_rep"] < means["cadre"]
    assert means["npc_deputy"] < means["cadre"]


# ------------------------------------------------------------------------ purge


def test_purge_leaves_exactly_the_init_state(engine):
    """Runs on SQLite and, where a server can start, on PostgreSQL (conftest `engine`)."""
    with_scheme(engine)
    with session_scope(engine) as s:
        campaign = s.exec(select(Campaign)).one()
        group = s.exec(select(ReviewerGroup).where(ReviewerGroup.campaign_id == campaign.id)).first()
        s.add(Reviewer(campaign_id=campaign.id, group_id=group.id, person_key="office-1", name="office's own"))
    summary = demo.load_demo(engine, actor=cli_actor(), votes_per_year=600, today=date(2026, 6, 30))
    purged = purge.purge_demo(engine, actor=cli_actor())
    with session_scope(engine) as s:
        assert [c.year for c in s.exec(select(Campaign)).all()] == [2017]
        assert count(s, Unit) == 37
        assert s.exec(select(Reviewer.name)).all() == ["office's own"]
        for table in (PollVote, Response, Answer, Draw, DrawMember, Inspection, Finding, MediaCase,
                      AccountabilityCase, DailyScore):
            assert count(s, table) == 0, table.__name__
        assert count(s, MediaSource) == 4  # global, not demo
        actions = s.exec(select(AuditEvent.action)).all()
    # 2024 and 2025 whole, 2026 up to 30 June (181 of 365 days); the 2017 campaign is left as it is.
    assert summary["years"] == [2024, 2025, 2026] and summary["created_campaigns"] == [2024, 2025, 2026]
    assert purged["pollvote"] == 1200 + round(600 * 181 / 365) == summary["rows"]["pollvote"]
    assert purged["campaign"] == 3 and purged["reviewer"] == 6000
    assert purged["invitation"] == summary["rows"]["invitation"] == 203
    assert actions.count("demo.load") == 1 and actions.count("demo.purge") == 1
    demo.load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=10)  # a purged demo can come back


def test_a_failed_year_leaves_no_demo_rows(tmp_path, monkeypatch):
    engine = with_scheme(sqlite_engine(tmp_path))
    real = demo._write_follow_up

    def fail_in_2019(session, *, campaign, **kwargs):
        if campaign.year == 2019:  # the last year, running on 2019-11-11
            raise RuntimeError("disk full")
        return real(session, campaign=campaign, **kwargs)

    monkeypatch.setattr(demo, "_write_follow_up", fail_in_2019)
    with pytest.raises(RuntimeError):
        demo.load_demo(engine, actor=cli_actor(), votes_per_year=50, today=date(2019, 11, 11))
    with session_scope(engine) as s:
        assert [c.year for c in s.exec(select(Campaign)).all()] == [2017]
        assert count(s, Reviewer) == 0 and count(s, PollVote) == 0


# ------------------------------------------------------------------- reproducibility


def load_one_year(folder, seed):
    engine = with_scheme(sqlite_engine(folder))
    demo.load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=VOTES, seed=seed)
    with session_scope(engine) as s:
        votes = dict(s.exec(select(PollVote.option, func.count()).group_by(PollVote.option)).all())
        names = s.exec(select(Reviewer.name).order_by(Reviewer.id)).all()
        answers = dict(s.exec(select(Answer.option, func.count()).group_by(Answer.option)).all())
    engine.dispose()
    return votes, names, answers


def test_same_seed_same_data(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
    first = load_one_year(tmp_path / "a", seed=7)
    again = load_one_year(tmp_path / "b", seed=7)
    other = load_one_year(tmp_path / "c", seed=8)
    assert first == again
    assert first[0] != other[0] and first[1] != other[1]


def test_reviewer_pools_repeat_and_carry_people_over():
    """Pools come from their own stream (the vote count cannot change them); about 60 % of a
    year's people are in next year's pool again, as happens when an office renews its list."""
    pools = demo_model.reviewer_pools(3, 2, ["a", "b"], [30, 20])
    again = demo_model.reviewer_pools(3, 2, ["a", "b"], [30, 20])
    assert pools == again
    kept = {p.phone for p in pools[0]} & {p.phone for p in pools[1]}
    assert 0.4 * 50 < len(kept) < 0.8 * 50


def test_poll_model_gives_exact_counts_and_unique_keys():
    rng = demo_model.stream(1, 2017, "poll")
    quality = np.linspace(-1, 1, 5)
    votes = demo_model.poll_votes(rng, 5_000, quality=quality, unit_weight=np.full(5, 0.2),
                                  first=date(2017, 1, 1), last=date(2017, 1, 31))
    assert len(votes["unit"]) == 5_000
    keys = set(zip(votes["unit"].tolist(), votes["device"].tolist(), votes["day"].tolist()))
    assert len(keys) == 5_000
    satisfied = [np.mean(votes["option"][votes["unit"] == u] == 0) for u in range(5)]
    assert satisfied[0] < satisfied[-1]  # better units get more 满意
