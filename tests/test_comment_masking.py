"""Comments never identify the person who wrote them, on SQLite and PostgreSQL: a phone number, a WeChat
id and a home address typed into a poll comment, a complaint or an answer on it come back de-identified
(core.deidentify) from every store function and export that returns them, to leaders, analysts and the
unit's liaison; the office (admin) reads what was written."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from core.errors import Forbidden
from core.poll import new_device_id
from db.access import Actor
from db.complaints import handling, intake
from db.engine import session_scope
from db.models import Unit
from db.poll import list_votes

CITIZEN_DEVICE = "c" * 32  # the citizen's browser (a device id as ui.device makes it)

SALT = "test-salt"
MORNING = datetime(2017, 6, 1, 0, 30, tzinfo=UTC)  # Thursday 1 June 2017, 08:30 at the office
NUMBER, WECHAT, HOME = "13998765432", "wxid_zhang88", "3栋2单元501"
COMMENT = f"窗口人员态度恶劣，请回电{NUMBER}，微信 {WECHAT}，我家住幸福小区{HOME}室"
FOUND = f"已回电{NUMBER}，当面致歉"  # the unit's answer quoting the citizen's number
REASON = f"经核实投诉人所留电话{NUMBER}无人接听，所述不实"  # the office's ruling quoting it too
ADMIN, LEADER, ANALYST = Actor("admin", "admin"), Actor("wang", "leader"), Actor("chen", "analyst")
LIAISON = Actor("li", "liaison", "es01")
READERS = (ADMIN, LEADER, ANALYST, LIAISON)
PERSONAL = (NUMBER, WECHAT, HOME)
LABELS = ("【电话】", "【微信号】", "【住址】")


def do(engine, fn, **kw):
    with session_scope(engine) as s:
        return fn(s, **kw)


@pytest.fixture
def filed(scheme_engine):
    """Two complaints on es01 with the comment: one closed with FOUND, one disputed and ruled with REASON."""
    with session_scope(scheme_engine) as s:
        es01 = s.exec(select(Unit.id).where(Unit.campaign_id == 1, Unit.code == "es01")).one()
    filings = []
    for ip in ("198.51.100.7", "198.51.100.8"):
        with session_scope(scheme_engine) as s:
            filings.append(intake.vote(s, campaign_id=1, unit_id=es01, option="dissatisfied",
                                       device_id=new_device_id(), ip=ip, comment=COMMENT, salt=SALT, now=MORNING))
    closed, disputed = (f.complaint_id for f in filings)
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=closed, found=FOUND, done=f"今后按{NUMBER}回访",
       kind="rectified", today=date(2017, 6, 5))
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=disputed, found="无此事", done="", kind="disputed",
       today=date(2017, 6, 5))
    do(scheme_engine, handling.rule_dispute, actor=ADMIN, complaint_id=disputed, ruling="excluded", reason=REASON)
    return scheme_engine, closed, disputed, filings[0].receipt


def assert_masked(text: str, who: Actor) -> None:
    for part in PERSONAL:
        assert part not in text, (who.role, part, text)
    for label in LABELS:
        assert label in text, (who.role, label, text)


def assert_raw(text: str) -> None:
    assert COMMENT in text


def test_the_citizens_comment_is_masked_for_everyone_but_the_office_in_lists_details_and_exports(filed):
    engine, closed, _, _ = filed
    for actor in READERS:
        rows = do(engine, handling.list_complaints, actor=actor, campaign_id=1)
        assert len(rows) == 2, actor.role
        detail = do(engine, handling.get_complaint, actor=actor, complaint_id=closed)
        exported = do(engine, handling.export_csv, actor=actor, campaign_id=1).decode("utf-8-sig")
        in_export = [row["comment"] for row in csv.DictReader(io.StringIO(exported))]
        assert len(in_export) == 2
        for text in (*(r.comment for r in rows), detail.comment, *in_export):
            if actor is ADMIN:
                assert_raw(text)
            else:
                assert_masked(text, actor)


def test_the_answers_on_a_complaint_are_masked_for_leadership_and_as_written_for_the_unit_and_office(filed):
    engine, closed, disputed, _ = filed
    for actor in READERS:
        answered = do(engine, handling.get_complaint, actor=actor, complaint_id=closed)
        ruled = do(engine, handling.get_complaint, actor=actor, complaint_id=disputed)
        exported = do(engine, handling.export_csv, actor=actor, campaign_id=1).decode("utf-8-sig")
        if actor in (ADMIN, LIAISON):
            assert answered.found == FOUND and NUMBER in answered.done and ruled.ruling_reason == REASON
            assert FOUND in exported and REASON in exported
        else:
            texts = (answered.found, answered.done, ruled.ruling_reason)
            assert all(NUMBER not in text and "【电话】" in text for text in texts), (actor.role, texts)
            assert NUMBER not in exported


def test_poll_comments_on_votes_are_masked_for_leadership_and_raw_for_the_office(filed):
    engine, _, _, _ = filed
    for actor in (ADMIN, LEADER, ANALYST):
        votes = do(engine, list_votes, actor=actor, campaign_id=1, with_comment=True)
        assert len(votes) == 2
        for vote in votes:
            if actor is ADMIN:
                assert vote.comment == COMMENT
            else:
                assert_masked(vote.comment, actor)
    with pytest.raises(Forbidden):
        do(engine, list_votes, actor=LIAISON, campaign_id=1, with_comment=True)


def test_the_citizen_reads_their_own_comment_as_written(filed):
    engine, _, _, receipt = filed
    reply = do(engine, intake.look_up, device_id=CITIZEN_DEVICE, receipt=receipt, ip="203.0.113.9", salt=SALT).reply
    assert reply.comment == COMMENT and reply.found == FOUND
