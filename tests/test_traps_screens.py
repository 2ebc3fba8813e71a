"""Issue 26 §4, the office's screens (AppTest): what a careful person expects after each step."""

from __future__ import annotations

from db.access import Actor
from db.engine import session_scope
from db.reviewer_pool import import_pool
from tests.support.apptest import app_database, open_app
from tests.support.pool_files import csv_bytes, people
from ui.i18n import catalogue

ADMIN = Actor("admin", "admin")


def by_label(widgets, key: str):
    [widget] = [w for w in widgets if w.label == catalogue("zh")[key]]
    return widget


def test_after_a_draw_the_redraw_form_starts_empty_and_unconfirmed(tmp_path, monkeypatch):
    engine = app_database(tmp_path, monkeypatch)
    with session_scope(engine) as s:
        import_pool(s, actor=ADMIN, year=2017, content=csv_bytes(people([20] * 6)), filename="pool.csv")
    at = open_app("draw", ADMIN)
    at.number_input[0].set_value(24).run()
    by_label(at.text_input, "draw.seed").input("2017-11-30 福彩3D 123").run()
    by_label(at.checkbox, "draw.confirm").check().run()
    by_label(at.button, "draw.perform").click().run()
    assert not at.exception
    seed = by_label(at.text_input, "draw.seed")
    assert seed.value == ""  # not the seed just used
    assert not any(box.value for box in at.checkbox)  # nothing ticked under the button
    seed.input("2017-11-30 福彩3D 123").run()  # the same seed again: said, and a reason is needed
    assert any("相同" in w.value for w in at.warning)
    assert by_label(at.button, "draw.perform").disabled


def test_a_new_account_has_no_role_until_chosen_and_appears_in_the_table_at_once(tmp_path, monkeypatch):
    app_database(tmp_path, monkeypatch)
    at = open_app("users", ADMIN)
    role = at.selectbox(key="new_role")
    assert role.value is None  # never 管理员 by default
    by_label(at.text_input, "users.username").input("zhang")
    by_label(at.button, "users.create").click().run()
    assert any("选择角色" in e.value for e in at.error)
    by_label(at.text_input, "users.username").input("zhang")
    at.selectbox(key="new_role").set_value("inspector")
    by_label(at.button, "users.create").click().run()
    assert not at.exception and not at.error
    assert "zhang" in list(at.dataframe[0].value[catalogue("zh")["users.username"]])
    assert any("zhang" in s.value for s in at.success)  # the one-time password, shown once


def scored_twice(engine):
    """Two versions of 2017's results: the second after only the method weights changed."""
    from copy import deepcopy

    from db.campaigns import get_campaign, update_settings
    from db.models import DailyScore
    from db.scoring import score_campaign
    from db.units import list_units

    with session_scope(engine) as s:
        campaign = get_campaign(s, 2017)
        s.add_all([DailyScore(campaign_id=campaign.id, unit_id=u.id, score=60 + k % 40)
                   for k, u in enumerate(list_units(s, campaign_id=campaign.id, include_inactive=False))])
    with session_scope(engine) as s:
        score_campaign(s, campaign.id, ADMIN, replicates=20, draws=20)
        settings = deepcopy(get_campaign(s, 2017).settings)
        settings["method_weights"].update(online=20, daily=20)
        update_settings(s, actor=ADMIN, year=2017, settings=settings)
    with session_scope(engine) as s:
        score_campaign(s, campaign.id, ADMIN, replicates=20, draws=20)


def test_comparing_versions_names_settings_in_words_and_says_only_the_settings_differ(tmp_path, monkeypatch):
    engine = app_database(tmp_path, monkeypatch)
    scored_twice(engine)
    at = open_app("results", ADMIN)
    assert not at.exception
    said = " ".join(m.value for m in at.markdown)
    assert catalogue("zh")["traps.setting.same_data"] in said
    assert catalogue("zh")["results.other_inputs"] not in said
    [table] = [d.value for d in at.dataframe if catalogue("zh")["results.col.setting"] in d.value.columns]
    rows = {row[0]: (row[1], row[2]) for row in table.itertuples(index=False)}
    assert rows["评价方式权重 · 大数据评议"] == ("25", "20")
    assert rows["评价方式权重 · 日常工作评价"] == ("15", "20")
    assert not any("method_weights" in label for label in rows)
    # The workbook says when it was computed as the pages do: Beijing time, to the second.
    import io
    import re

    from openpyxl import load_workbook

    from db.scoring import result_document
    from documents.workbook import workbook_bytes

    with session_scope(engine) as s:
        book = load_workbook(io.BytesIO(workbook_bytes(result_document(s, 2))))
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True)}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）", about["计算时间"])


def test_a_liaison_lands_on_their_own_unit_without_the_purge_command(tmp_path, monkeypatch):
    from db.campaigns import get_campaign

    engine = app_database(tmp_path, monkeypatch)
    with session_scope(engine) as s:
        campaign = get_campaign(s, 2017)
        campaign.is_demo = True  # a demo year: the banner shows
        s.add(campaign)
    at = open_app(None, Actor("liu", "liaison", "es03"))
    assert not at.exception
    assert at.title[0].value == "区教育局"
    banner = " ".join(i.value for i in at.info)
    assert "演示数据" in banner and "purge-demo" not in banner
    assert "home.units" not in str(at.metric) and not at.metric  # no overview of the whole campaign
    admin = open_app(None, ADMIN)
    assert "purge-demo" in " ".join(i.value for i in admin.info)


def test_a_liaison_reads_state_and_deadlines_first_and_no_unit_column(tmp_path, monkeypatch):
    from core.clock import office_today
    from core.poll import new_device_id
    from db.access import cli_actor
    from db.campaigns import copy_campaign
    from db.complaints.intake import vote
    from db.units import list_units

    engine = app_database(tmp_path, monkeypatch)
    year = office_today().year
    with session_scope(engine) as s:
        campaign = copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=year)
    with session_scope(engine) as s:
        es01 = next(u for u in list_units(s, campaign_id=campaign.id) if u.code == "es01")
        vote(s, campaign_id=campaign.id, unit_id=es01.id, option="dissatisfied", device_id=new_device_id(),
             ip="10.0.0.1",
             comment="窗口工作人员未一次性告知所需材料，跑了三趟", salt="x")
    at = open_app("complaints", Actor("liu", "liaison", "es01"), )  # the newest campaign
    assert not at.exception
    zh = catalogue("zh")
    [columns] = [list(d.value.columns) for d in at.dataframe if zh["complaints.col.comment"] in d.value.columns]
    assert zh["complaints.col.unit"] not in columns
    assert columns.index(zh["complaints.col.state"]) < columns.index(zh["complaints.col.comment"])
    assert columns.index(zh["complaints.col.close_due"]) < columns.index(zh["complaints.col.comment"])


def test_a_borderline_unit_is_shown_the_range_that_makes_it_borderline(tmp_path, monkeypatch):
    from sqlmodel import select

    from db.models import ResultUnit, Unit
    from db.scoring import publish

    engine = app_database(tmp_path, monkeypatch)
    scored_twice(engine)
    with session_scope(engine) as s:
        row = s.exec(select(ResultUnit).join(Unit, Unit.id == ResultUnit.unit_id)
                     .where(ResultUnit.result_id == 2, Unit.code == "es01")).one()
        # As the scoring writes it for a unit whose sampling rank range straddles the quota's last place,
        # while its rank range under weight changes is one place.
        explanation = dict(row.explanation)
        explanation["uncertainty"] = {**explanation["uncertainty"], "bootstrap_rank": [4, 7], "borderline": ["quota"]}
        explanation["grade"] = {**explanation["grade"], "quota": {**explanation["grade"]["quota"], "limit": 5}}
        row.explanation, row.borderline, row.rank_low, row.rank_high = explanation, True, 6, 6
        s.add(row)
    with session_scope(engine) as s:
        publish(s, 2, ADMIN)
    at = open_app("feedback", ADMIN)
    at.selectbox(key="feedback_unit").set_value("es01").run()
    said = " ".join(c.value for c in at.caption)
    assert "名次范围为 4 – 7" in said and "第 5 名" in said


def test_lists_are_joined_the_way_each_language_writes_them(monkeypatch):
    import streamlit as st

    from ui.i18n import joined

    monkeypatch.setitem(st.session_state, "lang", "en")
    assert joined(["CSV", "XLSX"]) == "CSV, XLSX"
    monkeypatch.setitem(st.session_state, "lang", "zh")
    assert joined(["CSV", "XLSX"]) == "CSV、XLSX"
