"""Window QR posters (扫码评价): one A4 page per unit, with a QR code that opens the poll at that unit.

The link is `BASE/poll?unit=CODE&src=SOURCE`: the poll opens at the unit, and the poster's code
(SOURCE) is stored with each vote, so a unit sees which hall or window its complaints came from.
BASE is the app's public address: `--base-url`, else the APP_BASE_URL environment variable (as for
the invitation links); the page uses the address the office's browser reached the app at.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fpdf import FPDF
from sqlmodel import Session, select

from core.complaints import LIMITS, clean_source
from core.errors import NotFound, UserError
from db.access import Actor, require
from db.models import Campaign, Unit
from db.pdf import _draw_qr, _register_fonts

DEFAULT_SOURCE = "POSTER"
_MARGIN = 18.0  # mm
_QR = 105.0  # mm: scanned from a metre away at a counter

TEXTS = {
    "zh": {"scan": "扫码评价",
           "ask": "您对我们的服务满意吗？请用手机扫描二维码评价；不满意请留言，我们将在规定时限内答复。",
           "or": "或在浏览器中打开："},
    "en": {"scan": "Scan to rate us", "ask": "Are you satisfied with our service? Scan the code with your phone. "
           "If not, leave a comment: we answer within the set time.", "or": "Or open in a browser: "},
}


@dataclass(frozen=True)
class Poster:
    unit_code: str
    unit_name: str
    link: str


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


def render(posters: list[Poster], *, place: str = "", lang: str = "zh") -> bytes:
    texts = TEXTS.get(lang, TEXTS["zh"])
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(texts["scan"])
    pdf.set_creator("duty-review")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(False)  # one page per unit; the layout fits A4
    family, bold = _register_fonts(pdf)
    width = pdf.w - 2 * _MARGIN
    for poster in posters:
        pdf.add_page()
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(family, bold, 26)
        pdf.set_xy(_MARGIN, 22)
        pdf.multi_cell(width, 12, poster.unit_name, align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font(family, bold, 44)
        pdf.cell(width, 20, texts["scan"], align="C", new_x="LMARGIN", new_y="NEXT")
        top = max(pdf.get_y() + 6, 80.0)
        _draw_qr(pdf, poster.link, x=(pdf.w - _QR) / 2, y=top, size=_QR)
        pdf.set_xy(_MARGIN, top + _QR + 6)
        if place:
            pdf.set_font(family, bold, 20)
            pdf.multi_cell(width, 10, place, align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        pdf.set_font(family, "", 12.5)
        pdf.multi_cell(width, 7, texts["ask"], align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 8.5)
        pdf.set_text_color(70, 70, 70)
        pdf.set_xy(_MARGIN, pdf.h - _MARGIN - 6)
        pdf.multi_cell(width, 4.5, texts["or"] + poster.link, align="C", wrapmode="CHAR")
    return bytes(pdf.output())
