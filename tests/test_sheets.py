"""Invitation sheets (PDF with an embedded CJK font), QR codes and the invitation list (CSV)."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess

import pytest
from PIL import Image

from documents import invitation_list, pdf
from documents import invitation_sheets as sheets
from documents.invitation_sheets import Invitation, invitation_sheet_pdf
from documents.pdf import qr_png

INVITATIONS = [
    Invitation("张伟", "服务对象", "https://review.example.gov.cn/panel/b/Xq7pL2mN9sT4vW8yZ1aB3cD5", "K7Q2M9"),
    Invitation("李秀英", "人大代表", "https://review.example.gov.cn/panel/b/Rt6uY8iO0pA2sD4fG6hJ8kL0", ""),
    Invitation("王磊", "社区群干", "https://review.example.gov.cn/panel/b/Mn3bV5cX7zL9kJ1hG3fD5sA7", "P3W8R1"),
]


def font_or_skip():
    try:
        font = pdf.find_cjk_font()
    except RuntimeError:
        font = None
    if not font:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chinese font: install the Debian package fonts-noto-cjk", pytrace=False)
        else:
            pytest.skip("no Chinese font (Debian package fonts-noto-cjk) on this machine")
    return font


def pdf_pages_text(data: bytes) -> list[str]:
    """The text of each page, with whitespace and NULs removed: pypdf when installed, else poppler's pdftotext.

    pypdf reads fpdf2's CID-keyed CFF fonts one byte at a time, so it returns the right characters with a NUL
    before each; poppler (test_text_as_poppler_reads_it) reads them exactly.
    """
    try:
        from pypdf import PdfReader
    except ImportError:
        PdfReader = None
    if PdfReader is not None:
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    elif shutil.which("pdftotext"):
        pages = pdftotext(data)
    elif os.environ.get("CI") == "true":
        pytest.fail("reading PDF text needs pypdf or pdftotext", pytrace=False)
    else:
        pytest.skip("neither pypdf nor pdftotext is available")
    return [re.sub(r"[\s\x00]+", "", text) for text in pages]


def pdftotext(data: bytes) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode("utf-8").split("\f")[:-1]


@pytest.fixture(scope="module")
def zh_pdf() -> bytes:
    font_or_skip()
    return invitation_sheet_pdf(INVITATIONS, campaign_name="2017年度履职尽责督促检查", office="区纠风办")


def test_one_page_per_invitation_with_embedded_font_and_chinese_text(zh_pdf):
    assert zh_pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", zh_pdf)) == 3
    assert re.search(rb"/FontFile[23]?\b", zh_pdf)
    assert b"/ToUnicode" in zh_pdf

    pages = pdf_pages_text(zh_pdf)
    assert len(pages) == 3
    for page, inv in zip(pages, INVITATIONS):
        assert inv.name in page
        assert inv.group_name in page
        assert "集中评议邀请函" in page
        assert "区纠风办" in page
        assert "匿名" in page
    assert "K7Q2M9" in pages[0]
    assert "备用评议码" not in pages[1]  # no code, no line for it
    assert "第2页/共3页" in pages[1]


def test_text_as_poppler_reads_it(zh_pdf):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pages = pdftotext(zh_pdf)
    assert len(pages) == 3
    lines = pages[0].splitlines()
    assert "2017年度履职尽责督促检查 集中评议邀请函" in lines
    assert "评议人：张伟" in lines
    assert "人员类别：服务对象" in lines
    assert INVITATIONS[0].link in pages[0]
    assert not any(line.startswith(("。", "，")) for line in lines)


def test_english_sheet():
    font_or_skip()
    data = invitation_sheet_pdf(
        INVITATIONS[:2], campaign_name="2017 review", office="Anti-malpractice office", lang="en"
    )
    pages = pdf_pages_text(data)
    assert len(pages) == 2
    assert "Panelreviewinvitation" in pages[0]
    assert "张伟" in pages[0]
    assert "人大代表" in pages[1]
    assert "Page2of2" in pages[1]


def test_no_invitations_is_an_error():
    with pytest.raises(ValueError):
        invitation_sheet_pdf([], campaign_name="x", office="y")


def test_extracted_font_is_cached_and_is_the_sc_face():
    font_or_skip()
    regular, _bold = pdf.cjk_font_files()
    assert regular.is_file()
    assert pdf.cjk_font_files()[0] == regular
    if pdf.find_cjk_font().suffix.lower() in (".ttc", ".otc"):
        from fontTools.ttLib import TTFont

        with TTFont(str(regular), lazy=True) as font:
            assert " SC" in pdf.font_family(font)


def test_missing_font_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(pdf, "_PREFERRED_FONTS", ())
    monkeypatch.setattr(pdf, "_fc_match", lambda: None)
    pdf.find_cjk_font.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            pdf.find_cjk_font()
    finally:
        pdf.find_cjk_font.cache_clear()


def test_chinese_lines_never_start_with_closing_punctuation():
    font_or_skip()
    from fpdf import FPDF

    doc = FPDF()
    pdf.register_fonts(doc)
    doc.set_font("cjk", "", 12)
    for width in (40, 55, 70, 90):
        lines = sheets._wrap_cjk(doc, sheets.TEXTS["zh"]["body"], width)
        assert "".join(lines) == sheets.TEXTS["zh"]["body"]
        assert all(line[0] not in "，。、：；" for line in lines)


def test_qr_png():
    link = INVITATIONS[0].link
    data = qr_png(link)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.width == image.height > 100
    assert qr_png(link, box_size=4) != data
    if shutil.which("zbarimg"):
        out = subprocess.run(["zbarimg", "-q", "--raw", "-"], input=data, capture_output=True, check=False).stdout
        assert out.decode().strip() == link


def test_qr_on_the_sheet_scans(zh_pdf, tmp_path):
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm and zbarimg are not installed")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-", str(tmp_path / "p")], input=zh_pdf, check=True
    )
    [png] = tmp_path.glob("p*.png")
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, check=False).stdout
    assert out.decode().strip() == INVITATIONS[0].link


def test_invitation_list_round_trip():
    entries = [invitation_list.personal(name="张伟", group="service_recipient", group_name="服务对象", token="tok1",
                                        link=INVITATIONS[0].link),
               invitation_list.Entry("ballot", "not_started", "npc_deputy", "人大代表", "", "CODE-2", "")]
    data = invitation_list.to_csv(entries)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0] == ["kind", "state", "group", "group_name", "name", "token", "link", "phone"]
    assert parsed[1] == ["personal", "not_started", "service_recipient", "服务对象", "张伟", "tok1",
                         INVITATIONS[0].link, ""]
    assert invitation_list.from_csv(data) == entries
    assert invitation_list.to_csv([]).decode("utf-8-sig").strip() == ",".join(invitation_list.COLUMNS)


def test_invitation_list_reads_the_older_four_columns():
    old = "\ufeffname,group,group_name,link\r\n张伟,service_recipient,服务对象,https://x/questionnaire?token=abc&lang=zh\r\n"
    [entry] = invitation_list.from_csv(old.encode("utf-8"))
    assert (entry.kind, entry.name, entry.token) == ("personal", "张伟", "abc")
