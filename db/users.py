"""Staff accounts: creation, sign-in (failures throttled, never locked), password changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from sqlmodel import Session, select

from core import passwords
from core.clock import utcnow
from core.errors import NotFound, UserError
from core.poll import network_hash
from core.roles import ROLES, ROLES_BOUND_TO_UNIT
from core.throttle import whole_seconds
from db.access import Actor, require
from db.audit import changes, record
from db.models import Unit, User
from db.signin import failures
from db.signin.ending import end_sessions_of

SIGN_IN_FORM = Actor("sign-in form", "public")  # the audit log's name for whoever types at the form


class SignInError(UserError):
    """Sign-in refused. The message never says whether the username exists."""


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    display_name: str
    must_change_password: bool


def public_view(user: User) -> dict:
    """The fields an audit event or a listing may show: never the password hash."""
    return {
        "username": user.username, "display_name": user.display_name, "role": user.role,
        "unit_code": user.unit_code, "active": user.active,
    }


def _check_role_and_unit(session: Session, role: str, unit_code: str | None) -> str | None:
    if role not in ROLES:
        raise UserError("users.unknown_role", "unknown role {role!r}; valid roles: {roles}",
                        role=role, roles=", ".join(ROLES))
    if role in ROLES_BOUND_TO_UNIT:
        if not unit_code:
            raise UserError("users.unit_required", "a liaison must be bound to one unit (its code, e.g. es01)")
        if session.exec(select(Unit.id).where(Unit.code == unit_code)).first() is None:
            raise UserError("users.unknown_unit", "no unit has the code {code!r}", code=unit_code)
        return unit_code
    if unit_code:
        raise UserError("users.unit_not_allowed", "only a liaison is bound to a unit")
    return None


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    unit_code: str | None = None,
    must_change_password: bool = True,
) -> User:
    require(actor, "admin")
    username = username.strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise UserError("users.bad_username", "a username is 1 to 64 characters without spaces")
    unit_code = _check_role_and_unit(session, role, unit_code)
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise UserError("users.exists", "the username {username!r} is taken", username=username)
    passwords.check_new_password(password, username=username)
    user = User(
        username=username, role=role, unit_code=unit_code, display_name=display_name.strip(),
        password_hash=passwords.hash_password(password), must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.create", entity="user", entity_id=user.username,
           after=public_view(user))
    return user


def authenticate(session: Session, *, username: str, password: str, ip: str | None, salt: str) -> SignedIn:
    """Check a password. Failures are counted per account and network and make that network wait
    longer each time (core.passwords); no account is ever locked, and a network that has not failed
    on an account is never kept from it.

    `ip` and `salt` give the network's keyed hash (as ui.client computes it); no address is stored.
    """
    now = utcnow()
    username = username.strip()
    # Locked until this sign-in's transaction ends (PostgreSQL): tries at one account run one after
    # another, so a crowd of them sent at once cannot all slip through before the first is counted.
    user = session.exec(select(User).where(User.username == username).with_for_update()).first()
    key, network = failures.account_key(user, username, salt), network_hash(ip, salt)
    counted = failures.failures(session, key=key, network=network, now=now)
    wait = passwords.sign_in_wait(here=counted.here, last_here=counted.last_here, everywhere=counted.everywhere,
                                  last_anywhere=counted.last_anywhere, now=now)
    if wait:  # the password is not even checked: a guesser learns nothing while waiting
        raise SignInError("auth.wait", "too many failed sign-ins from this network; try again in {seconds} s",
                          seconds=whole_seconds(wait))
    if user is None or not user.active:
        # Hash anyway so that an unknown name takes as long as a wrong password.
        passwords.verify_password(_DUMMY_HASH, password)
        _failed(session, user=user, key=key, network=network, now=now)
    if not passwords.verify_password(user.password_hash, password):
        _failed(session, user=user, key=key, network=network, now=now)
    failures.forget_network(session, key=key, network=network)
    user.last_sign_in_at = now
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.add(user)
    return SignedIn(Actor(user.username, user.role, user.unit_code), user.display_name or user.username,
                    user.must_change_password)


def _failed(session: Session, *, user: User | None, key: str, network: str, now: datetime) -> NoReturn:
    """Count the failure (committed although sign-in is refused), audit the one that starts a wait, refuse."""
    counted = failures.count_failure(session, key=key, network=network, now=now)
    if user is not None and passwords.starts_waiting(here=counted.here, everywhere=counted.everywhere):
        record(session, actor=SIGN_IN_FORM, action="user.sign_in_throttled", entity="user", entity_id=user.username,
               after={"network": network[:failures.SHOWN], "failures_here": counted.here,
                      "failures_24h": counted.everywhere})
    session.commit()
    raise SignInError("auth.failed", "wrong username or password")


_DUMMY_HASH = passwords.hash_password("not a real password")


def change_password(session: Session, *, actor: Actor, current: str, new: str, keep_session: int | None = None) -> None:
    """A user changes their own password (and so ends a forced change).

    Every other session of theirs ends (someone who knew the old password is signed out);
    `keep_session`, the one making the change, stays.
    """
    user = _get(session, actor.username)
    if not passwords.verify_password(user.password_hash, current):
        raise UserError("auth.current_wrong", "the current password is wrong")
    if current == new:
        raise UserError("auth.password_same", "the new password must differ from the current one")
    passwords.check_new_password(new, username=user.username)
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    session.add(user)
    record(session, actor=actor, action="user.password_change", entity="user", entity_id=user.username)
    end_sessions_of(session, user=user, reason="password_changed", by=actor, keep=keep_session)


def reset_password(session: Session, *, actor: Actor, username: str) -> str:
    """Give a user a new one-time password (returned once, to show once); their failed sign-ins are forgotten."""
    require(actor, "admin")
    user = _get(session, username)
    password = passwords.one_time_password(username)
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = True
    session.add(user)
    failures.forget_account(session, user=user)
    record(session, actor=actor, action="user.password_reset", entity="user", entity_id=username)
    end_sessions_of(session, user=user, reason="password_reset", by=actor)
    return password


def update_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: str,
    display_name: str,
    unit_code: str | None,
    active: bool,
) -> User:
    require(actor, "admin")
    user = _get(session, username)
    if username == actor.username and (not active or role != "admin"):
        raise UserError("users.self_lockout", "you cannot deactivate yourself or take away your own admin role")
    unit_code = _check_role_and_unit(session, role, unit_code or None)
    before = public_view(user)
    user.role, user.display_name, user.unit_code, user.active = role, display_name.strip(), unit_code, active
    session.add(user)
    old, new = changes(before, public_view(user))
    if new:
        record(session, actor=actor, action="user.update", entity="user", entity_id=username, before=old, after=new)
    # Whoever the account was, its sessions end: a deactivated user is out at once, and a new role
    # or unit is taken up at the next sign-in rather than half-way through a page.
    if not active and before["active"]:
        end_sessions_of(session, user=user, reason="deactivated", by=actor)
    elif role != before["role"] or unit_code != before["unit_code"]:
        end_sessions_of(session, user=user, reason="role_changed", by=actor)
    return user


def list_users(session: Session, *, actor: Actor) -> list[User]:
    require(actor, "admin")
    return list(session.exec(select(User).order_by(User.username)).all())


def has_admin(session: Session) -> bool:
    return session.exec(select(User.id).where(User.role == "admin", User.active)).first() is not None


def _get(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound("users.not_found", "no user named {username!r}", username=username)
    return user
