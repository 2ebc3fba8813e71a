"""Pages as each role sees them (Streamlit's AppTest: no browser, real database)."""

import pytest

from core.roles import PAGE_ROLES, ROLES
from db.access import Actor
from tests.support.apptest import app_database_with_leader, open_app

PAGE_FILES = {"questionnaire": "questionnaire.py", "poll": "poll.py", "poll_admin": "poll_admin.py",
              "verify": "verify.py", "media": "media.py", "inspections": "inspections.py", "cases": "cases.py",
              "rectification": "rectification.py", "reports": "reports.py", "home": "home.py",
              "results": "results.py", "feedback": "feedback.py", "live": "live.py", "explore": "explore.py",
              "complaints": "complaints.py",
              "pool": "pool.py", "draw": "draw.py",
              "panel": "panel.py", "settings": "settings.py",
              "units": "units.py", "users": "users.py", "audit": "audit.py", "account": "account.py"}
NO_ACCESS = "无权访问此页面。"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    engine = app_database_with_leader(tmp_path, monkeypatch)
    return engine


def run_page(page=None, actor=None, must_change=False):
    return open_app(page and PAGE_FILES[page].removesuffix(".py"), actor, must_change=must_change)


def texts(at):
    return " ".join(str(e.value) for e in [*at.error, *at.warning, *at.title, *at.subheader, *at.markdown])


def test_every_page_in_the_role_table_has_a_file():
    assert set(PAGE_FILES) == set(PAGE_ROLES)


def test_signed_out_visitor_sees_only_the_sign_in_form(app_db):
    at = run_page()
    assert not at.exception
    assert at.get("form_submit_button")[0].label == "登录"
    assert at.text_input[0].label == "用户名"


@pytest.mark.parametrize("page", ["settings", "users", "audit"])
def test_signed_out_visitor_reaching_a_page_by_url_gets_the_sign_in_form(app_db, page):
    at = run_page(page)
    assert not at.exception
    assert at.text_input[0].label == "用户名" and not at.title


def test_sign_in_with_the_form(app_db):
    at = run_page()
    at.text_input[0].input("wang")
    at.text_input[1].input("wrong password")
    at.get("form_submit_button")[0].click()
    at.run()
    assert "用户名或密码错误。" in texts(at)
    at.text_input[1].input("leader password 1")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    assert at.session_state["actor"] == Actor("wang", "leader", None)
    assert not at.title and not at.text_input  # first the browser fetches its cookie (tests/test_session_security)
    at.run()  # and comes back
    assert "2017年度履职尽责督促检查" in texts(at)


STAFF_PAGES = [p for p in PAGE_FILES if PAGE_ROLES[p] is not None]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", STAFF_PAGES)
def test_each_role_sees_its_pages_and_no_access_elsewhere(app_db, role, page):
    at = run_page(page, Actor("someone", role, "es01" if role == "liaison" else None))
    assert not at.exception, at.exception
    allowed = role in PAGE_ROLES[page]
    content = texts(at)
    if allowed:
        assert NO_ACCESS not in content
        assert at.title, f"{page} shows no title for {role}"
    else:
        assert NO_ACCESS in content
        assert not at.title and not at.dataframe and not at.text_input


@pytest.mark.parametrize("actor", [None, Actor("admin", "admin")])
def test_the_questionnaire_is_public_and_asks_for_a_code(app_db, actor):
    at = run_page("questionnaire", actor)
    assert not at.exception
    assert NO_ACCESS not in texts(at) and at.text_input[0].label == "评议码"


def test_forced_password_change_comes_first(app_db):
    at = run_page("settings", Actor("admin", "admin"), must_change=True)
    assert not at.exception
    assert "这是一次性密码" in texts(at) and not at.title


def test_english_is_selectable(app_db):
    at = run_page(None, Actor("admin", "admin"))
    at.selectbox(key="language_choice").select("en")
    at.run()
    assert not at.exception
    assert "Duty-performance" in " ".join(str(t.value) for t in at.title) or at.session_state["lang"] == "en"
    assert "2017 duty-performance supervision and inspection" in texts(at)
