"""The media-case register: import and entry rules, liaisons limited to their unit, overdue answers."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from core.errors import Forbidden, NotFound, UserError, ValidationError
from core.media import CaseFields, parse_date
from core.media_import import parse_cases
from db.access import Actor
from db.engine import session_scope
from db.media import (
    add_source,
    answer_case,
    check_case_file,
    create_case,
    get_case,
    import_cases,
    list_cases,
    list_sources,
    set_source_active,
    update_case,
)
from db.models import AuditEvent, MediaCase
from tests.support.media_files import HEADER, cases
from tests.support.pool_files import csv_bytes, xlsx_bytes

TODAY = date(2017, 12, 1)
LIAISON = Actor("li", "liaison", "es01")  # 区发改局(区统计局)
LEADER = Actor("wang", "leader")
UNITS = {"es01": "区发改局(区统计局)", "es02": "区国土规划分局", "ue01": "区公安分局(区交管局)"}
SOURCES = {"daily_express": "《每日快报》", "changjiang_board": "长江日报留言板"}


def count(engine):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(MediaCase)).one()


def do(engine, action, **kwargs):
    with session_scope(engine) as s:
        return action(s, **kwargs)


def new_case(**changes):
    fields = dict(source="daily_express", external_ref="KB-2017-001", unit="es01", title="路灯长期不亮",
                  exposed_on=date(2017, 3, 6))
    return CaseFields(**{**fields, **changes})


def test_the_four_channels_of_the_plan_exist_after_init(scheme_engine):
    with session_scope(scheme_engine) as s:
        names = [src.name_zh for src in list_sources(s)]
    assert names == ["《每日快报》", "长江日报留言板", "全媒体监督平台", "作风聚焦"]


@pytest.mark.parametrize("kind", ["utf-8-sig", "utf-8", "gbk", "xlsx"])
def test_a_good_file_is_imported_whole_and_audited(scheme_engine, admin, kind):
    rows = cases(20)
    content = xlsx_bytes(rows, header=HEADER) if kind == "xlsx" else csv_bytes(rows, header=HEADER, encoding=kind)
    name = "cases.xlsx" if kind == "xlsx" else "cases.csv"
    assert do(scheme_engine, import_cases, actor=admin, campaign_id=1, content=content, filename=name,
              today=TODAY) == 20
    with session_scope(scheme_engine) as s:
        listed = list_cases(s, actor=admin, campaign_id=1, today=TODAY)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "media.import")).one()
    assert len(listed) == 20 and event.after["cases"] == 20
    by_ref = {c.external_ref: c for c in listed}
    first = by_ref["REF-0000"]
    assert (first.source_code, first.unit_code, first.status, first.repeated) == ("daily_express", "es01", "open", True)
    assert by_ref["REF-0001"].status == "answered" and by_ref["REF-0001"].public_satisfaction == "satisfied"
    assert by_ref["REF-0003"].unit_code == "es02"  # a unit named by its code


BAD_ROWS = {
    "unknown unit": (lambda rows: rows[2].__setitem__(2, "区不存在局"), 4, "单位", "media.unknown_unit"),
    "unknown source": (lambda rows: rows[2].__setitem__(0, "微博"), 4, "来源", "media.unknown_source"),
    "bad date": (lambda rows: rows[2].__setitem__(4, "2017-02-30"), 4, "曝光日期", "media.bad_date"),
    "answer before exposure": (lambda rows: rows[1].__setitem__(5, "2017-01-01"), 3, "答复日期",
                               "media.answer_before_exposure"),
    "future date": (lambda rows: rows[3].__setitem__(4, "2030-01-01"), 5, "曝光日期", "media.future_date"),
    "duplicate in file": (lambda rows: rows.append(list(rows[0])), 22, "编号", "media.duplicate_in_file"),
    "formula": (lambda rows: rows[2].__setitem__(3, "=HYPERLINK(\"x\")"), 4, "标题", "media.formula"),
    "bad rating": (lambda rows: rows[1].__setitem__(8, "很好"), 3, "群众满意度", "media.bad_satisfaction"),
    "empty title": (lambda rows: rows[2].__setitem__(3, " "), 4, "标题", "media.required"),
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(scheme_engine, admin, kind):
    change, row, column, key = BAD_ROWS[kind]
    rows = cases(20)
    change(rows)
    content = csv_bytes(rows, header=HEADER)
    with session_scope(scheme_engine) as s:
        parsed = check_case_file(s, campaign_id=1, content=content, filename="cases.csv", today=TODAY)
    assert [(p.row, p.column, p.error.key) for p in parsed.problems] == [(row, column, key)]
    with pytest.raises(ValidationError) as refused:
        do(scheme_engine, import_cases, actor=admin, campaign_id=1, content=content, filename="cases.csv",
           today=TODAY)
    assert f"row {row}, column {column}" in refused.value.english()
    assert count(scheme_engine) == 0


def test_a_reference_already_registered_is_refused(scheme_engine, admin):
    content = csv_bytes(cases(5), header=HEADER)
    do(scheme_engine, import_cases, actor=admin, campaign_id=1, content=content, filename="a.csv", today=TODAY)
    again = csv_bytes([*cases(5)[:1], *cases(8)[5:]], header=HEADER)
    with pytest.raises(ValidationError) as refused:
        do(scheme_engine, import_cases, actor=admin, campaign_id=1, content=again, filename="b.csv", today=TODAY)
    assert [p.key for p in refused.value.problems] == ["media.at_row"]
    assert "《每日快报》 already has a case with the reference 'REF-0000'" in refused.value.english()
    assert count(scheme_engine) == 5


@pytest.mark.parametrize(("name", "content", "key"), [
    ("cases.csv", b"", "pool.empty"),
    ("cases.txt", b"a,b", "pool.unsupported_type"),
    ("cases.xlsx", b"not a workbook", "pool.not_a_workbook"),
    ("cases.csv", "来源,编号,标题\n".encode(), "pool.missing_column"),
    ("cases.csv", ",".join(HEADER).encode() + b"\n", "media.no_rows"),
    ("cases.csv", "来源,编号\n".encode() + b"\xff\xfe\xfa", "pool.encoding"),
])
def test_broken_files_get_a_clear_message(name, content, key):
    parsed = parse_cases(content, name, units=UNITS, sources=SOURCES, today=TODAY)
    assert not parsed.ok and key in {p.error.key for p in parsed.problems}


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=3000), name=st.sampled_from(["c.csv", "c.xlsx"]))
def test_any_bytes_are_refused_or_read_never_a_crash(content, name):
    parsed = parse_cases(content, name, units=UNITS, sources=SOURCES, today=TODAY)
    assert parsed.ok == (not parsed.problems)
    assert all(p.message for p in parsed.problems)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(min_size=1, max_size=400), at=st.integers(min_value=0, max_value=1000))
def test_fuzzed_files_leave_the_register_unchanged(scheme_engine, admin, junk, at):
    good = csv_bytes(cases(3), header=HEADER)
    damaged = good[:at] + junk + good[at:]
    before = count(scheme_engine)
    try:
        added = do(scheme_engine, import_cases, actor=admin, campaign_id=1, content=damaged, filename="c.csv",
                   today=TODAY)
    except UserError:
        assert count(scheme_engine) == before
    else:  # damage that still reads as a valid register (e.g. inside a title) is imported whole
        assert count(scheme_engine) == before + added


@pytest.mark.parametrize(("text", "day"), [
    ("2017-03-05", date(2017, 3, 5)), ("2017/3/5", date(2017, 3, 5)), ("2017年3月5日", date(2017, 3, 5)),
    ("2017.03.05", date(2017, 3, 5)), ("20170305", date(2017, 3, 5)), ("2017-03-05 14:30", date(2017, 3, 5)),
    (42799, date(2017, 3, 5)),  # an Excel day number
])
def test_dates_as_offices_write_them(text, day):
    assert parse_date(text) == day


def test_a_case_entered_by_form_and_its_duplicate(scheme_engine, admin):
    do(scheme_engine, create_case, actor=admin, campaign_id=1, case=new_case(title="  路灯长期不亮 "), today=TODAY)
    with pytest.raises(UserError) as refused:
        do(scheme_engine, create_case, actor=admin, campaign_id=1, case=new_case(unit="ue01"), today=TODAY)
    assert refused.value.key == "media.duplicate_ref" and count(scheme_engine) == 1
    # The same reference in another channel is another case.
    do(scheme_engine, create_case, actor=admin, campaign_id=1, case=new_case(source="changjiang_board"), today=TODAY)
    with session_scope(scheme_engine) as s:
        assert {c.title for c in list_cases(s, actor=admin, campaign_id=1)} == {"路灯长期不亮"}
        assert s.exec(select(func.count()).where(AuditEvent.action == "media.create")).one() == 2


def test_a_form_lists_every_problem_at_once(scheme_engine, admin):
    bad = new_case(external_ref="", unit="xx99", title="=1+1", answered_on=date(2017, 3, 1), status="answered",
                   exposed_on=date(2017, 3, 6))
    with pytest.raises(ValidationError) as refused:
        do(scheme_engine, create_case, actor=admin, campaign_id=1, case=bad, today=TODAY)
    assert {p.key for p in refused.value.problems} == {"media.required", "media.unknown_unit", "media.formula",
                                                       "media.answer_before_exposure"}
    assert count(scheme_engine) == 0


@pytest.fixture
def register(scheme_engine, admin):
    """Three cases: es01 open since March, es01 answered in time, ue01 open."""
    for ref, unit, answered in (("A-1", "es01", None), ("A-2", "es01", date(2017, 3, 8)), ("B-1", "ue01", None)):
        do(scheme_engine, create_case, actor=admin, campaign_id=1, today=TODAY,
           case=new_case(external_ref=ref, unit=unit, answered_on=answered, status="answered" if answered else "open"))
    with session_scope(scheme_engine) as s:
        return {c.external_ref: c.id for c in list_cases(s, actor=admin, campaign_id=1)}


def test_a_liaison_sees_and_answers_only_their_own_units_cases(scheme_engine, register):
    with session_scope(scheme_engine) as s:
        mine = list_cases(s, actor=LIAISON, campaign_id=1, today=TODAY)
        assert sorted(c.external_ref for c in mine) == ["A-1", "A-2"]
        assert list_cases(s, actor=LIAISON, campaign_id=1, unit_code="ue01") == []
        with pytest.raises(NotFound):
            get_case(s, actor=LIAISON, case_id=register["B-1"])
    with pytest.raises(NotFound):
        do(scheme_engine, answer_case, actor=LIAISON, case_id=register["B-1"], reply="不是我们的", answered_on=TODAY,
           today=TODAY)
    do(scheme_engine, answer_case, actor=LIAISON, case_id=register["A-1"], reply="已安排维修",
       answered_on=date(2017, 3, 9), today=TODAY)
    with session_scope(scheme_engine) as s:
        answered = get_case(s, actor=LIAISON, case_id=register["A-1"], today=TODAY)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "media.answer")).one()
    assert (answered.status, answered.reply, answered.answered_on) == ("answered", "已安排维修", date(2017, 3, 9))
    assert event.actor == "li" and event.after["reply"] == "已安排维修"


def test_a_liaison_cannot_enter_import_or_edit(scheme_engine, register):
    content = csv_bytes(cases(2), header=HEADER)
    for action, kwargs in ((create_case, {"campaign_id": 1, "case": new_case(external_ref="Z")}),
                           (import_cases, {"campaign_id": 1, "content": content, "filename": "c.csv"}),
                           (update_case, {"case_id": register["A-1"], "case": new_case(external_ref="A-1")}),
                           (add_source, {"code": "weibo", "name_zh": "微博", "name_en": "Weibo"})):
        with pytest.raises(Forbidden):
            do(scheme_engine, action, actor=LIAISON, **kwargs)


def test_a_liaison_whose_unit_is_not_in_the_campaign_sees_nothing(scheme_engine, register):
    with session_scope(scheme_engine) as s:
        assert list_cases(s, actor=Actor("x", "liaison", "zz99"), campaign_id=1) == []


def test_leadership_reads_everything_and_answers_nothing(scheme_engine, register):
    with session_scope(scheme_engine) as s:
        assert len(list_cases(s, actor=LEADER, campaign_id=1)) == 3
    with pytest.raises(Forbidden):
        do(scheme_engine, answer_case, actor=LEADER, case_id=register["A-1"], reply="x", answered_on=TODAY)


def test_an_answer_needs_text_and_a_plausible_date(scheme_engine, register):
    for reply, day, key in (("  ", date(2017, 3, 9), "media.required"),
                            ("已处理", date(2017, 3, 1), "media.answer_before_exposure"),
                            ("已处理", date(2018, 1, 1), "media.future_date")):
        with pytest.raises(ValidationError) as refused:
            do(scheme_engine, answer_case, actor=LIAISON, case_id=register["A-1"], reply=reply, answered_on=day,
               today=TODAY)
        assert [p.key for p in refused.value.problems] == [key]


def test_overdue_answers_are_marked_with_working_days(scheme_engine, register):
    # A-1 exposed Monday 6 March, 5 working days: due Monday 13 March.
    with session_scope(scheme_engine) as s:
        on_time = {c.external_ref: c for c in list_cases(s, actor=LEADER, campaign_id=1, today=date(2017, 3, 13))}
        late = list_cases(s, actor=LEADER, campaign_id=1, today=date(2017, 3, 14), overdue_only=True)
    assert on_time["A-1"].due_on == date(2017, 3, 13) and not any(c.overdue for c in on_time.values())
    assert sorted(c.external_ref for c in late) == ["A-1", "B-1"]  # A-2 was answered on 8 March


def test_the_office_records_the_outcome(scheme_engine, admin, register):
    outcome = new_case(external_ref="A-2", answered_on=date(2017, 3, 8), status="resolved", repeated=True,
                       public_satisfaction="basically_satisfied", reply="已修复")
    do(scheme_engine, update_case, actor=admin, case_id=register["A-2"], case=outcome, today=TODAY)
    with session_scope(scheme_engine) as s:
        case = get_case(s, actor=admin, case_id=register["A-2"])
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "media.update")).one()
    assert (case.status, case.repeated, case.public_satisfaction) == ("resolved", True, "basically_satisfied")
    assert event.before == {"status": "answered", "repeated": False, "public_satisfaction": None, "reply": ""}
    with pytest.raises(UserError) as refused:  # moving it onto another case's reference
        do(scheme_engine, update_case, actor=admin, case_id=register["A-2"], case=new_case(external_ref="A-1"),
           today=TODAY)
    assert refused.value.key == "media.duplicate_ref"


def test_an_admin_adds_and_retires_a_channel(scheme_engine, admin):
    do(scheme_engine, add_source, actor=admin, code="Weibo_Hannan ", name_zh="汉南 微博", name_en="Hannan Weibo")
    for code, key in (("weibo_hannan", "media.source_exists"), ("9x", "media.source_code_rule")):
        with pytest.raises(UserError) as refused:
            do(scheme_engine, add_source, actor=admin, code=code, name_zh="x", name_en="x")
        assert refused.value.key == key
    do(scheme_engine, create_case, actor=admin, campaign_id=1, case=new_case(source="weibo_hannan"), today=TODAY)
    do(scheme_engine, set_source_active, actor=admin, code="weibo_hannan", active=False)
    with session_scope(scheme_engine) as s:
        assert "weibo_hannan" not in {src.code for src in list_sources(s)}
        assert len(list_cases(s, actor=admin, campaign_id=1)) == 1  # its cases stay
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.action.startswith("media.source"))).all()
    assert actions == ["media.source_add", "media.source_update"]
    with pytest.raises(UserError) as refused:  # a retired channel takes no new cases
        do(scheme_engine, create_case, actor=admin, campaign_id=1, case=new_case(source="weibo_hannan",
                                                                                 external_ref="W-2"), today=TODAY)
    assert refused.value.problems[0].key == "media.unknown_source"
