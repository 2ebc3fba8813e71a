"""Ending every session of one user: called when the account changes under them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.clock import utcnow
from db.access import Actor
from db.audit import record
from db.models import User, UserSession


def end_sessions_of(session: Session, *, user: User, reason: str, by: Actor, keep: int | None = None) -> int:
    """End the user's open sessions (all but `keep`, the one making a password change); audited.

    `by` is who caused it (the administrator, or the user changing their own password); the
    caller has checked their right to make the change that ends the sessions.
    """
    now = utcnow()
    query = select(UserSession).where(UserSession.user_id == user.id, col(UserSession.ended_at).is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep)
    rows = list(session.exec(query).all())
    for row in rows:
        row.ended_at, row.end_reason, row.ticket_hash = now, reason, None
        session.add(row)
    if rows:
        record(session, actor=by, action="session.end_all", entity="user", entity_id=user.username,
               after={"sessions": len(rows), "reason": reason})
    return len(rows)
