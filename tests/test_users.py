from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from core import passwords
from core.clock import utcnow
from core.errors import Forbidden, UserError
from db.access import Actor
from db.engine import session_scope
from db.models import AuditEvent, User
from db.signin.failures import clear_failures, recent_failures
from db.users import SignInError, authenticate, change_password, create_user, reset_password, update_user

PASSWORD = "correct horse battery"


def make(engine, admin, **kwargs):
    values = {"username": "zhang", "role": "inspector", "password": PASSWORD} | kwargs
    with session_scope(engine) as s:
        return create_user(s, actor=admin, **values)


SALT = "test salt"
OFFICE, ELSEWHERE = "192.0.2.1", "198.51.100.7"


def sign_in(engine, username="zhang", password=PASSWORD, ip=OFFICE):
    with session_scope(engine) as s:
        return authenticate(s, username=username, password=password, ip=ip, salt=SALT)


class Clock:
    """The sign-in's clock, standing still unless moved: waits are checked without racing real time."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def move(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    moved = Clock()
    monkeypatch.setattr("db.users.utcnow", moved)
    return moved


def refused(engine, username="zhang", password="nope nope nope", ip=ELSEWHERE) -> str:
    """The refusal's key for a sign-in that must fail."""
    with pytest.raises(SignInError) as caught:
        sign_in(engine, username, password, ip)
    return caught.value.key


def test_create_and_sign_in(scheme_engine, admin):
    make(scheme_engine, admin, display_name="张三")
    signed = sign_in(scheme_engine)
    assert signed.actor == Actor("zhang", "inspector", None)
    assert signed.display_name == "张三" and signed.must_change_password
    with session_scope(scheme_engine) as s:
        user = s.exec(select(User).where(User.username == "zhang")).one()
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "user.create")).all()[-1]
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert event.actor == "admin" and event.after["role"] == "inspector" and "password_hash" not in event.after


def test_wrong_password_and_unknown_user_get_the_same_message(scheme_engine, admin):
    make(scheme_engine, admin)
    messages = set()
    for username, password in (("zhang", "wrong password!"), ("nobody", PASSWORD)):
        with pytest.raises(SignInError) as caught:
            sign_in(scheme_engine, username, password)
        messages.add(caught.value.key)
    assert messages == {"auth.failed"}


def test_failures_from_one_network_make_it_wait_longer_each_time(scheme_engine, admin, clock):
    make(scheme_engine, admin)
    assert [refused(scheme_engine) for _ in range(3)] == ["auth.failed"] * 3
    # The fourth try from that network waits a second; the password is not even checked meanwhile.
    assert refused(scheme_engine, password=PASSWORD) == "auth.wait"
    clock.move(seconds=1)
    assert refused(scheme_engine) == "auth.failed"  # the fourth failure: now two seconds
    clock.move(seconds=1)
    assert refused(scheme_engine, password=PASSWORD) == "auth.wait"
    clock.move(seconds=1)
    assert sign_in(scheme_engine, ip=ELSEWHERE).actor.username == "zhang"
    # The right password forgets that network's failures: the next typo costs nothing.
    assert refused(scheme_engine) == "auth.failed" and sign_in(scheme_engine, ip=ELSEWHERE)


def test_a_name_nobody_has_waits_alike(scheme_engine, admin, clock):
    """A wait must not tell whether the account exists."""
    make(scheme_engine, admin)
    for name in ("zhang", "nobody"):
        assert [refused(scheme_engine, name) for _ in range(4)] == ["auth.failed"] * 3 + ["auth.wait"]
    with session_scope(scheme_engine) as s:
        stored = str(s.exec(text("SELECT * FROM attempt")).all())
    assert "nobody" not in stored and ELSEWHERE not in stored


def test_waits_are_audited_and_shown_to_the_admin_without_addresses(scheme_engine, admin, clock):
    make(scheme_engine, admin)
    for k in range(12):  # a guesser with a few networks; the clock moves on so every try is checked
        clock.move(minutes=20)
        refused(scheme_engine, ip=f"203.0.113.{k % 3}")
    with session_scope(scheme_engine) as s:
        shown = recent_failures(s, actor=admin, now=clock.now)["zhang"]
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "user.sign_in_throttled")).all()
    assert shown.count == 12 and [n for _, n in shown.networks] == [4, 4, 4]
    assert all(len(net) == 8 and "203.0.113" not in net for net, _ in shown.networks)
    # One event for each network's third failure, one for the account's tenth: never an address.
    assert len(events) == 4 and events[0].actor == "sign-in form" and "203.0.113" not in str(
        [e.after for e in events])
    with session_scope(scheme_engine) as s:
        assert clear_failures(s, actor=admin, username="zhang") == 12
    with session_scope(scheme_engine) as s:
        assert recent_failures(s, actor=admin, now=clock.now) == {}
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "user.failures_cleared")).one().after == {
            "failures": 12}


def test_the_account_slows_every_network_that_failed_but_none_that_did_not(scheme_engine, admin, clock):
    make(scheme_engine, admin)
    for k in range(10):  # ten networks, one failure each: no network has reached its own limit
        refused(scheme_engine, ip=f"203.0.113.{k}")
    # Ten failures on the account: a network that failed waits (up to a minute) ...
    assert refused(scheme_engine, password=PASSWORD, ip="203.0.113.0") == "auth.wait"
    # ... one that has not is not held back at all.
    assert sign_in(scheme_engine, ip=OFFICE).actor.username == "zhang"


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"role": "king"}, "users.unknown_role"),
    ({"role": "liaison"}, "users.unit_required"),
    ({"role": "liaison", "unit_code": "zz99"}, "users.unknown_unit"),
    ({"role": "leader", "unit_code": "es01"}, "users.unit_not_allowed"),
    ({"username": "has space"}, "users.bad_username"),
    ({"password": "short"}, "auth.password_short"),
    ({"password": "zhang-is-my-name"}, "auth.password_username"),
])
def test_bad_accounts_are_refused_and_nothing_is_written(scheme_engine, admin, kwargs, key):
    with pytest.raises(UserError) as caught:
        make(scheme_engine, admin, **kwargs)
    assert caught.value.key == key
    with session_scope(scheme_engine) as s:
        assert s.exec(select(User).where(User.username != "admin")).all() == []


def test_duplicate_username_refused(scheme_engine, admin):
    make(scheme_engine, admin)
    with pytest.raises(UserError, match="taken"):
        make(scheme_engine, admin)


def test_liaison_is_bound_to_a_unit(scheme_engine, admin):
    make(scheme_engine, admin, username="li", role="liaison", unit_code="es06")
    assert sign_in(scheme_engine, "li").actor == Actor("li", "liaison", "es06")


def test_only_admins_manage_users(scheme_engine, admin):
    make(scheme_engine, admin)
    for role in ("inspector", "leader", "analyst", "liaison"):
        with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
            create_user(s, actor=Actor("x", role), username="y", role="leader", password=PASSWORD)
        with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
            reset_password(s, actor=Actor("x", role), username="zhang")


def test_change_and_reset_password(scheme_engine, admin):
    make(scheme_engine, admin)
    actor = sign_in(scheme_engine).actor
    with pytest.raises(UserError, match="current password is wrong"), session_scope(scheme_engine) as s:
        change_password(s, actor=actor, current="wrong wrong", new="another good one")
    with session_scope(scheme_engine) as s:
        change_password(s, actor=actor, current=PASSWORD, new="another good one")
    assert not sign_in(scheme_engine, password="another good one").must_change_password
    with session_scope(scheme_engine) as s:
        temporary = reset_password(s, actor=admin, username="zhang")
    assert sign_in(scheme_engine, password=temporary).must_change_password


def test_admin_cannot_lock_themselves_out(scheme_engine, admin):
    with pytest.raises(UserError, match="cannot deactivate yourself"), session_scope(scheme_engine) as s:
        update_user(s, actor=admin, username="admin", role="admin", display_name="", unit_code=None, active=False)


def test_role_change_is_audited_with_before_and_after(scheme_engine, admin):
    make(scheme_engine, admin)
    with session_scope(scheme_engine) as s:
        update_user(s, actor=admin, username="zhang", role="analyst", display_name="", unit_code=None, active=True)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert event.before == {"role": "inspector"} and event.after == {"role": "analyst"}


def test_a_one_time_password_never_contains_the_username(monkeypatch):
    draws = iter(["xxLIxxxxxxxxxxxx", "abcdefghijklmnop"])
    monkeypatch.setattr(passwords.secrets, "token_urlsafe", lambda n: next(draws))
    assert passwords.one_time_password("li") == "abcdefghijklmnop"


def test_no_stranger_locks_the_account(scheme_engine, admin, clock):
    make(scheme_engine, admin, role="admin")
    for _ in range(50):  # someone on another network tries passwords, a minute apart
        clock.move(minutes=1)
        with pytest.raises(SignInError):
            sign_in(scheme_engine, password="guess guess guess", ip=ELSEWHERE)
    assert sign_in(scheme_engine, ip=OFFICE).actor.username == "zhang"  # the rightful user, elsewhere, signs in
    assert refused(scheme_engine, password=PASSWORD) == "auth.wait"  # while the guesser's network waits
