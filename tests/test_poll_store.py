"""Recording votes, abuse resistance and rulings on SQLite and PostgreSQL (the `db_url` fixtures)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from core.errors import Forbidden, UserError
from core.poll import new_device_id
from db.access import Actor
from db.engine import session_scope
from db.models import Attempt, AuditEvent, PollVote, Unit
from db.poll import (
    flagged_groups,
    list_votes,
    poll_campaign,
    record_vote,
    rule_on_votes,
    votes_by_day,
)
from ui.i18n import LANGUAGES, catalogue

SALT = "test-salt"
MORNING = datetime(2017, 6, 1, 0, 30, tzinfo=UTC)  # 08:30 at the office
LEADER, LIAISON = Actor("wang", "leader"), Actor("li", "liaison", "es01")


def vote(engine, unit_id, *, device=None, ip="198.51.100.7", at=MORNING, option="satisfied", comment=""):
    with session_scope(engine) as s:
        return record_vote(s, campaign_id=1, unit_id=unit_id, option=option, device_id=device or new_device_id(),
                           ip=ip, comment=comment, now=at, salt=SALT)


def unit_ids(engine):
    with session_scope(engine) as s:
        return list(s.exec(select(Unit.id).where(Unit.campaign_id == 1).order_by(Unit.position)).all())


def stored(engine, *where):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(PollVote).where(*where)).one()


def statuses(engine):
    with session_scope(engine) as s:
        return list(s.exec(select(PollVote.status).order_by(PollVote.id)).all())


@pytest.fixture
def units(scheme_engine):
    return unit_ids(scheme_engine)


def test_one_device_voting_100_times_for_a_unit_in_a_day_counts_once(scheme_engine, units):
    device = new_device_id()
    results = [vote(scheme_engine, units[0], device=device, at=MORNING + timedelta(minutes=5 * k),
                    option=("satisfied", "dissatisfied")[k % 2]) for k in range(100)]
    assert [r.status for r in results[:1]] == ["accepted"]
    assert {r.refusal.key for r in results[1:]} == {"poll.already_voted"}
    assert stored(scheme_engine) == 1
    assert vote(scheme_engine, units[1], device=device).recorded  # another unit the same day
    assert vote(scheme_engine, units[0], device=device, at=MORNING + timedelta(days=1)).recorded  # the next day


def test_the_office_day_decides_what_a_day_is(scheme_engine, units):
    device = new_device_id()
    late = datetime(2017, 6, 1, 15, 59, tzinfo=UTC)  # 23:59 in Beijing
    assert vote(scheme_engine, units[0], device=device, at=late).recorded
    assert not vote(scheme_engine, units[0], device=device, at=late - timedelta(hours=15)).recorded  # same day
    assert vote(scheme_engine, units[0], device=device, at=late + timedelta(minutes=2)).recorded  # 00:01 next day


def test_many_devices_behind_one_address_all_count_up_to_the_flood_limit(scheme_engine, units):
    results = [vote(scheme_engine, units[k % len(units)], at=MORNING + timedelta(seconds=3 * k), ip="203.0.113.9")
               for k in range(130)]
    assert [r.status for r in results[:120]] == ["accepted"] * 120  # NAT: 120 people, none set aside
    assert {r.refusal.key for r in results[120:]} == {"poll.flood"}
    assert stored(scheme_engine) == 120
    with session_scope(scheme_engine) as s:
        attempts = s.exec(select(Attempt)).all()
    assert len(attempts) == 10 and {a.kind for a in attempts} == {"poll_flood"}
    assert "203.0.113.9" not in attempts[0].subject_hash
    assert vote(scheme_engine, units[0], ip="203.0.113.10", at=MORNING + timedelta(seconds=400)).recorded
    assert vote(scheme_engine, units[0], ip="203.0.113.9", at=MORNING + timedelta(minutes=11)).recorded


def test_a_scripted_burst_is_flagged_and_kept(scheme_engine, units):
    results = [vote(scheme_engine, units[3], ip="192.0.2.50", at=MORNING + timedelta(seconds=2 * k),
                    option="satisfied") for k in range(15)]
    assert all(r.recorded for r in results)
    assert [r.status for r in results[9:]] == ["flagged"] * 6  # from the tenth vote on, it is a burst
    assert statuses(scheme_engine) == ["flagged"] * 15  # the first nine are set aside too
    with session_scope(scheme_engine) as s:
        [day] = votes_by_day(s, actor=LEADER, campaign_id=1)
        [group] = flagged_groups(s, actor=LEADER, campaign_id=1)
    assert (day.satisfied, day.flagged) == (0, 15)
    assert (group.reason, group.votes, group.networks, group.day) == ("burst", 15, 1, date(2017, 6, 1))
    assert group.last_at - group.first_at == timedelta(seconds=28)


def test_votes_at_machine_regular_gaps_are_flagged_whatever_their_network(scheme_engine, units):
    for k in range(12):
        vote(scheme_engine, units[5], ip=f"198.51.100.{k}", at=MORNING + timedelta(seconds=45 * k))
    assert statuses(scheme_engine) == ["flagged"] * 12
    with session_scope(scheme_engine) as s:
        assert {g.reason for g in flagged_groups(s, actor=LEADER, campaign_id=1)} == {"regular"}


def test_no_address_or_device_id_is_stored(scheme_engine, units):
    device, ip = new_device_id(), "198.51.100.77"
    vote(scheme_engine, units[0], device=device, ip=ip, comment="办事很快")
    with scheme_engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM pollvote")).one()
    assert not [value for value in row if isinstance(value, str) and (ip in value or device in value)]


@pytest.mark.parametrize(("change", "key"), [
    ({"comment": "太" * 201}, "poll.comment_too_long"),
    ({"option": "unknown"}, "poll.unknown_option"),
    ({"device": "not-a-device-id"}, "poll.no_device"),
    ({"unit": 99_999}, "poll.unknown_unit"),
    ({"at": datetime(2018, 3, 1, 2, tzinfo=UTC)}, "poll.closed"),
])
def test_bad_input_gets_a_clear_refusal_and_changes_nothing(scheme_engine, units, change, key):
    change = dict(change)  # the parameters are shared by both engines' runs
    unit = change.pop("unit", units[0])
    result = vote(scheme_engine, unit, **change)
    assert result.status == "refused" and result.refusal.key == key and result.vote_id is None
    assert stored(scheme_engine) == 0


def test_a_deactivated_or_merged_unit_takes_no_votes(scheme_engine, units):
    with session_scope(scheme_engine) as s:
        unit = s.get(Unit, units[2])
        unit.active = False
        s.add(unit)
    assert vote(scheme_engine, units[2]).refusal.key == "poll.unknown_unit"


def test_every_refusal_is_translated(scheme_engine, units):
    device = new_device_id()
    vote(scheme_engine, units[0], device=device)
    refusals = [vote(scheme_engine, units[0], device=device)]
    refusals += [vote(scheme_engine, units[0], comment="x" * 300), vote(scheme_engine, units[0], option="?"),
                 vote(scheme_engine, units[0], device="?"), vote(scheme_engine, 0),
                 vote(scheme_engine, units[0], at=datetime(2016, 1, 1, tzinfo=UTC))]
    keys = {r.refusal.key for r in refusals} | {"poll.flood"}
    for lang in LANGUAGES:
        assert keys <= set(catalogue(lang)), lang


def test_the_constraint_holds_when_one_device_votes_from_several_threads(scheme_engine, units):
    device = new_device_id()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: vote(scheme_engine, units[0], device=device), range(8)))
    assert sum(r.recorded for r in results) == 1 and stored(scheme_engine) == 1


def test_the_poll_campaign_is_the_one_whose_period_includes_the_day(scheme_engine):
    with session_scope(scheme_engine) as s:
        assert poll_campaign(s, today=date(2017, 6, 1)).year == 2017
        assert poll_campaign(s, today=date(2018, 6, 1)) is None


def burst(engine, unit_id, n=12):
    for k in range(n):
        vote(engine, unit_id, ip="192.0.2.1", at=MORNING + timedelta(seconds=k))


def test_an_admin_rules_on_flagged_votes_and_the_ruling_is_audited(scheme_engine, units, admin):
    burst(scheme_engine, units[0])
    with session_scope(scheme_engine) as s:
        ids = [v.id for v in list_votes(s, actor=admin, campaign_id=1, status="flagged")]
        assert rule_on_votes(s, actor=admin, vote_ids=ids, decision="rejected", reason="同一网络集中刷票") == 12
    assert statuses(scheme_engine) == ["rejected"] * 12
    with session_scope(scheme_engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "poll.ruling")).one()
        [day] = votes_by_day(s, actor=admin, campaign_id=1)
        # A ruling can be revisited: the office admits half of them after all.
        rule_on_votes(s, actor=admin, vote_ids=ids[:6], decision="admitted", reason="复核后认定为单位集体活动")
    assert event.actor == "admin" and event.campaign_id == 1
    assert event.after["decision"] == "rejected" and event.after["votes"] == 12 and event.before == {
        "statuses": {"flagged": 12}}
    assert (day.rejected, day.satisfied) == (12, 0)
    with session_scope(scheme_engine) as s:
        [day] = votes_by_day(s, actor=admin, campaign_id=1)
    assert (day.rejected, day.satisfied) == (6, 6)


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"decision": "deleted"}, "poll.bad_ruling"),
    ({"reason": "   "}, "poll.ruling_reason"),
    ({"reason": "理" * 201}, "poll.ruling_reason_long"),
    ({"vote_ids": []}, "poll.not_rulable"),
    ({"vote_ids": [99_999]}, "poll.not_rulable"),
])
def test_a_bad_ruling_is_refused_and_changes_nothing(scheme_engine, units, admin, kwargs, key):
    burst(scheme_engine, units[0])
    with session_scope(scheme_engine) as s:
        ids = [v.id for v in list_votes(s, actor=admin, campaign_id=1)]
    arguments = {"vote_ids": ids, "decision": "admitted", "reason": "ok", **kwargs}
    with pytest.raises(UserError) as refused, session_scope(scheme_engine) as s:
        rule_on_votes(s, actor=admin, **arguments)
    assert refused.value.key == key
    assert statuses(scheme_engine) == ["flagged"] * 12


def test_an_accepted_vote_is_not_ruled_on(scheme_engine, units, admin):
    result = vote(scheme_engine, units[0])
    with pytest.raises(UserError) as refused, session_scope(scheme_engine) as s:
        rule_on_votes(s, actor=admin, vote_ids=[result.vote_id], decision="rejected", reason="x")
    assert refused.value.key == "poll.not_rulable"


def test_only_the_office_rules_and_liaisons_see_no_votes(scheme_engine, units):
    burst(scheme_engine, units[0])
    with session_scope(scheme_engine) as s:
        ids = [v.id for v in list_votes(s, actor=LEADER, campaign_id=1)]
        with pytest.raises(Forbidden):
            rule_on_votes(s, actor=LEADER, vote_ids=ids, decision="admitted", reason="x")
        for view in (votes_by_day, flagged_groups, list_votes):
            with pytest.raises(Forbidden):
                view(s, actor=LIAISON, campaign_id=1)


def test_staff_views_count_in_sql_and_show_comments_as_typed(scheme_engine, units):
    vote(scheme_engine, units[0], option="satisfied", comment="窗口 <b>服务</b> 好")
    vote(scheme_engine, units[0], option="basically_satisfied")
    vote(scheme_engine, units[1], option="dissatisfied", comment="排队太久", at=MORNING + timedelta(days=1))
    with session_scope(scheme_engine) as s:
        days = votes_by_day(s, actor=LEADER, campaign_id=1)
        only_first = votes_by_day(s, actor=LEADER, campaign_id=1, unit_id=units[0])
        june_2 = votes_by_day(s, actor=LEADER, campaign_id=1, since=date(2017, 6, 2))
        comments = list_votes(s, actor=LEADER, campaign_id=1, with_comment=True)
    assert [(d.day, d.satisfied, d.basically_satisfied, d.dissatisfied) for d in days] == [
        (date(2017, 6, 2), 0, 0, 1), (date(2017, 6, 1), 1, 1, 0)]
    assert len(only_first) == 1 and [d.day for d in june_2] == [date(2017, 6, 2)]
    assert [c.comment for c in comments] == ["排队太久", "窗口 <b>服务</b> 好"]
    assert all(len(c.network) == 8 for c in comments)
