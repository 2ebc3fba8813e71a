"""Window QR posters (扫码评价): one A4 page per unit, with a QR code that opens the poll at that unit.

The link is `BASE/poll?unit=CODE&src=SOURCE`: the poll opens at the unit, and the poster's code
(SOURCE) is stored with each vote, so a unit sees which hall or window its complaints came from.
BASE is the app's public address: `--base-url`, else the APP_BASE_URL environment variable (as for
the invitation links); the page uses the address the office's browser reached the app at.
The store side (which units, which links) is here; the PDF is documents/posters.py.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import Session, select

from core.complaints import LIMITS, clean_source
from core.errors import NotFound, UserError
from db.access import Actor, require
from db.models import Campaign, Unit
from documents.posters import Poster, render

DEFAULT_SOURCE = "POSTER"

__all__ = ["DEFAULT_SOURCE", "Poster", "poster_link", "posters_pdf", "unit_posters"]


def poster_link(base_url: str, unit_code: str, source: str) -> str:
    return f"{base_url.rstrip('/')}/poll?{urlencode({'unit': unit_code, 'src': source})}"


def _checked(base_url: str, place: str, source: str) -> tuple[str, str, str]:
    base = (base_url or "").strip().rstrip("/")
    if not base.startswith(("http://", "https://")) or any(ch.isspace() for ch in base):
        raise UserError("complaints.bad_base_url", "the app's public address must start with http:// or https://, "
                                                   "e.g. https://review.example.gov.cn")
    place = " ".join((place or "").split())
    if len(place) > LIMITS["place"]:
        raise UserError("complaints.too_long", "{field} has {length} characters, at most {limit} are allowed",
                        field="place", length=len(place), limit=LIMITS["place"])
    code = clean_source(source or DEFAULT_SOURCE)
    if not code:
        raise UserError("complaints.bad_source", "a poster code has 1-32 letters, digits, - or _, e.g. HALL3")
    return base, place, code


def unit_posters(session: Session, *, actor: Actor, year: int, base_url: str, source: str = DEFAULT_SOURCE
                 ) -> list[Poster]:
    """The campaign's active units with their poster links, in the scheme's order (office only)."""
    require(actor, "admin")
    base, _, code = _checked(base_url, "", source)
    campaign = session.exec(select(Campaign).where(Campaign.year == year)).first()
    if campaign is None:
        raise NotFound("complaints.no_year", "there is no campaign for {year}", year=year)
    units = session.exec(select(Unit.code, Unit.name).where(Unit.campaign_id == campaign.id, Unit.active,
                                                            Unit.merged_into_id.is_(None))
                         .order_by(Unit.position, Unit.id)).all()
    return [Poster(c, name, poster_link(base, c, code)) for c, name in units]


def posters_pdf(session: Session, *, actor: Actor, year: int, base_url: str, place: str = "",
                source: str = DEFAULT_SOURCE, lang: str = "zh") -> bytes:
    """Every unit's poster, one A4 page each, the Chinese font embedded. Office only."""
    require(actor, "admin")
    _, place, _ = _checked(base_url, place, source)
    posters = unit_posters(session, actor=actor, year=year, base_url=base_url, source=source)
    if not posters:
        raise UserError("complaints.no_units", "the campaign has no active units to print posters for")
    return render(posters, place=place, lang=lang)
