"""Which units an actor may see: the one rule every casework store function applies itself.

A liaison is bound to one unit by its stable code (`Actor.unit_code`); in a campaign that code
names one unit id. Everyone else reads every unit. A row of another unit is reported as "not
found", so a liaison who types another case's number learns nothing, not even that it exists.
"""

from __future__ import annotations

from sqlmodel import Session, select

from core.errors import NotFound
from db.access import Actor, require
from db.models import Unit

NOWHERE = -1  # the unit id a liaison is limited to when their unit is not in this campaign: none


def visible_unit(session: Session, actor: Actor, campaign_id: int, *roles: str) -> int | None:
    """None: every unit; else the only unit id this actor may see in the campaign.

    `roles` are the roles allowed to read at all (checked here, so no caller forgets it).
    """
    require(actor, *roles)
    if actor.role != "liaison":
        return None
    unit_id = session.exec(select(Unit.id).where(Unit.campaign_id == campaign_id,
                                                 Unit.code == (actor.unit_code or ""))).first()
    return unit_id if unit_id is not None else NOWHERE


def may_see(session: Session, actor: Actor, campaign_id: int, unit_id: int, *roles: str) -> bool:
    visible = visible_unit(session, actor, campaign_id, *roles)
    return visible is None or visible == unit_id


def ensure_visible(session: Session, actor: Actor, campaign_id: int, unit_id: int, *roles: str,
                   not_found: NotFound) -> None:
    """Raise `not_found` (never Forbidden: that would confirm the row exists) for another unit's row."""
    if not may_see(session, actor, campaign_id, unit_id, *roles):
        raise not_found


def unit_ids(session: Session, campaign_id: int, *, active_only: bool = True) -> dict[str, int]:
    query = select(Unit.code, Unit.id).where(Unit.campaign_id == campaign_id)
    if active_only:
        query = query.where(Unit.active)
    return dict(session.exec(query).all())


def unit_names(session: Session, campaign_id: int, *, active_only: bool = True) -> dict[str, str]:
    query = select(Unit.code, Unit.name).where(Unit.campaign_id == campaign_id)
    if active_only:
        query = query.where(Unit.active)
    return dict(session.exec(query.order_by(Unit.position, Unit.id)).all())
