"""/users as an administrator: session lifetimes, active sessions ended, display links created and revoked."""

import pytest
from sqlmodel import select

from core.sessions import Lifetimes
from db.access import Actor
from db.engine import session_scope
from db.models import AuditEvent, DisplayLink, UserSession
from db.signin import sessions
from tests.support.apptest import app_database_with_leader, open_app

ADMIN = Actor("admin", "admin")


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    engine = app_database_with_leader(tmp_path, monkeypatch)
    with session_scope(engine) as s:
        started = sessions.sign_in(s, username="wang", password="leader password 1", ip="192.0.2.1", salt="test salt",
                                   device="Chrome · iPad")
    engine.started = started
    yield engine
    engine.dispose()


def submit(at, form):
    next(b for b in at.get("form_submit_button") if b.proto.form_id == form).click()
    at.run()


def test_admin_sees_and_ends_a_session(app_db):
    at = open_app("users", ADMIN)
    assert not at.exception
    shown = [frame.value for frame in at.dataframe]
    assert any("wang" in frame.to_string() and "Chrome · iPad" in frame.to_string() for frame in shown)
    at.selectbox(key="end_session_choice").select(app_db.started.session_id)
    at.button(key="end_session").click()
    at.run()
    assert not at.exception
    with session_scope(app_db) as s:
        row = s.get(UserSession, app_db.started.session_id)
        assert row.end_reason == "ended_by_admin"
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "session.end")).one().actor == "admin"


def test_admin_sets_lifetimes_and_a_wrong_pair_is_refused(app_db):
    at = open_app("users", ADMIN)
    at.number_input(key="session_idle_hours").set_value(4.0)
    at.number_input(key="session_max_days").set_value(2.0)
    submit(at, "session_lifetimes")
    assert not at.exception
    with session_scope(app_db) as s:
        assert sessions.lifetimes(s) == Lifetimes(4.0, 2.0)
    at.number_input(key="session_idle_hours").set_value(72.0)
    at.number_input(key="session_max_days").set_value(1.0)
    submit(at, "session_lifetimes")
    assert "空闲超时不能长于最长有效期。" in [str(e.value) for e in at.error]
    with session_scope(app_db) as s:
        assert sessions.lifetimes(s) == Lifetimes(4.0, 2.0)


def test_admin_creates_a_display_link_shown_once_and_revokes_it(app_db):
    at = open_app("users", ADMIN)
    at.text_input(key="display_link_label").input("三楼大屏")
    submit(at, "create_display_link")
    assert not at.exception
    codes = [str(c.value) for c in at.code]
    assert len(codes) == 1 and "/live?display=" in codes[0]
    with session_scope(app_db) as s:
        link = s.exec(select(DisplayLink)).one()
        assert link.label == "三楼大屏" and codes[0].split("display=")[1] not in link.token_hash
    at.run()  # shown once: gone at the next run
    assert not at.code
    at.selectbox(key="revoke_choice").select(link.id)
    at.button(key="revoke_link").click()
    at.run()
    with session_scope(app_db) as s:
        assert s.get(DisplayLink, link.id).revoked_by == "admin"
