"""The objection period on tablets (820x1180): es01's liaison sees the provisional figures marked 公示中,
files an objection with a PDF, the office dismisses it with a reason, the liaison reads the ruling,
and the office publishes (with a reason, since the period still runs); the liaison then downloads the published
result's verification bundle from /feedback, and the verifier, run on that file alone, finds every unit matching."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from db.access import cli_actor
from db.engine import make_engine, session_scope
from db.models import ObjectionFile, Result
from db.objections import open_period
from tests.support.browser import TABLET, screenshot, wait_for_app
from tests.support.objections import PDF, small_campaign
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser
UNIT = "区发改局(区统计局)"  # es01, the live_app liaison's unit
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def posted(live_app):
    engine = make_engine(live_app.database_url)
    try:
        made = small_campaign(engine)
        with session_scope(engine) as s:
            open_period(s, actor=cli_actor(), result_id=made["result_id"])
    finally:
        engine.dispose()
    return live_app


def open_page(page, path: str) -> None:
    page.locator(f"[data-testid='stSidebarNav'] a[href$='/{path}']").click()
    wait_for_app(page)


def test_a_liaison_objects_the_office_dismisses_publishes_and_the_bundle_verifies(browser, posted, tmp_path):
    live_app = posted
    unit = browser.new_context(**TABLET, locale="zh-CN", accept_downloads=True)
    office = browser.new_context(**TABLET, locale="zh-CN")
    liaison, admin = unit.new_page(), office.new_page()
    try:
        # The liaison: their unit's provisional figures, marked as posted.
        sign_in(liaison, live_app.url, "liaison1", "liaison password 1")
        open_page(liaison, "feedback")
        liaison.get_by_role("heading", name=UNIT).wait_for(timeout=30_000)
        expect(liaison.get_by_text("公示中:以下为第 1 版暂定结果", exact=False)).to_be_visible()
        expect(liaison.locator("[data-testid='stMetric']").first).to_be_visible()
        # An objection about the daily score, with a scanned PDF.
        liaison.locator("[data-testid='stSelectbox']").filter(has_text="异议事项类别").click()
        liaison.get_by_role("option", name="日常工作评价得分").click()
        wait_for_app(liaison)
        form = liaison.locator("[data-testid='stForm']").filter(has_text="提交异议")
        form.get_by_role("textbox", name="异议理由").fill("日常评价得分漏记了第三季度的加分，应为95分")
        form.locator("input[type='file']").set_input_files(
            files=[{"name": "季度考评表.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        expect(form.get_by_text("季度考评表.pdf")).to_be_visible(timeout=30_000)
        form.get_by_role("button", name="提交异议").click()
        wait_for_app(liaison)
        expect(liaison.get_by_text("纠风办尚未裁定")).to_be_visible(timeout=30_000)
        assert liaison.locator("[data-testid='stException']").count() == 0
        screenshot(liaison, "tablet-objection-filed")

        # The office dismisses it, with a reason.
        sign_in(admin, live_app.url, "admin1", "admin password 1")
        open_page(admin, "results")
        expect(admin.get_by_text("第 1 版结果公示中", exact=False)).to_be_visible(timeout=30_000)
        expect(admin.get_by_role("button", name=re.compile(r"季度考评表\.pdf.1 KB"))).to_be_visible()
        ruling = admin.locator("[data-testid='stForm']").filter(has_text="保存裁定")
        ruling.get_by_text("不成立", exact=True).click()
        ruling.get_by_role("textbox", name="裁定理由(单位可见)").fill("第三季度加分已计入日常评价，核对记录无误")
        ruling.get_by_role("button", name="保存裁定").click()
        wait_for_app(admin)
        expect(admin.get_by_text("不成立 1 件", exact=False)).to_be_visible(timeout=30_000)
        screenshot(admin, "tablet-objection-ruled")

        # The liaison reads the ruling and its reason.
        liaison.reload()
        wait_for_app(liaison)
        open_page(liaison, "feedback")
        expect(liaison.get_by_text("核对记录无误", exact=False)).to_be_visible(timeout=30_000)
        liaison.get_by_text("核对记录无误", exact=False).scroll_into_view_if_needed()
        screenshot(liaison, "tablet-objection-ruling")

        # The office publishes: the period still runs, so only with a reason.
        publish = admin.locator("[data-testid='stForm']").filter(has_text="确认发布")
        expect(publish.get_by_text("结果公示期至", exact=False)).to_be_visible()
        publish.get_by_role("textbox", name="仍要发布的理由").fill("区委常委会定于明日通报，经主任批准提前发布")
        publish.get_by_text("我已核对第 1 版结果,确认发布").click()
        publish.get_by_role("button", name="发布", exact=True).click()
        wait_for_app(admin)
        expect(admin.get_by_text("第 1 版已发布。")).to_be_visible(timeout=30_000)
        assert admin.locator("[data-testid='stException']").count() == 0

        # The liaison downloads the published result's bundle, and matches its SHA-256 with the page's.
        liaison.reload()
        wait_for_app(liaison)
        open_page(liaison, "feedback")
        sha = liaison.get_by_text("验证包校验码")
        sha.wait_for(timeout=30_000)
        with liaison.expect_download(timeout=60_000) as download:
            liaison.get_by_role("button", name="下载验证包").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        shown_sha = sha.inner_text()
    finally:
        unit.close()
        office.close()
    engine = make_engine(live_app.database_url)
    try:
        with session_scope(engine) as s:
            assert s.exec(select(Result.status)).one() == "published"
            assert s.exec(select(ObjectionFile.content)).one() == PDF
    finally:
        engine.dispose()
    checked = subprocess.run([sys.executable, "-m", "core.verify", str(saved)], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, check=False, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.rstrip().endswith("all 37 units match")
    assert checked.stdout.splitlines()[0].split()[-1] in shown_sha  # "bundle SHA-256 <hex>", as the page showed
