"""The pool and draw screens driven as an administrator would (AppTest, real database)."""

import pytest
from sqlmodel import func, select

from db.access import Actor
from db.engine import session_scope
from db.models import Draw, DrawMember, Invitation, Reviewer
from tests.support.apptest import app_database, open_app
from tests.support.pool_files import csv_bytes, people, xlsx_bytes

ADMIN = Actor("admin", "admin")


@pytest.fixture
def engine(tmp_path, monkeypatch):
    return app_database(tmp_path, monkeypatch, APP_BASE_URL="https://review.example")


def open_page(page):
    at = open_app(page, ADMIN)
    assert not at.exception, at.exception
    return at


def pool_size(engine):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(Reviewer)).one()


def messages(at):
    return " ".join(str(e.value) for e in [*at.error, *at.success, *at.warning, *at.info])


def table_with(at, column):
    # An import's problems are a wrapping st.table (messages whole); other lists are grids.
    return next(d.value for d in [*at.dataframe, *at.table] if column in d.value.columns)


def upload(at, name, content):
    at.file_uploader[0].upload(name, content, "text/csv" if name.endswith(".csv") else "application/octet-stream")
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_good_file_is_checked_then_imported_on_confirmation(engine):
    at = upload(open_page("pool"), "名单.xlsx", xlsx_bytes(people()))
    assert "已检查 2000 行" in messages(at) and pool_size(engine) == 0
    next(b for b in at.button if b.label == "确认导入").click()
    at.run()
    assert "新增 2000 人" in messages(at) and pool_size(engine) == 2000


BAD_FILES = {
    "unknown group": lambda rows: rows[3].__setitem__(1, "路人"),
    "bad phone": lambda rows: rows[3].__setitem__(3, "0271234567"),
    "bad check digit": lambda rows: rows[3].__setitem__(4, rows[3][4][:17] + ("1" if rows[3][4][17] != "1" else "2")),
    "empty name": lambda rows: rows[3].__setitem__(0, "  "),
    "duplicate in file": lambda rows: rows.append(list(rows[3])),
    "formula": lambda rows: rows[3].__setitem__(5, "=cmd|' /C calc'!A0"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_each_bad_file_is_refused_whole_with_the_row(engine, kind):
    rows = people([10, 10, 10, 10, 10, 10])
    BAD_FILES[kind](rows)
    at = upload(open_page("pool"), "pool.csv", csv_bytes(rows))
    assert "文件未导入" in messages(at)
    table = table_with(at, "行")
    assert set(table["行"]) & {5, 62}  # row 5 is rows[3]; a copy appended at the end is row 62
    assert not [b for b in at.button if b.label == "确认导入"]
    assert pool_size(engine) == 0


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("pool.csv", csv_bytes([], header=["name", "organisation"]), "缺少必填列"),
    ("pool.csv", b"", "文件是空的"),
    ("pool.xlsx", b"this is not a workbook", "不是有效的 Excel 工作簿"),
    ("pool.csv", "姓名,类别\n".encode(), "只有表头"),
])
def test_broken_files_get_a_clear_message(engine, name, content, expected):
    at = upload(open_page("pool"), name, content)
    assert expected in messages(at) + table_with(at, "问题").to_string()
    assert pool_size(engine) == 0


def test_draw_from_a_typed_seed_then_replace_and_issue_invitations(engine):
    at = upload(open_page("pool"), "pool.csv", csv_bytes(people()))
    next(b for b in at.button if b.label == "确认导入").click()
    at.run()
    at = open_page("draw")
    assert "请先确定随机种子" in messages(at)
    at.text_input[0].input("2017-11-30 福彩3D 123")
    at.run()
    assert list(table_with(at, "抽取人数")["抽取人数"]) == [52, 42, 38, 30, 24, 14]
    at.checkbox[0].check()
    at.run()
    next(b for b in at.button if b.label == "执行抽取").click()
    at.run()
    assert not at.exception, at.exception
    assert "已验证" in messages(at)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(DrawMember)).one() == 200
    at.get("form_submit_button")[0].click()  # replace the first drawn person, reason "declined"
    at.run()
    assert "替补" in messages(at)
    next(b for b in at.button if b.label == "生成邀请函").click()
    at.run()
    assert "已生成 200 份邀请" in messages(at)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Invitation)).one() == 200
        assert s.exec(select(Draw)).one().seed == "2017-11-30 福彩3D 123"


def test_draw_with_an_empty_pool_says_so(engine):
    at = open_page("draw")
    at.text_input[0].input("abc")
    at.run()
    assert "评议人员库为空" in messages(at)
