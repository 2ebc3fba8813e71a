"""Casework in the database (SQLite and PostgreSQL): visits with evidence all or nothing, the case
workflow with its timeline, notices as Word files, the problem list as Excel, units' reports, and
a liaison who can neither read nor change anything of another unit through any function."""

import io
from datetime import UTC, date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import func, select

from core.cases import CaseFields
from core.casework import FindingFields, NoticeFields, VisitFields
from core.errors import Forbidden, NotFound, UserError, ValidationError
from core.evidence import MB
from db import cases as case_store
from db import inspections, rectifications, unit_reports
from db.access import Actor
from db.engine import session_scope
from db.inspections import EvidenceUpload
from db.models import (
    AccountabilityCase,
    AuditEvent,
    CaseEvent,
    Evidence,
    Finding,
    Inspection,
    Rectification,
    Talk,
    UnitReport,
)

TODAY = date(2017, 12, 1)
ADMIN = Actor("admin", "admin")
INSPECTOR = Actor("zhou", "inspector")
LEADER = Actor("wang", "leader")
LIAISON_A = Actor("li", "liaison", "es01")  # 区发改局(区统计局)
LIAISON_B = Actor("zhao", "liaison", "es02")  # 区经信局(区商务局、区科技局)
UNIT_A, UNIT_B = "区发改局(区统计局)", "区经信局(区商务局、区科技局)"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def photo(kind="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 200)).save(buffer, format=kind)
    return buffer.getvalue()


def do(engine, action, **kwargs):
    with session_scope(engine) as s:
        return action(s, **kwargs)


def count(engine, table):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def visit(unit="es01", kind="covert", day=date(2017, 6, 12), site="政务服务中心3号窗口"):
    return VisitFields(kind=kind, visited_on=day, unit=unit, site=site, team="第二督查组")


def finding(unit="es01", severity="general", text="窗口工作人员上班时间玩手机", dimension="work_style"):
    return FindingFields(unit=unit, dimension=dimension, severity=severity, description=text)


def record(engine, *, unit="es01", findings=None, evidence=(), hand_over=False, day=date(2017, 6, 12),
           actor=INSPECTOR):
    inspection = do(engine, inspections.record_inspection, actor=actor, campaign_id=1, visit=visit(unit, day=day),
                    findings=findings if findings is not None else [finding(unit)], evidence=list(evidence),
                    hand_over=hand_over, today=TODAY)
    with session_scope(engine) as s:
        return inspection.id, list(s.exec(select(Finding.id).where(Finding.inspection_id == inspection.id)
                                          .order_by(Finding.id)).all())


# ---------------------------------------------------------------------------------------
# Visits, findings, evidence


def test_a_covert_visit_with_two_findings_and_photos_is_stored_whole_and_audited(scheme_engine):
    _, ids = record(scheme_engine, findings=[finding(), finding("es06", "serious", "收费未公示", "rule_of_law")],
                    evidence=[EvidenceUpload(0, "现场.jpg", photo()), EvidenceUpload(1, "收费.png", photo("PNG")),
                              EvidenceUpload(1, "票据.pdf", PDF)])
    with session_scope(scheme_engine) as s:
        listed = inspections.list_findings(s, actor=ADMIN, campaign_id=1)
        visits = inspections.list_visits(s, actor=INSPECTOR, campaign_id=1)
        detail, files = inspections.get_finding(s, actor=ADMIN, finding_id=ids[1])
        actions = s.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert len(listed) == 2 and {f.unit_code for f in listed} == {"es01", "es06"}
    assert visits[0].kind == "covert" and visits[0].findings == 2 and visits[0].recorded == 2
    assert detail.deduction == 10.0 and [f.content_type for f in files] == ["image/png", "application/pdf"]
    assert actions[-3:] == ["inspection.record", "inspection.finding_add", "inspection.finding_add"]
    name, kind, content = do(scheme_engine, inspections.get_evidence, actor=ADMIN, evidence_id=files[0].id)
    assert (name, kind) == ("收费.png", "image/png") and content.startswith(b"\x89PNG")


@pytest.mark.parametrize(("upload", "key"), [
    (EvidenceUpload(0, "photo.jpg", b"MZ\x90\x00not an image"), "evidence.wrong_type"),
    (EvidenceUpload(0, "photo.jpg", PDF), "evidence.name_mismatch"),
    (EvidenceUpload(0, "big.jpg", photo() + b"\0" * (MB + 1)), "evidence.too_large"),
    (EvidenceUpload(5, "photo.jpg", photo()), "evidence.no_finding"),
])
def test_bad_evidence_stores_nothing_of_the_visit(scheme_engine, upload, key):
    with pytest.raises(ValidationError) as caught, session_scope(scheme_engine) as s:
        inspections.record_inspection(s, actor=INSPECTOR, campaign_id=1, visit=visit(), findings=[finding()],
                                      evidence=[upload], today=TODAY, max_bytes=MB)
    assert [p.key for p in caught.value.problems] == [key]
    assert [count(scheme_engine, table) for table in (Inspection, Finding, Evidence)] == [0, 0, 0]


def test_a_finding_without_a_unit_is_refused_and_nothing_stored(scheme_engine):
    with pytest.raises(ValidationError) as caught, session_scope(scheme_engine) as s:
        inspections.record_inspection(s, actor=INSPECTOR, campaign_id=1, visit=visit(),
                                      findings=[finding(), FindingFields(None, "work_style", "minor", "无人值守")],
                                      today=TODAY)
    assert [p.key for p in caught.value.problems] == ["casework.finding_unit_needed"]
    assert "finding 2" in caught.value.english()
    assert count(scheme_engine, Inspection) == 0 and count(scheme_engine, Finding) == 0


def test_every_problem_of_a_visit_form_is_listed_at_once(scheme_engine):
    with pytest.raises(ValidationError) as caught, session_scope(scheme_engine) as s:
        inspections.record_inspection(s, actor=INSPECTOR, campaign_id=1,
                                      visit=VisitFields("covert", date(2018, 1, 3), "", ""),
                                      findings=[FindingFields("es01", "", "minor", "")], today=date(2018, 2, 1))
    assert {p.key for p in caught.value.problems} == {"casework.unit_needed", "casework.outside_campaign",
                                                      "casework.required", "casework.dimension_needed"}


def test_only_teams_and_the_office_record_visits(scheme_engine):
    for actor in (LEADER, LIAISON_A, Actor("x", "analyst")):
        with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
            inspections.record_inspection(s, actor=actor, campaign_id=1, visit=visit(), findings=[finding()],
                                          today=TODAY)


def test_hand_over_then_the_unit_sees_answers_and_the_office_closes(scheme_engine):
    _, [fid] = record(scheme_engine)
    with session_scope(scheme_engine) as s:
        assert inspections.list_findings(s, actor=LIAISON_A, campaign_id=1) == []  # still the team's draft
    with pytest.raises(NotFound), session_scope(scheme_engine) as s:
        inspections.answer_finding(s, actor=LIAISON_A, finding_id=fid, reply="已整改")
    assert do(scheme_engine, inspections.hand_over, actor=INSPECTOR, finding_ids=[fid]) == 1
    assert do(scheme_engine, inspections.hand_over, actor=INSPECTOR, finding_ids=[fid]) == 0
    with pytest.raises(UserError, match="handed over"), session_scope(scheme_engine) as s:
        inspections.update_finding(s, actor=INSPECTOR, finding_id=fid, finding=finding(text="改"))
    do(scheme_engine, inspections.answer_finding, actor=LIAISON_A, finding_id=fid, reply="已对窗口人员批评教育")
    with pytest.raises(UserError, match=r"why|required"), session_scope(scheme_engine) as s:
        inspections.set_finding_state(s, actor=ADMIN, finding_id=fid, to="handed_over")  # sending back needs a note
    do(scheme_engine, inspections.set_finding_state, actor=ADMIN, finding_id=fid, to="closed")
    with session_scope(scheme_engine) as s:
        [row] = inspections.list_findings(s, actor=LIAISON_A, campaign_id=1)
        assert inspections.finding_counts(s, actor=ADMIN, campaign_id=1) == {"closed": 1}
    assert (row.state, row.reply) == ("closed", "已对窗口人员批评教育") and row.handed_over_at is not None
    with pytest.raises(UserError, match="closed"), session_scope(scheme_engine) as s:
        inspections.answer_finding(s, actor=LIAISON_A, finding_id=fid, reply="again")


def test_the_problem_list_holds_every_finding_of_its_period(scheme_engine):
    record(scheme_engine, findings=[finding(), finding(text="=HYPERLINK(\"x\")")], day=date(2017, 3, 2))
    record(scheme_engine, unit="es02", findings=[finding("es02", "serious", "推诿扯皮")], day=date(2017, 6, 1))
    record(scheme_engine, findings=[finding(text="十月的问题")], day=date(2017, 10, 9))
    name, content = do(scheme_engine, inspections.problem_list, actor=ADMIN, campaign_id=1,
                       start=date(2017, 1, 1), end=date(2017, 6, 30))
    assert name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(content))
    sheet = book["问题清单"]
    rows = [row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] is not None]
    assert len(rows) == 3
    assert {r[1] for r in rows} == {UNIT_A, UNIT_B}
    descriptions = {r[8] for r in rows}
    assert descriptions == {"窗口工作人员上班时间玩手机", "=HYPERLINK(\"x\")", "推诿扯皮"}
    assert "十月的问题" not in descriptions
    formula_cell = next(c for c in sheet["I"] if c.value == "=HYPERLINK(\"x\")")
    assert formula_cell.data_type == "s"  # text, never a formula
    assert {r[6] for r in rows} == {"一般", "严重"} and sum(r[7] for r in rows) == 5 + 5 + 10
    summary = {r[0]: r[1] for r in book["按单位汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary == {UNIT_A: 2, UNIT_B: 1}
    # One unit's list holds only that unit's findings.
    _, one = do(scheme_engine, inspections.problem_list, actor=ADMIN, campaign_id=1, unit_code="es02")
    rows = [r for r in load_workbook(io.BytesIO(one))["问题清单"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [r[8] for r in rows] == ["推诿扯皮"]


# ---------------------------------------------------------------------------------------
# Accountability cases


def open_case(engine, **changes):
    fields = dict(unit="es01", origin="special_campaign", title="违规收费专项整治投诉", opened_on=date(2017, 11, 20))
    return do(engine, case_store.open_case, actor=ADMIN, campaign_id=1, case=CaseFields(**{**fields, **changes}),
              today=TODAY)


def state_and_events(engine, case_id):
    with session_scope(engine) as s:
        case = s.get(AccountabilityCase, case_id)
        return case.state, s.exec(select(func.count()).select_from(CaseEvent)
                                  .where(CaseEvent.case_id == case_id)).one()


def test_a_case_runs_its_workflow_and_keeps_a_timeline(scheme_engine):
    case = open_case(scheme_engine)
    assert case.state == "received" and case.due_on == date(2017, 12, 20) and not case.escalated
    with pytest.raises(UserError) as caught, session_scope(scheme_engine) as s:
        case_store.move_case(s, actor=ADMIN, case_id=case.id, to="decided", note="x", today=TODAY)
    assert caught.value.key == "cases.investigate_first"
    assert state_and_events(scheme_engine, case.id) == ("received", 1)  # a refusal changes nothing
    do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to="investigating", today=TODAY)
    with pytest.raises(UserError) as caught, session_scope(scheme_engine) as s:
        case_store.move_case(s, actor=ADMIN, case_id=case.id, to="decided", note="诫勉谈话", today=TODAY)
    assert caught.value.key == "cases.responsible_needed"
    do(scheme_engine, case_store.add_person, actor=ADMIN, case_id=case.id, role="frontline", measure="诫勉谈话")
    do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to="decided", note="诫勉谈话",
       today=date(2017, 12, 5))
    do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to="circulated", note="全区通报",
       today=date(2017, 12, 8))
    with session_scope(scheme_engine) as s:
        detail = case_store.get_case(s, actor=ADMIN, case_id=case.id, today=date(2018, 1, 10))
        audit = s.exec(select(AuditEvent.action).where(AuditEvent.entity == "accountabilitycase")).all()
    assert detail.case.state == "circulated" and detail.case.closed_on == date(2017, 12, 8)
    assert not detail.case.overdue  # decided before the deadline
    assert [e.to_state for e in detail.events if e.kind == "transition"] == ["received", "investigating", "decided",
                                                                             "circulated"]
    assert [p.role for p in detail.people] == ["frontline"] and detail.next_states == ("second_handling",)
    assert audit.count("cases.move") == 3 and "cases.open" in audit


def test_second_handling_reopens_with_a_new_deadline_and_holds_investigators_responsible(scheme_engine):
    case = open_case(scheme_engine)
    do(scheme_engine, case_store.add_person, actor=ADMIN, case_id=case.id, role="frontline", measure="批评教育")
    for to in ("investigating", "decided", "circulated"):
        do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to=to, note="处理", today=TODAY)
    with pytest.raises(UserError) as caught, session_scope(scheme_engine) as s:
        case_store.move_case(s, actor=ADMIN, case_id=case.id, to="second_handling", note="处理畸轻", today=TODAY)
    assert caught.value.key == "cases.second_reason_needed"
    do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to="second_handling", note="处理畸轻",
       reason="too_lenient", today=date(2017, 12, 20))
    with session_scope(scheme_engine) as s:
        row = s.get(AccountabilityCase, case.id)
        assert (row.state, row.closed_on, row.due_on) == ("second_handling", None, date(2018, 1, 19))
    do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to="investigating", today=TODAY)
    with pytest.raises(UserError) as caught, session_scope(scheme_engine) as s:
        case_store.move_case(s, actor=ADMIN, case_id=case.id, to="decided", note="重新处理", today=TODAY)
    assert caught.value.key == "cases.investigator_needed"
    do(scheme_engine, case_store.add_person, actor=ADMIN, case_id=case.id, role="investigator", name="某调查员",
       measure="通报批评")
    do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to="decided", note="重新处理",
       today=TODAY)
    with session_scope(scheme_engine) as s:
        [listed] = case_store.list_cases(s, actor=ADMIN, campaign_id=1, today=date(2018, 2, 1))
        reasons = [e.reason for e in case_store.get_case(s, actor=ADMIN, case_id=case.id).events if e.reason]
    assert listed.second_handlings == 1 and reasons == ["too_lenient"]


def test_a_serious_case_is_escalated_and_decided_only_with_the_department_and_its_leader(scheme_engine):
    case = open_case(scheme_engine, severity="serious")
    general = open_case(scheme_engine, title="一般问题")
    assert case.escalated and not general.escalated
    do(scheme_engine, case_store.escalate, actor=ADMIN, case_id=general.id, factors=["wide_scope"], note="多个窗口")
    do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to="investigating", today=TODAY)
    do(scheme_engine, case_store.add_person, actor=ADMIN, case_id=case.id, role="frontline", measure="免职")
    do(scheme_engine, case_store.add_person, actor=ADMIN, case_id=case.id, role="department_head", measure="约谈")
    with pytest.raises(UserError) as caught, session_scope(scheme_engine) as s:
        case_store.move_case(s, actor=ADMIN, case_id=case.id, to="decided", note="处理", today=TODAY)
    assert caught.value.key == "cases.escalation_incomplete"
    with session_scope(scheme_engine) as s:
        assert case_store.get_case(s, actor=ADMIN, case_id=case.id).missing_roles == ("leader_in_charge",)
        escalated = case_store.list_cases(s, actor=ADMIN, campaign_id=1, escalated_only=True)
    assert {c.id for c in escalated} == {case.id, general.id}
    do(scheme_engine, case_store.add_person, actor=ADMIN, case_id=case.id, role="leader_in_charge", measure="检讨")
    do(scheme_engine, case_store.move_case, actor=ADMIN, case_id=case.id, to="decided", note="处理", today=TODAY)


def test_overdue_cases_across_the_new_year(scheme_engine):
    late = open_case(scheme_engine, opened_on=date(2017, 12, 1), due_on=date(2017, 12, 29))
    in_time = open_case(scheme_engine, opened_on=date(2017, 12, 1), due_on=date(2018, 1, 31))
    with session_scope(scheme_engine) as s:
        rows = case_store.list_cases(s, actor=ADMIN, campaign_id=1, overdue_only=True, today=date(2018, 1, 3))
    assert [(r.id, r.days_overdue) for r in rows] == [(late.id, 5)]
    assert in_time.id not in [r.id for r in rows]
    with pytest.raises(UserError) as caught, session_scope(scheme_engine) as s:
        case_store.set_due(s, actor=ADMIN, case_id=late.id, due_on=date(2017, 11, 1))
    assert caught.value.key == "cases.due_before_opened"


def test_a_case_from_a_finding_must_concern_the_same_unit(scheme_engine):
    _, [fid] = record(scheme_engine, hand_over=True)
    case = open_case(scheme_engine, origin="finding", finding_id=fid)
    assert case.finding_id == fid
    with pytest.raises(UserError) as caught:
        open_case(scheme_engine, unit="es02", origin="finding", finding_id=fid)
    assert caught.value.key == "cases.finding_other_unit"
    with pytest.raises(ValidationError):
        open_case(scheme_engine, origin="finding")  # which finding?
    assert count(scheme_engine, AccountabilityCase) == 1


# ---------------------------------------------------------------------------------------
# Rectification


def notice(**changes):
    fields = dict(unit="es01", reason="unqualified", problems="窗口服务态度生硬\n收费标准未公示",
                  issued_on=date(2017, 12, 28), deadline=date(2018, 2, 28))
    return NoticeFields(**{**fields, **changes})


def test_the_notice_is_a_word_document_with_the_unit_the_problems_and_the_deadline(scheme_engine):
    rect = do(scheme_engine, rectifications.issue_notice, actor=ADMIN, campaign_id=1, notice=notice())
    second = do(scheme_engine, rectifications.issue_notice, actor=ADMIN, campaign_id=1,
                notice=notice(unit="es02", reason="public_rejected"))
    assert (rect.notice_no, second.notice_no) == ("纠风整改〔2017〕1号", "纠风整改〔2017〕2号")
    name, content = do(scheme_engine, rectifications.notice_document, actor=ADMIN, rect_id=rect.id)
    assert name.endswith(".docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    assert UNIT_A in text
    assert "窗口服务态度生硬" in text and "收费标准未公示" in text
    assert "2018年2月28日" in text and "纠风整改〔2017〕1号" in text and "2017年12月28日" in text
    assert "区治庸问责办、纠风办" in text and "{{" not in text
    # The unit's liaison downloads their own notice, never another unit's.
    do(scheme_engine, rectifications.notice_document, actor=LIAISON_A, rect_id=rect.id)
    with pytest.raises(NotFound), session_scope(scheme_engine) as s:
        rectifications.notice_document(s, actor=LIAISON_A, rect_id=second.id)


def test_a_deadline_before_the_issue_date_is_refused_and_nothing_stored(scheme_engine):
    with pytest.raises(ValidationError) as caught, session_scope(scheme_engine) as s:
        rectifications.issue_notice(s, actor=ADMIN, campaign_id=1, notice=notice(deadline=date(2017, 12, 1)))
    assert [p.key for p in caught.value.problems] == ["casework.deadline_before_issue"]
    assert "2017-12-01" in caught.value.english()
    assert count(scheme_engine, Rectification) == 0


def test_talks_tracking_to_a_verified_close_and_the_publics_verdict(scheme_engine):
    rect = do(scheme_engine, rectifications.issue_notice, actor=ADMIN, campaign_id=1, notice=notice())
    for role, who in (("head", "张局长"), ("deputy", "李副局长")):
        do(scheme_engine, rectifications.record_talk, actor=ADMIN, rect_id=rect.id, held_on=date(2018, 1, 4),
           with_role=role, persons=who, notes="指出问题，限期整改", today=date(2018, 1, 5))
    with pytest.raises(ValidationError), session_scope(scheme_engine) as s:
        rectifications.record_talk(s, actor=ADMIN, rect_id=rect.id, held_on=date(2017, 12, 1), with_role="head",
                                   persons="张局长", today=date(2018, 1, 5))
    assert count(scheme_engine, Talk) == 2
    with pytest.raises(UserError), session_scope(scheme_engine) as s:
        rectifications.record_satisfaction(s, actor=ADMIN, rect_id=rect.id, rating="satisfied")  # not verified
    do(scheme_engine, rectifications.start, actor=LIAISON_A, rect_id=rect.id)
    do(scheme_engine, rectifications.submit, actor=LIAISON_A, rect_id=rect.id, reply="已全部整改",
       today=date(2018, 3, 2))
    with session_scope(scheme_engine) as s:
        [row] = rectifications.list_rectifications(s, actor=LIAISON_A, campaign_id=1, today=date(2018, 3, 5))
    assert (row.state, row.overdue, row.days_overdue, row.talked_to) == ("submitted", True, 2, ("deputy", "head"))
    do(scheme_engine, rectifications.send_back, actor=ADMIN, rect_id=rect.id, note="收费公示仍不全")
    do(scheme_engine, rectifications.submit, actor=LIAISON_A, rect_id=rect.id, reply="已补充公示",
       today=date(2018, 3, 9))
    do(scheme_engine, rectifications.verify, actor=ADMIN, rect_id=rect.id, today=date(2018, 3, 12))
    do(scheme_engine, rectifications.record_satisfaction, actor=ADMIN, rect_id=rect.id, rating="dissatisfied")
    with session_scope(scheme_engine) as s:
        row, talks = rectifications.get_rectification(s, actor=ADMIN, rect_id=rect.id)
        suggested = rectifications.suggestions(s, actor=ADMIN, campaign_id=1)
    assert (row.state, row.closed_on, row.public_satisfaction) == ("verified", date(2018, 3, 12), "dissatisfied")
    assert [t.with_role for t in talks] == ["head", "deputy"]
    assert [(x.unit_code, x.reason) for x in suggested] == [("es01", "public_rejected")]
    with pytest.raises(UserError), session_scope(scheme_engine) as s:
        rectifications.start(s, actor=LIAISON_A, rect_id=rect.id)  # verified is final


# ---------------------------------------------------------------------------------------
# Units' reports


def at(day):
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)  # 11:00 at the office


def test_report_status_on_time_late_missing_and_the_overdue_list(scheme_engine):
    do(scheme_engine, unit_reports.upload_report, actor=LIAISON_A, campaign_id=1, kind="plan",
       filename="实施方案.pdf", content=PDF, now=at(date(2017, 5, 10)))
    do(scheme_engine, unit_reports.upload_report, actor=LIAISON_B, campaign_id=1, kind="plan",
       filename="方案.pdf", content=PDF, now=at(date(2017, 5, 20)))
    # A corrected file later keeps the first day.
    do(scheme_engine, unit_reports.upload_report, actor=LIAISON_A, campaign_id=1, kind="plan",
       filename="实施方案-修订.pdf", content=PDF + b"%v2", now=at(date(2017, 6, 1)))
    do(scheme_engine, unit_reports.upload_report, actor=ADMIN, campaign_id=1, kind="summary", unit_code="es03",
       filename="总结.pdf", content=PDF, received_on=date(2017, 10, 20), now=at(date(2017, 10, 25)))
    with session_scope(scheme_engine) as s:
        rows = {(r.unit_code, r.kind): r for r in unit_reports.report_status(s, actor=ADMIN, campaign_id=1,
                                                                              today=date(2017, 10, 21))}
        chase = unit_reports.overdue_list(s, actor=ADMIN, campaign_id=1, today=date(2017, 10, 21))
        mine = unit_reports.report_status(s, actor=LIAISON_A, campaign_id=1, today=date(2017, 10, 21))
    assert len(rows) == 37 * 2
    assert (rows["es01", "plan"].status, rows["es01", "plan"].filename) == ("on_time", "实施方案-修订.pdf")
    assert (rows["es02", "plan"].status, rows["es02", "plan"].days_late) == ("late", 5)
    assert rows["es03", "plan"].status == "missing" and rows["es03", "summary"].status == "on_time"
    assert rows["es01", "summary"].status == "missing"
    assert chase[0].status == "missing" and chase[-1] == rows["es02", "plan"]
    assert len(chase) == 37 * 2 - 2  # all but the two on time
    assert {(r.unit_code, r.kind) for r in mine} == {("es01", "plan"), ("es01", "summary")}
    with session_scope(scheme_engine) as s:
        early = {r.kind: r.status for r in unit_reports.report_status(s, actor=LIAISON_A, campaign_id=1,
                                                                      today=date(2017, 5, 1))}
    assert early == {"plan": "on_time", "summary": "pending"}


def test_a_wrong_report_file_is_refused_and_nothing_stored(scheme_engine):
    for name, content, key in (("方案.pdf", b"", "report.empty"), ("方案.exe", b"MZ\x90", "report.wrong_type"),
                               ("方案.pdf", photo(), "report.wrong_type")):
        with pytest.raises(UserError) as caught, session_scope(scheme_engine) as s:
            unit_reports.upload_report(s, actor=LIAISON_A, campaign_id=1, kind="plan", filename=name, content=content)
        assert caught.value.key == key
    assert count(scheme_engine, UnitReport) == 0


# ---------------------------------------------------------------------------------------
# A liaison of unit A and anything of unit B


@pytest.fixture
def unit_b_world(scheme_engine):
    """Everything casework holds, for unit B: a handed-over finding with a photo, a case, a notice, a report."""
    _, [fid] = record(scheme_engine, unit="es02", findings=[finding("es02")],
                      evidence=[EvidenceUpload(0, "b.jpg", photo())], hand_over=True)
    case = open_case(scheme_engine, unit="es02", origin="finding", finding_id=fid)
    rect = do(scheme_engine, rectifications.issue_notice, actor=ADMIN, campaign_id=1, notice=notice(unit="es02"))
    report = do(scheme_engine, unit_reports.upload_report, actor=LIAISON_B, campaign_id=1, kind="plan",
                filename="b.pdf", content=PDF)
    with session_scope(scheme_engine) as s:
        evidence_id = s.exec(select(Evidence.id)).one()
    return dict(finding=fid, evidence=evidence_id, case=case.id, rect=rect.id, report=report.id)


def test_a_liaison_reads_nothing_of_another_unit(scheme_engine, unit_b_world):
    ids = unit_b_world
    with session_scope(scheme_engine) as s:
        assert inspections.list_findings(s, actor=LIAISON_A, campaign_id=1) == []
        assert inspections.list_findings(s, actor=LIAISON_A, campaign_id=1, unit_code="es02") == []
        assert inspections.finding_counts(s, actor=LIAISON_A, campaign_id=1) == {}
        assert case_store.list_cases(s, actor=LIAISON_A, campaign_id=1) == []
        assert case_store.list_cases(s, actor=LIAISON_A, campaign_id=1, unit_code="es02") == []
        assert case_store.state_counts(s, actor=LIAISON_A, campaign_id=1) == {}
        assert rectifications.list_rectifications(s, actor=LIAISON_A, campaign_id=1) == []
        assert {r.unit_code for r in unit_reports.report_status(s, actor=LIAISON_A, campaign_id=1)} == {"es01"}
        # Liaison B does see all of it: the emptiness above is scoping, not missing data.
        assert len(inspections.list_findings(s, actor=LIAISON_B, campaign_id=1)) == 1
        assert len(case_store.list_cases(s, actor=LIAISON_B, campaign_id=1)) == 1
    reads = [
        (inspections.get_finding, dict(finding_id=ids["finding"])),
        (inspections.get_evidence, dict(evidence_id=ids["evidence"])),
        (case_store.get_case, dict(case_id=ids["case"])),
        (rectifications.get_rectification, dict(rect_id=ids["rect"])),
        (rectifications.notice_document, dict(rect_id=ids["rect"])),
        (unit_reports.download_report, dict(report_id=ids["report"])),
    ]
    for action, kwargs in reads:
        with pytest.raises(NotFound), session_scope(scheme_engine) as s:  # not Forbidden: nothing is confirmed
            action(s, actor=LIAISON_A, **kwargs)
    _, content = do(scheme_engine, inspections.problem_list, actor=LIAISON_A, campaign_id=1, unit_code="es02")
    assert [r for r in load_workbook(io.BytesIO(content))["问题清单"].iter_rows(min_row=4, values_only=True)
            if r[0]] == []
    for action in (inspections.list_visits, unit_reports.overdue_list):
        with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
            action(s, actor=LIAISON_A, campaign_id=1)


def test_a_liaison_changes_nothing_of_another_unit(scheme_engine, unit_b_world):
    ids = unit_b_world
    with session_scope(scheme_engine) as s:
        before = s.exec(select(func.count()).select_from(AuditEvent)).one()
    answers = [
        (inspections.answer_finding, dict(finding_id=ids["finding"], reply="x"), NotFound),
        (case_store.answer_case, dict(case_id=ids["case"], reply="x"), NotFound),
        (rectifications.start, dict(rect_id=ids["rect"]), NotFound),
        (rectifications.submit, dict(rect_id=ids["rect"], reply="x"), NotFound),
        (inspections.hand_over, dict(finding_ids=[ids["finding"]]), Forbidden),
        (inspections.set_finding_state, dict(finding_id=ids["finding"], to="closed"), Forbidden),
        (inspections.add_evidence, dict(finding_id=ids["finding"], filename="a.jpg", content=photo()), Forbidden),
        (case_store.move_case, dict(case_id=ids["case"], to="investigating"), Forbidden),
        (case_store.add_person, dict(case_id=ids["case"], role="frontline", measure="x"), Forbidden),
        (case_store.escalate, dict(case_id=ids["case"], factors=["wide_scope"]), Forbidden),
        (case_store.set_due, dict(case_id=ids["case"], due_on=date(2018, 1, 1)), Forbidden),
        (case_store.set_veto, dict(case_id=ids["case"], veto=True, note="x"), Forbidden),
        (rectifications.record_talk, dict(rect_id=ids["rect"], held_on=TODAY, with_role="head", persons="x"),
         Forbidden),
        (rectifications.verify, dict(rect_id=ids["rect"]), Forbidden),
        (rectifications.send_back, dict(rect_id=ids["rect"], note="x"), Forbidden),
        (rectifications.record_satisfaction, dict(rect_id=ids["rect"], rating="dissatisfied"), Forbidden),
        (rectifications.issue_notice, dict(campaign_id=1, notice=notice(unit="es02")), Forbidden),
        (case_store.open_case, dict(campaign_id=1, case=CaseFields(unit="es02", origin="special_campaign",
                                                                   title="x", opened_on=TODAY)), Forbidden),
    ]
    for action, kwargs, error in answers:
        with pytest.raises(error), session_scope(scheme_engine) as s:
            action(s, actor=LIAISON_A, **kwargs)
    # An upload names the liaison's own unit whatever unit it asks for.
    do(scheme_engine, unit_reports.upload_report, actor=LIAISON_A, campaign_id=1, kind="plan", unit_code="es02",
       filename="a.pdf", content=PDF)
    with session_scope(scheme_engine) as s:
        b_report = s.get(UnitReport, ids["report"])
        assert (b_report.filename, b_report.uploaded_by) == ("b.pdf", "zhao")
        assert s.get(Finding, ids["finding"]).state == "handed_over"
        assert s.get(AccountabilityCase, ids["case"]).reply == ""
        assert s.get(Rectification, ids["rect"]).state == "issued"
        after = s.exec(select(func.count()).select_from(AuditEvent)).one()
    assert after == before + 1  # only the liaison's own upload


def test_a_liaison_whose_unit_is_not_in_the_year_sees_nothing(scheme_engine, unit_b_world):
    stranger = Actor("nobody", "liaison", "zz99")
    with session_scope(scheme_engine) as s:
        assert inspections.list_findings(s, actor=stranger, campaign_id=1) == []
        assert case_store.list_cases(s, actor=stranger, campaign_id=1) == []
        assert unit_reports.report_status(s, actor=stranger, campaign_id=1) == []
    with pytest.raises(NotFound), session_scope(scheme_engine) as s:
        unit_reports.upload_report(s, actor=stranger, campaign_id=1, kind="plan", filename="a.pdf", content=PDF)
