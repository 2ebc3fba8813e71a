"""A unit's liaison on a tablet (820x1180) opens /feedback once the results are published, reads
the masked comments and downloads the feedback letter, which names the unit and no other."""

import io

import pytest
from docx import Document
from sqlmodel import select

from db.access import cli_actor
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.models import Result, Unit
from db.scoring import publish
from tests.support.browser import PHONE, TABLET, screenshot, wait_for_app
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser
UNIT = "区发改局(区统计局)"  # es01, the live_app liaison's unit


@pytest.fixture
def published(live_app):
    engine = make_engine(live_app.database_url)
    try:
        load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=1500)
        with session_scope(engine) as s:
            publish(s, s.exec(select(Result)).one().id, cli_actor())
            names = list(s.exec(select(Unit.name)).all())
    finally:
        engine.dispose()
    return live_app, names


def open_feedback(page, live_app, *, phone=False):
    if phone:  # the sidebar starts folded on a phone: sign in, then unfold it to reach the menu
        page.goto(live_app.url)
        wait_for_app(page)
        page.get_by_label("用户名").fill("liaison1")
        page.get_by_label("密码").fill("liaison password 1")
        page.get_by_role("button", name="登录").click()
        page.locator("[data-testid='stExpandSidebarButton']").click(timeout=30_000)
    else:
        sign_in(page, live_app.url, "liaison1", "liaison password 1")
    page.locator("[data-testid='stSidebarNav'] a[href$='/feedback']").click()
    wait_for_app(page)
    page.get_by_role("heading", name=UNIT).wait_for(timeout=30_000)


def test_a_liaison_on_a_tablet_opens_feedback_and_downloads_the_letter(browser, published):
    live_app, names = published
    context = browser.new_context(**TABLET, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    try:
        open_feedback(page, live_app)
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.get_by_text("整改要求", exact=True).is_visible()
        assert page.locator("[data-testid='stSelectbox']").filter(has_text="单位").count() == 0  # no unit picker
        screenshot(page, "tablet-feedback-liaison")
        page.get_by_role("tab", name="意见与建议").click()
        wait_for_app(page)
        screenshot(page, "tablet-feedback-comments")
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="下载评议意见反馈函(Word)").click()
        letter = download.value
        assert letter.suggested_filename == "feedback-2017-es01.docx"
        content = open(letter.path(), "rb").read()
    finally:
        context.close()
    document = Document(io.BytesIO(content))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert f"{UNIT}：" in text and "演示数据" in text
    rest = text.replace(UNIT, "")
    assert [n for n in names if n != UNIT and n in rest] == []


def test_the_page_fits_a_phone(browser, published):
    live_app, _ = published
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        open_feedback(page, live_app, phone=True)
        page.locator("[data-testid='stSidebarCollapseButton'] button").click()
        page.wait_for_timeout(500)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1  # nothing wider than the screen
        screenshot(page, "phone-feedback-liaison")
    finally:
        context.close()
