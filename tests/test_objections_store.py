"""The objection period (db/objections.py, db.scoring.publish) on SQLite and PostgreSQL: who sees the posted
figures (the office, the unit's own liaison, nobody else, through every function), objections against
one's own unit only with evidence under the upload rules, rulings by the office only, and publication
refused while the period runs or an objection is unruled unless a reason is given (audited)."""

from __future__ import annotations

import argparse
import io

import pytest
from docx import Document
from sqlalchemy import func, update
from sqlmodel import select

from core.errors import Forbidden, NotFound, UserError, ValidationError
from db import feedback, objections, scoring
from db.commands.results import cmd_objections
from db.engine import session_scope
from db.models import AuditEvent, DailyScore, Objection, ObjectionFile, Result, Unit
from documents.circular import circular_bytes
from tests.support import postgres
from tests.support.objections import ADMIN, ANALYST, INSPECTOR, LEADER, LIAISON, OTHER, PDF, YEAR, small_campaign

EXE = b"MZ\x90\x00" + b"\x00" * 64


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def posted(request, tmp_path_factory):
    """Version 1 scored (posted by the test itself)."""
    with postgres.module_engine(request, tmp_path_factory, "objections") as engine:
        yield engine, small_campaign(engine)


def call(engine, function, *args, **kwargs):
    with session_scope(engine) as s:
        return function(s, *args, **kwargs)


def count(engine, table) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_the_life_of_an_objection_period(posted, monkeypatch, tmp_path, capsys):
    engine, made = posted
    cid, v1 = made["campaign_id"], made["result_id"]

    # Before posting: nobody sees version 1 on /feedback; no objection can be filed.
    for actor in (ADMIN, LIAISON, LEADER):
        assert call(engine, feedback.shown_result, actor=actor, campaign_id=cid) is None
    with pytest.raises(UserError, match="no objection period"):
        call(engine, objections.file_objection, actor=LIAISON, campaign_id=cid, item_kind="other",
             reason="日常评价得分与记录不符，请核实")

    # Only the office posts; the period is the campaign's working days (default 5), audited.
    for actor in (LEADER, LIAISON, ANALYST):
        with pytest.raises(Forbidden):
            call(engine, objections.open_period, actor=actor, result_id=v1)
    period = call(engine, objections.open_period, actor=ADMIN, result_id=v1)
    assert period.running and period.working_days == 5 and period.version == 1
    assert (period.closes_on - period.opens_on).days >= 5
    with pytest.raises(UserError) as again:
        call(engine, objections.open_period, actor=ADMIN, result_id=v1)
    assert again.value.key == "objections.already_running"

    # The office and es01's liaison see version 1 (provisional) on /feedback; nobody else does.
    shown = call(engine, feedback.shown_result, actor=LIAISON, campaign_id=cid)
    assert shown[0].id == v1 and shown[0].status == "provisional" and shown[1].running
    own = call(engine, feedback.unit_feedback, actor=LIAISON, campaign_id=cid, unit_code="es01")
    assert own.result.status == "provisional" and own.unit_code == "es01"
    assert call(engine, feedback.unit_feedback, actor=ADMIN, campaign_id=cid, unit_code="es02").unit_code == "es02"
    assert call(engine, feedback.years_with_results, actor=LIAISON) == [YEAR]
    with pytest.raises(NotFound):  # another unit's liaison: es01 is "not found", never "forbidden"
        call(engine, feedback.unit_feedback, actor=OTHER, campaign_id=cid, unit_code="es01")
    for actor in (LEADER, ANALYST):
        assert call(engine, feedback.shown_result, actor=actor, campaign_id=cid) is None
        assert call(engine, feedback.years_with_results, actor=actor) == []
        assert call(engine, objections.posted_result, actor=actor, campaign_id=cid) is None
        for function in (feedback.unit_feedback, feedback.unit_comments):
            with pytest.raises(UserError) as refused:
                call(engine, function, actor=actor, campaign_id=cid, unit_code="es01")
            assert refused.value.key == "feedback.not_published_yet"
        assert call(engine, scoring.list_results, cid, actor=actor) == []
        with pytest.raises(NotFound):
            call(engine, scoring.result_rows, v1, actor=actor)
        with pytest.raises(Forbidden):
            call(engine, objections.list_objections, actor=actor, campaign_id=cid)
    for actor in (LIAISON, INSPECTOR):  # the store's result functions are not the units' way in
        with pytest.raises(Forbidden):
            call(engine, scoring.result_rows, v1, actor=actor)
    with pytest.raises(UserError) as letter:  # letters wait for publication, the office's too
        call(engine, feedback.feedback_letter, actor=LIAISON, campaign_id=cid, unit_code="es01")
    assert letter.value.key == "feedback.not_published_yet"

    # A liaison objects to items of their own unit only; bad evidence or another unit's row stores nothing.
    items = call(engine, objections.items, actor=LIAISON, campaign_id=cid)
    assert {(i.kind, i.ref) for i in items} >= {("finding", str(made["findings"]["es01"]))}
    assert str(made["findings"]["es02"]) not in {i.ref for i in items if i.kind == "finding"}
    before = count(engine, Objection), count(engine, ObjectionFile), count(engine, AuditEvent)
    attempts = [
        dict(actor=LIAISON, item_kind="finding", item_ref=str(made["findings"]["es02"])),  # es02's finding
        dict(actor=LIAISON, item_kind="finding", item_ref="999999"),
        dict(actor=LIAISON, item_kind="finding", item_ref=str(made["findings"]["es01"]),
             files=[("scan.pdf", EXE)]),  # a program renamed .pdf
        dict(actor=LIAISON, item_kind="finding", item_ref=str(made["findings"]["es01"]),
             files=[("scan.pdf", PDF), ("photo.jpg", PDF)]),  # one good file, one misnamed: neither kept
        dict(actor=LIAISON, item_kind="panel", item_ref=""),  # the opinions themselves: no such item kind
        dict(actor=LIAISON, item_kind="finding", item_ref=""),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError):
            call(engine, objections.file_objection, campaign_id=cid, reason="扣分依据的照片不是本单位窗口",
                 **{"files": (), **attempt})
    with pytest.raises(ValidationError) as short:
        call(engine, objections.file_objection, actor=LIAISON, campaign_id=cid, item_kind="daily", reason="不对")
    assert [p.key for p in short.value.problems] == ["objections.reason_short"]
    for actor in (ADMIN, LEADER, ANALYST, INSPECTOR):
        with pytest.raises(Forbidden):
            call(engine, objections.file_objection, actor=actor, campaign_id=cid, item_kind="daily",
                 reason="日常评价得分与记录不符，请核实")
    assert (count(engine, Objection), count(engine, ObjectionFile), count(engine, AuditEvent)) == before

    upheld = call(engine, objections.file_objection, actor=LIAISON, campaign_id=cid, item_kind="daily",
                  reason="日常评价得分漏记了第三季度的加分，应为95分", files=[("daily.pdf", PDF)])
    dismissed = call(engine, objections.file_objection, actor=LIAISON, campaign_id=cid, item_kind="finding",
                     item_ref=str(made["findings"]["es01"]), reason="暗访当日窗口人员外出培训，有签到表为证",
                     files=[("签到表.pdf", PDF)])
    assert dismissed.unit_code == "es01" and dismissed.item_label and dismissed.files[0].filename == "签到表.pdf"

    # Who reads objections and their files: the office all, the unit its own, nobody else.
    assert {r.id for r in call(engine, objections.list_objections, actor=ADMIN, campaign_id=cid)} == {
        upheld.id, dismissed.id}
    assert len(call(engine, objections.list_objections, actor=LIAISON, campaign_id=cid)) == 2
    assert call(engine, objections.list_objections, actor=OTHER, campaign_id=cid) == []
    file_id = dismissed.files[0].id
    assert call(engine, objections.objection_file, actor=LIAISON, file_id=file_id)[2] == PDF
    with pytest.raises(NotFound):
        call(engine, objections.objection_file, actor=OTHER, file_id=file_id)
    with pytest.raises(Forbidden):
        call(engine, objections.objection_file, actor=LEADER, file_id=file_id)

    # Rulings: the office only, with a reason, once; audited.
    for actor in (LIAISON, LEADER, ANALYST):
        with pytest.raises(Forbidden):
            call(engine, objections.rule, actor=actor, objection_id=dismissed.id, ruling="upheld", reason="同意更正")
    with pytest.raises(UserError) as no_reason:
        call(engine, objections.rule, actor=ADMIN, objection_id=dismissed.id, ruling="dismissed", reason=" ")
    assert no_reason.value.key == "objections.ruling_short"
    call(engine, objections.rule, actor=ADMIN, objection_id=dismissed.id, ruling="dismissed",
         reason="暗访记录显示窗口无人值守超过30分钟，培训不在当日")
    with pytest.raises(UserError) as twice:
        call(engine, objections.rule, actor=ADMIN, objection_id=dismissed.id, ruling="upheld", reason="改判成立")
    assert twice.value.key == "objections.already_ruled"
    seen = {r.id: r for r in call(engine, objections.list_objections, actor=LIAISON, campaign_id=cid)}
    assert seen[dismissed.id].state == "dismissed" and "30分钟" in seen[dismissed.id].ruling_reason

    # Publication is refused while the period runs and an objection is unruled.
    with pytest.raises(ValidationError) as blocked:
        call(engine, scoring.publish, v1, ADMIN)
    assert blocked.value.key == "objections.publish_blocked"
    assert {p.key for p in blocked.value.problems} == {"objections.block_running", "objections.block_unruled"}
    with pytest.raises(ValidationError):
        call(engine, scoring.publish, v1, ADMIN, override_reason="急")  # a word is not a reason

    # Upholding: the record is corrected on its own screen, the campaign scored again; the comparison shows it.
    call(engine, objections.rule, actor=ADMIN, objection_id=upheld.id, ruling="upheld",
         reason="核实第三季度加分漏记，已更正为95分")
    with session_scope(engine) as s:
        unit_id = s.exec(select(Unit.id).where(Unit.campaign_id == cid, Unit.code == "es01")).one()
        s.execute(update(DailyScore).where(DailyScore.unit_id == unit_id).values(score=95))
    v2 = call(engine, scoring.score_campaign, cid, ADMIN, replicates=20, draws=20).id
    moved = {u["unit_code"]: u for u in call(engine, scoring.compare, v1, v2, actor=ADMIN)["units"]}
    assert moved["es01"]["changed"] and moved["es01"]["delta"] > 0

    # With a reason the office publishes anyway, audited; the 通报 states the period and the counts.
    with pytest.raises(ValidationError):
        call(engine, scoring.publish, v2, ADMIN)  # the period still runs
    call(engine, scoring.publish, v2, ADMIN, override_reason="区委常委会定于明日通报，经主任批准提前发布")
    with session_scope(engine) as s:
        assert s.get(Result, v2).status == "published" and s.get(Result, v1).status == "provisional"
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "result.publish_override")).one()
        assert "提前发布" in event.after["reason"] and event.after["blockers"] == ["objections.block_running"]
        actions = set(s.exec(select(AuditEvent.action)).all())
    assert {"objections.period_open", "objections.file", "objections.upheld", "objections.dismissed"} <= actions
    document = call(engine, scoring.result_document, v2, actor=ADMIN)
    assert document.objections["received"] == 2 and document.objections["upheld"] == 1
    assert document.objections["dismissed"] == 1 and document.objections["working_days"] == 5
    circular = "\n".join(p.text for p in Document(io.BytesIO(circular_bytes(document))).paragraphs)
    assert "个工作日），共收到异议2件，经审核成立1件、不成立1件。" in circular

    # After publication everyone reads the published version; the posted one is gone from /feedback.
    for actor in (LIAISON, LEADER):
        assert call(engine, feedback.shown_result, actor=actor, campaign_id=cid)[0].id == v2
    assert call(engine, objections.posted_result, actor=LIAISON, campaign_id=cid) is None
    with pytest.raises(UserError, match="no objection period"):  # nothing posted any more
        call(engine, objections.file_objection, actor=LIAISON, campaign_id=cid, item_kind="other",
             reason="发布后再提异议，应当被拒绝")
    register = objections.objections_csv(call(engine, objections.list_objections, actor=ADMIN, campaign_id=cid))
    assert register.startswith("\ufeffid,version,unit_code") and "dismissed" in register and "签到表.pdf" in register

    # The record: `python -m db objections --campaign YEAR --csv FILE`.
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    out = tmp_path / "objections.csv"
    assert cmd_objections(argparse.Namespace(campaign=YEAR, csv=str(out))) == 0
    printed = capsys.readouterr().out
    assert "version 1 posted" in printed and "2 objections, 1 upheld, 1 dismissed, 0 awaiting a ruling" in printed
    assert out.read_text(encoding="utf-8-sig").count("\n") == 3 and out.stat().st_mode & 0o777 == 0o600
