"""A person at a tablet: sign in, open every page of the menu, nothing breaks."""

from urllib.parse import urlparse

import pytest

from core.roles import pages_for
from tests.support.browser import PHONE, TABLET, Watch, screenshot, submit_sign_in, wait_for_app

pytestmark = pytest.mark.browser


def sign_in(page, base_url, username, password):
    submit_sign_in(page, base_url, username, password)
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
    wait_for_app(page)


def nav_links(page):
    return page.locator("[data-testid='stSidebarNav'] a")


@pytest.mark.parametrize("role", ["admin", "inspector", "leader", "analyst", "liaison"])
def test_each_menu_page_opens_without_an_exception_on_a_tablet(browser, live_app, role):
    context = browser.new_context(**TABLET, locale="zh-CN")
    watch = Watch(context, live_app.url)  # no page asks another host for anything, nor breaks the CSP
    page = context.new_page()
    sign_in(page, live_app.url, f"{role}1", f"{role} password 1")
    links = nav_links(page)
    assert links.count() == len(pages_for(role))
    for i in range(links.count()):
        link = links.nth(i)
        name = urlparse(link.get_attribute("href")).path.strip("/") or "home"
        link.click()
        wait_for_app(page)
        assert page.locator("[data-testid='stException']").count() == 0, name
        assert page.get_by_text("无权访问此页面。").count() == 0, name
        watch.check(page, name)
        screenshot(page, f"tablet-{role}-{name}")
    context.close()


def test_wrong_password_then_phone_sized_sign_in(browser, live_app):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(live_app.url)
    wait_for_app(page)
    page.get_by_label("用户名").fill("admin1")
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码错误。").wait_for(timeout=15_000)
    screenshot(page, "phone-sign-in-refused")
    page.get_by_label("密码").fill("admin password 1")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="2017年度履职尽责督促检查").wait_for(timeout=15_000)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "phone-home")
    context.close()
