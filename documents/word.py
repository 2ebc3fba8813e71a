"""What the Chinese Word documents share: the official layout (公文), one paragraph and one table builder,
and the demo mark. Used by the rectification notice, the results circular and the feedback letter.

Paragraphs and tables are written as WordprocessingML strings and parsed once each, rather than through
python-docx's object API: a feedback letter has some eighty paragraphs and a few hundred table cells, and
python-docx spends most of a letter's time finding where each child element goes. The elements are the
ones python-docx would make (fixed 28 pt lines, the East Asian font slot, a two-character first-line
indent), so a document stays editable in Word and WPS and python-docx reads it back as usual.
"""

from __future__ import annotations

import re
from datetime import date
from xml.sax.saxutils import escape

from documents.labels import DEMO_HEADER

BODY_FONT, TITLE_FONT = "仿宋", "黑体"  # the fonts of official documents (公文)
DEMO_RED = "C62828"

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_ALIGNMENTS = ("center", "right", "left", "both")
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # no XML may hold these
_TWIPS_PER_CM = 567


def chinese_date(day: date) -> str:
    """2017年5月15日: how an official document writes a date."""
    return f"{day.year}年{day.month}月{day.day}日"


def official_document(*, table_font_size: float | None = None):
    """An empty A4 document with the margins of an official document (公文); `table_font_size` makes 仿宋 of
    that size the default (Normal) style, which the tables' cells take."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    if table_font_size:
        normal = document.styles["Normal"]
        normal.font.name = BODY_FONT
        normal.font.size = Pt(table_font_size)
        # Word takes Chinese glyphs from the East Asian font slot, which font.name does not set.
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    return document


def run_xml(text: str, *, font: str | None = None, size: float | None = None, bold: bool = False,
            color: str | None = None) -> str:
    """One run; `font` fills the East Asian slot too, so Chinese glyphs take it."""
    props = ""
    if font:
        props += f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}"/>'
    if bold:
        props += "<w:b/>"
    if color:
        props += f'<w:color w:val="{color}"/>'
    if size:
        props += f'<w:sz w:val="{round(size * 2)}"/>'
    return (f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}"
            f'<w:t xml:space="preserve">{escape(_XML_UNSAFE.sub("", text))}</w:t></w:r>')


def paragraph_xml(text: str, *, indent: bool, align: str | None = None, size: float = 16, font: str = BODY_FONT,
                  bold: bool = False, color: str | None = None) -> str:
    """A paragraph at the fixed 28 pt line spacing of official documents; `indent`: two characters."""
    if align is not None and align not in _ALIGNMENTS:
        raise ValueError(f"alignment {align!r} is not one of {_ALIGNMENTS}")
    props = '<w:spacing w:line="560" w:lineRule="exact"/>'
    if indent:
        props += f'<w:ind w:firstLine="{round(size * 2 * 20)}"/>'
    if align:
        props += f'<w:jc w:val="{align}"/>'
    body = run_xml(text, font=font, size=size, bold=bold, color=color) if text else ""
    return f"<w:p {_W}><w:pPr>{props}</w:pPr>{body}</w:p>"


def _append(document, element) -> None:
    """At the end of the body, before its closing section properties (page size and margins)."""
    body = document.element.body
    section = body.sectPr
    if section is None:
        body.append(element)
    else:
        section.addprevious(element)


def add_paragraph(document, text: str, *, indent: bool, align: str | None = None, size: float = 16,
                  font: str = BODY_FONT, bold: bool = False, color: str | None = None):
    """Append one paragraph (see paragraph_xml) and return it as a python-docx Paragraph."""
    from docx.oxml import parse_xml
    from docx.text.paragraph import Paragraph

    element = parse_xml(paragraph_xml(text, indent=indent, align=align, size=size, font=font, bold=bold,
                                      color=color))
    _append(document, element)
    return Paragraph(element, document._body)


def add_table(document, header: list[str], rows: list[list[str]], widths_cm: list[float], *,
              font: str | None = None, size: float | None = None) -> None:
    """A plain grid (style Table Grid), the header row bold, followed by a small empty paragraph. Cells take the
    document's default font unless `font` and `size` are given."""
    from docx.oxml import parse_xml

    widths = [round(w * _TWIPS_PER_CM) for w in widths_cm]
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)

    def row(cells: list, bold: bool) -> str:
        return "<w:tr>" + "".join(
            f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr>'
            f"<w:p>{run_xml(str(text), font=font, size=size, bold=bold)}</w:p></w:tc>"
            for text, w in zip(cells, widths)) + "</w:tr>"

    xml = (f'<w:tbl {_W}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
           f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
           f'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
           + row(header, True) + "".join(row(r, False) for r in rows) + "</w:tbl>")
    _append(document, parse_xml(xml))
    add_paragraph(document, "", indent=False, size=11)


def mark_demo(document) -> None:
    """Say on every page that the document comes from demo data: a red line in each section's header. The one
    demo mark of every Word document."""
    from docx.oxml import parse_xml

    for section in document.sections:
        header = section.header._element
        for old in list(header):
            header.remove(old)
        header.append(parse_xml(paragraph_xml(DEMO_HEADER, indent=False, size=12, font=TITLE_FONT, bold=True,
                                              color=DEMO_RED)))
