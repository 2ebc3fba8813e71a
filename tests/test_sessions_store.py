"""Staff sessions and display links in the store, on SQLite and PostgreSQL.

The clock is moved as the server's would be: REVIEW_CLOCK_OFFSET (core.clock).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import MetaData, event, func, select
from sqlmodel import select as sm_select

from core import sessions as rules
from core.errors import Forbidden, NotFound, UserError
from core.tokens import token_hash
from db.access import Actor
from db.engine import session_scope
from db.models import AppSetting, AuditEvent, DisplayLink, UserSession
from db.signin import display_links as links
from db.signin import sessions
from db.users import SignInError, change_password, create_user, reset_password, update_user

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
ZHANG = Actor("zhang", "inspector")


@pytest.fixture
def store(scheme_engine, admin):
    with session_scope(scheme_engine) as s:
        create_user(s, actor=admin, username="zhang", role="inspector", password=PASSWORD,
                    must_change_password=False)
        create_user(s, actor=admin, username="li", role="leader", password=PASSWORD, must_change_password=False)
    return scheme_engine


def later(monkeypatch, offset: str) -> None:
    monkeypatch.setenv("REVIEW_CLOCK_OFFSET", offset)


def sign_in(engine, username="zhang", password=PASSWORD, device="Chrome · Android"):
    with session_scope(engine) as s:
        return sessions.sign_in(s, username=username, password=password, ip="192.0.2.1", salt="test salt",
                                device=device)


def cookie_for(engine, started) -> str:
    with session_scope(engine) as s:
        value, max_age = sessions.exchange_ticket(s, ticket=started.ticket)
    assert 0 < max_age <= rules.DEFAULT_MAX_DAYS * 86400
    return value


def resume(engine, **kwargs):
    with session_scope(engine) as s:
        return sessions.resume(s, **kwargs)


def counts(engine) -> dict[str, int]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()}


def snapshot(engine) -> list:
    with session_scope(engine) as s:
        return [tuple(r.model_dump().items()) for r in s.exec(sm_select(UserSession).order_by(UserSession.id))]


def test_sign_in_ticket_cookie_resume(store):
    started = sign_in(store)
    assert started.signed_in.actor == ZHANG and len(started.ticket) >= 32
    # Signed in by row id before the browser has its cookie (the Streamlit session that signed in).
    assert resume(store, session_id=started.session_id).actor == ZHANG
    cookie = cookie_for(store, started)
    assert len(cookie) >= 43  # 256 bits in URL-safe base64
    resumed = resume(store, cookie=cookie)
    assert resumed.actor == ZHANG and resumed.session_id == started.session_id
    with session_scope(store) as s:  # the ticket is spent: a second exchange gets nothing
        assert sessions.exchange_ticket(s, ticket=started.ticket) is None
        row = s.get(UserSession, started.session_id)
        assert row.id_hash == token_hash(cookie) and row.ticket_hash is None and row.device == "Chrome · Android"
        stored = json.dumps([row.model_dump(mode="json")]) + json.dumps(
            [e.model_dump(mode="json") for e in s.exec(sm_select(AuditEvent))])
    assert cookie not in stored and started.ticket not in stored  # only hashes, never in the audit
    assert resume(store) is None and resume(store, cookie="") is None


def test_every_sign_in_is_a_new_session_with_new_secrets(store):
    first, second = sign_in(store), sign_in(store)
    assert first.session_id != second.session_id and first.ticket != second.ticket
    assert cookie_for(store, first) != cookie_for(store, second)


def test_two_requests_racing_with_one_ticket_get_one_session(store):
    """Both requests read the ticket before either spends it (held at their first UPDATE until both
    are there): exactly one gets a cookie, and it is the one that signs in."""
    started = sign_in(store)
    arrived, held, raced = threading.Barrier(2), threading.local(), []

    def hold(_connection, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("UPDATE USERSESSION") and not getattr(held, "done", False):
            held.done = True
            try:
                arrived.wait(timeout=10)
                raced.append(True)
            except threading.BrokenBarrierError:
                pass  # the other request is already past: no race (asserted below)

    results = []

    def exchange():
        try:
            with session_scope(store) as s:
                results.append(sessions.exchange_ticket(s, ticket=started.ticket))
        except Exception as error:
            results.append(error)

    event.listen(store, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=exchange) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(store, "before_cursor_execute", hold)
    issued = [r for r in results if isinstance(r, tuple)]
    assert raced == [True, True]  # both really were at the ticket together
    assert len(issued) == 1 and results.count(None) == 1, results
    assert resume(store, cookie=issued[0][0]).session_id == started.session_id


def test_a_ticket_lasts_a_minute(store, monkeypatch):
    started = sign_in(store)
    later(monkeypatch, "61s")
    with session_scope(store) as s:
        assert sessions.exchange_ticket(s, ticket=started.ticket) is None
        assert sessions.exchange_ticket(s, ticket="made up") is None
        assert sessions.exchange_ticket(s, ticket="") is None


def test_wrong_password_and_deactivated_user_start_nothing(store, admin):
    before = counts(store)["usersession"]
    with pytest.raises(SignInError):
        sign_in(store, password="wrong password!")
    with session_scope(store) as s:
        update_user(s, actor=admin, username="zhang", role="inspector", display_name="", unit_code=None,
                    active=False)
    with pytest.raises(SignInError):
        sign_in(store)
    assert counts(store)["usersession"] == before


def test_idle_timeout_and_absolute_lifetime(store, monkeypatch):
    cookie = cookie_for(store, sign_in(store))
    later(monkeypatch, "7h")
    assert resume(store, cookie=cookie).actor == ZHANG  # and this counts as activity
    later(monkeypatch, "14h")  # seven idle hours since: still in
    assert resume(store, cookie=cookie).actor == ZHANG
    later(monkeypatch, "22h")  # eight idle hours
    with pytest.raises(sessions.SessionEnded) as idle:
        resume(store, cookie=cookie)
    assert idle.value.key == "signin.idle"
    # Active every few hours, it still ends after seven days.
    later(monkeypatch, "0")
    cookie = cookie_for(store, sign_in(store))
    for hours in range(6, 7 * 24, 6):
        later(monkeypatch, f"{hours}h")
        assert resume(store, cookie=cookie) is not None
    later(monkeypatch, "7d")
    with pytest.raises(sessions.SessionEnded) as expired:
        resume(store, cookie=cookie)
    assert expired.value.key == "signin.expired"


def test_a_screens_own_refresh_is_not_activity(store, monkeypatch):
    """/live's timer checks the session every few seconds (touch=False): the check refuses an ended or idle
    session, and never keeps one alive by itself."""
    started = sign_in(store)
    cookie = cookie_for(store, started)
    for minutes in range(10, 8 * 60, 10):  # a tab refreshing on its own for eight hours
        later(monkeypatch, f"{minutes}m")
        assert resume(store, session_id=started.session_id, touch=False).actor == ZHANG
    later(monkeypatch, "8h")
    with pytest.raises(sessions.SessionEnded) as idle:
        resume(store, session_id=started.session_id, touch=False)
    assert idle.value.key == "signin.idle"
    with pytest.raises(sessions.SessionEnded):  # and the person's next tap finds it ended as well
        resume(store, cookie=cookie)


def test_last_seen_is_written_at_most_once_a_minute(store, monkeypatch):
    started = sign_in(store)
    cookie = cookie_for(store, started)

    def seen():
        with session_scope(store) as s:
            return s.get(UserSession, started.session_id).last_seen_at

    first = seen()
    later(monkeypatch, "30s")
    resume(store, cookie=cookie)
    assert seen() == first
    later(monkeypatch, "61s")
    resume(store, cookie=cookie)
    assert seen() > first


def test_lifetimes_are_an_audited_admin_setting(store, admin, monkeypatch):
    with session_scope(store) as s:
        assert sessions.lifetimes(s) == rules.Lifetimes(8, 7)
        with pytest.raises(Forbidden):
            sessions.set_lifetimes(s, actor=Actor("li", "leader"), idle_hours=1, max_days=1)
        for idle, days in ((0, 7), (8, 0), (100, 7), (48, 1), ("8", 7), (True, 7)):
            with pytest.raises(UserError):
                sessions.set_lifetimes(s, actor=admin, idle_hours=idle, max_days=days)
        assert s.get(AppSetting, "sessions") is None  # refused: nothing stored
    cookie = cookie_for(store, sign_in(store))
    with session_scope(store) as s:
        sessions.set_lifetimes(s, actor=admin, idle_hours=1, max_days=2)
    with session_scope(store) as s:
        assert sessions.lifetimes(s) == rules.Lifetimes(1, 2)
        event = s.exec(sm_select(AuditEvent).where(AuditEvent.action == "setting.update")).one()
        assert event.entity_id == "sessions" and event.after == {"idle_hours": 1.0, "max_days": 2.0}
    later(monkeypatch, "61m")  # the shorter timeout applies to a running session too
    with pytest.raises(sessions.SessionEnded):
        resume(store, cookie=cookie)


def test_sign_out_ends_the_session_and_a_replay_changes_nothing(store):
    started = sign_in(store)
    cookie = cookie_for(store, started)
    with session_scope(store) as s:
        with pytest.raises(NotFound):  # somebody else's session
            sessions.sign_out(s, actor=Actor("li", "leader"), session_id=started.session_id)
        sessions.sign_out(s, actor=ZHANG, session_id=started.session_id)
    before, rows = counts(store), snapshot(store)
    for _ in range(2):
        with pytest.raises(sessions.SessionEnded) as ended:
            resume(store, cookie=cookie)
        assert ended.value.key == "signin.ended"
    assert counts(store) == before and snapshot(store) == rows
    with session_scope(store) as s:
        actions = [e.action for e in s.exec(sm_select(AuditEvent).where(AuditEvent.actor == "zhang"))]
    assert actions == ["session.sign_in", "session.sign_out"]


def test_an_edited_cookie_signs_nobody_in_and_changes_nothing(store):
    cookie = cookie_for(store, sign_in(store))
    before, rows = counts(store), snapshot(store)
    for edited in (cookie[:-1] + ("A" if cookie[-1] != "A" else "B"), cookie.upper(), cookie + "x", "x" * 500,
                   "' OR 1=1 --"):
        assert resume(store, cookie=edited) is None
    assert counts(store) == before and snapshot(store) == rows


def test_password_change_ends_the_other_sessions(store):
    here, phone = sign_in(store), sign_in(store)
    cookies = cookie_for(store, here), cookie_for(store, phone)
    with session_scope(store) as s:
        change_password(s, actor=ZHANG, current=PASSWORD, new="a new long password", keep_session=here.session_id)
    assert resume(store, cookie=cookies[0]).actor == ZHANG
    with pytest.raises(sessions.SessionEnded):
        resume(store, cookie=cookies[1])
    with session_scope(store) as s:
        event = s.exec(sm_select(AuditEvent).where(AuditEvent.action == "session.end_all")).one()
        assert event.after == {"sessions": 1, "reason": "password_changed"}


def test_account_changes_end_all_sessions(store, admin):
    def update(**changes):
        values = {"username": "zhang", "role": "inspector", "display_name": "", "unit_code": None,
                  "active": True} | changes
        with session_scope(store) as s:
            update_user(s, actor=admin, **values)

    cookie = cookie_for(store, sign_in(store))
    update(display_name="张三")  # a new name ends nothing
    assert resume(store, cookie=cookie) is not None
    update(role="analyst")
    with pytest.raises(sessions.SessionEnded):
        resume(store, cookie=cookie)
    cookie = cookie_for(store, sign_in(store))
    with session_scope(store) as s:
        one_time = reset_password(s, actor=admin, username="zhang")
    with pytest.raises(sessions.SessionEnded):
        resume(store, cookie=cookie)
    started = sign_in(store, password=one_time)
    cookie = cookie_for(store, started)
    update(role="analyst", active=False)
    with pytest.raises(sessions.SessionEnded) as ended:
        resume(store, cookie=cookie)
    assert ended.value.key == "signin.ended"
    with session_scope(store) as s:
        row = s.get(UserSession, started.session_id)
        assert row.end_reason == "deactivated"
        row.ended_at = None  # a session left open somehow (a restored backup): still refused, nothing written
        s.add(row)
    before, rows = counts(store), snapshot(store)
    with pytest.raises(sessions.SessionEnded) as inactive:
        resume(store, cookie=cookie)
    assert inactive.value.key == "signin.inactive"
    assert counts(store) == before and snapshot(store) == rows
    with session_scope(store) as s:
        ends = s.exec(sm_select(AuditEvent).where(AuditEvent.action == "session.end_all")).all()
        reasons = [e.after["reason"] for e in ends]
    assert reasons == ["role_changed", "password_reset", "deactivated"]


def test_admin_lists_and_ends_sessions(store, admin, monkeypatch):
    zhang = sign_in(store)
    cookie_for(store, zhang)
    li = sign_in(store, username="li")
    with session_scope(store) as s:
        with pytest.raises(Forbidden):
            sessions.list_active_sessions(s, actor=Actor("li", "leader"))
        active = sessions.list_active_sessions(s, actor=admin)
        assert {a.username for a in active} == {"zhang", "li"}
        assert {a.device for a in active} == {"Chrome · Android"}
        sessions.end_session(s, actor=admin, session_id=li.session_id)
        with pytest.raises(NotFound):
            sessions.end_session(s, actor=admin, session_id=10_000)
    with session_scope(store) as s:
        assert [a.username for a in sessions.list_active_sessions(s, actor=admin)] == ["zhang"]
        event = s.exec(sm_select(AuditEvent).where(AuditEvent.action == "session.end")).one()
        assert event.actor == "admin" and event.after == {"user": "li", "reason": "ended_by_admin"}
    with pytest.raises(sessions.SessionEnded):
        resume(store, session_id=li.session_id)
    later(monkeypatch, "9h")  # idle sessions are not listed as active
    with session_scope(store) as s:
        assert sessions.list_active_sessions(s, actor=admin) == []


# ---------------------------------------------------------------------------------------------
# Display links


def make_link(engine, admin, **kwargs):
    with session_scope(engine) as s:
        return links.create_display_link(s, actor=admin, year=2017, base_url="https://review.example/", **kwargs)


def token_of(url: str) -> str:
    return url.split(f"?{rules.DISPLAY_PARAM}=", 1)[1]


def test_display_link_opens_its_campaign_until_revoked(store, admin):
    created = make_link(store, admin, days=3, label="三楼大屏")
    assert created.url.startswith("https://review.example/live?display=")
    token = token_of(created.url)
    with session_scope(store) as s:
        view = links.open_display_link(s, token=token)
        assert view.year == 2017 and view.actor.role == "leader" and view.actor.username.startswith("display-link:")
        assert links.check_display_link(s, link_id=created.id) == view
        row = s.get(DisplayLink, created.id)
        assert row.token_hash == token_hash(token) and row.label == "三楼大屏" and row.last_used_at is not None
        with pytest.raises(Forbidden):
            links.revoke_display_link(s, actor=Actor("li", "leader"), link_id=created.id)
        links.revoke_display_link(s, actor=admin, link_id=created.id)
    with session_scope(store) as s:
        for ask in (lambda: links.open_display_link(s, token=token),
                    lambda: links.check_display_link(s, link_id=created.id)):
            with pytest.raises(links.DisplayLinkInvalid):
                ask()
        assert [r.state(row.created_at) for r in links.list_display_links(s, actor=admin)] == ["revoked"]
        events = s.exec(sm_select(AuditEvent).where(AuditEvent.entity == "display_link")).all()
        assert [e.action for e in events] == ["display_link.create", "display_link.revoke"]
        assert token not in json.dumps([e.model_dump(mode="json") for e in events])


def test_display_link_expires_and_bad_tokens_change_nothing(store, admin, monkeypatch):
    created = make_link(store, admin, days=1)
    before = counts(store)
    with session_scope(store) as s:
        for bad in ("", "x", token_of(created.url)[:-1], "y" * 1000):
            with pytest.raises(links.DisplayLinkInvalid):
                links.open_display_link(s, token=bad)
    assert counts(store) == before
    later(monkeypatch, "1d")
    with session_scope(store) as s, pytest.raises(links.DisplayLinkInvalid):
        links.open_display_link(s, token=token_of(created.url))


def test_display_link_checks_its_input(store, admin):
    with session_scope(store) as s:
        with pytest.raises(Forbidden):
            links.create_display_link(s, actor=Actor("li", "leader"), year=2017, base_url="x")
        for days in (0, 367, 1.5):
            with pytest.raises(UserError):
                links.create_display_link(s, actor=admin, year=2017, base_url="x", days=days)
        with pytest.raises(NotFound):
            links.create_display_link(s, actor=admin, year=1999, base_url="x")
        with pytest.raises(NotFound):
            links.revoke_display_link(s, actor=admin, link_id=999)
    assert counts(store)["displaylink"] == 0


def cli(*args, url):
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_display_link_command(store, db_url):
    made = cli("display-link", "--campaign", "2017", "--days", "5", "--base-url", "https://review.example", url=db_url)
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip().splitlines()[-1]
    assert url.startswith("https://review.example/live?display=")
    listed = cli("display-link", "--list", url=db_url)
    assert listed.returncode == 0 and "\t2017\tactive\t" in listed.stdout and token_of(url) not in listed.stdout
    assert cli("display-link", "--revoke", "1", url=db_url).returncode == 0
    assert "\trevoked\t" in cli("display-link", "--list", url=db_url).stdout
    refused = cli("display-link", "--campaign", "1999", url=db_url)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    with session_scope(store) as s:
        with pytest.raises(links.DisplayLinkInvalid):
            links.open_display_link(s, token=token_of(url))


def test_lapsed_sessions_are_closed_and_old_ones_forgotten_at_sign_in(store, monkeypatch):
    old = sign_in(store)
    later(monkeypatch, "9h")
    sign_in(store)  # closes the idle one
    with session_scope(store) as s:
        assert s.get(UserSession, old.session_id).end_reason == "expired"
    later(monkeypatch, "31d")
    newest = sign_in(store)
    with session_scope(store) as s:
        assert s.get(UserSession, old.session_id) is None
        kept = s.exec(sm_select(UserSession.id)).all()
        assert newest.session_id in kept and len(kept) == 2  # the second is closed now, forgotten in 30 days
        assert s.exec(sm_select(AuditEvent).where(AuditEvent.action == "session.sign_in")).all()
