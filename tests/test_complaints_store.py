"""Complaints on SQLite and PostgreSQL: filing with the vote, the life cycle and every refused step,
liaison scoping, receipts as hashes only, phone numbers erased and never exported, held complaints."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from core.complaints import STATES, receipt_hash
from core.errors import Forbidden, NotFound, UserError
from core.poll import new_device_id
from db.access import Actor
from db.complaints import handling, intake
from db.engine import session_scope
from db.models import AuditEvent, Complaint, PollVote, Unit
from db.poll import rule_on_votes

SALT = "test-salt"
MORNING = datetime(2017, 6, 1, 0, 30, tzinfo=UTC)  # Thursday 1 June 2017, 08:30 at the office
ADMIN, LEADER = Actor("admin", "admin"), Actor("wang", "leader")
LIAISON, OTHER = Actor("li", "liaison", "es01"), Actor("zhao", "liaison", "es02")


def units(engine):
    with session_scope(engine) as s:
        return dict(s.exec(select(Unit.code, Unit.id).where(Unit.campaign_id == 1)).all())


def file(engine, unit_id, *, comment="窗口人员态度差，等了两个小时", option="dissatisfied", ip="198.51.100.7",
         at=MORNING, source=""):
    with session_scope(engine) as s:
        return intake.vote(s, campaign_id=1, unit_id=unit_id, option=option, device_id=new_device_id(), ip=ip,
                           comment=comment, salt=SALT, source=source, now=at)


def do(engine, fn, **kw):
    with session_scope(engine) as s:
        return fn(s, **kw)


PHONE, OTHER_PHONE = "a" * 32, "b" * 32  # two browsers' device ids (as ui.device makes them)


def ask(engine, fn, device_id=PHONE, **kw):
    """A citizen's receipt look-up (or call-back, or rating) from a browser, PHONE unless told."""
    return do(engine, fn, device_id=device_id, **kw)


@pytest.fixture
def es01(scheme_engine):
    return units(scheme_engine)["es01"]


def test_a_dissatisfied_vote_with_a_comment_files_a_complaint_with_a_receipt_stored_only_as_hash(scheme_engine, es01):
    filed = file(scheme_engine, es01, source="hall3")
    assert filed.vote.status == "accepted" and filed.receipt and len(filed.receipt) == 19
    assert filed.receipt.count("-") == 3
    with session_scope(scheme_engine) as s:
        c = s.get(Complaint, filed.complaint_id)
        assert c.state == "received" and c.received_on == date(2017, 6, 1)
        assert c.receipt_hash == receipt_hash(filed.receipt)
        assert s.get(PollVote, c.vote_id).source == "HALL3"
        # The plain code is nowhere in the database.
        plain = filed.receipt.replace("-", "")
        for table in ("complaint", "pollvote", "auditevent", "attempt"):
            for row in s.exec(text(f"SELECT * FROM {table}")).all():
                assert all(filed.receipt not in str(v) and plain not in str(v) for v in row)
    # No complaint without a comment, or for another option.
    assert file(scheme_engine, es01, comment="").receipt is None
    assert file(scheme_engine, es01, option="basically_satisfied").receipt is None


def test_life_cycle_rectified_then_follow_up(scheme_engine, es01):
    filed = file(scheme_engine, es01)
    cid = filed.complaint_id
    do(scheme_engine, handling.acknowledge, actor=LIAISON, complaint_id=cid, today=date(2017, 6, 2))
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=cid, found="窗口排队系统故障",
       done="已维修并增派人员", kind="rectified", today=date(2017, 6, 9))
    reply = ask(scheme_engine, intake.look_up, receipt=filed.receipt.lower().replace("-", " "), ip="203.0.113.9",
               salt=SALT).reply
    assert reply.state == "closed" and reply.done == "已维修并增派人员" and reply.may_rate
    rated = ask(scheme_engine, intake.rate_handling, receipt=filed.receipt, option="basically_satisfied",
               ip="203.0.113.9", salt=SALT)
    assert rated.reply.follow_up == "basically_satisfied" and not rated.reply.may_rate
    again = ask(scheme_engine, intake.rate_handling, receipt=filed.receipt, option="satisfied", ip="203.0.113.9",
               salt=SALT)
    assert again.refusal.key == "complaints.rated_already"
    figures = {f.unit_code: f for f in do(scheme_engine, handling.unit_figures, actor=ADMIN, campaign_id=1,
                                           today=date(2017, 6, 30))}
    es = figures["es01"]
    assert es.complaints == 1 and es.closed == 1 and es.ack_on_time == 100 and es.closed_on_time == 100
    assert es.follow_up["basically_satisfied"] == 1 and es.satisfaction == 70
    assert es.median_days == 6  # 2..9 June 2017: Fri, Mon-Fri
    with session_scope(scheme_engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.entity == "complaint")
                                            .order_by(AuditEvent.id)).all()]
    assert actions == ["complaints.acknowledge", "complaints.close", "complaints.follow_up"]


def test_every_refused_step_changes_nothing(scheme_engine, es01):
    cid = file(scheme_engine, es01).complaint_id
    refusals = [
        (handling.close, dict(found="", done="x", kind="rectified"), "complaints.found_needed"),
        (handling.close, dict(found="x", done="", kind="rectified"), "complaints.done_needed"),
        (handling.close, dict(found="x", done="y", kind="lost"), "complaints.kind_needed"),
        (handling.rule_dispute, dict(ruling="upheld", reason="x"), "complaints.not_disputed"),
    ]
    for fn, kw, key in refusals:
        actor = ADMIN if fn is handling.rule_dispute else LIAISON
        with pytest.raises(UserError) as error:
            do(scheme_engine, fn, actor=actor, complaint_id=cid, **kw)
        assert error.value.key == key
    do(scheme_engine, handling.acknowledge, actor=LIAISON, complaint_id=cid)
    with pytest.raises(UserError, match="acknowledged already"):
        do(scheme_engine, handling.acknowledge, actor=LIAISON, complaint_id=cid)
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=cid, found="无此事", done="", kind="disputed")
    with pytest.raises(UserError) as error:
        do(scheme_engine, handling.close, actor=LIAISON, complaint_id=cid, found="x", done="y", kind="rectified")
    assert error.value.key == "complaints.disputed"
    with pytest.raises(Forbidden):  # only the office rules
        do(scheme_engine, handling.rule_dispute, actor=LIAISON, complaint_id=cid, ruling="excluded", reason="x")
    with pytest.raises(UserError) as error:
        do(scheme_engine, handling.rule_dispute, actor=ADMIN, complaint_id=cid, ruling="excluded", reason=" ")
    assert error.value.key == "complaints.reason_needed"
    with pytest.raises(Forbidden):
        do(scheme_engine, handling.acknowledge, actor=LEADER, complaint_id=cid)
    with session_scope(scheme_engine) as s:
        assert s.get(Complaint, cid).state == "disputed"
    do(scheme_engine, handling.rule_dispute, actor=ADMIN, complaint_id=cid, ruling="excluded",
       reason="监控录像显示当日窗口正常办理")
    with session_scope(scheme_engine) as s:
        c = s.get(Complaint, cid)
        assert c.state == "excluded" and c.ruling_reason.startswith("监控")
    for fn, kw in ((handling.acknowledge, {}), (handling.rule_dispute, dict(ruling="upheld", reason="x"))):
        with pytest.raises(UserError) as error:
            do(scheme_engine, fn, actor=ADMIN, complaint_id=cid, **kw)
        assert error.value.key == "complaints.finished"
    # Excluded: out of the count, still listed for the office and the unit (nothing deleted).
    figures = {f.unit_code: f for f in do(scheme_engine, handling.unit_figures, actor=ADMIN, campaign_id=1)}
    assert figures["es01"].complaints == 0 and figures["es01"].excluded == 1
    assert [r.state for r in do(scheme_engine, handling.list_complaints, actor=LIAISON, campaign_id=1)] == \
        ["excluded"]


def test_disputed_and_upheld_counts_as_closed(scheme_engine, es01):
    cid = file(scheme_engine, es01).complaint_id
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=cid, found="群众误解", done="", kind="disputed",
       today=date(2017, 6, 2))
    do(scheme_engine, handling.rule_dispute, actor=ADMIN, complaint_id=cid, ruling="upheld", reason="投诉属实")
    row = do(scheme_engine, handling.get_complaint, actor=LIAISON, complaint_id=cid)
    assert row.state == "closed" and row.ruling == "upheld" and row.acknowledged_on == date(2017, 6, 2)


def test_liaison_sees_and_changes_only_their_unit(scheme_engine):
    ids = units(scheme_engine)
    mine = file(scheme_engine, ids["es01"]).complaint_id
    theirs = file(scheme_engine, ids["es02"], ip="198.51.100.8").complaint_id
    listed = do(scheme_engine, handling.list_complaints, actor=LIAISON, campaign_id=1)
    assert [r.id for r in listed] == [mine]
    assert [r.id for r in do(scheme_engine, handling.list_complaints, actor=LIAISON, campaign_id=1,
                             unit_id=ids["es02"])] == []
    assert {r.id for r in do(scheme_engine, handling.list_complaints, actor=LEADER, campaign_id=1)} == {mine, theirs}
    for fn, kw in ((handling.get_complaint, {}), (handling.acknowledge, {}),
                   (handling.close, dict(found="x", done="y", kind="rectified"))):
        with pytest.raises(NotFound):
            do(scheme_engine, fn, actor=LIAISON, complaint_id=theirs, **kw)
    assert [f.unit_code for f in do(scheme_engine, handling.unit_figures, actor=LIAISON, campaign_id=1)] == ["es01"]
    nowhere = Actor("x", "liaison", "nope")
    assert do(scheme_engine, handling.list_complaints, actor=nowhere, campaign_id=1) == []
    assert b"es02" not in do(scheme_engine, handling.export_csv, actor=LIAISON, campaign_id=1)
    with pytest.raises(Forbidden):
        do(scheme_engine, handling.list_complaints, actor=Actor("i", "inspector"), campaign_id=1)
    for fn, kw in ((handling.unit_months, dict(unit_code="es01")), (handling.live_counts, dict(campaign_id=1)),
                   (handling.erase_phones, {}), (handling.rule_dispute, dict(complaint_id=mine, ruling="upheld",
                                                                            reason="x"))):
        with pytest.raises(Forbidden):
            do(scheme_engine, fn, actor=LIAISON, **kw)


def test_phone_with_consent_masked_for_readers_absent_from_exports_erased_on_schedule(scheme_engine, es01):
    filed = file(scheme_engine, es01)
    refused = ask(scheme_engine, intake.leave_phone, receipt=filed.receipt, phone="13812345678", consent=False,
                 ip="1.2.3.4", salt=SALT)
    assert refused.refusal.key == "complaints.consent_needed"
    bad = ask(scheme_engine, intake.leave_phone, receipt=filed.receipt, phone="12345", consent=True, ip="1.2.3.4",
             salt=SALT)
    assert bad.refusal.key == "complaints.bad_phone"
    with session_scope(scheme_engine) as s:
        assert s.get(Complaint, filed.complaint_id).phone is None
    ok = ask(scheme_engine, intake.leave_phone, receipt=filed.receipt, phone="138 1234 5678", consent=True,
             ip="1.2.3.4", salt=SALT, now=MORNING)
    assert ok.reply.phone_left
    cid = filed.complaint_id
    assert do(scheme_engine, handling.get_complaint, actor=LIAISON, complaint_id=cid).phone == "13812345678"
    assert do(scheme_engine, handling.get_complaint, actor=ADMIN, complaint_id=cid).phone == "13812345678"
    assert do(scheme_engine, handling.get_complaint, actor=LEADER, complaint_id=cid).phone == "138****5678"
    for actor in (ADMIN, LIAISON, LEADER):
        exported = do(scheme_engine, handling.export_csv, actor=actor, campaign_id=1).decode("utf-8-sig")
        assert "13812345678" not in exported and "5678" not in exported and ",yes" in exported
    with session_scope(scheme_engine) as s:
        assert all("13812345678" not in str(e.after) for e in s.exec(select(AuditEvent)).all())
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=cid, found="x", done="y", kind="rectified",
       today=date(2017, 6, 5))
    # Default: 30 days after closing. Not before.
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 7, 4)) == 0
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 7, 5)) == 1
    with session_scope(scheme_engine) as s:
        c = s.get(Complaint, cid)
        assert c.phone is None and c.phone_erased_at is not None
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "complaints.phone_erased")).one()
        assert event.after["complaints"] == [cid]
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 8, 1)) == 0
    late = ask(scheme_engine, intake.leave_phone, receipt=filed.receipt, phone="13812345678", consent=True,
              ip="1.2.3.4", salt=SALT)
    assert late.refusal.key == "complaints.phone_too_late"


def test_erase_days_follow_the_campaign_setting(scheme_engine, es01):
    with session_scope(scheme_engine) as s:
        from db.models import Campaign

        campaign = s.get(Campaign, 1)
        campaign.settings = {**campaign.settings, "complaints": {"ack_working_days": 1, "close_working_days": 15,
                                                                 "phone_erase_days": 0}}
        s.add(campaign)
    filed = file(scheme_engine, es01)
    ask(scheme_engine, intake.leave_phone, receipt=filed.receipt, phone="13812345678", consent=True, ip="1.2.3.4",
        salt=SALT, now=MORNING)
    do(scheme_engine, handling.close, actor=ADMIN, complaint_id=filed.complaint_id, found="x", done="y",
       kind="explained", today=date(2017, 6, 5))
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 6, 5)) == 1


def test_wrong_receipts_make_only_that_phone_wait_and_longer_each_time(scheme_engine, es01):
    filed = file(scheme_engine, es01)
    wrong = [f"AAAA-BBBB-CCCC-{k:04d}" for k in range(12)]
    keys = [ask(scheme_engine, intake.look_up, receipt=code, ip="192.0.2.1", salt=SALT, now=MORNING).refusal.key
            for code in wrong[:10]]
    assert keys == ["complaints.unknown_receipt"] * 9 + ["complaints.too_many"]  # the tenth starts a wait
    waiting = ask(scheme_engine, intake.look_up, receipt=filed.receipt, ip="192.0.2.1", salt=SALT, now=MORNING)
    assert waiting.refusal.key == "complaints.too_many" and waiting.refusal.params["minutes"] == 1
    # Another phone behind the same address is not affected; this phone's own receipt opens after the wait.
    assert ask(scheme_engine, intake.look_up, receipt=filed.receipt, ip="192.0.2.1", salt=SALT, now=MORNING,
               device_id=OTHER_PHONE).reply is not None
    after = MORNING + timedelta(minutes=1)
    assert ask(scheme_engine, intake.look_up, receipt=filed.receipt, ip="192.0.2.1", salt=SALT, now=after).reply
    # Each further miss doubles the wait.
    again = ask(scheme_engine, intake.look_up, receipt=wrong[10], ip="192.0.2.1", salt=SALT, now=after)
    assert again.refusal.params["minutes"] == 2
    with session_scope(scheme_engine) as s:  # nothing but keyed hashes
        stored = str(s.exec(text("SELECT * FROM attempt")).all())
    assert "192.0.2.1" not in stored and PHONE not in stored


def test_a_flagged_votes_complaint_waits_for_the_ruling(scheme_engine):
    ids = units(scheme_engine)
    # Ten votes for one unit from one network within a minute: a burst, set aside.
    filed = [file(scheme_engine, ids["es03"], ip="198.51.100.50", at=MORNING + timedelta(seconds=5 * k),
                  comment=f"投诉 {k}") for k in range(10)]
    assert filed[-1].vote.status == "flagged" and filed[-1].receipt
    held = filed[-1].complaint_id
    with session_scope(scheme_engine) as s:
        assert s.get(Complaint, held).state == "held"
    liaison = Actor("z", "liaison", "es03")
    # Earlier complaints whose votes the burst flagged afterwards are held back from the unit too.
    assert do(scheme_engine, handling.list_complaints, actor=liaison, campaign_id=1) == []
    assert len(do(scheme_engine, handling.list_complaints, actor=ADMIN, campaign_id=1)) == 10
    with pytest.raises(NotFound):
        do(scheme_engine, handling.acknowledge, actor=liaison, complaint_id=held)
    assert ask(scheme_engine, intake.look_up, receipt=filed[-1].receipt, ip="1.1.1.1", salt=SALT).reply.state == \
        "submitted"
    with session_scope(scheme_engine) as s:
        votes = list(s.exec(select(PollVote.id).where(PollVote.status == "flagged").order_by(PollVote.id)).all())
    do(scheme_engine, rule_on_votes, actor=ADMIN, vote_ids=votes[:5], decision="admitted", reason="同一办事大厅")
    do(scheme_engine, rule_on_votes, actor=ADMIN, vote_ids=votes[5:], decision="rejected", reason="刷票")
    visible = do(scheme_engine, handling.list_complaints, actor=liaison, campaign_id=1)
    assert len(visible) == 5 and all(r.state == "received" for r in visible)
    with session_scope(scheme_engine) as s:
        states = sorted(s.exec(select(Complaint.state).where(Complaint.unit_id == ids["es03"])).all())
    assert states.count("received") == 5 and states.count("dismissed") == 5, states


def test_overdue_by_working_days(scheme_engine, es01):
    cid = file(scheme_engine, es01).complaint_id  # Thursday 1 June 2017
    row = do(scheme_engine, handling.get_complaint, actor=ADMIN, complaint_id=cid, today=date(2017, 6, 2))
    assert row.ack_due == date(2017, 6, 2) and not row.ack_overdue
    assert row.close_due == date(2017, 6, 22)
    late = do(scheme_engine, handling.get_complaint, actor=ADMIN, complaint_id=cid, today=date(2017, 6, 5))
    assert late.ack_overdue and not late.close_overdue
    overdue = do(scheme_engine, handling.list_complaints, actor=ADMIN, campaign_id=1, overdue_only=True,
                 today=date(2017, 6, 5))
    assert [r.id for r in overdue] == [cid]
    live = do(scheme_engine, handling.live_counts, actor=LEADER, campaign_id=1, today=date(2017, 6, 5))
    assert live["open"] == 1 and live["overdue"] == 1


def test_complaints_are_scoring_inputs_so_a_changed_one_stops_publication(scheme_engine, es01):
    from db.scoring import current_hash, load_inputs

    cid = file(scheme_engine, es01).complaint_id
    today = date(2017, 6, 30)
    before = do(scheme_engine, current_hash, campaign_id=1, today=today)
    do(scheme_engine, handling.acknowledge, actor=LIAISON, complaint_id=cid, today=date(2017, 6, 2))
    assert do(scheme_engine, current_hash, campaign_id=1, today=today) != before
    inputs = do(scheme_engine, load_inputs, campaign_id=1, today=today)
    k = [u.code for u in inputs.units].index("es01")
    assert [(f.received_on, f.acknowledged_on) for f in inputs.complaints[k]] == [(date(2017, 6, 1),
                                                                                  date(2017, 6, 2))]
    assert sum(len(c) for c in inputs.complaints) == 1


def test_demo_has_complaints_in_every_state_and_purge_removes_exactly_them(engine):
    from db.access import cli_actor
    from db.bootstrap import init_database
    from db.demo.purge import purge_demo
    from db.demo.years import load_demo

    init_database(engine, actor=cli_actor())
    load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=6000)
    with session_scope(engine) as s:
        rows = s.exec(select(Complaint)).all()
        states = {c.state for c in rows}
        assert set(STATES) <= states, states
        assert all(c.is_demo for c in rows)
        closed = [c for c in rows if c.state == "closed"]
        assert all(c.found and c.closing_kind for c in closed)
        assert {c.follow_up for c in closed} >= {"satisfied", "basically_satisfied", "dissatisfied"}
        assert any(c.ruling == "upheld" for c in closed) and all(c.ruling_reason for c in rows if c.ruling)
        votes = {v.id: v for v in s.exec(select(PollVote).where(col(PollVote.id).in_([c.vote_id for c in rows])))}
        assert all(votes[c.vote_id].comment and votes[c.vote_id].option == "dissatisfied" for c in rows)
        assert all(votes[c.vote_id].status == "flagged" for c in rows if c.state == "held")
    own = file(engine, units(engine)["es01"]).complaint_id  # an office's real complaint survives the purge
    purge_demo(engine, actor=cli_actor())
    with session_scope(engine) as s:
        assert [c.id for c in s.exec(select(Complaint)).all()] == [own]


def test_wrong_receipts_from_one_phone_stop_no_other_phone(scheme_engine, es01):
    filed = file(scheme_engine, es01)
    for k in range(30):  # one phone behind a carrier's NAT types 30 wrong codes
        assert ask(scheme_engine, intake.look_up, receipt=f"AAAA-BBBB-CCCC-{k:04d}", ip="192.0.2.1",
                   salt=SALT).refusal is not None
    # Another phone behind the same address opens its receipt.
    assert ask(scheme_engine, intake.look_up, receipt=filed.receipt, ip="192.0.2.1", salt=SALT,
               device_id=OTHER_PHONE).reply is not None
