"""Venue ballot slips (PDF): eight one-time codes per A4 page, with cut marks, for a hall of reviewers.

A venue code names nobody: it is handed out at random in the hall and typed on a tablet. So a slip has its own
wording, not the personal invitation's ("you have been selected", "for your use only"), and carries the reviewer
group, the batch note the office typed, and the page where it is typed. Rehearsal slips are marked on every slip
so that none can be mistaken for a real one.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF

from documents.invitation_sheets import paragraph
from documents.pdf import draw_qr, register_fonts

COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{campaign} · 现场评议码",
        "rehearsal": "演练专用 · 正式评议无效",
        "group": "人员类别：{group}",
        "body": ("请在评议现场的平板上输入下方评议码后作答（也可扫码打开评议页面）。"
                 "评议码只能使用一次，不记录您的姓名。"),
        "batch": "批次：{batch}",
        "page": "第 {n} 页 / 共 {m} 页 · 每页 {k} 张，沿虚线裁开",
        "office": "{office}",
    },
    "en": {
        "title": "{campaign} · venue ballot code",
        "rehearsal": "REHEARSAL ONLY · not valid for the review",
        "group": "Reviewer group: {group}",
        "body": "Type the code below on a tablet in the hall and answer (or scan to open the questionnaire). "
                "The code works once and records no name.",
        "batch": "Batch: {batch}",
        "page": "Page {n} of {m} · {k} slips a page, cut along the dashed lines",
        "office": "Issued by {office}",
    },
}

_MARGIN = 8.0  # mm around the grid: cut marks live there
_PAD = 5.0  # mm inside a slip
_QR = 26.0  # mm


@dataclass(frozen=True)
class VenueSlips:
    """One printing: codes for one reviewer group, with the batch note and whether they are rehearsal codes."""

    codes: list[str]
    group_name: str
    link: str
    batch: str = ""
    rehearsal: bool = False


def _cut_marks(pdf: FPDF, left: float, top: float, width: float, height: float) -> None:
    """Dashed cutting lines between the slips and short solid ticks in the margin where each line meets it."""
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    xs = [left + width * i for i in range(COLUMNS + 1)]
    ys = [top + height * j for j in range(ROWS + 1)]
    with pdf.local_context():
        pdf.set_dash_pattern(dash=2, gap=1.5)
        for x in xs:
            pdf.line(x, top, x, top + height * ROWS)
        for y in ys:
            pdf.line(left, y, left + width * COLUMNS, y)
    pdf.set_dash_pattern()
    for x in xs:
        pdf.line(x, top - _MARGIN + 1, x, top - 1)
        pdf.line(x, top + height * ROWS + 1, x, top + height * ROWS + _MARGIN - 1)
    for y in ys:
        pdf.line(left - _MARGIN + 1, y, left - 1, y)
        pdf.line(left + width * COLUMNS + 1, y, left + width * COLUMNS + _MARGIN - 1, y)


def venue_slips_pdf(slips: VenueSlips, *, campaign_name: str, office: str, lang: str = "zh") -> bytes:
    """Eight slips per A4 page in a 2 × 4 grid with cut marks. Raises ValueError on no codes."""
    if not slips.codes:
        raise ValueError("no codes to print")
    texts = TEXTS[lang if lang in TEXTS else "zh"]
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    title = texts["title"].format(campaign=campaign_name)
    pdf.set_title(title)
    pdf.set_author(office)
    pdf.set_creator("duty-review")
    pdf.set_auto_page_break(False)
    family, heading = register_fonts(pdf)
    width = (pdf.w - 2 * _MARGIN) / COLUMNS
    height = (pdf.h - 2 * _MARGIN - 6) / ROWS  # 6 mm at the foot for the page line
    inner = width - 2 * _PAD
    pages = -(-len(slips.codes) // PER_PAGE)
    memo: dict = {}
    for index, code in enumerate(slips.codes):
        spot = index % PER_PAGE
        if spot == 0:
            pdf.add_page()
            _cut_marks(pdf, _MARGIN, _MARGIN, width, height)
            pdf.set_font(family, "", 7.5)
            pdf.set_text_color(90, 90, 90)
            pdf.set_xy(_MARGIN, pdf.h - _MARGIN - 4)
            page = texts["page"].format(n=index // PER_PAGE + 1, m=pages, k=PER_PAGE)
            pdf.cell(pdf.w - 2 * _MARGIN, 4, page, align="C")
        x = _MARGIN + width * (spot % COLUMNS) + _PAD
        y = _MARGIN + height * (spot // COLUMNS) + _PAD
        pdf.set_left_margin(x)
        pdf.set_xy(x, y)
        if slips.rehearsal:
            pdf.set_fill_color(200, 30, 30)
            pdf.set_text_color(255, 255, 255)
            pdf.set_font(family, heading, 10)
            pdf.cell(inner, 6, texts["rehearsal"], align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(family, heading, 10.5)
        paragraph(pdf, title, width=inner, height=5.5, lang=lang, memo=memo)
        pdf.set_font(family, "", 9)
        paragraph(pdf, texts["group"].format(group=slips.group_name), width=inner, height=4.8, lang=lang)
        if slips.batch:
            paragraph(pdf, texts["batch"].format(batch=slips.batch), width=inner, height=4.8, lang=lang)
        top = pdf.get_y() + 1
        draw_qr(pdf, slips.link, x=x, y=top, size=_QR)
        pdf.set_left_margin(x + _QR + 3)
        pdf.set_xy(x + _QR + 3, top)
        pdf.set_font(family, "", 8)
        paragraph(pdf, texts["body"], width=inner - _QR - 3, height=4.2, lang=lang, memo=memo)
        pdf.set_left_margin(x)
        pdf.set_xy(x, top + _QR + 1.5)
        pdf.set_font("Courier", "B", 11.5)
        if slips.rehearsal:
            pdf.set_text_color(200, 30, 30)
        pdf.cell(inner, 6, code, align="C")
        pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())
