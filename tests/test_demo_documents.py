"""Every document made from demo data says so: the circular (通报), the results workbook, the
rectification notice (整改通知书) and the problem list (问题清单); the office's own say nothing of it."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from db.access import cli_actor
from db.demo import years as demo
from db.demo_rows import holds_demo
from db.engine import session_scope
from db.inspections import problem_list
from db.models import Campaign, Rectification, Result
from db.rectifications import notice_document
from db.scoring import result_document
from documents.circular import circular_bytes
from documents.workbook import workbook_bytes

MARK = "演示数据"


def docx_text(content: bytes) -> tuple[str, str]:
    """(body text with tables, header text) of a Word file."""
    document = Document(io.BytesIO(content))
    body = [p.text for p in document.paragraphs]
    body += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    headers = [p.text for section in document.sections for p in section.header.paragraphs]
    return "\n".join(body), "\n".join(headers)


def xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
                     if cell.value is not None)


@pytest.fixture(scope="module")
def with_demo_2017(tmp_path_factory):
    """The scheme's own 2017 campaign holding demo rows (its name says nothing of the demo)."""
    from db.bootstrap import init_database
    from db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('docs')}/r.db")
    init_database(engine, actor=cli_actor())
    demo.load_demo(engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=300)
    yield engine
    engine.dispose()


def test_the_circular_and_workbook_of_demo_results_say_so(with_demo_2017):
    with session_scope(with_demo_2017) as s:
        campaign = s.exec(select(Campaign).where(Campaign.year == 2017)).one()
        assert MARK not in campaign.name_zh and holds_demo(s, campaign.id)
        result = s.exec(select(Result).where(Result.campaign_id == campaign.id)).first()
        document = result_document(s, result.id)
    assert document.is_demo
    body, header = docx_text(circular_bytes(document))
    assert MARK in body.splitlines()[0] and "不是真实评议结果" in body and MARK in header
    assert "不是真实评议结果" in xlsx_text(workbook_bytes(document))


def test_the_notice_and_problem_list_of_demo_data_say_so(with_demo_2017):
    admin = cli_actor()
    with session_scope(with_demo_2017) as s:
        campaign = s.exec(select(Campaign).where(Campaign.year == 2018)).one()
        rect = s.exec(select(Rectification).where(Rectification.campaign_id == campaign.id)).first()
        _, notice = notice_document(s, actor=admin, rect_id=rect.id)
        _, problems = problem_list(s, actor=admin, campaign_id=campaign.id)
    body, header = docx_text(notice)
    assert "不是真实整改通知" in body.splitlines()[0] and MARK in header
    assert "演示数据，非真实检查结果" in xlsx_text(problems)


def test_the_offices_own_documents_do_not_mention_the_demo(with_demo_2017):
    with session_scope(with_demo_2017) as s:
        campaign = s.exec(select(Campaign).where(Campaign.year == 2017)).one()
        result = s.exec(select(Result).where(Result.campaign_id == campaign.id)).first()
        document = result_document(s, result.id)
    office = document.__class__(**{**document.__dict__, "is_demo": False})
    body, header = docx_text(circular_bytes(office))
    assert MARK not in body and MARK not in header
    assert "不是真实评议结果" not in xlsx_text(workbook_bytes(office))
