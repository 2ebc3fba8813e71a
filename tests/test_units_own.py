"""The office's own units and years (issue 26 §2-3): add a unit and a category, import a unit list all or
nothing with every problem by row, start a year from a copy, a scheme file or empty, and the default year."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import select

from core import clock
from core.errors import UserError, ValidationError
from db.access import cli_actor
from db.campaigns import (
    DEFAULT_SCHEME,
    copy_campaign,
    default_campaign,
    get_campaign,
    parse_scheme,
    reviewer_groups,
    start_campaign,
)
from db.commands import main
from db.engine import session_scope
from db.models import AuditEvent, Campaign, Result
from db.units import (
    add_category,
    add_unit,
    categories,
    check_unit_file,
    import_units,
    list_units,
    suggest_code,
)
from tests.support.pool_files import csv_bytes, xlsx_bytes

HEADER = ["代码", "单位名称", "类别"]


def _copy(engine, year=2018):
    with session_scope(engine) as s:
        return copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=year).id


def _keys(error: ValidationError) -> list[str]:
    return [p.key for p in error.problems]


def test_add_a_category_and_a_unit_and_refuse_what_would_collide(scheme_engine):
    campaign_id = _copy(scheme_engine)
    with session_scope(scheme_engine) as s:
        add_category(s, actor=cli_actor(), campaign_id=campaign_id, code=" Town ", name_zh="街道办事处",
                     name_en="Sub-districts")
        unit = add_unit(s, actor=cli_actor(), campaign_id=campaign_id, code="town01", name=" 纱帽 街道办事处 ",
                        category_code="town")
        assert (unit.code, unit.name) == ("town01", "纱帽 街道办事处")
    with session_scope(scheme_engine) as s:
        rows = list_units(s, campaign_id=campaign_id)
        assert rows[-1].code == "town01" and rows[-1].category_code == "town" and len(rows) == 38
        assert categories(s, campaign_id=campaign_id)[-1].code == "town"
        assert suggest_code(s, campaign_id=campaign_id, category_code="economic_social") == "es19"
        assert suggest_code(s, campaign_id=campaign_id, category_code="town") == "town02"
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "unit.create")).first() is not None
    with pytest.raises(ValidationError) as refused, session_scope(scheme_engine) as s:
        add_unit(s, actor=cli_actor(), campaign_id=campaign_id, code="es01", name="区教育局", category_code="nope")
    assert set(_keys(refused.value)) == {"unit_list.form_category", "unit_list.code_taken", "unit_list.name_taken_form"}
    with pytest.raises(ValidationError) as refused, session_scope(scheme_engine) as s:
        add_unit(s, actor=cli_actor(), campaign_id=campaign_id, code="1x", name="=HYPERLINK()", category_code="town")
    assert _keys(refused.value) == ["unit_list.form_bad_code", "unit_list.form_formula"]
    with pytest.raises(ValidationError) as refused, session_scope(scheme_engine) as s:
        add_category(s, actor=cli_actor(), campaign_id=campaign_id, code="town", name_zh="街道办事处", name_en="")
    assert _keys(refused.value) == ["unit_list.category_names", "unit_list.category_code_taken"]
    with session_scope(scheme_engine) as s:
        assert len(list_units(s, campaign_id=campaign_id)) == 38  # nothing half-written


def test_a_unit_list_with_problems_is_refused_whole_with_every_problem_by_row(scheme_engine):
    campaign_id = _copy(scheme_engine)
    bad = csv_bytes([
        ["es01", "区发改局(区统计局)", "经济和社会事业发展类"],  # an existing unit, unchanged: fine
        ["Town01", "纱帽街道", "no such category"],
        ["town02", "", "economic_social"],
        ["town01", "邓南街道", "economic_social"],
        ["9bad", "=cmd|' /C calc'!A0", "urban_enforcement"],
        ["town03", "区教育局", "public_service"],  # the name of es-something already in the list
    ], header=HEADER)
    with session_scope(scheme_engine) as s:
        parsed = check_unit_file(s, campaign_id=campaign_id, content=bad, filename="单位名单.csv")
    found = [(p.row, p.column, p.error.key) for p in parsed.problems]
    assert found == [
        (3, "类别", "unit_list.unknown_category"),
        (4, "单位名称", "unit_list.empty_name"),
        (5, "代码", "unit_list.duplicate_code"),
        (6, "代码", "unit_list.bad_code"),
        (6, "单位名称", "unit_list.formula"),
        (7, "单位名称", "unit_list.name_taken"),
    ]
    with pytest.raises(ValidationError) as refused, session_scope(scheme_engine) as s:
        import_units(s, actor=cli_actor(), campaign_id=campaign_id, content=bad, filename="单位名单.csv")
    assert refused.value.key == "unit_list.invalid" and len(refused.value.problems) == 6
    with session_scope(scheme_engine) as s:
        assert len(list_units(s, campaign_id=campaign_id)) == 37


def test_a_clean_unit_list_imports_and_a_second_import_updates_in_place(scheme_engine):
    campaign_id = _copy(scheme_engine)
    good = xlsx_bytes([["town01", "纱帽街道", "经济和社会事业发展类"], ["ES02", "区财政局(新)", "public_service"]],
                      header=["单位代码", "名称", "类别"])
    with session_scope(scheme_engine) as s:
        report = import_units(s, actor=cli_actor(), campaign_id=campaign_id, content=good, filename="units.xlsx")
        assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    with session_scope(scheme_engine) as s:
        by_code = {u.code: u for u in list_units(s, campaign_id=campaign_id)}
        assert by_code["es02"].name == "区财政局(新)" and by_code["es02"].category_code == "public_service"
        assert by_code["town01"].category_code == "economic_social" and len(by_code) == 38
        again = import_units(s, actor=cli_actor(), campaign_id=campaign_id, content=good, filename="units.xlsx")
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_a_demo_year_takes_no_units_of_the_office(scheme_engine):
    campaign_id = _copy(scheme_engine)
    with session_scope(scheme_engine) as s:
        demo = s.get(Campaign, campaign_id)
        demo.is_demo = True  # as `python -m db demo` makes its years
        s.add(demo)
        with pytest.raises(UserError) as refused:
            add_unit(s, actor=cli_actor(), campaign_id=demo.id, code="town01", name="纱帽街道",
                     category_code="economic_social")
        assert refused.value.key == "unit_list.demo_year"


def test_a_new_year_from_a_scheme_file_an_empty_one_and_a_copy(scheme_engine):
    scheme = parse_scheme(DEFAULT_SCHEME.read_bytes(), name="2017.toml")
    with session_scope(scheme_engine) as s:
        from_scheme = start_campaign(s, actor=cli_actor(), year=2027, scheme=scheme)
        assert from_scheme.name_zh == "2027年度履职尽责督促检查" and not from_scheme.is_demo
        assert from_scheme.plan_due == date(2027, 5, 15) and from_scheme.starts_on == date(2027, 1, 1)
        assert from_scheme.panel_opens_at.replace(tzinfo=None) == datetime(2027, 12, 1, 0, 0)  # 08:00 Beijing
        assert len(list_units(s, campaign_id=from_scheme.id)) == 37
        empty = start_campaign(s, actor=cli_actor(), year=2028, empty=True)
        assert list_units(s, campaign_id=empty.id) == [] and categories(s, campaign_id=empty.id) == []
        assert len(reviewer_groups(s, empty.id)) == 6 and empty.settings["method_weights"]
        copied = start_campaign(s, actor=cli_actor(), year=2029, copy_from=2027)
        assert len(list_units(s, campaign_id=copied.id)) == 37
        for kwargs in ({}, {"empty": True, "copy_from": 2017}):
            with pytest.raises(UserError) as refused:
                start_campaign(s, actor=cli_actor(), year=2030, **kwargs)
            assert refused.value.key == "campaign.start_one"
        with pytest.raises(UserError) as refused:
            start_campaign(s, actor=cli_actor(), year=2027, empty=True)
        assert refused.value.key == "campaign.exists"
    with pytest.raises(UserError) as refused:
        parse_scheme(b"[campaign\nyear = 2027", name="mine.toml")
    assert refused.value.key == "scheme.syntax"


def test_the_default_year_is_the_one_running_today_else_published_else_newest(scheme_engine):
    with session_scope(scheme_engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=2026)
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=2027)
        assert default_campaign(s, date(2026, 12, 4)).year == 2026  # 2027 prepared ahead does not take over
        assert default_campaign(s, date(2027, 1, 4)).year == 2027
        assert default_campaign(s, date(2030, 6, 1)).year == 2027  # nothing running, nothing published: newest
        s.add(Result(campaign_id=get_campaign(s, 2017).id, version=1, status="published", input_hash="x"))
        s.flush()
        assert default_campaign(s, date(2030, 6, 1)).year == 2017
        assert s.exec(select(Campaign)).all()


def test_the_command_line_starts_a_year_and_imports_a_unit_list(scheme_engine, db_url, monkeypatch, capsys,
                                                                 tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["new-campaign", "--year", "2027", "--empty"]) == 0
    assert "2027 created from empty" in capsys.readouterr().out
    assert main(["new-campaign", "--year", "2027", "--copy-from", "2017"]) == 1
    assert "exists already" in capsys.readouterr().err
    with session_scope(scheme_engine) as s:
        add_category(s, actor=cli_actor(), campaign_id=get_campaign(s, 2027).id, code="town", name_zh="街道",
                     name_en="Sub-districts")
    units = tmp_path / "units.csv"
    units.write_bytes(csv_bytes([["town01", "纱帽街道", "街道"], ["town02", "邓南街道", "town"]], header=HEADER,
                                encoding="gb18030"))
    assert main(["import-units", str(units), "--campaign", "2027"]) == 0
    assert "2 new" in capsys.readouterr().out
    units.write_bytes(csv_bytes([["town03", "东荆街道", "乡镇"]], header=HEADER))
    assert main(["import-units", str(units), "--campaign", "2027"]) == 1
    assert "not imported: 1 problem" in capsys.readouterr().err


def test_an_empty_year_from_the_settings_screen_then_its_first_category_and_unit(tmp_path, monkeypatch):
    from db.access import Actor
    from tests.support.apptest import app_database, open_app, press, run, shown

    engine = app_database(tmp_path, monkeypatch)
    at = open_app("settings", Actor("admin", "admin"))
    at.radio(key="new_year_kind").set_value("empty")
    run(at)
    at.number_input[-1].set_value(2030)
    press(at, "新建年度")
    assert "2030 年度已新建。" in shown(at)
    at = open_app("units", Actor("admin", "admin"), state={"campaign_year": 2030})
    assert "本年度还没有被督查单位" in shown(at) and "本年度还没有单位类别" in shown(at)
    category_form = [i for i in at.text_input if i.label in ("代码", "中文名称", "英文名称")][-3:]
    for field, value in zip(category_form, ("town", "街道办事处", "Sub-districts")):
        field.input(value)
    press(at, "新增类别")
    assert "已新增类别“街道办事处”。" in shown(at)
    next(i for i in at.text_input if i.label == "单位名称").input("纱帽街道")
    press(at, "新增单位")
    assert "已新增单位 town01 · 纱帽街道。" in shown(at)
    with session_scope(engine) as s:
        units = list_units(s, campaign_id=get_campaign(s, 2030).id)
        assert [(u.code, u.name, u.category_code) for u in units] == [("town01", "纱帽街道", "town")]


def test_every_staff_page_opens_on_an_empty_year_that_has_not_begun(tmp_path, monkeypatch):
    """A year prepared ahead (empty, starting next January) must not break a page the office opens on it."""
    from db.access import Actor
    from tests.support.apptest import app_database, open_app

    engine = app_database(tmp_path, monkeypatch)
    year = clock.office_today().year + 1
    with session_scope(engine) as s:
        start_campaign(s, actor=cli_actor(), year=year, empty=True)
    broken = {}
    for page in ("home", "pool", "draw", "panel", "poll_admin", "media", "complaints", "inspections", "cases",
                 "rectification", "reports", "live", "explore", "results", "feedback", "settings", "units"):
        at = open_app(page, Actor("admin", "admin"), state={"campaign_year": year})
        if at.exception:
            broken[page] = at.exception[0].message
    assert broken == {}
