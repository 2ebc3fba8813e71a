"""Issue 26 §4: the files an office hands out. The published pool file (公示) speaks Chinese and holds no one's
details; the SMS list carries the phone numbers an SMS sender needs, owner-only on disk and never in a log or
the audit trail; the invitation letter gives the review period and the deadline."""

from __future__ import annotations

import csv
import io
import logging
import re
import stat

import pytest
from sqlmodel import select

from db.access import cli_actor
from db.bootstrap import init_database
from db.commands import main
from db.draws import create_draw, issue_invitations, public_pool_csv
from db.engine import make_engine, session_scope
from db.models import AuditEvent
from db.reviewer_pool import import_pool
from documents.invitation_sheets import invitation_sheet_pdf
from tests.support.pool_files import csv_bytes, people
from tests.test_sheets import INVITATIONS, font_or_skip, pdf_pages_text

SIZES = [30, 30, 30, 30, 30, 30]


@pytest.fixture
def pooled(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'review.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        import_pool(s, actor=cli_actor(), year=2017, content=csv_bytes(people(SIZES)), filename="pool.csv")
    yield engine
    engine.dispose()


def test_the_published_pool_file_is_headed_in_chinese_and_names_no_one(pooled):
    with session_scope(pooled) as s:
        published = public_pool_csv(s, campaign_id=1).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(published)))
    assert rows[0] == ["人员编号", "人员类别", "类别代码"]
    assert {r[1] for r in rows[1:]} == {"服务对象", "人大代表", "政协委员", "行评代表", "机关干部", "社区群干"}
    assert not re.search(r"139\d{8}", published) and "评议人" not in published


def test_the_sms_list_has_the_phones_owner_only_and_never_logged(pooled, tmp_path, capsys, caplog):
    target = tmp_path / "sms.csv"
    caplog.set_level(logging.DEBUG)
    assert main(["draw", "--campaign", "2017", "--seed", "s", "--n", "24", "--invitations", str(target),
                 "--base-url", "https://review.example"]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 24 and all(r["phone"].startswith("139") and len(r["phone"]) == 11 for r in rows)
    phones = {r["phone"] for r in rows}
    printed = capsys.readouterr()
    logged = caplog.text + printed.out + printed.err
    with session_scope(pooled) as s:
        audit = " ".join(str(e.before) + str(e.after) for e in s.exec(select(AuditEvent)).all())
    assert not any(phone in logged or phone in audit for phone in phones)


def test_the_page_download_has_the_phones_too(pooled):
    # The draw page's 短信通知名单 is made from the same IssuedInvitation rows.
    with session_scope(pooled) as s:
        draw = create_draw(s, actor=cli_actor(), year=2017, seed="s", n=12)
        issued = issue_invitations(s, actor=cli_actor(), draw_id=draw.id, base_url="https://x")
    assert all(i.phone.startswith("139") for i in issued)


def test_the_invitation_letter_gives_the_period_and_deadline():
    font_or_skip()
    data = invitation_sheet_pdf(INVITATIONS[:1], campaign_name="2027年度履职尽责督促检查", office="区纠风办",
                                window=("2027-11-20 08:00", "2027-12-10 18:00"))
    [page] = pdf_pages_text(data)
    assert "评议时间：2027-11-2008:00至2027-12-1018:00" in page
    assert "请在2027-12-1018:00前提交问卷" in page
