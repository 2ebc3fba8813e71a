"""What the Chinese Word documents share (the rectification notice and the results circular)."""

from __future__ import annotations

from datetime import date


def chinese_date(day: date) -> str:
    """2017年5月15日: how an official document writes a date."""
    return f"{day.year}年{day.month}月{day.day}日"


def set_font(run, name: str, size: float | None = None, bold: bool = False) -> None:
    """A run's font, Chinese glyphs included."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    # Word takes Chinese glyphs from the East Asian font slot, which font.name does not set.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold


BODY_FONT, TITLE_FONT = "仿宋", "黑体"  # the fonts of official documents (公文)


def official_document():
    """An empty A4 document with the margins of an official document (公文)."""
    from docx import Document
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    return document


DEMO_HEADER = "演示数据 · 非真实评议结果 · 不得印发"


def mark_demo(document) -> None:
    """Say on every page that the document comes from demo data: a red line in each section's header."""
    from docx.shared import RGBColor

    for section in document.sections:
        paragraph = section.header.paragraphs[0] if section.header.paragraphs else section.header.add_paragraph()
        run = paragraph.add_run(DEMO_HEADER)
        set_font(run, TITLE_FONT, 12, True)
        run.font.color.rgb = RGBColor(0xC6, 0x28, 0x28)


def add_paragraph(document, text: str, *, indent: bool, align=None, size: float = 16, font: str = BODY_FONT,
                  bold: bool = False):
    """One paragraph at the fixed 28 pt line spacing of official documents; `indent`: two characters."""
    from docx.shared import Pt

    p = document.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(28)
    set_font(p.add_run(text), font, size, bold)
    return p
