"""The casework pages as each role sees them (AppTest through app.py, real database): every page
renders for its roles and says "no access" to the others; a liaison sees only their unit, also when
typing another unit's case, notice or finding into the address; office actions and refusals."""

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from core.cases import CaseFields
from core.casework import FindingFields, NoticeFields, VisitFields
from core.clock import office_today
from core.roles import PAGE_ROLES, ROLES
from db import cases as case_store
from db import inspections, rectifications, unit_reports
from db.access import Actor
from db.engine import session_scope
from db.models import AccountabilityCase, Rectification
from tests.support.apptest import app_database, open_app, shown

PAGES = ("inspections", "cases", "rectification", "reports")
NO_ACCESS = "无权访问此页面。"
ADMIN, INSPECTOR = Actor("admin", "admin"), Actor("zhou", "inspector")
LIAISON_A, LIAISON_B = Actor("li", "liaison", "es01"), Actor("zhao", "liaison", "es02")
PDF = b"%PDF-1.4\n%%EOF\n"
SECRET_B = "乙单位窗口乱收费"  # text that must never reach liaison A's screen


@pytest.fixture
def world(tmp_path, monkeypatch):
    """Each of units A (es01) and B (es02): a handed-over finding, a case, a notice, a plan."""
    engine = app_database(tmp_path, monkeypatch)
    ids = {}
    with session_scope(engine) as s:
        for code, text in (("es01", "甲单位窗口无人值守"), ("es02", SECRET_B)):
            visit = inspections.record_inspection(
                s, actor=INSPECTOR, campaign_id=1, visit=VisitFields("covert", date(2017, 6, 1), code, "服务窗口"),
                findings=[FindingFields(code, "work_style", "serious", text)], hand_over=True)
            s.flush()
            fid = inspections.list_findings(s, actor=ADMIN, campaign_id=1, inspection_id=visit.id)[0].id
            case = case_store.open_case(s, actor=ADMIN, campaign_id=1, case=CaseFields(
                unit=code, origin="finding", finding_id=fid, title=f"{text}的倒查追责", opened_on=date(2017, 6, 5)))
            rect = rectifications.issue_notice(s, actor=ADMIN, campaign_id=1, notice=NoticeFields(
                code, "unqualified", text, date(2017, 12, 28), date(2018, 2, 28)))
            unit_reports.upload_report(s, actor=Actor("x", "liaison", code), campaign_id=1, kind="plan",
                                       filename=f"{code}.pdf", content=PDF)
            s.flush()
            ids[code] = dict(finding=fid, case=case.id, rect=rect.id)
    return engine, ids


def run(page, actor, query=None):
    at = open_app(page, actor) if not query else _with_query(page, actor, query)
    assert not at.exception, at.exception
    return at


def _with_query(page, actor, query):
    from streamlit.testing.v1 import AppTest

    from tests.support.apptest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["actor"] = actor
    at.session_state["must_change_password"] = False
    at.run()
    at.switch_page(f"pages/{page}.py")
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at


def everything(at) -> str:
    """All text on screen, tables included."""
    parts = [shown(at), *(str(e.value) for e in at.caption), *(str(e.label) for e in at.selectbox)]
    parts += [frame.value.to_string() if hasattr(frame.value, "to_string") else str(frame.value)
              for frame in at.dataframe]
    parts += [str(getattr(e, "value", "")) for e in at.text]
    for box in at.selectbox:
        parts += [str(o) for o in box.options]
    return " ".join(parts)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_casework_pages_and_no_access_elsewhere(world, page, role):
    at = run(page, Actor("someone", role, "es01" if role == "liaison" else None))
    if role in PAGE_ROLES[page]:
        assert NO_ACCESS not in shown(at) and at.title, (page, role)
    else:
        assert NO_ACCESS in shown(at) and not at.title and not at.dataframe, (page, role)


@pytest.mark.parametrize("page", PAGES)
def test_a_liaison_sees_only_their_own_unit(world, page):
    at = run(page, LIAISON_A)
    text = everything(at)
    assert "区发改局(区统计局)" in text
    assert SECRET_B not in text and "区经信局" not in text, page


@pytest.mark.parametrize(("page", "param", "kind"), [("cases", "case", "case"), ("rectification", "notice", "rect"),
                                                     ("inspections", "finding", "finding")])
def test_a_liaison_typing_another_units_number_into_the_address_sees_nothing_of_it(world, page, param, kind):
    _, ids = world
    at = run(page, LIAISON_A, {param: str(ids["es02"][kind])})
    text = everything(at)
    assert SECRET_B not in text and "区经信局" not in text
    assert "没有编号为" in " ".join(str(e.value) for e in at.error)
    # Their own number opens their own row.
    at = run(page, LIAISON_A, {param: str(ids["es01"][kind])})
    assert "甲单位窗口无人值守" in everything(at)
    assert "没有编号为" not in " ".join(str(e.value) for e in at.error)


def test_the_office_sees_every_unit(world):
    at = run("cases", ADMIN)
    assert SECRET_B in everything(at) and "甲单位窗口无人值守" in everything(at)


def test_a_liaison_answers_their_case(world):
    engine, ids = world
    at = run("cases", LIAISON_A)
    form_area = next(a for a in at.text_area if a.label == "单位答复(调查处理情况)")
    form_area.input("已对相关人员批评教育并整改")
    next(b for b in at.get("form_submit_button") if b.label == "提交答复").click()
    at.run()
    assert not at.exception and "答复已提交" in shown(at)
    with session_scope(engine) as s:
        assert s.get(AccountabilityCase, ids["es01"]["case"]).reply == "已对相关人员批评教育并整改"
        assert s.get(AccountabilityCase, ids["es02"]["case"]).reply == ""


def test_a_notice_with_its_deadline_before_the_issue_date_is_refused(world):
    engine, _ = world
    with session_scope(engine) as s:
        before = s.exec(select(func.count()).select_from(Rectification)).one()
    at = run("rectification", ADMIN)
    at.text_area(key="rect_new_problems").input("窗口推诿扯皮")
    at.date_input(key="rect_new_deadline").set_value(office_today() - timedelta(days=1))
    next(b for b in at.button if b.label == "下发整改通知书").click()
    at.run()
    assert "必须晚于下发日期" in " ".join(str(e.value) for e in at.error)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Rectification)).one() == before


def test_the_notice_and_the_problem_list_download(world):
    at = run("rectification", ADMIN)
    assert any(b.label == "下载整改通知书(Word)" for b in at.get("download_button"))
    at = run("inspections", LIAISON_A)
    next(b for b in at.button if b.label == "生成问题清单").click()
    at.run()
    assert any(b.label == "下载问题清单(Excel)" for b in at.get("download_button"))


def test_the_office_sees_report_status_and_the_overdue_list(world):
    at = run("reports", ADMIN)
    text = everything(at)
    assert "按时报送" in text and "未报送" in text and "逾期名单" in " ".join(str(t.label) for t in at.tabs)
