"""An inspector on a tablet records a covert visit with two findings and a photo; the database holds
exactly that afterwards. Then the liaison of the visited unit opens the findings page on the same
tablet size and sees nothing until the findings are handed over."""

import io

import pytest
from PIL import Image
from sqlmodel import select

from db.engine import make_engine, session_scope
from db.models import Evidence, Finding, Inspection, Unit
from tests.support.browser import TABLET, screenshot, wait_for_app
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser
UNIT = "区行政审批局"  # es04


def photo_file(tmp_path):
    path = tmp_path / "窗口现场.jpg"
    Image.new("RGB", (640, 480), (40, 120, 200)).save(path, format="JPEG")
    return path


def choose(page, box_label, option, nth=0):
    """Pick an option of a Streamlit selectbox by its label (typing filters the list)."""
    box = page.locator("[data-testid='stSelectbox']").filter(has_text=box_label).nth(nth)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def pick_radio(page, group, option):
    page.locator("[data-testid='stRadio']").nth(group).get_by_text(option, exact=True).click()


def test_an_inspector_records_a_covert_visit_with_two_findings_and_a_photo(browser, live_app, tmp_path):
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_app.url, "inspector1", "inspector password 1")
        # A new address would start a new session (signed out): go by the menu, as a person does.
        page.locator("[data-testid='stSidebarNav'] a[href$='/inspections']").click()
        wait_for_app(page)
        page.get_by_role("heading", name="2017年度明察暗访").wait_for(timeout=15_000)

        count = page.get_by_label("本次发现的问题数")
        count.fill("2")
        count.press("Enter")
        wait_for_app(page)
        page.get_by_text("问题 2", exact=True).wait_for(timeout=15_000)

        pick_radio(page, 0, "暗访")
        choose(page, "被检查单位", UNIT)
        page.get_by_label("基层单位或服务窗口").fill("政务服务中心 5 号窗口")
        page.get_by_label("检查组").fill("第一督查组")
        descriptions = page.get_by_label("问题描述")
        descriptions.nth(0).fill("窗口工作人员上班时间玩手机，群众等候 20 分钟无人接待")
        choose(page, "督查内容", "转变工作作风", nth=0)
        page.locator("input[type='file']").nth(0).set_input_files(str(photo_file(tmp_path)))
        page.get_by_text("窗口现场.jpg").wait_for(timeout=15_000)
        descriptions.nth(1).fill("收费标准未在窗口公示")
        choose(page, "督查内容", "严格依法办事", nth=1)
        pick_radio(page, 2, "严重")  # groups: kind, finding 1 severity, finding 2 severity
        screenshot(page, "tablet-inspection-form")

        page.get_by_role("button", name="保存检查记录").click()
        page.get_by_text("检查记录已保存:2 个问题,1 个证据文件。").wait_for(timeout=30_000)
        wait_for_app(page)
        assert page.locator("[data-testid='stException']").count() == 0
        screenshot(page, "tablet-inspection-saved")
    finally:
        context.close()

    engine = make_engine(live_app.database_url)
    try:
        with session_scope(engine) as s:
            [visit] = s.exec(select(Inspection)).all()
            unit = s.get(Unit, visit.unit_id)
            findings = s.exec(select(Finding).order_by(Finding.id)).all()
            evidence = s.exec(select(Evidence)).all()
            assert (visit.kind, unit.name, visit.site, visit.team, visit.recorded_by) == (
                "covert", UNIT, "政务服务中心 5 号窗口", "第一督查组", "inspector1")
            assert [(f.severity, f.state, f.unit_id) for f in findings] == [
                ("general", "recorded", unit.id), ("serious", "recorded", unit.id)]
            assert findings[0].description.startswith("窗口工作人员上班时间玩手机")
            assert [(e.finding_id, e.filename, e.content_type) for e in evidence] == [
                (findings[0].id, "窗口现场.jpg", "image/jpeg")]
            assert Image.open(io.BytesIO(evidence[0].content)).size == (640, 480)
    finally:
        engine.dispose()
