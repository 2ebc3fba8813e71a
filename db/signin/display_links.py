"""Display links: a read-only /live wall screen of one campaign, opened on a TV without signing in.

The token is random (192 bits), printed once in the link and stored only as SHA-256. A link opens
nothing but /live of its campaign; revoking it, or reaching its expiry, refuses it at the screen's
next timed refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core import sessions as rules
from core.clock import utcnow
from core.errors import NotFound, UserError
from core.tokens import new_token, token_hash
from db.access import Actor, require
from db.audit import record
from db.campaigns import get_campaign
from db.models import Campaign, DisplayLink


class DisplayLinkInvalid(UserError):
    """Revoked, expired or never issued: the screen shows one sentence."""


@dataclass(frozen=True)
class CreatedLink:
    id: int
    url: str  # shown once: the token is in it
    year: int
    expires_at: datetime


@dataclass(frozen=True)
class DisplayView:
    """What an open display link may show: one campaign's /live, as a leader would see it, read-only."""

    link_id: int
    campaign_id: int
    year: int
    expires_at: datetime

    @property
    def actor(self) -> Actor:
        # The live board reads as a leader; the name says it is a screen, for the audit trail.
        return Actor(f"display-link:{self.link_id}", "leader")


@dataclass(frozen=True)
class LinkRow:
    id: int
    year: int
    label: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/live?{rules.DISPLAY_PARAM}={token}"


def create_display_link(session: Session, *, actor: Actor, year: int, base_url: str,
                        days: int = rules.DISPLAY_DAYS_DEFAULT, label: str = "") -> CreatedLink:
    require(actor, "admin")
    days = rules.check_display_days(days)
    campaign = get_campaign(session, year)
    token = new_token()
    now = utcnow()
    link = DisplayLink(token_hash=token_hash(token), campaign_id=campaign.id, label=label.strip()[:100],
                       created_by=actor.username, created_at=now, expires_at=now + timedelta(days=days))
    session.add(link)
    session.flush()
    record(session, actor=actor, action="display_link.create", entity="display_link", entity_id=link.id,
           campaign_id=campaign.id, after={"year": year, "days": days, "label": link.label})
    return CreatedLink(link.id, link_url(base_url, token), year, link.expires_at)


def revoke_display_link(session: Session, *, actor: Actor, link_id: int) -> None:
    require(actor, "admin")
    link = session.get(DisplayLink, link_id)
    if link is None:
        raise NotFound("signin.no_display_link", "no display link number {id}", id=link_id)
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by = utcnow(), actor.username
        session.add(link)
        record(session, actor=actor, action="display_link.revoke", entity="display_link", entity_id=link.id,
               campaign_id=link.campaign_id)


def list_display_links(session: Session, *, actor: Actor, campaign_id: int | None = None) -> list[LinkRow]:
    require(actor, "admin")
    query = select(DisplayLink, Campaign.year).join(Campaign, Campaign.id == DisplayLink.campaign_id)
    if campaign_id is not None:
        query = query.where(DisplayLink.campaign_id == campaign_id)
    rows = session.exec(query.order_by(col(DisplayLink.id).desc())).all()
    return [LinkRow(link.id, year, link.label, link.created_by, link.created_at, link.expires_at, link.revoked_at,
                    link.last_used_at) for link, year in rows]


def _view(session: Session, link: DisplayLink | None) -> DisplayView:
    now = utcnow()
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        raise DisplayLinkInvalid("signin.display_invalid", "this display link is no longer valid")
    if link.last_used_at is None or rules.needs_touch(link.last_used_at, now):
        link.last_used_at = now
        session.add(link)
    year = session.get(Campaign, link.campaign_id).year
    return DisplayView(link.id, link.campaign_id, year, link.expires_at)


def open_display_link(session: Session, *, token: str) -> DisplayView:
    """The view a token from a link opens, or DisplayLinkInvalid (nothing written for a bad token)."""
    if not token or len(token) > 100:
        raise DisplayLinkInvalid("signin.display_invalid", "this display link is no longer valid")
    link = session.exec(select(DisplayLink).where(DisplayLink.token_hash == token_hash(token))).first()
    return _view(session, link)


def check_display_link(session: Session, *, link_id: int) -> DisplayView:
    """Still valid? Asked by the wall screen at every timed refresh."""
    return _view(session, session.get(DisplayLink, link_id))
