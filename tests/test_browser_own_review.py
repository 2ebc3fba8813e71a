"""From the demo to the office's own review, in Chromium, as an office would (issue 26, "Done when"):
demo → new year from it → add a unit → import a unit list and a pool → draw → invitations → purge the demo
→ the new year is intact and is the default year. On the way: the running year is the default while the
next one is prepared, and a chosen year and language survive a reload (F5)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

from core import clock
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import get_campaign, get_campaign_or_none
from db.demo.purge import purge_demo
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.models import Draw, Invitation, Reviewer, Unit
from db.users import create_user
from tests.support.browser import screenshot, wait_for_app
from tests.support.pool_files import csv_bytes, people
from tests.support.server import AppServer
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser
YEAR = clock.office_today().year  # the demo's running year
NEXT = YEAR + 1
LAPTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def demo_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'review.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    load_demo(engine, actor=cli_actor(), years=(YEAR,), votes_per_year=200,
              invitations_path=tmp_path / "demo-invitations.csv")
    with session_scope(engine) as s:
        demo = get_campaign(s, YEAR)
        demo.panel_size = 60  # a small panel, copied into the new year: fewer invitations to make
        s.add(demo)
        create_user(s, actor=cli_actor(), username="admin1", role="admin", password="admin password 1",
                    must_change_password=False)
    server = AppServer(url, tmp_path / "server.log").start()
    yield server, engine
    server.stop()
    engine.dispose()


def go(page, label):
    page.locator("[data-testid='stSidebarNav'] a", has_text=label).click()
    wait_for_app(page)


def year_box(page):
    return page.locator("[data-testid='stSidebar']").get_by_role("combobox").first


def import_file(page, path, *, checked, imported):
    """Upload a list, wait for the check, confirm, wait for the import (the pool's and the units' pages alike)."""
    page.locator("input[type='file']").set_input_files(str(path))
    page.get_by_text(checked).wait_for(timeout=30_000)
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text(imported).wait_for(timeout=30_000)
    wait_for_app(page)


def choose_language(page, name):
    # The box sits at the bottom of the sidebar, where its list may not unfold: type to filter, then Enter.
    page.get_by_role("combobox", name="语言 / Language").click()
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    wait_for_app(page)


def count(engine, table, year):
    with session_scope(engine) as s:
        campaign_id = get_campaign(s, year).id
        return s.exec(select(func.count()).select_from(table).where(table.campaign_id == campaign_id)).one()


def test_from_the_demo_to_the_offices_own_year(browser, demo_app, tmp_path):
    server, engine = demo_app
    context = browser.new_context(**LAPTOP)
    page = context.new_page()
    sign_in(page, server.url, "admin1", "admin password 1")
    expect(year_box(page)).to_have_value(str(YEAR))  # the running demo year

    # Settings → start the next year, copied from the running demo year.
    go(page, "年度设置")
    page.get_by_role("tab", name="开始下一年度").click()
    page.get_by_role("button", name="新建年度").click()
    page.get_by_text(f"{NEXT} 年度已新建。").wait_for(timeout=30_000)
    page.get_by_role("button", name=f"切换到 {NEXT} 年度").click()
    wait_for_app(page)
    expect(year_box(page)).to_have_value(str(NEXT))
    assert f"year={NEXT}" in page.url

    # A chosen year and a chosen language survive F5.
    page.reload()
    wait_for_app(page)
    expect(year_box(page)).to_have_value(str(NEXT))
    choose_language(page, "English")
    wait_for_app(page)
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=f"Settings of campaign {NEXT}")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-testid='stSidebarNav']")).to_contain_text("Units under review")
    expect(year_box(page)).to_have_value(str(NEXT))
    choose_language(page, "中文")

    # /units: a category, a unit, and a unit list from a file.
    go(page, "被督查单位")
    page.get_by_role("tab", name="新增类别").click()
    page.get_by_role("textbox", name="代码").filter(visible=True).fill("town")
    page.get_by_role("textbox", name="中文名称").filter(visible=True).fill("街道办事处")
    page.get_by_role("textbox", name="英文名称").filter(visible=True).fill("Sub-districts")
    page.get_by_role("button", name="新增类别").click()
    page.get_by_text("已新增类别“街道办事处”。").wait_for(timeout=15_000)
    wait_for_app(page)
    page.get_by_role("tab", name="新增单位").click()
    page.get_by_role("textbox", name="单位名称").filter(visible=True).fill("区数据局")
    page.get_by_role("button", name="新增单位").click()
    page.get_by_text("区数据局", exact=False).first.wait_for(timeout=15_000)
    expect(page.get_by_text("已新增单位 es19 · 区数据局。")).to_be_visible(timeout=15_000)
    unit_list = tmp_path / "单位名单.csv"
    unit_list.write_bytes(csv_bytes([["town01", "纱帽街道", "街道办事处"], ["town02", "邓南街道", "town"]],
                                    header=["代码", "单位名称", "类别"], encoding="gb18030"))
    page.get_by_role("tab", name="导入单位名单").click()
    import_file(page, unit_list, checked="文件检查通过", imported="单位名单已导入:新增 2 个")
    screenshot(page, "own-review-units")

    # The pool, the draw and the invitations of the new year.
    pool_file = tmp_path / "评议人员名单.csv"
    pool_file.write_bytes(csv_bytes(people([30, 25, 20, 15, 15, 15])))
    go(page, "评议人员库")
    import_file(page, pool_file, checked="已检查 120 行", imported="新增 120 人")
    go(page, "抽取评议人员")
    page.get_by_label("随机种子", exact=True).fill(f"{YEAR}-12-04 福彩3D 123")
    page.keyboard.press("Tab")
    page.get_by_text("种子 SHA-256").first.wait_for(timeout=15_000)
    page.get_by_text("我已核对种子和人员库哈希,确认抽取").click()
    wait_for_app(page)
    page.get_by_role("button", name="执行抽取").click()
    page.get_by_text("已验证").wait_for(timeout=30_000)
    wait_for_app(page)
    page.get_by_role("tab", name="邀请函").click()
    page.get_by_role("button", name="生成邀请函").click()
    page.get_by_text("已生成 60 份邀请").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    context.close()

    # A new session while the demo year still runs opens on it, not on the year prepared ahead.
    context = browser.new_context(**LAPTOP)
    page = context.new_page()
    page.goto(server.url)
    wait_for_app(page)
    expect(page.get_by_text(f"当前年度:{YEAR}年度").first).to_be_visible()
    expect(page.get_by_text(f"{NEXT}年度")).to_have_count(0)
    context.close()

    # Purge the demo: the new year is intact and is the default year.
    kept = {table: count(engine, table, NEXT) for table in (Unit, Reviewer, Draw, Invitation)}
    assert kept == {Unit: 40, Reviewer: 120, Draw: 1, Invitation: 60}
    purge_demo(engine, actor=cli_actor())
    with session_scope(engine) as s:
        assert get_campaign_or_none(s, YEAR) is None
    assert {table: count(engine, table, NEXT) for table in kept} == kept
    context = browser.new_context(**LAPTOP)
    page = context.new_page()
    sign_in(page, server.url, "admin1", "admin password 1")
    expect(year_box(page)).to_have_value(str(NEXT))
    go(page, "被督查单位")
    expect(page.get_by_text(f"{NEXT} 年度被督查单位")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "own-review-after-purge")
    context.close()
