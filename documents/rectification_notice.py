"""The rectification notice (整改通知书) as Word bytes.

An official paper of a Chinese office, so its wording is Chinese whatever the interface language.
It is filled from a Word template, `documents/templates/rectification_notice.docx`, which an office
may restyle in Word (letterhead, fonts, seal space) as long as the placeholders stay: {{notice_no}}
{{unit}} {{year}} {{reason}} {{problems}} {{deadline}} {{office}} {{issued_on}}. `build_template`
writes the shipped template; a missing template is built in memory.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from documents.labels import NOTICE_DEMO_WARNING, NOTICE_REASON_CLAUSES_ZH
from documents.word import TITLE_FONT, add_paragraph, chinese_date, mark_demo, official_document

TEMPLATE = Path(__file__).resolve().parent / "templates" / "rectification_notice.docx"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")



def _template_document():
    """The notice template, built with python-docx (see build_template)."""
    document = official_document()

    def paragraph(text: str, *, indent: bool = False, **style):
        return add_paragraph(document, text, indent=indent, **style)

    paragraph("整改通知书", align="center", size=22, font=TITLE_FONT, bold=True)
    paragraph("{{notice_no}}", align="center")
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
    paragraph("{{office}}", align="right")
    paragraph("{{issued_on}}", align="right")
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


def notice_docx(data: NoticeData, *, template: Path | None = None) -> bytes:
    document = _load_template(template)
    _spread_problems(document, _problem_lines(data.problems))
    values = {"notice_no": data.notice_no, "unit": data.unit_name, "year": str(data.year),
              "reason": NOTICE_REASON_CLAUSES_ZH.get(data.reason, "存在问题").format(year=data.year),
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
        run = warning.add_run(NOTICE_DEMO_WARNING)
        run.bold = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
