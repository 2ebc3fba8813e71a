"""The complaint loop in real browsers: a citizen's phone (390x844) opens a window poster's link, votes
不满意 with a comment and gets a receipt; the unit's liaison on a tablet (820x1180) acknowledges and
closes it; the phone enters the code, reads the answer and rates the handling; the office sees the
follow-up in the unit's handling figures."""

import csv
import io

import pytest
from sqlmodel import select

from core.clock import office_today
from db.access import cli_actor
from db.campaigns import copy_campaign
from db.engine import make_engine, session_scope
from db.models import Complaint, PollVote
from tests.support.browser import PHONE, TABLET, screenshot, wait_for_app
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser
UNIT = "区发改局(区统计局)"  # es01, the liaison's unit
COMMENT = "窗口工作人员未一次性告知所需材料，跑了三趟"


def stored(url):
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return s.exec(select(Complaint, PollVote).join(PollVote, PollVote.id == Complaint.vote_id)).all()
    finally:
        engine.dispose()


def open_complaints(page, base, user):
    sign_in(page, base, user, user.replace("1", " password 1"))
    page.locator("[data-testid='stSidebarNav'] a[href$='/complaints']").click()
    wait_for_app(page)


def test_poster_vote_receipt_answer_rating_and_figures(browser, live_app):
    engine = make_engine(live_app.database_url)
    with session_scope(engine) as s:  # the poll runs for today's campaign
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    engine.dispose()

    phone = browser.new_context(**PHONE, locale="zh-CN")
    citizen = phone.new_page()
    citizen.goto(f"{live_app.url}/poll?unit=es01&src=HALL3&full=1")  # the full Streamlit page
    wait_for_app(citizen)
    citizen.get_by_role("heading").filter(has_text=UNIT).first.wait_for(timeout=15_000)
    citizen.locator("textarea").fill(COMMENT)
    citizen.get_by_role("button", name="不满意", exact=True).click()
    citizen.get_by_text("您的投诉已提交").wait_for(timeout=30_000)
    wait_for_app(citizen)
    code = citizen.locator("[data-testid='stCode'] code").inner_text().strip()
    assert len(code) == 19 and code.count("-") == 3
    screenshot(citizen, "phone-complaint-receipt")
    [(complaint, vote)] = stored(live_app.database_url)
    assert vote.source == "HALL3" and vote.comment == COMMENT and complaint.state == "received"
    phone.close()

    tablet = browser.new_context(**TABLET, locale="zh-CN")
    liaison = tablet.new_page()
    try:
        open_complaints(liaison, live_app.url, "liaison1")
        liaison.locator(".st-key-complaint_detail").filter(has_text=COMMENT).wait_for(timeout=15_000)
        liaison.get_by_role("button", name="受理").click()
        liaison.get_by_text("已受理。").wait_for(timeout=15_000)
        wait_for_app(liaison)
        liaison.get_by_role("textbox", name="调查核实情况:").fill("经核实，窗口人员未一次性告知所需材料")
        liaison.get_by_role("textbox", name="处理措施:").fill("已批评教育当事人，并在窗口张贴一次性告知清单")
        liaison.locator("[data-testid='stRadio']").get_by_text("已整改", exact=True).click()
        screenshot(liaison, "tablet-complaint-answer")
        liaison.get_by_role("button", name="办结").click()
        liaison.get_by_text("已办结。").wait_for(timeout=15_000)
        wait_for_app(liaison)
        assert liaison.locator("[data-testid='stException']").count() == 0
    finally:
        tablet.close()
    [(complaint, _)] = stored(live_app.database_url)
    assert complaint.state == "closed" and complaint.closing_kind == "rectified"

    phone = browser.new_context(**PHONE, locale="zh-CN")
    citizen = phone.new_page()
    try:
        citizen.goto(f"{live_app.url}/poll")
        wait_for_app(citizen)
        citizen.get_by_text("查询投诉办理结果").click()
        citizen.get_by_label("回执码").fill(code.lower().replace("-", " "))
        citizen.get_by_role("button", name="查询", exact=True).click()
        citizen.get_by_text("一次性告知清单").wait_for(timeout=30_000)
        wait_for_app(citizen)
        citizen.locator(".st-key-receipt_rating").get_by_role("button", name="基本满意", exact=True).click()
        citizen.get_by_text("感谢您的评价。").wait_for(timeout=30_000)
        screenshot(citizen, "phone-complaint-reply-rated")
    finally:
        phone.close()
    [(complaint, _)] = stored(live_app.database_url)
    assert complaint.follow_up == "basically_satisfied"

    tablet = browser.new_context(**TABLET, locale="zh-CN", accept_downloads=True)
    office = tablet.new_page()
    try:
        open_complaints(office, live_app.url, "admin1")
        office.get_by_role("tab", name="办理情况统计").click()
        wait_for_app(office)
        screenshot(office, "tablet-complaint-figures")
        with office.expect_download() as download:
            office.locator(".st-key-complaint_figures_csv button").click()
        rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    finally:
        tablet.close()
    [row] = [r for r in rows if r["单位"] == UNIT]
    assert row["基本满意"] == "1" and float(row["回访满意度得分"]) == 70 and row["已办结"] == "1"
