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
