"""The problem list (问题清单) as Excel bytes: every finding given, one row each, and a summary by unit.

An official paper of a Chinese office, so its wording is Chinese whatever the interface language.
Text typed by people is always stored as text, never as a formula that a spreadsheet would run.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date

from documents.labels import FINDING_STATES_ZH, INSPECTION_KINDS_ZH, SEVERITIES_ZH
from documents.word import chinese_date

PROBLEM_COLUMNS = (("序号", 6), ("单位", 28), ("检查日期", 12), ("方式", 6), ("地点或窗口", 20), ("督查内容", 22),
                   ("严重程度", 9), ("扣分", 6), ("问题描述", 50), ("状态", 8), ("单位答复", 40), ("证据", 6))


def _text_cell(cell, value: object) -> None:
    cell.value = value
    if isinstance(value, str):
        # A description typed as "=..." or "-..." is text, never a formula that a spreadsheet would run.
        cell.data_type = "s"


def problem_list_xlsx(findings: Sequence, *, title: str, period: tuple[date, date], is_demo: bool = False) -> bytes:
    """Every finding given, one row each, and a summary by unit. `findings` are db.inspections.FindingRow.

    From demo data (`is_demo`), the title and the summary sheet say so."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "问题清单"
    if is_demo:
        title = f"{title}（演示数据，非真实检查结果）"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"检查期间：{chinese_date(period[0])}至{chinese_date(period[1])}；共 {len(findings)} 个问题"])
    sheet.append([name for name, _ in PROBLEM_COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for k, f in enumerate(findings, start=1):
        values = [k, f.unit_name, f.visited_on, INSPECTION_KINDS_ZH.get(f.kind, f.kind), f.site, f.dimension_zh,
                  SEVERITIES_ZH.get(f.severity, f.severity), f.deduction, f.description,
                  FINDING_STATES_ZH.get(f.state, f.state), f.reply, f.evidence]
        row = sheet.max_row + 1
        for column, value in enumerate(values, start=1):
            _text_cell(sheet.cell(row=row, column=column), value)
        sheet.cell(row=row, column=3).number_format = "yyyy-mm-dd"
    for column, (_, width) in enumerate(PROBLEM_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A4"

    summary = book.create_sheet("按单位汇总")
    if is_demo:
        summary.append(["演示数据，非真实检查结果"])
    summary.append(["单位", "问题数", "其中严重", "扣分合计"])
    for cell in summary[summary.max_row]:
        cell.font = Font(bold=True)
    for unit, rows in _by_unit(findings):
        summary.append([unit, len(rows), sum(r.severity == "serious" for r in rows), sum(r.deduction for r in rows)])
    summary.column_dimensions["A"].width = 32
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _by_unit(findings: Iterable) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for f in findings:
        groups.setdefault(f.unit_name, []).append(f)
    return sorted(groups.items(), key=lambda item: -len(item[1]))
