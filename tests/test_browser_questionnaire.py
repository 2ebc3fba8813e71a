"""A reviewer at a tablet or a phone: every tap stored at once, a reload or a crash loses nothing."""

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlmodel import select

from core.clock import office_today
from core.poll import new_device_id
from db.access import cli_actor
from db.campaigns import copy_campaign
from db.complaints.intake import vote
from db.engine import make_engine, session_scope
from db.models import Answer, Dimension, Response, SealedBallot, Unit
from db.questionnaire import issue_ballots
from tests.support.browser import PHONE, TABLET, Runs, screenshot, wait_for_app
from tests.support.panel import open_panel
from tests.support.server import AppServer

pytestmark = pytest.mark.browser
LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意", "unknown": "不了解"}
OPTIONS = list(LABELS)
HEADINGS = ["区发改局(区统计局)", "区经信局(区商务局、区科技局)", "区教育局", "区行政审批局"]


@pytest.fixture
def panel_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'panel.db'}"
    server = AppServer(url, tmp_path / "server.log")
    issued = open_panel(url, base_url=server.url)
    server.start()
    yield server, issued, url
    server.stop()


def choice(unit_index: int, dim_index: int) -> str:
    return OPTIONS[(unit_index * 3 + dim_index) % 4]


def answer_unit(page, unit_index: int, clicks: dict) -> None:
    heading = page.locator("h2").first.inner_text()
    groups = page.locator("[data-testid='stButtonGroup']")
    assert groups.count() == 5
    for dim_index in range(5):
        option = choice(unit_index, dim_index)
        tap(page, groups.nth(dim_index).get_by_role("radio", name=LABELS[option], exact=True))
        clicks[(heading, dim_index)] = option


def tap(page, radio) -> None:
    """Tap an option and wait until it shows as chosen and the server has run with it."""
    try:
        radio.click(timeout=10_000)
    except PlaywrightError:
        # A rerun still redrawing the unit; a person would simply tap again once it settles.
        wait_for_app(page)
        try:
            radio.click()
        except PlaywrightError:
            screenshot(page, "failure-questionnaire-tap")  # what the reviewer would have seen
            raise
    expect(radio).to_have_attribute("aria-checked", "true")
    page.wait_for_timeout(30)  # the rerun starts just after the tap
    wait_for_app(page, settle_ms=0)


def checked(page) -> list[str | None]:
    """The option shown as chosen in each of the five controls."""
    groups = page.locator("[data-testid='stButtonGroup']")
    result = []
    for i in range(groups.count()):
        chosen = groups.nth(i).locator("[role='radio'][aria-checked='true']")
        result.append(chosen.inner_text().strip() if chosen.count() else None)
    return result


def next_unit(page) -> None:
    """Tap "next unit"; a tap that lands while the last answer's rerun is still being drawn can go
    unanswered by Streamlit, and a person would tap again: so do we, at most twice more."""
    before = page.locator("h2").first.inner_text()
    for _ in range(3):
        page.get_by_role("button", name="下一个单位").click()
        try:
            expect(page.locator("h2").first).not_to_have_text(before, timeout=4_000)
            break
        except AssertionError:
            wait_for_app(page)
            if page.locator("h2").first.inner_text() != before:
                break
    else:
        screenshot(page, "failure-questionnaire-next")
        raise AssertionError(f"'next unit' did not leave {before}")
    wait_for_app(page)


def stored(url: str) -> dict:
    engine = make_engine(url)
    with session_scope(engine) as s:
        rows = s.exec(select(Unit.name, Dimension.position, Answer.option)
                      .join(Unit, Answer.unit_id == Unit.id).join(Dimension, Answer.dimension_id == Dimension.id)).all()
    engine.dispose()
    return {(name, position): option for name, position, option in rows}


@pytest.mark.parametrize(("device", "name"), [(TABLET, "tablet"), (PHONE, "phone")])
def test_answer_reload_finish_and_submit(browser, panel_app, device, name):
    _server, issued, url = panel_app
    context = browser.new_context(**device, locale="zh-CN")
    page = context.new_page()
    page.goto(issued[0].link)
    wait_for_app(page)
    screenshot(page, f"{name}-questionnaire-first-unit")
    clicks: dict = {}
    for unit_index in range(3):
        answer_unit(page, unit_index, clicks)
        next_unit(page)
    assert stored(url) == clicks  # in the database the moment they were given

    page.reload()
    wait_for_app(page)
    assert page.locator("h2").first.inner_text() == HEADINGS[3]  # resumes on the fourth unit
    assert "已完成 3 / 37 个单位" in page.content()
    page.get_by_role("button", name="上一个单位").click()
    expect(page.locator("h2").first).to_have_text(HEADINGS[2])
    wait_for_app(page)
    assert checked(page) == [LABELS[choice(2, d)] for d in range(5)]
    screenshot(page, f"{name}-questionnaire-after-reload")
    next_unit(page)

    for unit_index in range(3, 37):
        answer_unit(page, unit_index, clicks)
        if unit_index < 36:
            next_unit(page)
    page.get_by_role("button", name="检查并提交").click()
    wait_for_app(page)
    page.get_by_text("全部单位均已作答").wait_for()
    screenshot(page, f"{name}-questionnaire-review")
    page.get_by_text("我已完成评议,确认提交").click()
    wait_for_app(page)
    page.get_by_role("button", name="提交问卷").click()
    page.get_by_text("问卷已提交,感谢您的参与").wait_for(timeout=30_000)
    screenshot(page, f"{name}-questionnaire-submitted")

    # The questionnaire is in the ballot box (db.ballot_box): sealed, every answer in it, no draft or token left.
    engine = make_engine(url)
    with session_scope(engine) as s:
        assert s.exec(select(Response)).all() == []
        [sealed] = s.exec(select(SealedBallot)).all()
        names = {u.id: u.name for u in s.exec(select(Unit)).all()}
        positions = {d.id: d.position for d in s.exec(select(Dimension)).all()}
    engine.dispose()
    assert {(names[u], positions[d]): o for u, d, o in sealed.content["answers"]} == clicks and len(clicks) == 185
    context.close()


def test_a_killed_server_loses_no_answer(browser, panel_app):
    server, issued, url = panel_app
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    page.goto(issued[1].link)
    wait_for_app(page)
    clicks: dict = {}
    answer_unit(page, 0, clicks)
    next_unit(page)
    groups = page.locator("[data-testid='stButtonGroup']")
    tap(page, groups.nth(0).get_by_role("radio", name="不满意", exact=True))
    clicks[("区经信局(区商务局、区科技局)", 0)] = "dissatisfied"

    server.kill()  # kill -9 in the middle of the questionnaire
    assert stored(url) == clicks
    server.restart()
    page.goto(issued[1].link)
    wait_for_app(page)
    assert page.locator("h2").first.inner_text() == "区经信局(区商务局、区科技局)"
    assert checked(page) == ["不满意", None, None, None, None]
    page.get_by_role("button", name="上一个单位").click()
    expect(page.locator("h2").first).to_have_text(HEADINGS[0])
    wait_for_app(page)
    assert checked(page) == [LABELS[choice(0, d)] for d in range(5)]
    context.close()


def test_landscape_tablet_shows_the_whole_unit(browser, panel_app):
    _server, issued, _url = panel_app
    landscape = dict(TABLET, viewport={"width": 1180, "height": 820})
    context = browser.new_context(**landscape, locale="zh-CN")
    page = context.new_page()
    page.goto(issued[2].link)  # the server's very first request is a deep link (see ui/serve.py)
    wait_for_app(page)
    assert not page.locator("[data-testid='stSidebar']").is_visible()  # the app shell ran: no staff sidebar
    assert page.locator("[data-testid='stButtonGroup']").count() == 5
    assert page.get_by_role("button", name="下一个单位").is_visible()
    screenshot(page, "tablet-landscape-questionnaire")
    context.close()


def test_quick_taps_are_all_stored_without_waiting_for_the_server(browser, panel_app):
    """Five taps within about a second, then "next" at once: each question is its own fragment, and
    every run stores whatever the screen shows that the database lacks."""
    import time

    _server, issued, url = panel_app
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    page.goto(issued[3].link)
    wait_for_app(page)
    groups = page.locator("[data-testid='stButtonGroup']")
    taps: dict = {}
    for unit_index in range(2):
        started = time.monotonic()
        for dim_index in range(5):  # no wait for the server between taps
            option = OPTIONS[(unit_index + dim_index + 1) % 4]
            groups.nth(dim_index).get_by_role("radio", name=LABELS[option], exact=True).click()
            taps[(HEADINGS[unit_index], dim_index)] = option
        assert time.monotonic() - started < 2.5
        page.get_by_role("button", name="下一个单位").click()  # at once, before the answers' reruns finished
        expect(page.locator("h2").first).to_have_text(HEADINGS[unit_index + 1], timeout=15_000)
        wait_for_app(page)
    assert stored(url) == taps
    page.reload()
    wait_for_app(page)
    assert page.locator("h2").first.inner_text() == HEADINGS[2]
    assert "已完成 2 / 37 个单位" in page.content()
    page.get_by_role("button", name="上一个单位").click()
    expect(page.locator("h2").first).to_have_text(HEADINGS[1])
    wait_for_app(page)
    assert checked(page) == [LABELS[taps[(HEADINGS[1], d)]] for d in range(5)]
    context.close()


@pytest.fixture
def hall_app(tmp_path):
    """The panel open now (with personal links and venue codes) and today's poll with one filed complaint."""
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    server = AppServer(url, tmp_path / "server.log", POLL_SALT="browser-test-salt", NETWORK_SALT="browser-test-salt")
    issued = open_panel(url, base_url=server.url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        codes = issue_ballots(s, actor=cli_actor(), year=2017, group_code="npc_deputy", count=1)
        campaign = copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    with session_scope(engine) as s:
        unit = s.exec(select(Unit).where(Unit.campaign_id == campaign.id, Unit.code == "es01")).one()
        filed = vote(s, campaign_id=campaign.id, unit_id=unit.id, option="dissatisfied", device_id=new_device_id(),
                     ip="198.51.100.7", comment="窗口人员态度差", salt="browser-test-salt")
    engine.dispose()
    server.start()
    yield server, issued, codes[0], filed.receipt
    server.stop()


def type_wrong(runs: Runs, label: str, button: str, code: str) -> None:
    """Type one code into a form, submit, and wait for the run that refuses it to finish (both forms call
    st.rerun(): the refusal is drawn by the second run, after which one copy of the form is on screen)."""
    page = runs.page
    page.get_by_label(label).fill(code)
    runs.click(page.get_by_role("button", name=button, exact=True))
    expect(page.locator("[data-testid='stAlertContentError']").first).to_be_visible(timeout=10_000)


def test_one_tablet_typing_wrong_codes_stops_no_other_tablet(browser, hall_app):
    """Every browser here comes from 127.0.0.1, as every tablet on a venue's wifi comes from one address."""
    server, issued, code, receipt = hall_app
    careless = browser.new_context(**TABLET, locale="zh-CN").new_page()
    runs = Runs(careless)
    careless.goto(f"{server.url}/questionnaire?kiosk=1")
    wait_for_app(careless)
    for k in range(30):
        type_wrong(runs, "评议码", "开始评议", f"AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-{k:02d}")
    expect(careless.get_by_text("评议码的次数过多")).to_be_visible()  # told to wait
    careless.goto(f"{server.url}/poll")
    wait_for_app(careless)
    for k in range(30):
        if careless.get_by_label("回执码").count() == 0:  # the switch is off
            runs.click(careless.get_by_text("查询投诉办理结果"))
        type_wrong(runs, "回执码", "查询", f"AAAA-BBBB-CCCC-{k:04d}")
    expect(careless.get_by_text("回执码的次数过多")).to_be_visible()
    screenshot(careless, "tablet-wrong-codes-wait")

    linked = browser.new_context(**TABLET, locale="zh-CN").new_page()
    linked.goto(issued[0].link)
    wait_for_app(linked)
    expect(linked.locator("h2").first).to_have_text(HEADINGS[0])

    typed = browser.new_context(**TABLET, locale="zh-CN").new_page()
    typed.goto(f"{server.url}/questionnaire?kiosk=1")
    wait_for_app(typed)
    typed.get_by_label("评议码").fill(code.lower().replace("-", " "))
    typed.get_by_role("button", name="开始评议", exact=True).click()
    expect(typed.locator("h2").first).to_have_text(HEADINGS[0], timeout=15_000)

    citizen = browser.new_context(**PHONE, locale="zh-CN").new_page()
    citizen.goto(f"{server.url}/poll?receipt={receipt}")
    wait_for_app(citizen)
    expect(citizen.locator(".st-key-receipt_panel")).to_contain_text("窗口人员态度差", timeout=15_000)
    for page in (careless, linked, typed, citizen):
        page.context.close()
