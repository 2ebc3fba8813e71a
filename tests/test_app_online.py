"""The online-evaluation screens driven as people use them (AppTest, real database).

The pages run on their own (AppTest.from_file) until app.py lists them; their role rules are
put into core.roles.PAGE_ROLES here for the same reason, exactly as the page table will hold them.
"""

from datetime import timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from core.clock import office_today, utcnow
from core.poll import new_device_id
from core.roles import PAGE_ROLES
from db.access import Actor, cli_actor
from db.campaigns import copy_campaign
from db.engine import session_scope
from db.media import import_cases
from db.models import AuditEvent, MediaCase, PollVote, Unit
from db.poll import record_vote
from tests.support.apptest import app_database, press, run, shown
from tests.support.media_files import HEADER, cases
from tests.support.pool_files import csv_bytes, xlsx_bytes

PAGES = Path(__file__).resolve().parents[1] / "pages"
ADMIN, LEADER, LIAISON = Actor("admin", "admin"), Actor("wang", "leader"), Actor("li", "liaison", "es01")


@pytest.fixture(autouse=True)
def page_roles(monkeypatch):
    monkeypatch.setitem(PAGE_ROLES, "poll", None)
    monkeypatch.setitem(PAGE_ROLES, "poll_admin", frozenset({"admin", "leader", "analyst"}))
    monkeypatch.setitem(PAGE_ROLES, "media", frozenset({"admin", "leader", "analyst", "liaison"}))


@pytest.fixture
def engine(tmp_path, monkeypatch):
    st.cache_data.clear()  # the poll page caches the unit list per day, whatever the database
    return app_database(tmp_path, monkeypatch, POLL_SALT="apptest-salt")  # never data/poll_salt from a test


def open_page(name, actor=None, state=None):
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=60)
    if actor is not None:
        at.session_state["actor"] = actor
        at.session_state["must_change_password"] = False
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def tables(at):
    return [d.value for d in [*at.dataframe, *at.table]]  # an import's problems are a wrapping st.table


def table_with(at, column):
    return next(frame for frame in tables(at) if column in frame.columns)


def media_count(engine):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(MediaCase)).one()


# ---------------------------------------------------------------------------------------
# Media-case register


def upload(at, name, content):
    at.get("file_uploader")[0].upload(name, content, "text/csv" if name.endswith(".csv") else
                                      "application/octet-stream")
    return run(at)


def test_a_good_file_is_checked_then_imported_on_confirmation(engine):
    at = upload(open_page("media", ADMIN), "案件.xlsx", xlsx_bytes(cases(20), header=HEADER))
    assert "已检查 20 件" in shown(at) and media_count(engine) == 0
    at = press(at, "确认导入")
    assert "已导入 20 件案件" in shown(at) and media_count(engine) == 20
    register = table_with(at, "编号")
    assert len(register) == 20 and "超期" in register.columns
    assert set(register["超期"]) == {"超期", ""}  # cases from spring 2017, some never answered


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("cases.csv", csv_bytes([*cases(5), cases(1)[0]], header=HEADER), "与第 2 行的渠道和编号相同"),
    ("cases.csv", csv_bytes([["作风聚焦", "TV-1", "区不存在局", "标题", "2017-03-01"]], header=HEADER[:5]),
     "不是本年度的被督查单位"),
    ("cases.csv", csv_bytes([["作风聚焦", "TV-1", "es01", "标题", "明天"]], header=HEADER[:5]), "不是日期"),
    ("cases.csv", "来源,编号,标题\n".encode(), "缺少必填列"),
    ("cases.xlsx", b"not a workbook", "不是有效的 Excel 工作簿"),
    ("cases.csv", b"", "文件是空的"),
])
def test_a_bad_file_is_refused_whole_with_a_row_level_report(engine, name, content, expected):
    at = upload(open_page("media", ADMIN), name, content)
    assert "文件未导入" in shown(at)
    report = table_with(at, "问题")
    assert expected in report.to_string()
    assert not [b for b in at.button if b.label == "确认导入"]
    assert media_count(engine) == 0


def test_a_gbk_file_from_excel_on_chinese_windows_is_read(engine):
    at = upload(open_page("media", ADMIN), "cases.csv", csv_bytes(cases(4), header=HEADER, encoding="gbk"))
    assert "编码:gb18030" in shown(at)


def test_a_case_entered_by_form_and_a_duplicate_refused(engine):
    at = open_page("media", ADMIN)
    at.text_input(key="media_new_ref").input("KB-9")
    at.text_input(key="media_new_title").input("窗口推诿")
    at = press(at, "保存")
    assert "案件已登记" in shown(at) and media_count(engine) == 1
    at.text_input(key="media_new_ref").input("KB-9")
    at.text_input(key="media_new_title").input("又一次")
    at = press(at, "保存")
    assert "已有编号为“KB-9”的案件" in shown(at) and media_count(engine) == 1


@pytest.fixture
def register(engine):
    today = office_today()
    with session_scope(engine) as s:
        import_cases(s, actor=ADMIN, campaign_id=1, content=csv_bytes(cases(8), header=HEADER), filename="c.csv",
                     today=today)
    return engine


def test_a_liaison_sees_only_their_unit_and_can_answer(register):
    at = open_page("media", LIAISON)
    assert [tab.label for tab in at.tabs] == ["案件登记簿", "答复"]
    assert "本单位(区发改局(区统计局))" in shown(at)
    assert set(table_with(at, "编号")["单位"]) == {"区发改局(区统计局)"}
    assert set(table_with(at, "编号")["编号"]) == {"REF-0000", "REF-0004"}
    case = at.selectbox(key="media_answer_case")
    assert len(case.options) == 2
    at.text_area[0].input("已派人维修,群众已确认")
    at = press(at, "保存答复")
    assert "答复已保存" in shown(at)
    with session_scope(register) as s:
        answered = s.exec(select(MediaCase).where(MediaCase.reply == "已派人维修,群众已确认")).one()
        unit = s.get(Unit, answered.unit_id)
    assert unit.code == "es01" and answered.status in ("answered", "resolved")


def test_leadership_reads_the_register_only(register):
    at = open_page("media", LEADER)
    assert [tab.label for tab in at.tabs] == ["案件登记簿"]
    assert len(table_with(at, "编号")) == 8
    assert not at.get("file_uploader")


def test_the_overdue_filter(register):
    at = open_page("media", ADMIN)
    at.toggle(key="media_f_overdue").set_value(True)
    run(at)
    assert set(table_with(at, "编号")["超期"]) == {"超期"}


def test_a_role_without_the_page_gets_no_access(engine):
    at = open_page("media", Actor("i", "inspector"))
    assert "无权访问此页面。" in shown(at) and not at.tabs


# ---------------------------------------------------------------------------------------
# Public poll and its staff view


@pytest.fixture
def open_poll(engine):
    """A campaign whose period includes today (the 2017 scheme copied to this year)."""
    with session_scope(engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    return engine


def find_and_pick(at, query, name):
    at.text_input(key="poll_query").input(query)
    run(at)
    return press(at, name)


def test_a_citizen_finds_a_unit_votes_and_is_refused_a_second_time(open_poll):
    at = open_page("poll")
    at = find_and_pick(at, "供电", "开发区供电公司")
    assert "您对开发区供电公司履职尽责的情况满意吗" in shown(at)
    at.text_area[0].input("抢修很及时")
    at = press(at, "满意")
    assert "感谢您的评价" in shown(at) and "开发区供电公司" in shown(at)
    at = find_and_pick(at, "供电", "开发区供电公司")
    at = press(at, "不满意")
    assert "您今天已经评价过这个单位了" in shown(at)
    with session_scope(open_poll) as s:
        votes = s.exec(select(PollVote)).all()
    assert [(v.option, v.comment) for v in votes] == [("satisfied", "抢修很及时")]


def test_a_comment_of_the_full_length_is_kept_whole(open_poll):
    at = find_and_pick(open_page("poll"), "公安", "区公安分局(区交管局)")
    at.text_area[0].input("长" * 200)  # the box takes no more; a longer forged one is refused by record_vote
    at = press(at, "基本满意")
    assert "感谢您的评价" in shown(at)
    with session_scope(open_poll) as s:
        assert s.exec(select(PollVote.comment)).one() == "长" * 200


def test_the_poll_says_when_it_is_closed(engine):
    at = open_page("poll")
    assert "现在不在评价期内" in shown(at) and not at.button


def test_the_device_id_stays_for_the_session(open_poll):
    device = new_device_id()
    at = open_page("poll", state={"poll_device": device})
    assert at.session_state["poll_device"] == device
    at = find_and_pick(at, "供电", "开发区供电公司")
    press(at, "满意")
    assert at.session_state["poll_device"] == device
    assert len(open_page("poll").session_state["poll_device"]) == 32  # a new browser gets a new id


@pytest.fixture
def burst(engine):
    with session_scope(engine) as s:
        unit = s.exec(select(Unit).where(Unit.code == "es01")).one()
    moment = utcnow().replace(year=2017, month=6, day=1)
    for k in range(12):
        with session_scope(engine) as s:
            record_vote(s, campaign_id=1, unit_id=unit.id, option="satisfied", device_id=new_device_id(),
                        ip="192.0.2.1", comment=f"好评{k}" if k < 2 else "", now=moment + timedelta(seconds=k),
                        salt="s")
    return engine


def test_the_office_rejects_a_flagged_burst_and_the_ruling_is_audited(burst):
    at = open_page("poll_admin", ADMIN)
    group = table_with(at, "网络数")
    assert list(group["票数"]) == [12] and list(group["原因"]) == ["同一网络短时间内集中投票"]
    at.text_input[0].input("同一网络两秒内十二票")
    at = press(at, "排除(认定无效)")
    assert "已裁定 12 票:排除" in shown(at)
    with session_scope(burst) as s:
        assert set(s.exec(select(PollVote.status)).all()) == {"rejected"}
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "poll.ruling")).one()
    assert event.after["reason"] == "同一网络两秒内十二票"
    assert list(table_with(at, "计入票数")["已排除"]) == [12]


def test_leadership_sees_votes_and_comments_but_cannot_rule(burst):
    at = open_page("poll_admin", LEADER)
    assert "只读" in " ".join(str(c.value) for c in at.caption)
    assert not [b for b in at.get("form_submit_button")]
    comments = [frame for frame in tables(at) if "留言" in frame.columns][-1]  # the comments tab comes last
    assert set(comments["留言"]) == {"好评0", "好评1"}


def test_a_liaison_has_no_access_to_the_votes(burst):
    at = open_page("poll_admin", LIAISON)
    assert "无权访问此页面。" in shown(at)
