"""Out of the box, a campaign is running today: the demo loaded on a day (today, 15 March, 20 December),
the app serving on that same day (REVIEW_TODAY); a citizen votes and is thanked, a printed demo
reviewer link opens the questionnaire, and a leader sees the running year on /live with today's votes."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from core import clock
from db.access import cli_actor
from db.bootstrap import init_database
from db.demo import invitations
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.users import create_user
from tests.support.browser import TABLET, cast_vote, screenshot, wait_for_app
from tests.support.server import AppServer

pytestmark = pytest.mark.browser
THIS_YEAR = clock.office_today().year
DAYS = {"today": clock.office_today(), "15-march": date(THIS_YEAR, 3, 15), "20-december": date(THIS_YEAR, 12, 20)}


@pytest.fixture(params=list(DAYS), ids=list(DAYS))
def demo_app(request, tmp_path):
    day = DAYS[request.param]
    url = f"sqlite:///{tmp_path / 'review.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    clock.set_today(day)
    try:
        server = AppServer(url, tmp_path / "server.log", POLL_SALT="browser-test-salt", REVIEW_TODAY=day.isoformat())
        path = invitations.default_path(url)
        load_demo(engine, actor=cli_actor(), votes_per_year=3000, invitations_path=path, base_url=server.url)
    finally:
        clock.set_today(None)
    with session_scope(engine) as s:
        create_user(s, actor=cli_actor(), username="leader1", role="leader", password="leader password 1",
                    must_change_password=False)
    engine.dispose()
    server.start()
    yield server, path, day, request.param
    server.stop()


def test_vote_answer_and_watch_on_the_day_the_demo_runs(browser, demo_app):
    server, path, day, name = demo_app
    # A citizen on a phone: the poll is open on that day.
    cast_vote(browser, server.url, shot=f"demo-today-{name}-poll-thanks")

    # A demo reviewer opens a printed link on a tablet: the questionnaire, not "closed" or "expired".
    link = next(e.link for e in invitations.read(path) if e.kind == "personal" and e.state == "not_started")
    assert link.startswith(server.url)
    tablet = browser.new_context(**TABLET, locale="zh-CN")
    page = tablet.new_page()
    page.goto(link)
    wait_for_app(page)
    expect(page.get_by_text("区发改局(区统计局)").first).to_be_visible(timeout=15_000)
    expect(page.get_by_role("radio", name="满意", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="下一个单位")).to_be_visible()
    screenshot(page, f"demo-today-{name}-questionnaire")
    tablet.close()

    # A leader on a laptop: /live shows the running year with today's votes.
    laptop = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = laptop.new_page()
    page.goto(f"{server.url}/live")
    wait_for_app(page)
    page.get_by_label("用户名").fill("leader1")
    page.get_by_label("密码").fill("leader password 1")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("今日投票").first.wait_for(timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_text(f"{day.year} 年度实时看板").first).to_be_visible()
    metric = page.locator("[data-testid='stMetric']").filter(has_text="今日投票")
    today_votes = metric.locator("[data-testid='stMetricValue']").inner_text().strip()
    assert int(re.sub(r"\D", "", today_votes)) >= 2  # the demo's votes of the day and the one just cast
    # The date axis of the votes chart speaks Chinese: 12月01日, not "Dec 1".
    ticks = page.locator("[data-testid='stPlotlyChart'] .xtick text").evaluate_all(
        "nodes => nodes.map(node => node.textContent)")
    assert any("月" in tick for tick in ticks), ticks
    assert not any(re.search(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec", tick) for tick in ticks), ticks
    screenshot(page, f"demo-today-{name}-live")
    laptop.close()
