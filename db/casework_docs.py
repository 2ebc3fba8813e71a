"""Casework documents as bytes: the rectification notice (整改通知书, Word) and the problem list
(问题清单, Excel).

Both are official papers of a Chinese office, so their wording is Chinese whatever the
interface language. The notice is filled from a Word template, `db/templates/rectification_notice.docx`,
which an office may restyle in Word (letterhead, fonts, seal space) as long as the placeholders
stay: {{notice_no}} {{unit}} {{year}} {{reason}} {{problems}} {{deadline}} {{office}} {{issued_on}}.
`build_template` writes the shipped template; a missing template is built in memory.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from db.word import TITLE_FONT, add_paragraph, chinese_date, mark_demo, official_document

TEMPLATE = Path(__file__).resolve().parent / "templates" / "rectification_notice.docx"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

REASONS_ZH = {
    "unqualified": "在{year}年度履职尽责督促检查中被评为不合格",
    "public_rejected": "整改问题群众不满意",
    "finding": "在明察暗访中被发现存在较为突出的问题",
}
KINDS_ZH = {"open": "明察", "covert": "暗访"}
SEVERITIES_ZH = {"minor": "轻微", "general": "一般", "serious": "严重"}
FINDING_STATES_ZH = {"recorded": "已记录", "handed_over": "已移交", "answered": "已答复", "closed": "已办结"}


# ---------------------------------------------------------------------------------------
# The notice


def _template_document():
    """The notice template, built with python-docx (see build_template)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = official_document()

    def paragraph(text: str, *, indent: bool = False, **style):
        return add_paragraph(document, text, indent=indent, **style)

    paragraph("整改通知书", align=WD_ALIGN_PARAGRAPH.CENTER, size=22, font=TITLE_FONT, bold=True)
    paragraph("{{notice_no}}", align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph("")
    paragraph("{{unit}}：")
    paragraph("根据《区纠风办关于{{year}}年度加强履职尽责督促检查工作的实施方案》，你单位{{reason}}。"
              "现将存在的主要问题通知如下：", indent=True)
    paragraph("{{problems}}", indent=True)
    paragraph("请你单位高度重视，主要负责人亲自抓，分管负责人具体抓，对照上述问题逐项制定整改措施，"
              "明确责任人和整改时限，于{{deadline}}前整改到位，并将整改情况书面报送区治庸问责办、纠风办。"
              "整改结果将接受群众评议；对问题整改不力、敷衍塞责的，将启动二次办理程序，严肃追究有关人员责任。",
              indent=True)
    paragraph("")
    paragraph("{{office}}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    paragraph("{{issued_on}}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return document


def build_template(path: Path = TEMPLATE) -> Path:
    """Write the shipped template (run after changing _template_document)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _template_document().save(str(path))
    return path


def _load_template(template: Path | None):
    from docx import Document

    path = template or TEMPLATE
    return Document(str(path)) if path.exists() else _template_document()


def _fill(paragraph, values: dict[str, str]) -> None:
    """Replace placeholders in a paragraph, even when Word has split one across several runs."""
    text = paragraph.text
    if "{{" not in text:
        return
    filled = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    runs = paragraph.runs
    runs[0].text = filled  # the first run keeps its formatting for the whole paragraph
    for run in runs[1:]:
        run.text = ""


def _problem_lines(problems: str) -> list[str]:
    lines = [line.strip() for line in problems.splitlines() if line.strip()]
    numbered = re.compile(r"^(\d+|[一二三四五六七八九十]+)[、.．)）]")
    return [line if numbered.match(line) else f"{k}. {line}" for k, line in enumerate(lines, start=1)]


def _spread_problems(document, lines: list[str]) -> None:
    """The {{problems}} paragraph becomes one paragraph per problem, each styled like it."""
    import copy

    from docx.text.paragraph import Paragraph

    for paragraph in document.paragraphs:
        if "{{problems}}" not in paragraph.text:
            continue
        clones = []
        anchor = paragraph._p
        for _ in lines[1:]:
            clone = copy.deepcopy(paragraph._p)
            anchor.addnext(clone)
            anchor = clone
            clones.append(Paragraph(clone, paragraph._parent))
        for target, line in zip([paragraph, *clones], lines or [""]):
            _fill(target, {"problems": line})
        return


@dataclass(frozen=True)
class NoticeData:
    notice_no: str
    unit_name: str
    year: int
    reason: str
    problems: str
    deadline: date
    issuing_office: str
    issued_on: date
    is_demo: bool = False  # made from demo data: the notice says so on every page and above its title


DEMO_WARNING = "本文件由演示数据生成，不是真实整改通知，不得印发。"


def notice_docx(data: NoticeData, *, template: Path | None = None) -> bytes:
    document = _load_template(template)
    _spread_problems(document, _problem_lines(data.problems))
    values = {"notice_no": data.notice_no, "unit": data.unit_name, "year": str(data.year),
              "reason": REASONS_ZH.get(data.reason, "存在问题").format(year=data.year),
              "deadline": chinese_date(data.deadline), "office": data.issuing_office,
              "issued_on": chinese_date(data.issued_on)}
    for paragraph in document.paragraphs:
        _fill(paragraph, values)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    _fill(paragraph, values)
    if data.is_demo:
        mark_demo(document)
        first = document.paragraphs[0]
        warning = first.insert_paragraph_before()
        run = warning.add_run(DEMO_WARNING)
        run.bold = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------
# The problem list


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
        values = [k, f.unit_name, f.visited_on, KINDS_ZH.get(f.kind, f.kind), f.site, f.dimension_zh,
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
