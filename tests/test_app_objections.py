"""The objection period through app.py (AppTest): the office posts version 1 from /results, es01's
liaison sees it on /feedback marked 公示中 and files an objection, a leader sees nothing posted, the
office rules and is refused publication without a reason; /feedback's year box opens on the newest
year with something to show."""

from __future__ import annotations

import pytest
import streamlit as st

from db.access import cli_actor
from db.campaigns import copy_campaign
from db.engine import session_scope
from tests.support.apptest import app_database, open_app, press, run, shown
from tests.support.objections import ADMIN, LEADER, LIAISON, OTHER, small_campaign


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    engine = app_database(tmp_path_factory.mktemp("objections-app"), mp)
    small_campaign(engine)
    with session_scope(engine) as s:  # the running year, with nothing scored yet
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=2018)
    url = str(engine.url)
    engine.dispose()
    yield url
    mp.undo()


@pytest.fixture
def app(database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database)
    st.cache_data.clear()
    return database


def opened(page, actor, **state):
    at = open_app(page, actor, state=state)
    assert not at.exception, at.exception
    return at


def test_posting_objecting_ruling_and_the_year_box(app):
    # Nothing posted yet: the year box opens on 2018 and stays there (no year has a result for the unit).
    at = opened("feedback", LIAISON)
    assert "2018 年度评议结果尚未发布" in shown(at)

    # The office posts version 1 from /results.
    at = opened("results", ADMIN, campaign_year=2017)
    assert "结果公示与异议" in shown(at)
    at = press(at, "开启公示")
    assert "第 1 版结果公示中" in shown(at)

    # A liaison opening /feedback in the running year lands on 2017, marked 公示中; 2018 is one tap away.
    at = opened("feedback", LIAISON)
    assert [t.value for t in at.title] == ["2017 年度评议意见反馈"]
    text = shown(at)
    assert "公示中" in text and "区发改局(区统计局)" in text and "暂定结果第 1 版" in str([c.value for c in at.caption])
    assert [m.label for m in at.metric][:3] == ["等次", "总分", "类别内名次"]
    assert "评议人员和群众的评价本身不能提出异议" in text
    assert "feedback_letter" not in [getattr(b, "key", None) for b in at.get("download_button")]
    assert any(b.label == "查看 2018 年度(进行中)" for b in at.button)

    # Filing: the kind first, then the reason; a too-short reason is refused with a clear message.
    at.selectbox(key="objection_kind").set_value("daily")
    run(at)
    at.text_area(key="objection_reason_0").set_value("不对")
    at = press(at, "提交异议")
    assert "请用至少 10 个字写明哪里不对" in shown(at)
    at.text_area(key="objection_reason_0").set_value("日常评价得分漏记了第三季度的加分，应为95分")
    at = press(at, "提交异议")
    assert "待裁定" in shown(at) and "纠风办尚未裁定" in shown(at)

    # Another unit's liaison sees their own unit and none of es01's objections; a leader sees nothing posted.
    other = shown(opened("feedback", OTHER, campaign_year=2017, feedback_year_set=True))
    assert "公示中" in other and "漏记" not in other and "区发改局(区统计局)" not in other
    leader = opened("feedback", LEADER, campaign_year=2017, feedback_year_set=True)
    assert "2017 年度评议结果尚未发布" in shown(leader) and not leader.metric
    leader = opened("results", LEADER, campaign_year=2017)
    assert "第 1 版" not in shown(leader) and "结果公示与异议" not in shown(leader)

    # The office: publishing is refused while the period runs and the objection is unruled.
    at = opened("results", ADMIN, campaign_year=2017)
    assert "还有 1 件异议尚未裁定" in shown(at) and "结果公示期至" in shown(at)
    at.checkbox[0].check()
    at = press(at, "发布")
    assert "暂不能发布" in shown(at)
    # The ruling: dismissed, with its reason; the liaison reads both.
    at.radio(key=next(r.key for r in at.radio if r.key and r.key.startswith("obj_ruling_"))).set_value("dismissed")
    at.text_area(key=next(a.key for a in at.text_area if a.key and a.key.startswith("obj_reason_"))).set_value(
        "第三季度加分已计入，核对记录无误")
    at = press(at, "保存裁定")
    assert "不成立 1 件" in shown(at)
    at = opened("feedback", LIAISON, campaign_year=2017, feedback_year_set=True)
    assert "异议不成立" in shown(at) and "核对记录无误" in shown(at)
