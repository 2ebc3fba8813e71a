"""Window QR posters: the PDF opens, one page per unit with its name, and every QR code scans to its unit's link."""

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import select

from core.errors import Forbidden, UserError
from db.access import Actor, cli_actor
from db.complaints.posters import posters_pdf, unit_posters
from db.engine import session_scope
from db.models import Unit

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://review.example.gov.cn"


def scan_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The QR code of every page, as zbar reads it from poppler's rendering."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed", pytrace=False)
        pytest.skip("pdftoppm and zbarimg are not installed")
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-", str(tmp_path / "p")], input=pdf, check=True)
    pages = sorted(tmp_path.glob("p*.png"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1]))
    out = subprocess.run(["zbarimg", "-q", "--raw", *map(str, pages)], capture_output=True, check=False, text=True)
    return out.stdout.split()


def test_one_page_per_unit_each_qr_scans_to_its_units_link(scheme_engine, tmp_path):
    with session_scope(scheme_engine) as s:
        pdf = posters_pdf(s, actor=cli_actor(), year=2017, base_url=BASE + "/", place="政务服务大厅 3 号窗口",
                          source="hall3")
        units = s.exec(select(Unit.code, Unit.name).where(Unit.campaign_id == 1, Unit.active)
                       .order_by(Unit.position, Unit.id)).all()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == len(units) == 37
    for page, (_, name) in zip(reader.pages, units):
        text = re.sub(r"[\s\x00]+", "", page.extract_text())
        assert name in text and "扫码评价" in text and "政务服务大厅3号窗口" in text
    fonts = {str(f) for page in reader.pages[:1] for f in page["/Resources"]["/Font"].values()}
    assert fonts  # the CJK font is embedded (fpdf2 subsets it into the file)
    assert scan_pages(pdf, tmp_path) == [f"{BASE}/poll?unit={code}&src=HALL3" for code, _ in units]


def test_only_the_office_prints_and_bad_settings_are_refused(scheme_engine):
    with session_scope(scheme_engine) as s:
        with pytest.raises(Forbidden):
            unit_posters(s, actor=Actor("w", "leader"), year=2017, base_url=BASE)
        for kwargs, key in ((dict(base_url="review.example"), "complaints.bad_base_url"),
                            (dict(base_url=BASE, source="大厅"), "complaints.bad_source"),
                            (dict(base_url=BASE, place="长" * 41), "complaints.too_long")):
            with pytest.raises(UserError) as error:
                posters_pdf(s, actor=cli_actor(), year=2017, **kwargs)
            assert error.value.key == key
        with pytest.raises(UserError) as error:
            posters_pdf(s, actor=cli_actor(), year=1999, base_url=BASE)
        assert error.value.key == "complaints.no_year"


def test_command_line(scheme_engine, tmp_path):
    out = tmp_path / "posters.pdf"
    env = dict(os.environ, DATABASE_URL=scheme_engine.url.render_as_string(hide_password=False), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "db", "posters", "--campaign", "2017", "--out", str(out),
                           "--base-url", BASE, "--src", "WIN-2"], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "37 posters" in done.stdout and len(PdfReader(out).pages) == 37
    refused = subprocess.run([sys.executable, "-m", "db", "posters", "--campaign", "2017", "--out", str(out),
                              "--base-url", "nowhere"], check=False, cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=300)
    assert refused.returncode == 1 and "http://" in refused.stderr
    erased = subprocess.run([sys.executable, "-m", "db", "erase-complaint-phones"], check=False, cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert erased.returncode == 0 and "0 call-back numbers erased" in erased.stdout
