"""db/feedback.py on SQLite and PostgreSQL: nothing before publication, a liaison sees only their unit
through every function, comments masked and merged and small sources withheld, and the letters
(python-docx) each name their own unit and no other."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from docx import Document
from sqlalchemy import delete, update
from sqlmodel import select

from core.errors import Forbidden, NotFound, UserError
from db import feedback
from db.access import Actor, cli_actor
from db.bootstrap import init_database
from db.demo.purge import purge_demo
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.migrate import upgrade
from db.models import (
    AnswerComment,
    AuditEvent,
    Campaign,
    Dimension,
    Finding,
    Inspection,
    PollVote,
    Response,
    Unit,
)
from tests.support import postgres

ADMIN, LEADER, ANALYST = Actor("admin", "admin"), Actor("wang", "leader"), Actor("zhao", "analyst")
UNIT = "es05"  # 区民政局: its comments are replaced by the fixed ones below
LIAISON = Actor("li", "liaison", UNIT)
OTHER_LIAISON = Actor("zhou", "liaison", "ue02")
STRANGER = Actor("nobody", "liaison", "xx99")  # a liaison whose unit is not in the campaign
PANEL_TEXTS = ["我叫张伟，电话13812345678，窗口服务态度差", "窗口服务态度差。", "窗口服务态度差！"]  # 3: under five
POLL_TEXTS = ["办事效率低，跑了三趟", "办事效率低，跑了三趟", "办事效率很低，跑了3趟",
              "区公安分局(区交管局)办事比这里快", "我的车牌鄂A12345被误罚，至今没有处理",
              "材料发到 demo@example.com 没有回音"]
HIDDEN = ("REJECTED-VOTE-TEXT", "DRAFT-TEXT", "RECORDED-ONLY")


def _fix_comments(s, campaign_id: int) -> None:
    """Replace the demo's comments on UNIT with known ones, plus some that must never be shown."""
    unit_id = s.exec(select(Unit.id).where(Unit.campaign_id == campaign_id, Unit.code == UNIT)).one()
    s.execute(delete(AnswerComment).where(AnswerComment.unit_id == unit_id))
    s.execute(update(PollVote).where(PollVote.unit_id == unit_id).values(comment=""))
    submitted = s.exec(select(Response.id).where(Response.campaign_id == campaign_id, Response.status == "submitted")
                       .order_by(Response.id)).all()
    for response_id, text in zip(submitted, PANEL_TEXTS):
        s.add(AnswerComment(response_id=response_id, unit_id=unit_id, text=text))
    # A questionnaire never submitted (a week after the close the ballot box has cut it from its link).
    draft = s.exec(select(Response.id).where(Response.campaign_id == campaign_id,
                                             Response.status.in_(("draft", "abandoned")))).first()
    s.add(AnswerComment(response_id=draft, unit_id=unit_id, text="DRAFT-TEXT"))
    votes = s.exec(select(PollVote.id).where(PollVote.unit_id == unit_id, PollVote.status == "accepted")
                   .order_by(PollVote.id).limit(len(POLL_TEXTS))).all()
    for vote_id, text in zip(votes, POLL_TEXTS):
        s.execute(update(PollVote).where(PollVote.id == vote_id).values(comment=text))
    s.add(PollVote(campaign_id=campaign_id, unit_id=unit_id, option="dissatisfied", comment="REJECTED-VOTE-TEXT",
                   device_hash="d" * 64, network_hash="n" * 64, day=date(2017, 6, 1), status="rejected"))
    visit = s.exec(select(Inspection).where(Inspection.campaign_id == campaign_id)).first()
    dimension = s.exec(select(Dimension.id).where(Dimension.campaign_id == campaign_id)).first()
    s.add(Finding(inspection_id=visit.id, unit_id=unit_id, dimension_id=dimension, severity="serious",
                  description="RECORDED-ONLY", state="recorded"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def loaded(request, tmp_path_factory):
    """Two demo years: 2017 published (with the fixed comments), 2018 scored but not published."""
    with postgres.module_engine(request, tmp_path_factory, "feedback") as engine:
        load_demo(engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=600)
        with session_scope(engine) as s:
            years = dict(s.exec(select(Campaign.year, Campaign.id)).all())
            _fix_comments(s, years[2017])
        yield engine, years


def read(engine, function, **kwargs):
    with session_scope(engine) as s:
        return function(s, **kwargs)


# ---------------------------------------------------------------------------------------
# Nothing before publication


@pytest.mark.parametrize("actor", [ADMIN, LEADER, ANALYST, LIAISON], ids=lambda a: a.role)
def test_nothing_is_shown_before_the_result_is_published(loaded, actor):
    engine, years = loaded
    campaign_id = years[2018]
    assert read(engine, feedback.is_published, actor=actor, campaign_id=campaign_id) is False
    for function in (feedback.unit_feedback, feedback.unit_comments, feedback.feedback_letter):
        with pytest.raises(UserError) as refused:
            read(engine, function, actor=actor, campaign_id=campaign_id, unit_code=UNIT)
        assert refused.value.key == "feedback.not_published_yet"
    if actor is ADMIN:
        with pytest.raises(UserError, match="not published"):
            read(engine, feedback.feedback_letters, actor=ADMIN, campaign_id=campaign_id)


# ---------------------------------------------------------------------------------------
# Who sees which unit


def test_a_liaison_sees_only_their_unit_through_every_function(loaded):
    engine, years = loaded
    cid = years[2017]
    assert read(engine, feedback.is_published, actor=LIAISON, campaign_id=cid) is True
    assert [u.code for u in read(engine, feedback.feedback_units, actor=LIAISON, campaign_id=cid)] == [UNIT]
    own = read(engine, feedback.unit_feedback, actor=LIAISON, campaign_id=cid, unit_code=UNIT)
    assert own.unit_code == UNIT and own.unit_name == "区民政局"
    assert read(engine, feedback.unit_comments, actor=LIAISON, campaign_id=cid, unit_code=UNIT).unit_code == UNIT
    name, content = read(engine, feedback.feedback_letter, actor=LIAISON, campaign_id=cid, unit_code=UNIT)
    assert UNIT in name and content.startswith(b"PK")
    for function in (feedback.unit_feedback, feedback.unit_comments, feedback.feedback_letter):
        for other in ("ue02", "es06", "no-such-unit"):
            with pytest.raises(NotFound):  # never Forbidden: that would confirm the unit exists
                read(engine, function, actor=LIAISON, campaign_id=cid, unit_code=other)
    with pytest.raises(Forbidden):
        read(engine, feedback.feedback_letters, actor=LIAISON, campaign_id=cid)
    # Registers came through the liaison's own scope: nothing of another unit.
    assert {f.unit_code for f in own.findings} <= {UNIT} and {m.unit_code for m in own.media} <= {UNIT}
    assert {c.unit_code for c in own.cases} <= {UNIT} and {r.unit_code for r in own.rectifications} <= {UNIT}


def test_another_liaison_cannot_open_this_unit_and_a_stranger_sees_none(loaded):
    engine, years = loaded
    cid = years[2017]
    with pytest.raises(NotFound):
        read(engine, feedback.unit_feedback, actor=OTHER_LIAISON, campaign_id=cid, unit_code=UNIT)
    assert read(engine, feedback.feedback_units, actor=STRANGER, campaign_id=cid) == []
    with pytest.raises(NotFound):
        read(engine, feedback.unit_comments, actor=STRANGER, campaign_id=cid, unit_code=UNIT)


@pytest.mark.parametrize("actor", [ADMIN, LEADER, ANALYST], ids=lambda a: a.role)
def test_the_office_leaders_and_analysts_open_any_unit(loaded, actor):
    engine, years = loaded
    cid = years[2017]
    assert len(read(engine, feedback.feedback_units, actor=actor, campaign_id=cid)) == 37
    for code in ("es01", "ue07", "ps08"):
        assert read(engine, feedback.unit_feedback, actor=actor, campaign_id=cid, unit_code=code).unit_code == code


def test_an_inspector_is_refused(loaded):
    engine, years = loaded
    inspector = Actor("ins", "inspector")
    for function, extra in ((feedback.is_published, {}), (feedback.feedback_units, {}),
                            (feedback.unit_feedback, {"unit_code": UNIT}),
                            (feedback.unit_comments, {"unit_code": UNIT}),
                            (feedback.feedback_letter, {"unit_code": UNIT}), (feedback.feedback_letters, {})):
        with pytest.raises(Forbidden):
            read(engine, function, actor=inspector, campaign_id=years[2017], **extra)


# ---------------------------------------------------------------------------------------
# What the page shows


def test_the_unit_feedback_holds_the_published_figures(loaded):
    engine, years = loaded
    found = read(engine, feedback.unit_feedback, actor=LIAISON, campaign_id=years[2017], unit_code=UNIT)
    assert found.year == 2017 and found.demo and found.result.status == "published"
    assert found.grade in ("excellent", "qualified", "unqualified")
    assert found.score_low <= found.total <= found.score_high
    assert found.rank_low <= found.rank <= found.rank_high <= found.category_size == 18
    dims = found.dimensions
    assert len(dims) == 5 and dims["estimate"].notna().all()
    assert ((dims["low"] <= dims["estimate"]) & (dims["estimate"] <= dims["high"])).all()
    assert (dims["difference"] - (dims["estimate"] - dims["category_mean"])).abs().max() < 1e-9
    assert 1 <= len(found.poll) <= 12 and found.poll["votes"].sum() > 0
    assert {p.year for p in found.poll["period"]} == {2017}
    overall = found.groups.overall
    assert len(overall) == 6 and (overall["withheld"] == overall["score"].isna()).all()
    assert "RECORDED-ONLY" not in [f.description for f in found.findings]  # not handed over: not the unit's yet
    assert all(f.state in ("handed_over", "answered", "closed") for f in found.findings)


def all_text(digest) -> str:
    return " ".join(c.text for theme in digest.themes for c in theme.comments)


def test_comments_are_masked_merged_and_never_include_unseen_ones(loaded):
    engine, years = loaded
    digest = read(engine, feedback.unit_comments, actor=ADMIN, campaign_id=years[2017], unit_code=UNIT)
    text = all_text(digest)
    for raw in ("13812345678", "张伟", "鄂A12345", "demo@example.com"):
        assert raw not in text
    for mask in ("【电话】", "【姓名】", "【车牌】", "【邮箱】"):
        assert mask in text
    for hidden in HIDDEN:
        assert hidden not in text
    assert {s.source: s.comments for s in digest.sources} == {"panel": 3, "poll": 6}
    assert {s.source: (s.small, s.withheld) for s in digest.sources} == {"panel": (True, False),
                                                                         "poll": (False, False)}
    counts = {c.text: c.count for theme in digest.themes for c in theme.comments}
    assert counts["办事效率低，跑了三趟"] == 3  # two identical and one near duplicate
    assert counts["窗口服务态度差。"] == 2
    assert sum(t.count for t in digest.themes) == 9


@pytest.mark.parametrize("actor", [LIAISON, LEADER, ANALYST], ids=lambda a: a.role)
def test_a_source_under_five_comments_is_shown_only_to_the_office(loaded, actor):
    engine, years = loaded
    digest = read(engine, feedback.unit_comments, actor=actor, campaign_id=years[2017], unit_code=UNIT)
    assert {s.source: s.withheld for s in digest.sources} == {"panel": True, "poll": False}
    text = all_text(digest)
    assert "窗口服务态度差" not in text and "【姓名】" not in text  # the three reviewers' comments
    assert "办事效率低，跑了三趟" in text
    assert sum(t.count for t in digest.themes) == 6
    office = read(engine, feedback.unit_comments, actor=ADMIN, campaign_id=years[2017], unit_code=UNIT)
    assert not any(s.withheld for s in office.sources)


# ---------------------------------------------------------------------------------------
# Letters


def letter_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [p.text for p in document.sections[0].header.paragraphs]
    return "\n".join(parts)


def test_every_letter_names_its_own_unit_and_no_other(loaded):
    engine, years = loaded
    cid = years[2017]
    letters = read(engine, feedback.feedback_letters, actor=ADMIN, campaign_id=cid)
    with session_scope(engine) as s:
        names = dict(s.exec(select(Unit.code, Unit.name).where(Unit.campaign_id == cid)).all())
        audited = s.exec(select(AuditEvent).where(AuditEvent.action == "feedback.letters")).all()
    assert len(letters) == 37 and len({n for n, _ in letters}) == 37
    assert audited and audited[-1].after["letters"] == 37
    for file_name, content in letters:
        code = file_name.removesuffix(".docx").rsplit("-", 1)[1]
        text = letter_text(content)
        assert names[code] + "：" in text
        rest = text.replace(names[code], "")
        named = [n for c, n in names.items() if c != code and n in rest]
        assert named == [], f"{code} letter names {named}"
        assert "演示数据" in text  # made from demo data, and says so
        for raw in ("13812345678", "鄂A12345", *HIDDEN):
            assert raw not in text
    archive = zipfile.ZipFile(io.BytesIO(feedback.letters_zip(letters)))
    assert sorted(archive.namelist()) == sorted(n for n, _ in letters)


def test_the_letter_follows_the_units_rule_and_redacts_other_units(loaded):
    engine, years = loaded
    _, content = read(engine, feedback.feedback_letter, actor=ADMIN, campaign_id=years[2017], unit_code=UNIT)
    text = letter_text(content)
    assert "区民政局：" in text and "评议意见反馈函" in text
    assert "某单位办事比这里快" in text and "区公安分局" not in text
    assert "窗口服务态度差" not in text  # three reviewers' comments: too few to send to the unit
    assert "少于5条的意见来源不在本函中列出" in text
    assert "【车牌】" in text


def test_export_feedback_command_writes_the_letters_and_a_zip(loaded, tmp_path, monkeypatch, capsys):
    from db.commands import main

    engine, _ = loaded
    if engine.dialect.name != "sqlite":
        pytest.skip("the command is the same on both databases; once is enough")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["export-feedback", "--campaign", "2017", "--out", str(tmp_path / "letters")]) == 0
    files = sorted(p.name for p in (tmp_path / "letters").iterdir())
    assert len(files) == 38 and "评议意见反馈函-2017.zip" in files
    assert main(["export-feedback", "--campaign", "2018", "--out", str(tmp_path / "none")]) == 1
    assert "not published" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


# ---------------------------------------------------------------------------------------
# Demo comments


def test_demo_comments_are_there_masked_in_the_view_and_purged_with_the_demo(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    init_database(engine, actor=cli_actor())
    load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=3000)
    with session_scope(engine) as s:
        panel = s.exec(select(AnswerComment.text)).all()
        poll = s.exec(select(PollVote.comment).where(PollVote.comment != "")).all()
        cid = s.exec(select(Campaign.id)).one()
        raw = feedback.raw_comments(s, cid)
    assert len(panel) > 100 and len(poll) > 100
    assert any(any(ch.isdigit() for ch in t) and "电话" in t for t in [*panel, *poll])  # made-up numbers to mask
    shown = [t for by_source in raw.values() for texts in by_source.values() for t in texts]
    assert any("【电话】" in t for t in shown) and not any("电话1" in t for t in shown)
    sizes = [len(by_source.get("panel", [])) for by_source in raw.values()]
    assert min(sizes) < 5 <= max(sizes)  # some units too few to show to the unit, some enough
    purge_demo(engine, actor=cli_actor())
    with session_scope(engine) as s:
        assert s.exec(select(AnswerComment)).all() == []
        assert s.exec(select(PollVote).where(PollVote.comment != "")).all() == []
