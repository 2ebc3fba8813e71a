"""A citizen with a phone: find a unit by typing, vote, see the thanks; the same browser is refused a
second vote that day, after a reload too; the page fits a phone, a desktop and the portal's iframe."""

import functools
import http.server
import re
import threading

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from core.clock import office_today
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import copy_campaign
from db.engine import make_engine, session_scope
from db.models import PollVote
from tests.support.browser import PHONE, screenshot, wait_for_app
from tests.support.server import AppServer

pytestmark = pytest.mark.browser
THANKS = "感谢您的评价"
REFUSED = "您今天已经评价过这个单位了"


@pytest.fixture
def poll_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'poll.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:  # a campaign whose period includes today
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    server = AppServer(url, tmp_path / "server.log", POLL_SALT="browser-test-salt").start()
    yield server, engine
    server.stop()
    engine.dispose()


def open_poll(page, base_url, query=""):
    page.goto(f"{base_url}/poll{query}")
    wait_for_app(page)


def pick_unit(page, typed, name):
    search = page.get_by_label("输入单位名称查找")
    search.fill(typed)
    search.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_text("履职尽责的情况满意吗").wait_for(timeout=15_000)
    wait_for_app(page)


def vote(page, option):
    page.get_by_role("button", name=option, exact=True).click()
    wait_for_app(page)


def device_cookie(context):
    return next((c["value"] for c in context.cookies() if c["name"] == "rv_device"), None)


def votes(engine):
    with session_scope(engine) as s:
        return s.exec(select(PollVote.option, PollVote.comment)).all()


def test_a_phone_votes_once_per_unit_per_day_even_after_a_reload(browser, poll_app):
    server, engine = poll_app
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    open_poll(page, server.url)
    # Phone-sized: nothing wider than the screen, and every unit button big enough for a thumb.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    buttons = page.locator(".st-key-poll_units button")
    assert buttons.count() == 37
    assert min(buttons.nth(k).bounding_box()["height"] for k in range(3)) >= 44
    screenshot(page, "phone-poll-units")

    pick_unit(page, "供电", "开发区供电公司")
    page.get_by_label(re.compile("留言")).fill("抢修及时,态度很好")
    assert page.get_by_role("button", name="满意", exact=True).bounding_box()["height"] >= 44
    screenshot(page, "phone-poll-vote")
    vote(page, "满意")
    expect(page.get_by_text(THANKS)).to_be_visible()
    screenshot(page, "phone-poll-thanks")
    cookie = device_cookie(context)
    assert cookie and re.fullmatch(r"[0-9a-f]{32}", cookie)

    pick_unit(page, "供电", "开发区供电公司")
    vote(page, "不满意")
    expect(page.get_by_text(REFUSED)).to_be_visible()

    page.reload()  # a new Streamlit session: only the cookie remembers the device
    wait_for_app(page)
    pick_unit(page, "供电公司", "开发区供电公司")
    vote(page, "不满意")
    expect(page.get_by_text(REFUSED)).to_be_visible()
    screenshot(page, "phone-poll-refused")
    assert device_cookie(context) == cookie
    assert votes(engine) == [("satisfied", "抢修及时,态度很好")]

    page.get_by_role("button", name="选择其他单位").click()
    wait_for_app(page)
    pick_unit(page, "公安", "区公安分局(区交管局)")  # another unit the same day is fine
    vote(page, "基本满意")
    expect(page.get_by_text(THANKS)).to_be_visible()
    context.close()

    other = browser.new_context(**PHONE, locale="zh-CN")  # another phone on the same network
    page = other.new_page()
    open_poll(page, server.url)
    pick_unit(page, "供电", "开发区供电公司")
    vote(page, "不满意")
    expect(page.get_by_text(THANKS)).to_be_visible()
    assert device_cookie(other) != cookie
    other.close()
    assert len(votes(engine)) == 3


def test_a_forged_device_cookie_is_replaced(browser, poll_app):
    server, _ = poll_app
    context = browser.new_context(**PHONE, locale="zh-CN")
    context.add_cookies([{"name": "rv_device", "value": "x' OR 1=1", "url": server.url}])
    page = context.new_page()
    open_poll(page, server.url)
    page.wait_for_timeout(500)
    assert re.fullmatch(r"[0-9a-f]{32}", device_cookie(context))
    context.close()


@pytest.fixture
def portal(tmp_path, poll_app):
    """The government portal embedding the poll: another site (localhost, not 127.0.0.1) with an iframe."""
    server, _ = poll_app
    folder = tmp_path / "portal"
    folder.mkdir()
    (folder / "index.html").write_text(
        f"<meta charset='utf-8'><h1>汉南区人民政府</h1>"
        f"<iframe src='{server.url}/poll?embed=true' width='380' height='800'></iframe>", encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://localhost:{httpd.server_address[1]}/index.html"
    httpd.shutdown()


def test_on_a_desktop_and_inside_the_portals_iframe(browser, poll_app, portal):
    server, engine = poll_app
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    open_poll(page, server.url)
    # A readable column in the middle of a wide screen, not buttons 1,400 px wide.
    assert page.locator(".st-key-poll_units button").first.bounding_box()["width"] <= 700
    screenshot(page, "desktop-poll")

    page.goto(portal)
    frame = page.frame_locator("iframe")
    frame.get_by_label("输入单位名称查找").fill("教育")
    frame.get_by_label("输入单位名称查找").press("Enter")
    frame.get_by_role("button", name="区教育局", exact=True).click()
    frame.get_by_role("button", name="基本满意", exact=True).click()
    expect(frame.get_by_text(THANKS)).to_be_visible(timeout=15_000)
    expect(frame.get_by_text("年度履职尽责督促检查")).to_have_count(0)  # the portal names the campaign itself
    screenshot(page, "portal-iframe-poll")
    assert ("basically_satisfied", "") in votes(engine)
    context.close()
