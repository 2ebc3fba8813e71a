"""Scoring in the store (SQLite and PostgreSQL): versions, publication, freezing, access, exports, CLI."""

from __future__ import annotations

import io
import json
from datetime import date

import docx
import openpyxl
import pytest
from sqlmodel import func, select

from core.errors import Forbidden, NotFound, UserError
from db.access import Actor, cli_actor
from db.campaigns import get_campaign
from db.demo.years import load_demo
from db.engine import session_scope
from db.models import AuditEvent, DailyScore, PollVote, Result, ResultUnit, Unit
from db.scoring import (
    compare,
    compute,
    get_result,
    latest_result,
    list_results,
    publish,
    result_document,
    result_rows,
    score_campaign,
)
from documents.circular import circular_bytes
from documents.workbook import workbook_bytes

ADMIN, LEADER, LIAISON = cli_actor(), Actor("wang", "leader"), Actor("li", "liaison", "es01")


@pytest.fixture
def scored(scheme_engine):
    """Two demo years (few votes): 2017 scored and published, 2018 scored and provisional."""
    load_demo(scheme_engine, actor=ADMIN, years=(2017, 2018), votes_per_year=3000)
    return scheme_engine


def campaign_id(session, year):
    return get_campaign(session, year).id


def test_demo_years_are_scored_and_the_earlier_published(scored):
    with session_scope(scored) as s:
        first = latest_result(s, campaign_id(s, 2017))
        second = latest_result(s, campaign_id(s, 2018))
        assert (first.status, second.status) == ("published", "provisional")
        assert first.is_demo and first.published_by == ADMIN.username
        units = s.exec(select(ResultUnit).where(ResultUnit.result_id == first.id)).all()
        assert len(units) == 37
        for unit in units:
            assert set(unit.components) == {"panel", "online", "inspection", "daily"}
            assert unit.grade in ("excellent", "qualified", "unqualified") and unit.rank >= 1
            assert unit.score_low <= unit.total <= unit.score_high
            assert 1 <= unit.rank_low <= unit.rank_high
        assert first.config["bootstrap_replicates"] == 1000 and len(first.input_hash) == 64


def test_publishing_freezes_and_scoring_again_makes_a_version(scored):
    with session_scope(scored) as s:
        cid = campaign_id(s, 2018)
        provisional = latest_result(s, cid)
        publish(s, provisional.id, ADMIN)
        frozen = [(r.unit_code, r.total, r.grade, r.rank) for r in result_rows(s, provisional.id)]
        with pytest.raises(UserError) as caught:
            publish(s, provisional.id, ADMIN)
        assert caught.value.key == "scoring.already_published"
    with session_scope(scored) as s:  # the office corrects a daily score after publication
        unit = s.exec(select(Unit).where(Unit.campaign_id == cid, Unit.code == "es03")).one()
        daily = s.exec(select(DailyScore).where(DailyScore.unit_id == unit.id)).one()
        daily.score = 20.0
        s.add(daily)
    with session_scope(scored) as s:
        assert [(r.unit_code, r.total, r.grade, r.rank) for r in result_rows(s, provisional.id)] == frozen
        newer = score_campaign(s, cid, ADMIN)
        assert newer.version == provisional.version + 1 and newer.status == "provisional"
        assert newer.input_hash != provisional.input_hash
        diff = compare(s, provisional.id, newer.id)
        assert not diff["same_inputs"] and diff["settings"] == []
        changed = {u["unit_code"]: u for u in diff["units"] if u["changed"]}
        assert "es03" in changed and changed["es03"]["delta"] < 0
    with session_scope(scored) as s:
        events = s.exec(select(AuditEvent.action).where(AuditEvent.entity == "result")).all()
        assert events.count("result.publish") == 2 and events.count("result.score") == 3


def test_a_version_is_not_published_once_its_inputs_changed(scored):
    with session_scope(scored) as s:
        cid = campaign_id(s, 2018)
        result = latest_result(s, cid)
        unit_id = s.exec(select(Unit.id).where(Unit.campaign_id == cid, Unit.code == "ps01")).one()
        s.add(PollVote(campaign_id=cid, unit_id=unit_id, option="dissatisfied", device_hash="d" * 64,
                       network_hash="n" * 64, day=date(2018, 6, 1)))
    with session_scope(scored) as s, pytest.raises(UserError) as caught:
        publish(s, result.id, ADMIN)
    assert caught.value.key == "scoring.stale"
    with session_scope(scored) as s:
        assert s.get(Result, result.id).status == "provisional"


def test_flagged_votes_are_set_aside_not_counted(scored):
    with session_scope(scored) as s:
        cid = campaign_id(s, 2018)
        before = {u.code: u for u in compute(s, cid, replicates=0, draws=0).units}
        unit_id = s.exec(select(Unit.id).where(Unit.campaign_id == cid, Unit.code == "ps02")).one()
        for k in range(30):
            s.add(PollVote(campaign_id=cid, unit_id=unit_id, option="satisfied", device_hash=f"{k:064d}",
                           network_hash="f" * 64, day=date(2018, 7, 1), status="flagged", flag_reason="burst"))
        s.flush()
        after = {u.code: u for u in compute(s, cid, replicates=0, draws=0).units}
        assert after["ps02"].total == before["ps02"].total
        poll_before = before["ps02"].explanation["online"]["poll"]
        poll_after = after["ps02"].explanation["online"]["poll"]
        assert poll_after["set_aside"] == poll_before["set_aside"] + 30
        assert poll_after["counted"] == poll_before["counted"]
        s.rollback()


def test_who_may_see_and_do_what(scored):
    with session_scope(scored) as s:
        cid = campaign_id(s, 2018)
        provisional = latest_result(s, cid)
        assert list_results(s, cid, actor=LEADER) == []
        assert [r.id for r in list_results(s, cid, actor=ADMIN)] == [provisional.id]
        with pytest.raises(NotFound):
            get_result(s, provisional.id, actor=LEADER)
        with pytest.raises(Forbidden):
            list_results(s, cid, actor=LIAISON)
        with pytest.raises(Forbidden):
            score_campaign(s, cid, LEADER)
        with pytest.raises(Forbidden):
            publish(s, provisional.id, Actor("zhao", "analyst"))
        published = latest_result(s, campaign_id(s, 2017), published_only=True)
        assert get_result(s, published.id, actor=LEADER).id == published.id


def test_exports_open_and_hold_every_unit(scored):
    with session_scope(scored) as s:
        result = latest_result(s, campaign_id(s, 2017))
        document = result_document(s, result.id)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(document)))
    assert book.sheetnames[:4] == ["说明", "经济和社会事业发展类", "城市管理和执法监督类", "公共服务企业类"]
    ranked = [row for name in book.sheetnames[1:4] for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert len(ranked) == 37 and {row[2] for row in ranked} <= {"优秀", "合格", "不合格"}
    assert any(result.input_hash == cell.value for row in book["说明"].iter_rows() for cell in row)
    circular = docx.Document(io.BytesIO(circular_bytes(document, issued_on=date(2018, 1, 10))))
    text = "\n".join(p.text for p in circular.paragraphs)
    assert "关于2017年度履职尽责督促检查结果的通报" in text and "2018年1月10日" in text
    assert all(row.unit_name in text for row in document.rows)
    assert len(circular.tables) == 3


def test_weights_that_do_not_add_up_refuse_to_score(scored):
    with session_scope(scored) as s:
        campaign = get_campaign(s, 2018)
        bad = {**campaign.settings, "method_weights": {"panel": 50, "online": 25, "inspection": 20, "daily": 15}}
        with pytest.raises(UserError) as caught:
            compute(s, campaign.id, settings=bad)
        assert "110" in caught.value.english()
        count = s.exec(select(func.count()).select_from(Result)).one()
    assert count == 2


def test_cli_prints_provisional_results(scored, monkeypatch, capsys):
    from db.commands import main

    monkeypatch.setenv("DATABASE_URL", scored.url.render_as_string(hide_password=False))
    assert main(["score", "--campaign", "2018", "--json", "--replicates", "50", "--draws", "50"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["campaign"] == 2018 and len(printed["units"]) == 37 and printed["version"] is None
    assert printed["config"]["interval_method"] == "rescaled_bootstrap_t"
    assert main(["score", "--campaign", "2018", "--save", "--replicates", "0", "--draws", "0"]) == 0
    assert "stored as provisional version 2" in capsys.readouterr().out
    assert main(["publish", "--campaign", "2018", "--version", "2"]) == 0
    assert main(["publish", "--campaign", "2018", "--version", "9"]) == 1
    assert "no result version 9" in capsys.readouterr().err
