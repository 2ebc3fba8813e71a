"""Issue 26 §4 on screen: the uploader speaks the page's language and shows import errors whole (tablet),
Enter in the venue-code count does not issue codes (tablet), and a liaison on a phone lands on their unit
and reads their complaints' state and deadlines."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.clock import office_today
from core.poll import new_device_id
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import copy_campaign
from db.complaints.intake import vote
from db.engine import make_engine, session_scope
from db.models import Invitation
from db.units import list_units
from db.users import create_user
from tests.support.browser import PHONE, TABLET, screenshot, submit_sign_in, wait_for_app
from tests.support.server import AppServer
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser
COMMENT = "窗口工作人员未一次性告知所需材料，跑了三趟，希望改进服务流程并公开办事指南"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("traps")
    url = f"sqlite:///{folder / 'review.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        for role in ("admin", "liaison"):
            create_user(s, actor=cli_actor(), username=f"{role}1", role=role, password=f"{role} password 1",
                        unit_code="es01" if role == "liaison" else None, must_change_password=False)
        campaign = copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    with session_scope(engine) as s:
        es01 = next(u for u in list_units(s, campaign_id=campaign.id) if u.code == "es01")
        vote(s, campaign_id=campaign.id, unit_id=es01.id, option="dissatisfied", device_id=new_device_id(),
             ip="10.0.0.1", comment=COMMENT, salt="x")
    engine.dispose()
    server = AppServer(url, folder / "server.log").start()
    yield server
    server.stop()


def go(page, path):
    page.locator(f"[data-testid='stSidebarNav'] a[href$='/{path}']").click()
    wait_for_app(page)


def test_the_office_on_a_tablet_uploader_in_chinese_whole_errors_and_enter_issues_no_codes(browser, app, tmp_path):
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, app.url, "admin1", "admin password 1")
    go(page, "pool")
    zone = page.locator("[data-testid='stFileUploaderDropzone']")
    zone.wait_for()
    # What a person sees: the English texts hidden, ours drawn in their place.
    seen = zone.evaluate("""z => {
        const button = z.querySelector('button [data-has-shortcut]');
        const words = z.querySelector('button [data-testid="stMarkdownContainer"]');
        const limit = z.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
        return {button: getComputedStyle(button, '::after').content, english: getComputedStyle(words).display,
                limit: getComputedStyle(limit, '::after').content, size: getComputedStyle(limit).fontSize};
    }""")
    assert seen["button"] == '"选择文件"' and seen["english"] == "none"
    assert seen["limit"] == '"单个文件不超过 20 MB · CSV、XLSX"' and seen["size"] == "0px"
    bad = tmp_path / "名单.csv"
    bad.write_text("姓名,类别,工作单位,手机号码,身份证号,备注\n张三,不存在的类别,单位,13900000000,,\n",
                   encoding="utf-8-sig")
    page.locator("input[type='file']").set_input_files(str(bad))
    table = page.locator("[data-testid='stTable']")
    table.wait_for(timeout=30_000)
    wait_for_app(page)
    cell = table.locator("td").filter(has_text="不存在的类别").first
    box = cell.bounding_box()
    assert box and box["x"] + box["width"] <= 820  # the whole message, wrapped inside the screen
    assert "请填写以下之一" in cell.inner_text()
    # The file shown in the drop zone keeps its own name: our texts replace only Streamlit's.
    assert zone.evaluate("z => [...z.querySelectorAll('span')].every(s => getComputedStyle(s, '::after').content"
                         " !== '\"松开鼠标即可上传\"' || s.closest('.euud7oh1'))")
    screenshot(page, "traps-tablet-pool-upload-errors")

    # /panel: Enter in the count field only applies the number; codes come from the button alone.
    go(page, "panel")
    page.get_by_role("tab", name="会场评议码").click()
    count = page.get_by_label("张数")
    count.fill("30")
    count.press("Enter")
    wait_for_app(page)
    assert page.get_by_text("Press Enter").count() == 0
    engine = make_engine(app.database_url)
    with session_scope(engine) as s:
        assert not s.exec(select(Invitation).where(Invitation.kind == "ballot")).all()
    engine.dispose()
    screenshot(page, "traps-tablet-panel-ballots")
    context.close()


def test_a_liaison_on_a_phone_lands_on_their_unit_and_reads_deadlines(browser, app):
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    submit_sign_in(page, app.url, "liaison1", "liaison password 1")
    page.get_by_role("heading", name="区发改局(区统计局)").wait_for(timeout=30_000)
    wait_for_app(page)
    assert page.get_by_text("purge-demo").count() == 0
    screenshot(page, "traps-phone-liaison-home")
    page.goto(f"{app.url}/complaints")
    wait_for_app(page)
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    screenshot(page, "traps-phone-liaison-complaints")
    context.close()
