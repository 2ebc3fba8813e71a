"""The panel's invitation sheets (PDF): one A4 page per reviewer with the personal link as a QR code.

Everything here renders to bytes; nothing imports Streamlit, so pages hand the bytes to a download button
and tests read them directly.

The embedded Chinese font and the vector QR codes come from documents/pdf.py, which the window posters share;
the same links as a file are documents/invitation_list.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fpdf import FPDF

from documents.pdf import draw_qr, register_fonts

# --------------------------------------------------------------------------- invitation sheets


@dataclass(frozen=True)
class Invitation:
    """One reviewer's invitation: who, in which reviewer group, the personal link and a code to type instead."""

    name: str
    group_name: str
    link: str
    code: str = ""


# Document texts (printed on paper, so kept here rather than in the UI locale files).
TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{campaign} 集中评议邀请函",
        "reviewer": "评议人：{name}",
        "group": "人员类别：{group}",
        "body": (
            "您已被随机抽选为本年度集中评议人员。请用手机或平板扫描下方二维码，或在浏览器中打开链接，"
            "对各被督查单位逐一评价。您的评价以匿名方式提交：提交后问卷不再与您的姓名关联。"
            "此链接仅供您本人使用，请勿转交他人。"
        ),
        "window": "评议时间：{opens} 至 {closes}。请在 {closes} 前提交问卷，逾期链接失效。",
        "link": "链接：",
        "code": "备用评议码（二维码无法使用时输入）：{code}",
        "office": "{office}",
        "page": "第 {n} 页 / 共 {m} 页",
    },
    "en": {
        "title": "Panel review invitation — {campaign}",
        "reviewer": "Reviewer: {name}",
        "group": "Group: {group}",
        "body": (
            "You have been randomly selected as a panel reviewer for this year's review. Please scan the QR code "
            "below with a phone or tablet, or open the link in a browser, and rate each unit under review in turn. "
            "Your ratings are submitted anonymously: once submitted, the questionnaire is no longer linked to your "
            "name. This link is for your use only; please do not pass it on."
        ),
        "window": "Review period: {opens} to {closes}. Please submit by {closes}; the link stops working then.",
        "link": "Link: ",
        "code": "Backup code (type it in if the QR code does not work): {code}",
        "office": "Issued by {office}",
        "page": "Page {n} of {m}",
    },
}

_MARGIN = 20.0  # mm
_QR_SIZE = 70.0  # mm
# Chinese line breaking: these never start a line (they hang in the margin instead), these never end one.
_NO_LINE_START = set("，。、；：！？）】》」』”’%‰·…—,.;:!?)]}")
_NO_LINE_END = set("（【《「『“‘([{")
_TOKEN = re.compile(r"[A-Za-z0-9@#&_\-./:=?+]+|\s+|.", re.DOTALL)


def _wrap_cjk(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy line breaking for Chinese: between any two characters, but not inside Latin words or numbers,
    not before closing punctuation (which may hang past the right edge) and not after opening punctuation."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        candidate = line + token
        if not line or pdf.get_string_width(candidate.rstrip()) <= width or token in _NO_LINE_START:
            line = candidate
            continue
        carry = ""
        while line and line[-1] in _NO_LINE_END:
            line, carry = line[:-1], line[-1] + carry
        lines.append(line.rstrip())
        line = (carry + token).lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines


def paragraph(
    pdf: FPDF, text: str, *, width: float, height: float, lang: str, align: str = "L", memo: dict | None = None
) -> None:
    """Writes a wrapped paragraph from the left margin and leaves the cursor at the left margin below it.

    `memo` keeps the line breaks of texts repeated on every page (title, body) for the whole document.
    """
    if lang == "zh":
        key = (text, pdf.font_family, pdf.font_style, pdf.font_size_pt, width)
        lines = memo.get(key) if memo is not None else None
        if lines is None:
            lines = _wrap_cjk(pdf, text, width)
            if memo is not None:
                memo[key] = lines
        for line in lines:
            pdf.cell(width, height, line, align=align, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


def invitation_sheet_pdf(invitations: list[Invitation], *, campaign_name: str, office: str, lang: str = "zh",
                         window: tuple[str, str] | None = None) -> bytes:
    """One A4 page per invitation, all text in the embedded CJK font. Raises ValueError on an empty list.

    `lang` is "zh" or "en" (anything else prints Chinese); `window` is the panel's opening and closing moment
    as the office writes them ("2027-11-20 08:00"), printed as the period and the deadline.
    """
    if not invitations:
        raise ValueError("no invitations to print")
    lang = lang if lang in TEXTS else "zh"
    texts = TEXTS[lang]
    title = texts["title"].format(campaign=campaign_name)

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_author(office)
    pdf.set_creator("duty-review")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(False)  # exactly one page per invitation; the layout fits an A4 page
    family, heading = register_fonts(pdf)
    width = pdf.w - 2 * _MARGIN
    total = len(invitations)
    memo: dict = {}

    for number, inv in enumerate(invitations, start=1):
        pdf.add_page()
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(family, heading, 18)
        paragraph(pdf, title, width=width, height=9, lang=lang, align="C", memo=memo)
        pdf.ln(6)

        pdf.set_font(family, heading, 13)
        paragraph(pdf, texts["reviewer"].format(name=inv.name), width=width, height=7.5, lang=lang)
        pdf.set_font(family, "", 12)
        paragraph(pdf, texts["group"].format(group=inv.group_name), width=width, height=7, lang=lang)
        pdf.ln(4)

        pdf.set_font(family, "", 11.5)
        paragraph(pdf, texts["body"], width=width, height=6.8, lang=lang, memo=memo)
        if window:
            pdf.ln(2)
            pdf.set_font(family, heading, 11.5)
            paragraph(pdf, texts["window"].format(opens=window[0], closes=window[1]), width=width, height=6.8,
                       lang=lang, memo=memo)
        pdf.ln(8)

        top = max(pdf.get_y(), 100.0)
        draw_qr(pdf, inv.link, x=(pdf.w - _QR_SIZE) / 2, y=top, size=_QR_SIZE)
        pdf.set_xy(_MARGIN, top + _QR_SIZE + 5)

        pdf.set_font(family, "", 8.5)
        pdf.set_text_color(60, 60, 60)
        pdf.multi_cell(width, 4.5, texts["link"] + inv.link, align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        if inv.code:
            pdf.ln(4)
            pdf.set_font(family, "", 12)
            paragraph(pdf, texts["code"].format(code=inv.code), width=width, height=7, lang=lang, align="C")

        pdf.set_font(family, "", 12)
        pdf.set_xy(_MARGIN, pdf.h - _MARGIN - 22)
        paragraph(pdf, texts["office"].format(office=office), width=width, height=7, lang=lang, align="R")

        pdf.set_font(family, "", 9)
        pdf.set_text_color(90, 90, 90)
        pdf.set_xy(_MARGIN, pdf.h - _MARGIN + 4)
        pdf.cell(width, 5, texts["page"].format(n=number, m=total), align="C")
    return bytes(pdf.output())
