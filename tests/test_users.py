from datetime import timedelta

import pytest
from sqlmodel import select

from core import passwords
from core.errors import Forbidden, UserError
from db.access import Actor
from db.engine import session_scope
from db.models import AuditEvent, User
from db.users import SignInError, authenticate, change_password, create_user, reset_password, unlock, update_user

PASSWORD = "correct horse battery"


def make(engine, admin, **kwargs):
    values = {"username": "zhang", "role": "inspector", "password": PASSWORD} | kwargs
    with session_scope(engine) as s:
        return create_user(s, actor=admin, **values)


def sign_in(engine, username="zhang", password=PASSWORD):
    with session_scope(engine) as s:
        return authenticate(s, username=username, password=password)


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


def test_lock_out_after_repeated_failures_then_unlock(scheme_engine, admin):
    make(scheme_engine, admin)
    for _ in range(passwords.MAX_FAILED_ATTEMPTS):
        with pytest.raises(SignInError, match="wrong"):
            sign_in(scheme_engine, password="nope nope nope")
    with pytest.raises(SignInError, match="locked"):
        sign_in(scheme_engine)  # even the right password is refused while locked
    with session_scope(scheme_engine) as s:
        unlock(s, actor=admin, username="zhang")
    assert sign_in(scheme_engine).actor.username == "zhang"


def test_lock_expires(scheme_engine, admin):
    make(scheme_engine, admin)
    with session_scope(scheme_engine) as s:
        user = s.exec(select(User).where(User.username == "zhang")).one()
        user.failed_attempts = 5
        user.locked_until = user.created_at - timedelta(minutes=1)
        s.add(user)
    assert sign_in(scheme_engine).actor.role == "inspector"


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
