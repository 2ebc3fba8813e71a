"""The precision planner on /draw in a real browser at tablet size: it opens, estimates, and its table and
advice fit the screen (the screenshot is in test-artifacts/tablet-draw-planner.png)."""

from __future__ import annotations

import pytest

from db.access import cli_actor
from db.bootstrap import init_database
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.users import create_user
from tests.support.browser import TABLET, screenshot, wait_for_app
from tests.support.server import AppServer
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def two_years_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    load_demo(engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=2000)
    with session_scope(engine) as s:
        create_user(s, actor=cli_actor(), username="admin1", role="admin", password="admin password 1",
                    must_change_password=False)
    engine.dispose()
    server = AppServer(url, tmp_path / "server.log").start()
    yield server
    server.stop()


def test_the_planner_on_a_tablet(browser, two_years_app):
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, two_years_app.url, "admin1", "admin password 1")
    # 2018, planned from 2017 (the default year would be 2017, whose result is published).
    page.goto(f"{two_years_app.url}/draw?year=2018")
    wait_for_app(page)
    page.get_by_text("精度规划：评议 100 至 400 人各能达到的精度").click()
    page.get_by_role("button", name="估计精度").click()
    page.get_by_text("建议：").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    table = page.locator("[data-testid='stExpander'] [data-testid='stDataFrame']")  # drawn on a canvas
    assert table.count() == 1
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 820  # the table scrolls inside the page, not past it
    page.get_by_text("建议：").scroll_into_view_if_needed()
    screenshot(page, "tablet-draw-planner")
    table.scroll_into_view_if_needed()
    screenshot(page, "tablet-draw-planner-table")
    context.close()
