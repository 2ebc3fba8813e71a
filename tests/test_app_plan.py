"""The precision planner on /draw, driven as the office uses it (AppTest through app.py, real SQLite database)."""

from __future__ import annotations

import pytest

from db.access import Actor, cli_actor
from db.demo.years import load_demo
from tests.support.apptest import app_database, open_app, press, shown

ADMIN = Actor("admin", "admin")


@pytest.fixture
def engine(tmp_path, monkeypatch):
    engine = app_database(tmp_path, monkeypatch)
    load_demo(engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=2000)
    return engine


def plan_table(at):
    return next(d.value for d in at.dataframe if "评议人数" in d.value.columns or "Panel size" in d.value.columns)


def test_the_office_estimates_the_precision_of_each_panel_size_before_the_draw(engine):
    at = open_app("draw", ADMIN, state={"campaign_year": 2018})  # the default would be 2017, published
    assert not at.exception, at.exception
    assert "精度规划" in " ".join(e.proto.label for e in at.expander)
    source = next(s for s in at.selectbox if s.label == "离散程度和得分取自")
    assert source.options == ["2017"]
    press(at, "估计精度")
    table = plan_table(at)
    assert len(table) == 12 and list(table["评议人数"].unique()) == [100, 150, 200, 250, 300, 400]
    assert {"服务对象", "人大代表", "集中评议得分 ±", "综合得分 ±", "临界单位合计"} <= set(table.columns)
    row = table[(table["评议人数"] == 200) & (table["分配方式"] == "按比例分配")].iloc[0]
    assert sum(row[g] for g in ("服务对象", "人大代表", "政协委员", "行评代表", "机关干部", "社区群干")) == 200
    advice = next(str(e.value) for e in at.success if str(e.value).startswith("建议："))
    assert "临界单位" in advice and "人可使其为" in advice
    assert "离散程度" in " ".join(str(c.value) for c in at.caption)
    at.text_input[0].input("2018-11-30 福彩3D 123")  # typing the seed keeps the plan on screen, not recomputed
    at.run()
    assert not at.exception and len(plan_table(at)) == 12


def test_without_an_earlier_year_it_says_what_it_assumed(engine):
    # In Chinese: AppTest calls a selectbox's format_func outside the session, where t() cannot see "en".
    at = open_app("draw", ADMIN, state={"campaign_year": 2017})
    assert not at.exception, at.exception
    source = next(s for s in at.selectbox if s.label == "离散程度和得分取自")
    assert source.options == ["无往年数据"]
    press(at, "估计精度")
    assert "2016 年没有集中评议数据" in shown(at) and "均为 20.0 分" in shown(at)
    advice = next(str(e.value) for e in at.success if str(e.value).startswith("计划人数：200 人"))
    assert "无法估计临界单位数" in advice
    assert not any(column.startswith("临界单位") for column in plan_table(at).columns)
