"""The window QR posters (扫码评价): one A4 page per unit with its name, a vector QR code to its poll and an
optional place label, the Chinese font embedded. Plain data in (documents.posters.Poster), PDF bytes out."""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF

from documents.pdf import draw_qr, register_fonts

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


def render(posters: list[Poster], *, place: str = "", lang: str = "zh") -> bytes:
    texts = TEXTS.get(lang, TEXTS["zh"])
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(texts["scan"])
    pdf.set_creator("duty-review")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(False)  # one page per unit; the layout fits A4
    family, bold = register_fonts(pdf)
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
        draw_qr(pdf, poster.link, x=(pdf.w - _QR) / 2, y=top, size=_QR)
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
