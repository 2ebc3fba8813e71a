"""Issue 26 §4, /panel venue codes: a rehearsal never hands out real codes, and the slips are venue slips
(their own wording, several per page with cut marks, the batch note, rehearsal marked on every slip)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from core.errors import UserError
from db.engine import session_scope
from db.models import Invitation
from db.questionnaire import issue_ballots, set_rehearsal
from documents.venue_slips import PER_PAGE, VenueSlips, venue_slips_pdf
from tests.test_questionnaire_store import open_, panel  # noqa: F401  (the fixture)
from tests.test_sheets import font_or_skip, pdf_pages_text, pdftotext


@pytest.fixture
def db_url(tmp_path):
    """SQLite only: these are rules of the screens and the store, not of the database (the store's SQL is
    exercised on PostgreSQL by its own tests)."""
    return f"sqlite:///{tmp_path / 'review.db'}"

CODES = [f"AB{i:02d}-CDEF-GHJK-MNPQ-RSTV-WXYZ-{i:02d}" for i in range(PER_PAGE + 3)]


def test_while_the_rehearsal_is_on_every_code_is_a_rehearsal_code(panel, admin):  # noqa: F811
    engine, _ = panel
    with session_scope(engine) as s:
        set_rehearsal(s, actor=admin, year=2017, on=True)
        [code] = issue_ballots(s, actor=admin, year=2017, group_code="cadre", count=1, batch="演练会场")
    assert open_(engine, code).rehearsal
    with pytest.raises(UserError) as refused, session_scope(engine) as s:
        issue_ballots(s, actor=admin, year=2017, group_code="cadre", count=1, rehearsal=False)
    assert refused.value.key == "q.real_in_rehearsal"
    with session_scope(engine) as s:
        assert not s.exec(select(Invitation).where(Invitation.kind == "ballot", ~Invitation.rehearsal)).all()
        set_rehearsal(s, actor=admin, year=2017, on=False)
        [real] = issue_ballots(s, actor=admin, year=2017, group_code="cadre", count=1)
    assert not open_(engine, real).rehearsal


@pytest.fixture(scope="module")
def slips() -> tuple[bytes, bytes]:
    font_or_skip()
    link = "https://review.example.gov.cn/questionnaire?kiosk=1"
    real = venue_slips_pdf(VenueSlips(CODES, "服务对象", link, batch="第一会场 上午"),
                           campaign_name="2027年度履职尽责督促检查", office="区纠风办")
    rehearsal = venue_slips_pdf(VenueSlips(CODES[:2], "服务对象", link, rehearsal=True),
                                campaign_name="2027年度履职尽责督促检查", office="区纠风办")
    return real, rehearsal


def test_eight_slips_a_page_with_the_batch_and_their_own_wording(slips):
    real, _ = slips
    pages = pdf_pages_text(real)
    assert len(pages) == 2  # 11 codes: a full page of 8 and 3
    assert all(code.replace("-", "") in pages[0].replace("-", "") for code in CODES[:PER_PAGE])
    assert pages[0].count("批次：第一会场上午") == PER_PAGE
    assert "现场评议码" in pages[0] and "沿虚线裁开" in pages[0]
    # The personal invitation's wording is not on a slip that names nobody.
    assert "邀请函" not in pages[0] and "随机抽选" not in pages[0] and "本人" not in pages[0]
    assert "演练" not in pages[0]
    import io

    from pypdf import PdfReader

    drawing = PdfReader(io.BytesIO(real)).pages[0].get_contents().get_data()
    assert re.search(rb"\[[\d. ]+\] [\d.]+ d", drawing)  # dashed cutting lines


def test_rehearsal_slips_say_so_on_every_slip(slips):
    _, rehearsal = slips
    [page] = pdf_pages_text(rehearsal)
    assert page.count("演练专用·正式评议无效") == 2


def test_slip_text_as_poppler_reads_it(slips):
    import shutil

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    [page] = pdftotext(slips[1])
    assert "演练专用 · 正式评议无效" in page
