"""Casework rules without a database: the case workflow, second handling, escalation, deadlines
(across a year boundary), report status, and files judged by their bytes."""

import io
import itertools
from datetime import date

import pytest
from PIL import Image

from core import cases
from core.casework import (
    FindingFields,
    NoticeFields,
    VisitFields,
    check_finding,
    check_finding_step,
    check_notice,
    check_rectification_step,
    check_talk,
    check_visit,
    deduction,
    next_notice_no,
    report_days_late,
    report_status,
)
from core.errors import UserError, ValidationError
from core.evidence import MB, check_evidence, check_report, safe_name, sniff

ALL = frozenset(cases.ROLES)


def step(state, to, **kwargs):
    kwargs.setdefault("note", "调查属实，给予诫勉谈话")
    kwargs.setdefault("roles", frozenset({"frontline"}))
    return cases.Step(state=state, to=to, **kwargs)


# ---------------------------------------------------------------------------------------
# The workflow: every pair of states is either allowed or refused with a reason


ALLOWED = {("received", "investigating"), ("investigating", "decided"), ("decided", "circulated"),
           ("decided", "second_handling"), ("circulated", "second_handling"), ("second_handling", "investigating")}


@pytest.mark.parametrize("state", cases.STATES)
@pytest.mark.parametrize("to", cases.STATES)
def test_every_transition_is_allowed_or_refused_with_a_reason(state, to):
    error = cases.refusal(step(state, to, reason="facts_unclear"))
    if (state, to) in ALLOWED:
        assert error is None, (state, to, error)
    else:
        assert isinstance(error, UserError) and error.english(), (state, to)


@pytest.mark.parametrize(("state", "to", "key"), [
    ("received", "decided", "cases.investigate_first"),
    ("received", "circulated", "cases.investigate_first"),
    ("investigating", "circulated", "cases.decide_first"),
    ("received", "second_handling", "cases.second_after_decision"),
    ("investigating", "second_handling", "cases.second_after_decision"),
    ("circulated", "investigating", "cases.closed"),
    ("circulated", "decided", "cases.closed"),
    ("decided", "received", "cases.no_way_back"),
    ("second_handling", "decided", "cases.reinvestigate"),
    ("decided", "decided", "cases.same_state"),
    ("decided", "investigating", "cases.illegal"),
    ("decided", "archived", "cases.unknown_state"),
])
def test_illegal_steps_say_why(state, to, key):
    assert cases.refusal(step(state, to)).key == key


def test_a_decision_needs_its_text_and_someone_held_responsible():
    assert cases.refusal(step("investigating", "decided", note=" ")).key == "cases.decision_needed"
    assert cases.refusal(step("investigating", "decided", roles=frozenset())).key == "cases.responsible_needed"


def test_an_escalated_case_is_decided_only_with_the_department_head_and_the_leader_in_charge():
    partial = step("investigating", "decided", escalated=True, roles=frozenset({"frontline", "department_head"}))
    assert cases.refusal(partial).key == "cases.escalation_incomplete"
    full = step("investigating", "decided", escalated=True,
                roles=frozenset({"frontline", "department_head", "leader_in_charge"}))
    assert cases.refusal(full) is None


def test_second_handling_needs_a_reason_and_a_note_and_reopens_the_case():
    assert cases.refusal(step("circulated", "second_handling", reason=None)).key == "cases.second_reason_needed"
    assert cases.refusal(step("circulated", "second_handling", reason="made_up")).key == "cases.second_reason_needed"
    assert cases.refusal(step("decided", "second_handling", reason="too_lenient", note="")).key == \
        "cases.second_note_needed"
    for reason in cases.SECOND_HANDLING_REASONS:
        assert cases.refusal(step("circulated", "second_handling", reason=reason)) is None
    # Reopened: investigated again, decided again, circulated again.
    assert cases.next_states("second_handling") == ("investigating",)
    path = ["received", "investigating", "decided", "circulated", "second_handling", "investigating", "decided",
            "circulated"]
    for here, there in itertools.pairwise(path):
        cases.check_step(step(here, there, reason="rectification_poor", roles=ALL))
    assert cases.second_handlings(path) == 1


def test_a_case_reopened_for_its_investigation_holds_the_investigators_responsible_too():
    # 一案双查: the first investigation was unclear or too lenient.
    for reason in cases.INVESTIGATION_FAULTS:
        refused = step("investigating", "decided", reopened_for=reason, roles=frozenset({"frontline"}))
        assert cases.refusal(refused).key == "cases.investigator_needed"
        assert cases.refusal(step("investigating", "decided", reopened_for=reason,
                                  roles=frozenset({"frontline", "investigator"}))) is None
    assert cases.refusal(step("investigating", "decided", reopened_for="rectification_poor")) is None


def test_check_step_raises_the_refusal():
    with pytest.raises(UserError) as caught:
        cases.check_step(step("received", "circulated"))
    assert caught.value.key == "cases.investigate_first"


@pytest.mark.parametrize(("severity", "factors", "expected"), [
    ("serious", (), True),
    ("general", (), False),
    ("minor", (), False),
    ("general", ("bad_circumstances",), True),
    ("minor", ("large_impact",), True),
    ("general", ("wide_scope", "large_impact"), True),
    ("general", ("unknown",), False),
])
def test_escalation_rule(severity, factors, expected):
    assert cases.should_escalate(severity, factors) is expected


# ---------------------------------------------------------------------------------------
# Deadlines


def test_overdue_counts_across_a_year_boundary():
    opened = date(2017, 12, 20)
    due = cases.default_due(opened)
    assert due == date(2018, 1, 19)
    assert not cases.is_overdue(due, None, today=date(2017, 12, 31))
    assert not cases.is_overdue(due, None, today=date(2018, 1, 19))
    assert cases.days_overdue(due, None, today=date(2018, 1, 20)) == 1
    assert cases.days_overdue(due, None, today=date(2018, 3, 1)) == 41
    # Done after the deadline stays late; done in time is not late, whatever today is.
    assert cases.days_overdue(due, date(2018, 1, 25), today=date(2019, 6, 1)) == 6
    assert cases.days_overdue(due, date(2018, 1, 2), today=date(2019, 6, 1)) == 0
    # A deadline in December, still open in the next year.
    assert cases.days_overdue(date(2017, 12, 31), None, today=date(2018, 1, 1)) == 1
    assert cases.days_overdue(None, None, today=date(2018, 1, 1)) == 0


def test_a_deadline_before_receipt_is_refused():
    with pytest.raises(UserError) as caught:
        cases.check_due(date(2017, 6, 1), date(2017, 5, 31))
    assert caught.value.key == "cases.due_before_opened"
    cases.check_due(date(2017, 6, 1), date(2017, 6, 1))


def test_a_new_case_is_checked_whole_and_gets_a_default_deadline():
    case = cases.check_case(cases.CaseFields(unit="es01", origin="special_campaign", title="  窗口 推诿  ",
                                             opened_on=date(2017, 12, 15)), units=["es01"], today=date(2017, 12, 31))
    assert case.title == "窗口 推诿" and case.due_on == date(2018, 1, 14)
    with pytest.raises(ValidationError) as caught:
        cases.check_case(cases.CaseFields(unit="", origin="finding", title="", opened_on=date(2018, 1, 2),
                                          severity="huge", factors=("weird",)),
                         units=["es01"], today=date(2017, 12, 31))
    keys = {p.key for p in caught.value.problems}
    assert keys == {"cases.unit_needed", "cases.finding_needed", "cases.bad_severity", "cases.bad_factor",
                    "cases.future_date", "cases.required"}


# ---------------------------------------------------------------------------------------
# Reports


@pytest.mark.parametrize(("submitted", "today", "status", "late"), [
    (date(2017, 5, 15), date(2017, 6, 1), "on_time", 0),
    (date(2017, 5, 2), date(2017, 5, 3), "on_time", 0),
    (date(2017, 5, 16), date(2017, 6, 1), "late", 1),
    (None, date(2017, 5, 15), "pending", 0),
    (None, date(2017, 5, 16), "missing", 1),
    (None, date(2018, 1, 2), "missing", 232),  # still missing in the next year
])
def test_report_status(submitted, today, status, late):
    due = date(2017, 5, 15)
    assert report_status(due, submitted, today=today) == status
    assert report_days_late(due, submitted, today=today) == late


# ---------------------------------------------------------------------------------------
# Visits, findings, notices, talks

UNITS = {"es01": "区发改局(区统计局)", "es06": "区财政局"}
DIMENSIONS = ["party_discipline", "rule_of_law", "serving_public", "work_style", "problem_solving"]
PERIOD = (date(2017, 1, 1), date(2017, 12, 31))


def test_a_visit_is_checked_whole():
    visit = check_visit(VisitFields("covert", date(2017, 6, 1), "es01", "  政务服务中心 3号窗口 "),
                        units=UNITS, period=PERIOD, today=date(2017, 7, 1))
    assert visit.site == "政务服务中心 3号窗口"
    with pytest.raises(ValidationError) as caught:
        check_visit(VisitFields("secret", date(2018, 1, 5), "", ""), units=UNITS, period=PERIOD,
                    today=date(2018, 2, 1))
    assert {p.key for p in caught.value.problems} == {"casework.bad_kind", "casework.unit_needed",
                                                      "casework.outside_campaign", "casework.required"}
    with pytest.raises(ValidationError) as caught:
        check_visit(VisitFields("open", date(2017, 8, 1), "es01", "窗口"), units=UNITS, period=PERIOD,
                    today=date(2017, 7, 1))
    assert [p.key for p in caught.value.problems] == ["casework.future_visit"]


def test_a_finding_without_a_unit_is_refused_with_its_number():
    with pytest.raises(ValidationError) as caught:
        check_finding(FindingFields(None, "work_style", "general", "窗口人员玩手机"), units=UNITS,
                      dimensions=DIMENSIONS, number=2)
    assert [p.key for p in caught.value.problems] == ["casework.finding_unit_needed"]
    assert "finding 2" in caught.value.problems[0].english()
    with pytest.raises(ValidationError) as caught:
        check_finding(FindingFields("es01", "", "awful", " "), units=UNITS, dimensions=DIMENSIONS)
    assert {p.key for p in caught.value.problems} == {"casework.dimension_needed", "casework.severity_needed",
                                                      "casework.required"}


def test_finding_states_move_forward_only_as_allowed():
    check_finding_step("recorded", "handed_over")
    check_finding_step("answered", "handed_over")  # the office sends an answer back
    for state, to in [("recorded", "answered"), ("recorded", "closed"), ("closed", "handed_over")]:
        with pytest.raises(UserError):
            check_finding_step(state, to)


def test_deductions_come_from_the_settings():
    settings = {"minor": 2, "general": 5, "serious": 10}
    assert [deduction(s, settings) for s in ("minor", "general", "serious")] == [2.0, 5.0, 10.0]
    assert deduction("serious", {}) == 0.0


def test_a_notice_deadline_must_follow_its_issue_date():
    good = NoticeFields("es06", "unqualified", "窗口无人值守", date(2017, 12, 28), date(2018, 2, 28))
    assert check_notice(good, units=UNITS).issuing_office == "区治庸问责办、纠风办"
    for deadline in (date(2017, 12, 27), date(2017, 12, 28)):
        with pytest.raises(ValidationError) as caught:
            check_notice(NoticeFields("es06", "unqualified", "问题", date(2017, 12, 28), deadline), units=UNITS)
        assert [p.key for p in caught.value.problems] == ["casework.deadline_before_issue"]


def test_notice_numbers_count_up_per_year():
    assert next_notice_no(2017, []) == "纠风整改〔2017〕1号"
    assert next_notice_no(2017, ["纠风整改〔2017〕1号", "纠风整改〔2017〕3号", "纠风整改〔2016〕9号", "其他"]) == \
        "纠风整改〔2017〕4号"


def test_rectification_steps():
    check_rectification_step("issued", "in_progress")
    check_rectification_step("submitted", "verified")
    check_rectification_step("submitted", "in_progress", note="整改不彻底")
    with pytest.raises(UserError, match="why"):
        check_rectification_step("submitted", "in_progress")
    for state, to in [("issued", "verified"), ("verified", "in_progress"), ("in_progress", "issued")]:
        with pytest.raises(UserError):
            check_rectification_step(state, to)


def test_a_talk_goes_with_the_notice():
    issued = date(2017, 12, 28)
    assert check_talk(held_on=date(2018, 1, 3), with_role="head", persons="张三（局长）", notes="",
                      issued_on=issued, today=date(2018, 1, 5)) == ("张三（局长）", "")
    with pytest.raises(ValidationError) as caught:
        check_talk(held_on=date(2017, 12, 1), with_role="boss", persons="", notes="", issued_on=issued,
                   today=date(2018, 1, 5))
    assert {p.key for p in caught.value.problems} == {"casework.talk_role", "casework.talk_before_notice",
                                                      "casework.required"}


# ---------------------------------------------------------------------------------------
# Files by their bytes


def image_bytes(kind):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(("name", "kind"), [("a.jpg", "JPEG"), ("b.JPEG", "JPEG"), ("c.png", "PNG"),
                                            ("d.webp", "WEBP")])
def test_photos_are_accepted_by_their_bytes(name, kind):
    checked = check_evidence(name, image_bytes(kind))
    assert checked.content_type.startswith("image/") and checked.size > 0


def test_a_pdf_is_evidence_and_a_report():
    assert check_evidence("扫描件.pdf", PDF).content_type == "application/pdf"
    assert check_report("方案.pdf", PDF).kind == "pdf"


@pytest.mark.parametrize(("name", "content", "key"), [
    ("photo.jpg", b"MZ\x90\x00 a windows program", "evidence.wrong_type"),
    ("photo.jpg", b"<html><script>alert(1)</script>", "evidence.wrong_type"),
    ("notes.txt", b"plain text", "evidence.wrong_type"),
    ("photo.jpg", PDF, "evidence.name_mismatch"),
    ("scan.pdf", image_bytes("PNG"), "evidence.name_mismatch"),
    ("photo.jpg", b"", "evidence.empty"),
])
def test_wrong_evidence_is_refused(name, content, key):
    with pytest.raises(UserError) as caught:
        check_evidence(name, content)
    assert caught.value.key == key


def test_evidence_over_the_limit_is_refused_with_sizes():
    content = image_bytes("PNG") + b"\0" * (2 * MB)
    with pytest.raises(UserError) as caught:
        check_evidence("big.png", content, max_bytes=MB)
    assert caught.value.key == "evidence.too_large" and caught.value.params["max_mb"] == "1"


def test_word_documents_are_reports_but_not_evidence():
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    assert sniff(buffer.getvalue()) == "docx"
    assert check_report("总结.docx", buffer.getvalue()).kind == "docx"
    with pytest.raises(UserError):
        check_evidence("总结.docx", buffer.getvalue())
    import zipfile

    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("x.txt", "not word")
    with pytest.raises(UserError) as caught:
        check_report("总结.docx", other.getvalue())
    assert caught.value.key == "report.wrong_type"


def test_names_are_made_safe():
    assert safe_name("C:\\Users\\x\\现场照片.jpg") == "现场照片.jpg"
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name('a<b>:"c".png') == "a_b___c_.png"
    assert safe_name("") == "file"
