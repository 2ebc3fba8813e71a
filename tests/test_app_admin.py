"""Administration screens used as an administrator would (AppTest, real database)."""

import pytest
from sqlmodel import select

from db.access import Actor, cli_actor
from db.engine import session_scope
from db.models import AuditEvent, Campaign, Unit, User
from db.users import SignInError, authenticate, create_user
from tests.support.apptest import app_database, open_app


@pytest.fixture
def engine(tmp_path, monkeypatch):
    return app_database(tmp_path, monkeypatch)


def open_page(page):
    at = open_app(page, Actor("admin", "admin"))
    assert not at.exception, at.exception
    return at


def messages(at):
    return " ".join(str(e.value) for e in [*at.error, *at.success, *at.warning])


def submit(at, label="保存", index=0):
    [b for b in at.get("form_submit_button") if b.label == label][index].click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_weights_that_do_not_sum_to_100_are_refused_with_the_total(engine):
    at = open_page("settings")
    at.number_input(key="method_weights_panel_2017").set_value(45.0)
    submit(at, index=1)
    assert "105%" in messages(at)
    with session_scope(engine) as s:
        assert s.exec(select(Campaign)).one().settings["method_weights"]["panel"] == 40
    at.number_input(key="method_weights_daily_2017").set_value(10.0)
    submit(at, index=1)
    assert "已保存" in messages(at)
    with session_scope(engine) as s:
        weights = s.exec(select(Campaign)).one().settings["method_weights"]
        assert (weights["panel"], weights["daily"]) == (45, 10)
        assert s.exec(select(Campaign)).one().settings["objections"] == {"working_days": 5}  # the default, saved
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.settings")).one()


def test_renaming_a_unit_is_saved_audited_and_confirmed(engine):
    at = open_page("units")
    assert "区财政局" in messages(at) and "区环保局" in messages(at)  # the repeated-names notice
    at.selectbox(key="edit_unit").select("es13")
    at.run()
    at.text_input[0].input("区金融工作局")
    submit(at)
    assert "已保存" in messages(at)
    with session_scope(engine) as s:
        assert s.exec(select(Unit).where(Unit.code == "es13")).one().name == "区金融工作局"
    assert "区财政局" not in messages(at)


def test_creating_a_user_shows_the_one_time_password_once(engine):
    at = open_page("users")
    at.text_input[0].input("li.na")
    at.selectbox(key="new_role").select("liaison")
    at.selectbox(key="new_unit").select("es01")
    submit(at, "新建用户")
    password = at.code[0].value
    assert len(password) >= 16 and "li.na" in messages(at)
    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.username == "li.na")).one()
    assert user.unit_code == "es01" and password not in user.password_hash


def test_a_liaison_without_a_unit_is_refused(engine):
    at = open_page("users")
    at.text_input[0].input("nobody")
    at.selectbox(key="new_role").select("liaison")
    submit(at, "新建用户")
    assert "必须绑定一个单位" in messages(at) and not at.code


def test_the_admin_sees_failed_sign_ins_per_account_without_addresses_and_forgets_them(engine):
    with session_scope(engine) as s:
        create_user(s, actor=cli_actor(), username="zhang", role="inspector", password="correct horse battery")
    for _ in range(3):  # three failures: a fourth try would have to wait
        with pytest.raises(SignInError), session_scope(engine) as s:
            authenticate(s, username="zhang", password="guess guess guess", ip="203.0.113.7", salt="apptest-salt")
    at = open_page("users")
    table = at.dataframe[0].value
    row = table[table["用户名"] == "zhang"].iloc[0]
    assert row["登录失败(24 小时)"] == 3 and row["最近一次失败"]
    network, count = row["来源网络(哈希 × 次数)"].split(" × ")
    assert len(network) == 8 and count == "3" and "203.0.113" not in table.to_string()
    at.selectbox(key="edit_user").select("zhang")
    at.run()
    next(b for b in at.button if b.label == "清除登录失败记录").click()
    at.run()
    assert "已清除登录失败记录" in messages(at)
    assert at.dataframe[0].value.set_index("用户名").loc["zhang", "登录失败(24 小时)"] == 0
    with session_scope(engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "user.failures_cleared")).one().entity_id == "zhang"
