"""The dashboards' maintained tallies stay equal to a GROUP BY over the raw rows, whatever writes them,
on SQLite and PostgreSQL; a refused write leaves them as they were."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlmodel import select

from core.errors import UserError
from core.poll import new_device_id
from core.reliability import cronbach_alpha, moments_from_patterns
from db import ballot_box, migrate, tallies
from db.access import cli_actor
from db.bootstrap import init_database
from db.demo.purge import purge_demo
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.models import (
    Answer,
    AnswerPattern,
    AnswerTally,
    Dimension,
    PollVote,
    Response,
    ReviewerGroup,
    Unit,
    VoteTally,
)
from db.poll import list_votes, record_vote, rule_on_votes
from db.questionnaire import issue_ballots, set_rehearsal, submit, wipe_rehearsal
from db.units import merge_units
from tests.test_questionnaire_store import answer_all, open_, panel  # noqa: F401 (fixture)

SALT = "test-salt"
MORNING = datetime(2017, 6, 1, 0, 30, tzinfo=UTC)


def differences(engine, campaign_id=None):
    with session_scope(engine) as s:
        if campaign_id is None:
            return tallies.check_all(s)
        return tallies.check(s, campaign_id)


def snapshot(engine):
    with session_scope(engine) as s:
        return {table.__tablename__: sorted((tuple(r[1:]) for r in s.exec(select(*table.__table__.c)).all()),
                                            key=repr)
                for table in (VoteTally, AnswerTally, AnswerPattern)}


def vote(engine, unit_id, *, device=None, ip="198.51.100.7", at=MORNING, option="satisfied"):
    with session_scope(engine) as s:
        return record_vote(s, campaign_id=1, unit_id=unit_id, option=option, device_id=device or new_device_id(),
                           ip=ip, now=at, salt=SALT)


def unit_ids(engine, campaign_id=1):
    with session_scope(engine) as s:
        return list(s.exec(select(Unit.id).where(Unit.campaign_id == campaign_id).order_by(Unit.position)).all())


def vote_tally(engine, **where):
    with session_scope(engine) as s:
        rows = s.exec(select(VoteTally.status, VoteTally.n)).all() if not where else s.exec(
            select(VoteTally.status, VoteTally.n).where(*(getattr(VoteTally, k) == v for k, v in where.items()))).all()
    found = {}
    for status, n in rows:
        found[status] = found.get(status, 0) + n
    return {k: v for k, v in found.items() if v}


def test_votes_bursts_and_rulings_move_the_tallies_exactly(scheme_engine, admin):
    units = unit_ids(scheme_engine)
    for k in range(5):
        vote(scheme_engine, units[0], option=("satisfied", "dissatisfied")[k % 2], at=MORNING + timedelta(minutes=k))
    for k in range(12):  # a scripted burst: the whole run is flagged, the votes already in it too
        vote(scheme_engine, units[1], ip="192.0.2.1", at=MORNING + timedelta(seconds=k))
    assert differences(scheme_engine, 1) == []
    assert vote_tally(scheme_engine, unit_id=units[1]) == {"flagged": 12}
    with session_scope(scheme_engine) as s:
        ids = [v.id for v in list_votes(s, actor=admin, campaign_id=1, status="flagged")]
        rule_on_votes(s, actor=admin, vote_ids=ids, decision="rejected", reason="刷票")
    with session_scope(scheme_engine) as s:
        rule_on_votes(s, actor=admin, vote_ids=ids[:5], decision="admitted", reason="复核")
    assert vote_tally(scheme_engine, unit_id=units[1]) == {"rejected": 7, "admitted": 5}
    assert differences(scheme_engine, 1) == []


def test_a_refused_vote_or_ruling_leaves_the_tallies_unchanged(scheme_engine, admin):
    units = unit_ids(scheme_engine)
    device = new_device_id()
    assert vote(scheme_engine, units[0], device=device).recorded
    before = snapshot(scheme_engine)
    assert vote(scheme_engine, units[0], device=device, option="dissatisfied").refusal.key == "poll.already_voted"
    assert vote(scheme_engine, units[0], option="nonsense").refusal.key == "poll.unknown_option"
    with pytest.raises(UserError), session_scope(scheme_engine) as s:  # an accepted vote cannot be ruled on
        rule_on_votes(s, actor=admin, vote_ids=[v.id for v in list_votes(s, actor=admin, campaign_id=1)],
                      decision="rejected", reason="x")
    assert snapshot(scheme_engine) == before
    assert differences(scheme_engine, 1) == []


def test_random_sequences_of_writes_keep_tallies_equal_to_the_raw_rows(scheme_engine, admin):
    rng = random.Random(7)
    units = unit_ids(scheme_engine)[:4]
    devices = [new_device_id() for _ in range(12)]
    clock = MORNING
    for step in range(120):
        action = rng.random()
        clock += timedelta(seconds=rng.choice((2, 30, 900, 7200)))
        if action < 0.6:  # single votes from a few devices and networks (repeats are refused)
            vote(scheme_engine, rng.choice(units), device=rng.choice(devices), ip=f"192.0.2.{rng.randrange(3)}",
                 at=clock, option=rng.choice(("satisfied", "basically_satisfied", "dissatisfied")))
        elif action < 0.75:  # a scripted burst from one network: flagged, with the votes just before it
            unit, ip = rng.choice(units), f"203.0.113.{rng.randrange(3)}"
            for k in range(rng.randint(3, 12)):
                vote(scheme_engine, unit, ip=ip, at=clock + timedelta(seconds=k),
                     option=rng.choice(("satisfied", "dissatisfied")))
            clock += timedelta(seconds=20)
        else:  # an admin rules on some of the votes set aside (or revisits an earlier ruling)
            with session_scope(scheme_engine) as s:
                ruled = s.exec(select(PollVote.id).where(PollVote.status != "accepted")).all()
                if ruled:
                    rule_on_votes(s, actor=admin, vote_ids=rng.sample(ruled, rng.randint(1, len(ruled))),
                                  decision=rng.choice(("admitted", "rejected")), reason="复核")
        if step % 30 == 29:
            assert differences(scheme_engine, 1) == []
    with session_scope(scheme_engine) as s:
        assert len(set(s.exec(select(PollVote.status)).all())) == 4  # the sequence did reach the rulings
    assert differences(scheme_engine, 1) == []


def test_submitted_questionnaires_are_tallied_and_rehearsals_never(panel, admin, monkeypatch):  # noqa: F811
    engine, issued = panel
    # Batches of one: each submission is released (and tallied) at once (db.ballot_box holds ten of a group).
    monkeypatch.setattr(ballot_box, "RELEASE_AT", 1)
    for k, option in enumerate(("satisfied", "dissatisfied")):
        ballot = open_(engine, issued[k].token)
        answer_all(engine, ballot.token_hash, option=option)
        with session_scope(engine) as s:
            submit(s, token=ballot.token_hash)
    # An incomplete questionnaire is refused, and the tallies stay as they were.
    before = snapshot(engine)
    draft = open_(engine, issued[2].token)
    with pytest.raises(UserError, match="unanswered"), session_scope(engine) as s:
        submit(s, token=draft.token_hash)
    assert snapshot(engine) == before
    with session_scope(engine) as s:
        set_rehearsal(s, actor=admin, year=2017, on=True)
        [code] = issue_ballots(s, actor=admin, year=2017, group_code="cadre", count=1, rehearsal=True)
    rehearsal = open_(engine, code)
    answer_all(engine, rehearsal.token_hash, option="basically_satisfied")
    with session_scope(engine) as s:
        submit(s, token=rehearsal.token_hash)
    assert snapshot(engine) == before  # a rehearsal is never counted
    with session_scope(engine) as s:
        wipe_rehearsal(s, actor=admin, year=2017)
    assert snapshot(engine) == before
    assert differences(engine, ballot.campaign_id) == []
    with session_scope(engine) as s:
        patterns = s.exec(select(AnswerPattern.pattern, AnswerPattern.n)).all()
        dims = len(s.exec(select(Dimension.id).where(Dimension.campaign_id == ballot.campaign_id)).all())
    assert sorted(n for _, n in patterns) == [37, 37]  # 37 units, one pattern per questionnaire and unit
    assert {p for p, _ in patterns} == {"|".join([o] * dims) for o in ("satisfied", "dissatisfied")}


def test_unit_merge_demo_load_and_purge_keep_the_tallies_exact(scheme_engine, admin):
    units = unit_ids(scheme_engine)
    for k in range(3):
        vote(scheme_engine, units[5 + k % 2], at=MORNING + timedelta(minutes=k))
    with session_scope(scheme_engine) as s:
        codes = dict(s.exec(select(Unit.id, Unit.code).where(Unit.campaign_id == 1)).all())
        merge_units(s, actor=admin, campaign_id=1, code=codes[units[5]], into_code=codes[units[6]])
    assert vote_tally(scheme_engine, unit_id=units[6]) == {"accepted": 3}
    assert differences(scheme_engine) == {}
    load_demo(scheme_engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=500)
    with session_scope(scheme_engine) as s:
        assert s.exec(select(AnswerTally.id)).first() is not None
    assert differences(scheme_engine) == {}
    purge_demo(scheme_engine, actor=cli_actor())
    assert differences(scheme_engine) == {}
    assert vote_tally(scheme_engine) == {"accepted": 3}  # the office's own votes stay, the demo's go


def test_rebuild_repairs_tallies_that_drifted(scheme_engine):
    units = unit_ids(scheme_engine)
    vote(scheme_engine, units[0])
    with session_scope(scheme_engine) as s:
        tallies.add_vote(s, campaign_id=1, unit_id=units[0], day=MORNING.date(), option="dissatisfied",
                         status="accepted", n=4)
    [drift] = differences(scheme_engine, 1)
    assert (drift.table, drift.tally, drift.raw) == ("votetally", 4, 0)
    with session_scope(scheme_engine) as s:
        tallies.rebuild(s)
    assert differences(scheme_engine, 1) == []


def test_migration_backfills_the_tallies_of_existing_rows(db_url):
    from alembic import command

    engine = make_engine(db_url)
    init_database(engine, actor=cli_actor())  # at head; the rows below go in, then back to 0008 and up again
    with session_scope(engine) as s:
        units = s.exec(select(Unit.id).where(Unit.campaign_id == 1).order_by(Unit.position)).all()[:3]
        dims = s.exec(select(Dimension.id).where(Dimension.campaign_id == 1).order_by(Dimension.position)).all()
        group = s.exec(select(ReviewerGroup.id).where(ReviewerGroup.campaign_id == 1)).first()
        for k in range(9):
            s.add(PollVote(campaign_id=1, unit_id=units[k % 3], option="satisfied", device_hash=f"d{k}",
                           network_hash="n", day=MORNING.date(), status=("accepted", "flagged", "rejected")[k % 3]))
        for status, rehearsal in (("submitted", False), ("submitted", True), ("draft", False)):
            response = Response(campaign_id=1, group_id=group, status=status, rehearsal=rehearsal)
            s.add(response)
            s.flush()
            for u in units:
                for d in dims[: len(dims) - (u == units[0])]:  # the first unit misses its last dimension
                    s.add(Answer(response_id=response.id, unit_id=u, dimension_id=d, option="satisfied"))
    config = migrate._config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    assert migrate.current(engine) == "0008"
    migrate.upgrade(engine)
    assert differences(engine) == {}
    with session_scope(engine) as s:
        assert s.exec(select(AnswerPattern.n).where(AnswerPattern.pattern.endswith("|"))).all() == [1]
        assert sum(s.exec(select(VoteTally.n)).all()) == 9
    engine.dispose()


def test_cronbach_from_patterns_equals_the_textbook_computation():
    scores = {"satisfied": 100.0, "basically_satisfied": 70.0, "dissatisfied": 0.0}
    rows = [["satisfied", "satisfied", "basically_satisfied"], ["dissatisfied", "basically_satisfied", "dissatisfied"],
            ["satisfied", "unknown", "satisfied"], ["basically_satisfied", "basically_satisfied", "satisfied"],
            ["satisfied", "satisfied", "basically_satisfied"]]
    counted: dict[tuple, int] = {}
    for row in rows:
        counted[tuple(row)] = counted.get(tuple(row), 0) + 1
    m = moments_from_patterns(((list(p), n) for p, n in counted.items()), scores, 3)
    assert m.n == 4
    from core.reliability import cronbach_alpha_from_moments

    complete = [[scores[o] for o in row] for row in rows if all(o in scores for o in row)]
    assert cronbach_alpha_from_moments(m) == pytest.approx(cronbach_alpha(complete))


def test_check_tallies_command_reports_and_rebuilds(scheme_engine, db_url):
    from tests.test_cli import run

    vote(scheme_engine, unit_ids(scheme_engine)[0])
    assert run("check-tallies", url=db_url).returncode == 0
    with session_scope(scheme_engine) as s:
        s.exec(delete(VoteTally))  # drift, as a hand-made change to the raw rows would leave it
    found = run("check-tallies", url=db_url)
    assert found.returncode == 1 and "tally 0, raw 1" in found.stdout
    rebuilt = run("check-tallies", "--rebuild", url=db_url)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert differences(scheme_engine) == {}
