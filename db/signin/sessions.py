"""Staff sessions: sign in, exchange the one-time ticket for the cookie, find the user of a cookie, sign out.

Only hashes are stored: a session's id (the cookie) and its sign-in ticket are random and shown to
the browser once. Checks that refuse a session (ended, expired, idle, account deactivated) write
nothing, so a replayed or forged cookie changes nothing in the database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, or_, update
from sqlmodel import Session, col, select

from core import sessions as rules
from core.clock import utcnow
from core.errors import NotFound, UserError
from core.tokens import new_token, token_hash
from db.access import Actor, require
from db.audit import record
from db.models import User, UserSession
from db.settings import get_setting, put_setting
from db.users import SignedIn, authenticate

SETTING_KEY = "sessions"


class SessionEnded(UserError):
    """A known session that no longer signs anybody in; the message says why in one sentence."""


@dataclass(frozen=True)
class Started:
    """A sign-in: the user, the session's row id (kept server-side) and the ticket for the cookie."""

    signed_in: SignedIn
    session_id: int
    ticket: str


@dataclass(frozen=True)
class Resumed:
    session_id: int
    actor: Actor
    display_name: str
    must_change_password: bool


@dataclass(frozen=True)
class ActiveSession:
    id: int
    username: str
    display_name: str
    role: str
    created_at: datetime
    last_seen_at: datetime
    device: str


def lifetimes(session: Session) -> rules.Lifetimes:
    value = get_setting(session, SETTING_KEY, {"idle_hours": rules.DEFAULT_IDLE_HOURS,
                                               "max_days": rules.DEFAULT_MAX_DAYS})
    return rules.Lifetimes(float(value["idle_hours"]), float(value["max_days"]))


def set_lifetimes(session: Session, *, actor: Actor, idle_hours: float, max_days: float) -> rules.Lifetimes:
    require(actor, "admin")
    checked = rules.check_lifetimes(idle_hours, max_days)
    put_setting(session, actor=actor, key=SETTING_KEY,
                value={"idle_hours": checked.idle_hours, "max_days": checked.max_days})
    return checked


def _close_lapsed(session: Session, now: datetime, limits: rules.Lifetimes) -> None:
    """Mark sessions past their lifetime as ended, so the open ones stay few, and forget those ended
    long ago (the audit log keeps the sign-ins and sign-outs). Run at each sign-in."""
    session.exec(delete(UserSession).where(col(UserSession.ended_at) < now - rules.KEEP_ENDED))
    session.exec(
        update(UserSession)
        .where(col(UserSession.ended_at).is_(None),
               or_(col(UserSession.created_at) <= now - limits.absolute,
                   col(UserSession.last_seen_at) <= now - limits.idle))
        .values(ended_at=now, end_reason="expired", ticket_hash=None)
    )


def sign_in(session: Session, *, username: str, password: str, ip: str | None, salt: str,
            device: str = "") -> Started:
    """Check the password (db.users.authenticate: failures throttled per account and network) and start
    a new session. `ip` and `salt` make the network's keyed hash; `device` is a coarse hint for /users.

    Always a new session with new secrets: nothing the browser held before is reused (no fixation).
    """
    signed_in = authenticate(session, username=username, password=password, ip=ip, salt=salt)
    user = session.exec(select(User).where(User.username == signed_in.actor.username)).one()
    now = utcnow()
    _close_lapsed(session, now, lifetimes(session))
    ticket = new_token()
    row = UserSession(user_id=user.id, ticket_hash=token_hash(ticket), ticket_expires_at=now + rules.TICKET_TTL,
                      created_at=now, last_seen_at=now, device=device[:60])
    session.add(row)
    session.flush()
    record(session, actor=signed_in.actor, action="session.sign_in", entity="session", entity_id=row.id,
           after={"device": row.device})
    return Started(signed_in, row.id, ticket)


def exchange_ticket(session: Session, *, ticket: str) -> tuple[str, int] | None:
    """The cookie value for a valid ticket, and how many seconds it may live; None for any other ticket.

    The ticket is spent whatever happens: a second use, even a second before expiry, gets nothing.
    Spending it is one conditional UPDATE, the transaction's first statement: of two requests racing
    with one ticket, the second finds it spent (PostgreSQL re-checks the condition after the first
    commits; SQLite lets one writer in at a time) and only one session gets a cookie.
    """
    if not ticket or len(ticket) > 100:
        return None
    spent = session.connection().execute(_SPEND, {"spent": token_hash(ticket)}).first()
    if spent is None:
        return None
    row = session.get(UserSession, spent.id)
    now = utcnow()
    user = session.get(User, row.user_id)
    limits = lifetimes(session)
    if (row.ended_at is not None or row.ticket_expires_at is None or row.ticket_expires_at < now
            or user is None or not user.active):
        return None
    value = secrets.token_urlsafe(rules.ID_BYTES)
    row.id_hash = token_hash(value)
    row.last_seen_at = now
    session.add(row)
    remaining = row.created_at + limits.absolute - now
    return value, int(remaining.total_seconds())


_T = UserSession.__table__.c
_SPEND = (update(UserSession.__table__).where(_T.ticket_hash == bindparam("spent"))
          .values(ticket_hash=None).returning(_T.id))


def resume(session: Session, *, session_id: int | None = None, cookie: str | None = None,
           touch: bool = True) -> Resumed | None:
    """Who this session is: by its row id (a Streamlit session that signed in) or by the browser's cookie.

    None when there is no session at all (no cookie, or one nobody issued: edited, forged).
    SessionEnded when the session exists but signs nobody in any more. Writes only `last_seen_at`,
    at most once a minute, and only when `touch` (someone did something; a screen's timer did not).
    """
    if session_id is not None:
        row = session.get(UserSession, session_id)
    elif cookie and len(cookie) <= 100:
        row = session.exec(select(UserSession).where(UserSession.id_hash == token_hash(cookie))).first()
    else:
        return None
    if row is None:
        return None
    if row.ended_at is not None:
        raise SessionEnded("signin.ended", "this session has ended; please sign in again")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise SessionEnded("signin.inactive", "this account is deactivated; ask an administrator")
    now = utcnow()
    reason = rules.end_reason(created_at=row.created_at, last_seen_at=row.last_seen_at, now=now,
                              lifetimes=lifetimes(session))
    if reason == "idle":
        raise SessionEnded("signin.idle", "you were signed out after a long time without activity; please sign in "
                           "again")
    if reason == "expired":
        raise SessionEnded("signin.expired", "your session reached its maximum length; please sign in again")
    if touch and rules.needs_touch(row.last_seen_at, now):
        row.last_seen_at = now
        session.add(row)
    return Resumed(row.id, Actor(user.username, user.role, user.unit_code), user.display_name or user.username,
                   user.must_change_password)


def sign_out(session: Session, *, actor: Actor, session_id: int) -> None:
    """End the caller's own session (whatever the browser does with its cookie afterwards)."""
    user = session.exec(select(User).where(User.username == actor.username)).first()
    row = session.get(UserSession, session_id)
    if user is None or row is None or row.user_id != user.id:
        raise NotFound("signin.no_session", "no such session")
    if row.ended_at is None:
        row.ended_at, row.end_reason, row.ticket_hash = utcnow(), "signed_out", None
        session.add(row)
        record(session, actor=actor, action="session.sign_out", entity="session", entity_id=row.id)


def end_session(session: Session, *, actor: Actor, session_id: int) -> None:
    """An administrator ends someone's session: their next tap shows the sign-in form."""
    require(actor, "admin")
    row = session.get(UserSession, session_id)
    if row is None:
        raise NotFound("signin.no_session", "no such session")
    if row.ended_at is None:
        user = session.get(User, row.user_id)
        row.ended_at, row.end_reason, row.ticket_hash = utcnow(), "ended_by_admin", None
        session.add(row)
        record(session, actor=actor, action="session.end", entity="session", entity_id=row.id,
               after={"user": user.username if user else None, "reason": "ended_by_admin"})


def list_active_sessions(session: Session, *, actor: Actor) -> list[ActiveSession]:
    """Open sessions, most recently seen first (no secrets, no addresses: a coarse device hint)."""
    require(actor, "admin")
    now, limits = utcnow(), lifetimes(session)
    rows = session.exec(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(col(UserSession.ended_at).is_(None), User.active)
        .order_by(col(UserSession.last_seen_at).desc())
    ).all()
    return [ActiveSession(row.id, user.username, user.display_name, user.role, row.created_at, row.last_seen_at,
                          row.device)
            for row, user in rows
            if rules.end_reason(created_at=row.created_at, last_seen_at=row.last_seen_at, now=now,
                                lifetimes=limits) is None]
