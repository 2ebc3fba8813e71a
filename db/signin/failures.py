"""Failed sign-ins: counted per account and network for the growing waits of core.passwords, and
shown to the administrator on /users.

Kept in the table `attempt` (kind `signin:<user id>`, subject the network's salted hash) for a day,
so that every replica sees the same counts. Never an address: networks are keyed hashes, shown as
their first 8 characters; a typed name that no account has is kept only as a keyed hash too (it
may be a password typed into the wrong box). Such names wait like real ones, so a wait never tells
whether an account exists.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from core.clock import utcnow
from core.passwords import FAILURE_WINDOW
from db.access import Actor, require
from db.audit import record
from db.models import Attempt, User

PREFIX = "signin:"
SHOWN = 8  # characters of a network's hash shown on /users: tells networks apart, names none

_ATTEMPT = Attempt.__table__
_A = _ATTEMPT.c
_BY_NETWORK = (sa_select(_A.subject_hash, func.count(), func.max(_A.at))
               .where(_A.kind == bindparam("kind"), _A.at > bindparam("since")).group_by(_A.subject_hash))
_ADD = insert(_ATTEMPT)
_PRUNE = delete(_ATTEMPT).where(_A.kind.like(f"{PREFIX}%"), _A.at < bindparam("before"))


def account_key(user: User | None, username: str, salt: str) -> str:
    """The `attempt` kind of an account: its row id, or for a name nobody has, a keyed hash of it."""
    if user is not None:
        return f"{PREFIX}{user.id}"
    return f"{PREFIX}?" + hmac.new(salt.encode(), f"username:{username}".encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Failures:
    """One account's failures within the window: from the asking network, and from all."""

    here: int
    last_here: datetime | None
    everywhere: int
    last_anywhere: datetime | None


def failures(session: Session, *, key: str, network: str, now: datetime) -> Failures:
    rows = session.connection().execute(_BY_NETWORK, {"kind": key, "since": now - FAILURE_WINDOW}).all()
    mine = next((row for row in rows if row[0] == network), None)
    return Failures(mine[1] if mine else 0, mine[2] if mine else None, sum(row[1] for row in rows),
                    max((row[2] for row in rows), default=None))


def count_failure(session: Session, *, key: str, network: str, now: datetime) -> Failures:
    """Count one failure (in the caller's transaction, which must commit it) and return the new counts."""
    db = session.connection()
    db.execute(_PRUNE, {"before": now - FAILURE_WINDOW})
    db.execute(_ADD, {"kind": key, "subject_hash": network, "at": now})
    return failures(session, key=key, network=network, now=now)


def forget_network(session: Session, *, key: str, network: str) -> None:
    """The right password from this network: its count starts afresh (other networks' counts stay)."""
    session.connection().execute(delete(_ATTEMPT).where(_A.kind == key, _A.subject_hash == network))


@dataclass(frozen=True)
class AccountFailures:
    """What /users shows of an account's failed sign-ins in the last 24 hours."""

    count: int
    last_at: datetime
    networks: tuple[tuple[str, int], ...]  # (hash prefix, failures), most failures first


def recent_failures(session: Session, *, actor: Actor, now: datetime | None = None) -> dict[str, AccountFailures]:
    """Failed sign-ins of the last 24 hours per username (accounts with none are left out)."""
    require(actor, "admin")
    now = now or utcnow()
    rows = session.connection().execute(
        sa_select(_A.kind, _A.subject_hash, func.count(), func.max(_A.at))
        .where(_A.kind.like(f"{PREFIX}%"), _A.at > now - FAILURE_WINDOW).group_by(_A.kind, _A.subject_hash)).all()
    names = {f"{PREFIX}{user_id}": name for user_id, name in session.exec(select(User.id, User.username)).all()}
    found: dict[str, list] = {}
    for kind, network, count, last in rows:
        if kind in names:
            found.setdefault(names[kind], []).append((network[:SHOWN], count, last))
    return {name: AccountFailures(sum(n for _, n, _ in nets), max(at for _, _, at in nets),
                                  tuple((net, n) for net, n, _ in sorted(nets, key=lambda r: -r[1])))
            for name, nets in sorted(found.items())}


def clear_failures(session: Session, *, actor: Actor, username: str) -> int:
    """The administrator forgets an account's failed sign-ins (after checking who was trying); audited."""
    require(actor, "admin")
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        return 0
    cleared = forget_account(session, user=user)
    record(session, actor=actor, action="user.failures_cleared", entity="user", entity_id=username,
           after={"failures": cleared})
    return cleared


def forget_account(session: Session, *, user: User) -> int:
    """Every network's count for the account starts afresh (a password reset, or the administrator)."""
    return session.connection().execute(delete(_ATTEMPT).where(_A.kind == f"{PREFIX}{user.id}")).rowcount
