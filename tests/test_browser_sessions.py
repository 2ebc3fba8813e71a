"""Staying signed in, in a real browser: the HttpOnly cookie from /_review/session survives a reload, a
server restart and another replica; sign-out and the idle timeout end it; a display link keeps a wall
screen on /live across a restart and is refused at the next refresh after revocation."""

from __future__ import annotations

import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from core.clock import office_today
from core.sessions import COOKIE
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import copy_campaign
from db.engine import make_engine, session_scope
from db.signin.display_links import create_display_link, revoke_display_link
from db.signin.sessions import end_session, list_active_sessions
from db.users import create_user, update_user
from tests.support.browser import TABLET, screenshot, wait_for_app
from tests.support.server import AppServer
from tests.test_replicas import pg_url, replicas  # noqa: F401 (fixtures: two replicas behind nginx)

pytestmark = pytest.mark.browser
WALL = {"viewport": {"width": 1920, "height": 1080}}
SIGN_IN = "登录"


@pytest.fixture
def app(tmp_path):
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
        create_user(s, actor=cli_actor(), username="admin1", role="admin", password="admin password 1",
                    must_change_password=False)
        create_user(s, actor=cli_actor(), username="leader1", role="leader", password="leader password 1",
                    must_change_password=False)
    server = AppServer(url, tmp_path / "server.log")
    server.engine = engine
    yield server.start()
    server.stop()
    engine.dispose()


def sign_in(page, url, username="admin1", password="admin password 1"):
    page.goto(url)
    wait_for_app(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name=SIGN_IN).click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
    wait_for_app(page)


def signed_in(page) -> bool:
    wait_for_app(page)
    return page.locator("[data-testid='stSidebarNav']").count() > 0


def session_cookie(context) -> dict:
    return next(c for c in context.cookies() if c["name"] == COOKIE)


def test_signed_in_through_reload_and_restart_until_sign_out(browser, app):
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, f"{app.url}/users")
    assert urllib.parse.urlparse(page.url).path.endswith("/users")  # back on the page that was asked for
    cookie = session_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    assert page.evaluate("document.cookie").find(COOKIE) < 0  # no script in the page can read it
    page.reload()
    assert signed_in(page) and urllib.parse.urlparse(page.url).path.endswith("/users")
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    app.kill()
    app.restart()
    page.reload()
    assert signed_in(page)
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    screenshot(page, "sessions-after-restart")
    old = cookie["value"]
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name=SIGN_IN).wait_for(timeout=15_000)
    for _ in range(100):  # the page sends the browser to the endpoint, which clears the cookie
        if all(c["name"] != COOKIE for c in context.cookies()):
            break
        page.wait_for_timeout(100)
    assert all(c["name"] != COOKIE for c in context.cookies())
    wait_for_app(page)
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    context.close()
    # The old id, replayed by hand in a new browser: refused.
    replay = browser.new_context(**TABLET, locale="zh-CN")
    replay.add_cookies([{"name": COOKIE, "value": old, "url": app.url}])
    page = replay.new_page()
    page.goto(f"{app.url}/users")
    wait_for_app(page)
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    assert not signed_in(page)
    replay.close()


def test_idle_timeout_signs_out_with_one_sentence(browser, app):
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, app.url)
    app.stop()
    app.environment["REVIEW_CLOCK_OFFSET"] = "9h"  # the server's clock, nine hours on
    app.restart()
    page.reload()
    wait_for_app(page)
    expect(page.get_by_text("您长时间未操作,已自动退出,请重新登录。")).to_be_visible()
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    context.close()


def test_a_display_link_keeps_the_wall_screen_and_is_refused_after_revocation(browser, app):
    with session_scope(app.engine) as s:
        created = create_display_link(s, actor=cli_actor(), year=office_today().year, base_url=app.url)
    context = browser.new_context(**WALL, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{created.url}&refresh=5")
    wait_for_app(page)
    expect(page.get_by_text("今日投票").first).to_be_visible(timeout=30_000)
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    screenshot(page, "display-link-wall")
    app.kill()
    app.restart()
    # Nobody touches the screen: Streamlit's client reconnects, and the link in the address bar opens again.
    page.get_by_text("暂无").or_(page.get_by_text("今日投票").first).first.wait_for(timeout=60_000)
    expect(page.get_by_text("今日投票").first).to_be_visible(timeout=60_000)
    with session_scope(app.engine) as s:
        revoke_display_link(s, actor=cli_actor(), link_id=created.id)
    expect(page.get_by_text("此展示链接已失效。")).to_be_visible(timeout=5_000 + 15_000)
    expect(page.get_by_text("今日投票")).to_have_count(0)
    screenshot(page, "display-link-revoked")
    context.close()


def test_bookmarked_pages_open_as_themselves_before_and_after_sign_in(browser, app):
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{app.url}/home")
    wait_for_app(page)
    assert page.get_by_text("Page not found").count() == 0 and page.get_by_text("找不到页面").count() == 0
    expect(page.get_by_text("区治庸问责办、纠风办")).to_be_visible()  # the sign-in page says what this is
    expect(page.get_by_text("履职尽责督促检查", exact=True)).to_be_visible()
    screenshot(page, "sign-in-page")
    sign_in(page, f"{app.url}/home")
    assert urllib.parse.urlparse(page.url).path.endswith("/home")
    assert page.get_by_text("Page not found").count() == 0
    expect(page.get_by_role("heading", name=f"{office_today().year}年度履职尽责督促检查")).to_be_visible()
    context.close()


def test_an_edited_cookie_or_a_deactivated_user_is_signed_out_with_one_sentence(browser, app):
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, app.url, "leader1", "leader password 1")
    cookie = session_cookie(context)
    edited = dict(cookie, value=cookie["value"][:-1] + ("A" if cookie["value"][-1] != "A" else "B"))
    context.add_cookies([edited])
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    assert not signed_in(page)
    context.add_cookies([cookie])
    page.reload()
    assert signed_in(page)
    with session_scope(app.engine) as s:
        update_user(s, actor=cli_actor(), username="leader1", role="leader", display_name="", unit_code=None,
                    active=False)
    page.reload()
    wait_for_app(page)
    expect(page.get_by_text("此登录会话已结束")).to_be_visible()
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    context.close()


def metric_count(page) -> int:
    return page.locator("[data-testid='stMetric']").count()


def test_a_deactivated_leaders_open_live_screen_signs_out_within_one_refresh(browser, app):
    """The /live board refreshes by itself (a fragment's timer, no full run of the app): every refresh checks
    the session, so the admin's deactivation reaches an open tab without anybody touching it."""
    context = browser.new_context(**WALL, locale="zh-CN")
    page = context.new_page()
    sign_in(page, f"{app.url}/live", "leader1", "leader password 1")
    page.goto(f"{app.url}/live?refresh=5")
    wait_for_app(page)
    expect(page.get_by_text("今日投票").first).to_be_visible(timeout=30_000)
    page.evaluate("window.__no_reload_marker = 'still here'")
    with session_scope(app.engine) as s:
        update_user(s, actor=cli_actor(), username="leader1", role="leader", display_name="", unit_code=None,
                    active=False)
    # One refresh (5 s) and the app's run: the sign-in form, the reason, and no figures.
    expect(page.get_by_role("button", name=SIGN_IN, exact=True)).to_be_visible(timeout=5_000 + 10_000)
    expect(page.get_by_text("此登录会话已结束")).to_be_visible()
    assert page.evaluate("window.__no_reload_marker") == "still here"  # the tab was not reloaded by anyone
    page.wait_for_timeout(6_000)  # a further refresh period: nothing comes back
    wait_for_app(page)
    assert metric_count(page) == 0 and page.get_by_text("今日投票").count() == 0
    expect(page.get_by_role("button", name=SIGN_IN, exact=True)).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "live-after-deactivation")
    context.close()


def test_an_admins_session_ended_elsewhere_closes_the_panel_page_at_its_next_refresh(browser, app):
    """The same for the other timed fragment (/panel), with the session ended on /users → 登录会话."""
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, f"{app.url}/panel")
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible(timeout=30_000)
    with session_scope(app.engine) as s:
        (mine,) = list_active_sessions(s, actor=cli_actor())
        end_session(s, actor=cli_actor(), session_id=mine.id)
    expect(page.get_by_role("button", name=SIGN_IN, exact=True)).to_be_visible(timeout=10_000 + 10_000)
    wait_for_app(page)
    assert metric_count(page) == 0
    context.close()


def test_a_display_token_opens_no_other_page(browser, app):
    with session_scope(app.engine) as s:
        created = create_display_link(s, actor=cli_actor(), year=office_today().year, base_url=app.url)
    token = created.url.split("display=", 1)[1]
    context = browser.new_context(**WALL, locale="zh-CN")
    page = context.new_page()
    for path in ("users", "home", "results", "audit", ""):
        page.goto(f"{app.url}/{path}?display={token}")
        wait_for_app(page)
        expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
        assert page.get_by_text("今日投票").count() == 0 and not signed_in(page)
    context.close()


def other_replica_cookie(url: str, log, avoid: str) -> str:
    """A value of nginx's sticky cookie that sends requests to the replica other than `avoid`."""
    for k in range(200):
        value = f"probe{k}"
        request = urllib.request.Request(f"{url}/", headers={"Cookie": f"review_replica={value}"})
        with urllib.request.urlopen(request, timeout=5):
            pass
        for line in reversed(log.read_text().splitlines()):
            upstream, cookie, _uri, _status = line.split("|")
            if cookie == value:
                if upstream != avoid:
                    return value
                break
    raise AssertionError("no sticky cookie value reaches the other replica")


def test_a_request_landing_on_the_other_replica_is_still_signed_in(browser, replicas):  # noqa: F811
    url, _apps, log, _engine = replicas
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, f"{url}/users")
    sticky = next(c for c in context.cookies() if c["name"] == "review_replica")
    first = {line.split("|")[0] for line in log.read_text().splitlines() if line.split("|")[1] == sticky["value"]}
    assert len(first) == 1
    moved = other_replica_cookie(url, log, avoid=next(iter(first)))
    context.add_cookies([dict(sticky, value=moved)])
    page.reload()
    assert signed_in(page)
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    reached = {line.split("|")[0] for line in log.read_text().splitlines() if line.split("|")[1] == moved
               and "/_stcore/" in line}
    assert reached and not reached & first  # this page's requests went to the other replica
    context.close()
