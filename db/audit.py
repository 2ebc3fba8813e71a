"""The append-only audit log: who changed what, when, from what to what."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from db.access import Actor, require
from db.models import AuditEvent


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = "",
    campaign_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add an event to the caller's transaction: it commits or rolls back with the change."""
    event = AuditEvent(
        actor=actor.username, action=action, entity=entity, entity_id=str(entity_id),
        campaign_id=campaign_id, before=before, after=after,
    )
    session.add(event)
    return event


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that differ, so an event shows what changed rather than everything."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def list_events(
    session: Session,
    *,
    actor: Actor,
    action: str | None = None,
    who: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Events newest first, with the total count for paging."""
    require(actor, "admin")
    query = select(AuditEvent)
    if action:
        query = query.where(col(AuditEvent.action).startswith(action))
    if who:
        query = query.where(AuditEvent.actor == who)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(AuditEvent.id).desc()).offset(offset).limit(limit)).all()
    return list(rows), total


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all())
