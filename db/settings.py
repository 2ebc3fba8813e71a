"""Settings of the whole platform (not of one campaign), one JSON value per key, changes audited."""

from __future__ import annotations

from sqlmodel import Session

from core.clock import utcnow
from db.access import Actor, require
from db.audit import record
from db.models import AppSetting


def get_setting(session: Session, key: str, default: dict) -> dict:
    row = session.get(AppSetting, key)
    return dict(default, **row.value) if row is not None else dict(default)


def put_setting(session: Session, *, actor: Actor, key: str, value: dict) -> None:
    """Store a validated value (the caller checks it) and audit the change from what it was."""
    require(actor, "admin")
    row = session.get(AppSetting, key)
    before = dict(row.value) if row is not None else None
    if row is None:
        row = AppSetting(key=key, value=value)
    row.value, row.updated_at, row.updated_by = dict(value), utcnow(), actor.username
    session.add(row)
    if before != value:
        record(session, actor=actor, action="setting.update", entity="setting", entity_id=key, before=before,
               after=dict(value))
