"""The office's import-and-draw flow in a real browser at tablet size."""

import pytest

from tests.support.browser import TABLET, screenshot, wait_for_app
from tests.support.pool_files import csv_bytes, people
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser


def go(page, label):
    page.locator("[data-testid='stSidebarNav'] a", has_text=label).click()
    wait_for_app(page)


def test_import_the_pool_draw_verify_and_download_invitations(browser, live_app, tmp_path):
    pool_file = tmp_path / "评议人员名单.csv"
    pool_file.write_bytes(csv_bytes(people(), encoding="gb18030"))
    context = browser.new_context(**TABLET, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_app.url, "admin1", "admin password 1")

    go(page, "评议人员库")
    page.locator("input[type='file']").set_input_files(str(pool_file))
    page.get_by_text("已检查 2000 行").wait_for(timeout=30_000)
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("新增 2000 人").wait_for(timeout=30_000)
    wait_for_app(page)
    screenshot(page, "tablet-pool-imported")

    go(page, "抽取评议人员")
    page.get_by_label("随机种子", exact=True).fill("2017-11-30 福彩3D 123")
    page.keyboard.press("Tab")
    page.get_by_text("种子 SHA-256").first.wait_for(timeout=15_000)
    page.get_by_text("我已核对种子和人员库哈希,确认抽取").click()
    wait_for_app(page)
    page.get_by_role("button", name="执行抽取").click()
    page.get_by_text("已验证").wait_for(timeout=30_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "tablet-draw-done")

    page.get_by_role("tab", name="邀请函").click()
    page.get_by_role("button", name="生成邀请函").click()
    page.get_by_text("已生成 200 份邀请").wait_for(timeout=60_000)
    wait_for_app(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="下载邀请函(PDF,可打印)").click()
    sheet = tmp_path / "invitations.pdf"
    download.value.save_as(sheet)
    assert sheet.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    assert len(PdfReader(sheet).pages) == 200
    screenshot(page, "tablet-invitations")
    context.close()
