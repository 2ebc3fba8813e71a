"""The verification bundle and its verifier: reproducing every published figure, refusing tampered or unreadable
files, holding nobody's personal data, and handed out only to whom it may be."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import numpy as np
import pytest
from sqlmodel import select

from core.bundle import MANIFEST, pack, unpack
from core.errors import Forbidden, NotFound, UserError
from core.scoring import score
from core.verify import main as verify_main
from core.verify import verify
from db.access import Actor, cli_actor
from db.bundles import bundle_for, bundle_sha, public_years, set_public
from db.campaigns import get_campaign
from db.demo.years import load_demo
from db.engine import session_scope
from db.models import (
    AnswerComment,
    Complaint,
    DailyScore,
    Finding,
    Invitation,
    MediaCase,
    PollVote,
    Response,
    ResponsiblePerson,
    Result,
    ResultBundle,
    Reviewer,
    Unit,
    User,
)
from db.scoring import latest_result, publish, result_document, score_campaign
from documents.bundle import bundle_bytes
from documents.circular import circular_bytes
from tests.support.scoring import make_inputs, settings

ROOT = Path(__file__).resolve().parents[1]
SHORT = 12  # names, phone numbers, hashes up to this length are looked up among the bundle's substrings
ADMIN, LEADER, ANALYST = cli_actor(), Actor("wang", "leader"), Actor("zhao", "analyst")
LIAISON, INSPECTOR = Actor("li", "liaison", "es01"), Actor("sun", "inspector")


# ------------------------------------------------------------------------------ pure: a campaign with every rule


def _bundle_of(inputs, rules, *, draws: int = 40):
    scoring = score(inputs, rules, replicates=20, draws=draws)
    units = [{"code": u.code, "category": u.category, "components": u.components, "total": u.total,
              "grade": u.grade, "rank": u.rank, "rank_low": u.rank_low, "rank_high": u.rank_high,
              "score_low": u.score_low, "score_high": u.score_high, "borderline": u.borderline}
             for u in scoring.units]
    return bundle_bytes(year=2017, version=3, input_hash=scoring.input_hash, inputs=inputs, config=scoring.config,
                        units=units, code_version="test"), scoring


@pytest.fixture(scope="module")
def awkward():
    """37 units with a veto, a rejected rectification, units without panel, inspection, daily score or media,
    and two units tied on the last place of their category's excellence quota."""
    inputs = make_inputs(7, reviewers=120, votes=4000, media=30, visits=40)
    answers = inputs.answers.copy()
    daily = inputs.daily.copy()
    visits = inputs.visits.copy()
    findings, media = list(inputs.findings), list(inputs.media)
    answers[:, 3, :] = -1  # es04: nobody answered about it
    daily[[5, 6]] = np.nan  # es06, es07: no daily score
    visits[7], findings[7] = 0, ()  # es08: never inspected
    media[8] = ()
    # ps01 and ps02 (public service, 8 units: quota 1 at 15 %) identical: same total, tied at the quota's edge
    a, b = 29, 30
    answers[:, b, :] = answers[:, a, :]
    votes = inputs.votes.copy()
    votes[b] = votes[a]
    daily[b] = daily[a]
    visits[b], findings[b], media[b] = visits[a], findings[a], media[a]
    complaints = list(inputs.complaints) or [()] * len(inputs.units)
    vetoes = [()] * len(inputs.units)
    rejections = [()] * len(inputs.units)
    vetoes[1], rejections[2] = ("一票否决：重大责任事故",), ("ZG-2017-003",)
    inputs = replace(inputs, answers=answers, daily=daily, visits=visits, findings=tuple(findings), media=tuple(media),
                     votes=votes, vetoes=tuple(vetoes), rejections=tuple(rejections), complaints=tuple(complaints))
    rules = settings(grade_rules={"excellent_min": 0, "qualified_min": 0, "excellent_quota_pct": 15})
    # lift the tied pair above everyone else in their category so they meet at the quota's edge
    daily[[a, b]] = 100.0
    answers[:, [a, b], :] = 0
    votes[[a, b]] = [500, 0, 0]
    inputs = replace(inputs, daily=daily, answers=answers, votes=votes)
    data, scoring = _bundle_of(inputs, rules)
    return inputs, rules, data, scoring


def test_the_verifier_matches_a_campaign_with_overrides_vetoes_a_quota_tie_and_missing_components(awkward):
    _, _, data, scoring = awkward
    reasons = {u.code: u.explanation["notes"] for u in scoring.units}
    codes = {n["code"] for notes in reasons.values() for n in notes}
    assert {"veto", "rectification_rejected", "quota_tie", "missing_panel", "missing_daily",
            "missing_inspection"} <= codes  # the campaign really has every awkward case
    same, lines = verify(data)
    assert same, "\n".join(lines)
    assert lines[-1] == "all 37 units match"


def test_the_same_result_always_gives_the_same_bytes(awkward):
    inputs, rules, data, _ = awkward
    again, _ = _bundle_of(inputs, rules)
    assert again == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [i.filename for i in archive.infolist()]
        assert names == sorted(names)
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def _rewrite(data: bytes, name: str, change) -> bytes:
    """The bundle with one file's text changed, the manifest left as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            dst.writestr(info, change(content.decode()).encode() if info.filename == name else content)
    return out.getvalue()


def test_one_changed_count_names_that_unit(awkward):
    _, _, data, _ = awkward
    bundle = unpack(data)
    rows = bundle.tables["panel_counts.csv"]
    row = next(r for r in rows if r["unit"] == "ec05" and r["option"] in ("satisfied", "basically_satisfied")
               and int(r["count"]) >= 3)
    row["count"] = str(int(row["count"]) - 3)
    rows.append({**row, "option": "dissatisfied", "count": "3"})
    forged = pack(bundle)  # a forger who also rewrites the manifest: the figures still give them away
    same, lines = verify(forged)
    assert not same
    assert any(line.startswith("ec05 ") and "total: published" in line for line in lines)
    assert "units differ" in lines[-1]


def test_a_tampered_file_or_manifest_is_refused(awkward, tmp_path, capsys):
    _, _, data, _ = awkward
    edited = _rewrite(data, "daily_scores.csv", lambda text: text.replace(",", ",1", 1))
    manifest = _rewrite(data, MANIFEST, lambda text: text.replace('"daily_scores.csv": "', '"daily_scores.csv": "0'))
    for forged in (edited, manifest):
        path = tmp_path / "forged.zip"
        path.write_bytes(forged)
        assert verify_main([str(path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert "SHA-256 does not match the manifest for daily_scores.csv" in err or "manifest" in err


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really", b"\x00" * 100, None])
def test_an_unreadable_bundle_gets_one_line_and_exit_1(tmp_path, capsys, content):
    path = tmp_path / "broken.zip"
    if content is not None:  # None: no such file
        path.write_bytes(content)
    assert verify_main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_the_verifier_imports_nothing_from_db_ui_documents_or_streamlit(awkward, tmp_path):
    _, _, data, _ = awkward
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    probe = ("import sys, runpy\n"
             "sys.argv = ['core.verify', sys.argv[1]]\n"
             "try:\n    runpy.run_module('core.verify', run_name='__main__')\n"
             "except SystemExit as end:\n    code = end.code\n"
             "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
             "('db', 'ui', 'pages', 'documents', 'streamlit', 'sqlmodel', 'sqlalchemy', 'alembic', 'docx'))\n"
             "print('EXIT', code, 'BAD', ','.join(bad))\n")
    shown = subprocess.run([sys.executable, "-c", probe, str(path)], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, check=False, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert "all 37 units match" in shown.stdout, shown.stderr
    assert shown.stdout.strip().endswith("EXIT 0 BAD"), shown.stdout


# ------------------------------------------------------------------------------ the store: the demo's published year


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """Two demo years: 2017 published, 2018 scored and provisional (SQLite)."""
    from db import migrate
    from db.campaigns import DEFAULT_SCHEME, load_scheme, read_scheme
    from db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('bundle')}/t.db")
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        load_scheme(s, actor=ADMIN, scheme=read_scheme(DEFAULT_SCHEME))
    load_demo(engine, actor=ADMIN, years=(2017, 2018), votes_per_year=2000)
    yield engine
    engine.dispose()


def test_the_verifier_matches_the_demos_published_year_and_the_circular_prints_the_sha(demo_db):
    with session_scope(demo_db) as s:
        download = bundle_for(s, actor=LEADER, year=2017)
        result = latest_result(s, get_campaign(s, 2017).id, published_only=True)
        document = result_document(s, result.id)
    same, lines = verify(download.content)
    assert same and lines[-1] == "all 37 units match", "\n".join(lines)
    assert download.sha256 == document.bundle_sha256
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(circular_bytes(document))).paragraphs)
    assert download.sha256 in text


def test_the_bundle_holds_no_name_phone_comment_or_token(demo_db):
    with session_scope(demo_db) as s:
        secrets = {
            "reviewer": [v for r in s.exec(select(Reviewer)).all() for v in (r.name, r.phone, r.id_number, r.notes)],
            "staff": [v for u in s.exec(select(User)).all() for v in (u.username, u.display_name)],
            "vote comment": s.exec(select(PollVote.comment).where(PollVote.comment != "")).all(),
            "answer comment": s.exec(select(AnswerComment.text)).all(),
            "complaint": [v for c in s.exec(select(Complaint)).all()
                          for v in (c.phone, c.found, c.done, c.ruling_reason, c.receipt_hash)],
            "token": [*s.exec(select(Invitation.token_hash)).all(), *s.exec(select(Response.token_hash)).all()],
            "media": [v for m in s.exec(select(MediaCase)).all() for v in (m.title, m.external_ref)],
            "finding": s.exec(select(Finding.description)).all(),
            "person": s.exec(select(ResponsiblePerson.name)).all(),
        }
        bundles = [b.content for b in s.exec(select(ResultBundle)).all()]
    assert len(bundles) == 2
    assert all(secrets[k] for k in ("reviewer", "vote comment", "answer comment", "complaint", "media", "finding"))
    values = {v.strip() for found in secrets.values() for v in found if v and len(v.strip()) >= 2}
    short = {len(v) for v in values if len(v) <= SHORT}
    for content in bundles:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            text = "\n".join(archive.read(name).decode() for name in archive.namelist())
        pieces = {text[i:i + n] for n in short for i in range(len(text) - n + 1)}  # `in` on 10,000 names is slow
        for kind, found in secrets.items():
            leaked = sorted({v.strip() for v in found if v and v.strip() in values}
                            & {v for v in values if (v in pieces if len(v) <= SHORT else v in text)})
            assert not leaked, f"{kind}: {leaked[:5]}"


def test_export_bundle_writes_the_file_the_verifier_accepts(demo_db, tmp_path, monkeypatch, capsys):
    from db.commands import main

    monkeypatch.setenv("DATABASE_URL", str(demo_db.url))
    out = tmp_path / "b.zip"
    assert main(["export-bundle", "--campaign", "2017", "--out", str(out)]) == 0
    assert "version 1" in capsys.readouterr().out
    assert verify_main([str(out)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("all 37 units match")
    assert main(["export-bundle", "--campaign", "2018", "--out", str(tmp_path / "c.zip")]) == 1  # none published
    assert main(["export-bundle", "--campaign", "2018", "--version", "1", "--out", str(tmp_path / "c.zip")]) == 0
    assert verify_main([str(tmp_path / "c.zip")]) == 0


def test_who_may_download(demo_db):
    with session_scope(demo_db) as s:
        published = bundle_for(s, actor=LIAISON, year=2017)
        assert bundle_for(s, actor=ANALYST, year=2017).content == published.content
        assert bundle_for(s, actor=ADMIN, year=2018, version=1).version == 1  # the office: provisional too
        for actor in (LIAISON, LEADER, ANALYST):  # a provisional version is the office's alone
            with pytest.raises(NotFound):
                bundle_for(s, actor=actor, year=2018, version=1)
            with pytest.raises(NotFound):
                bundle_for(s, actor=actor, year=2018)
        with pytest.raises(Forbidden):
            bundle_for(s, actor=INSPECTOR, year=2017)
        with pytest.raises(NotFound) as caught:  # the public: not until the office says so
            bundle_for(s, actor=None, year=2017)
        assert caught.value.key == "bundle.not_public"
        assert public_years(s) == []
        for actor in (LIAISON, LEADER, ANALYST, INSPECTOR, None):
            with pytest.raises(Forbidden):
                set_public(s, actor=actor, year=2017, public=True)


def test_a_public_bundle_is_the_published_one_and_switching_it_leaves_the_version_publishable(demo_db):
    with session_scope(demo_db) as s:
        set_public(s, actor=ADMIN, year=2017, public=True)
        set_public(s, actor=ADMIN, year=2018, public=True)
    with session_scope(demo_db) as s:
        assert bundle_for(s, actor=None, year=2017).content == bundle_for(s, actor=ADMIN, year=2017).content
        with pytest.raises(NotFound):  # 2018 is public, but has nothing published
            bundle_for(s, actor=None, year=2018)
        with pytest.raises(NotFound):
            bundle_for(s, actor=None, year=2018, version=1)
        assert [year for year, _, _ in public_years(s)] == [2017]
    with session_scope(demo_db) as s:
        set_public(s, actor=ADMIN, year=2017, public=False)
    with session_scope(demo_db) as s, pytest.raises(NotFound):
        bundle_for(s, actor=None, year=2017)
    with session_scope(demo_db) as s:  # switched after 2018 v1 was scored: v1 is not stale, it publishes
        provisional = bundle_for(s, actor=ADMIN, year=2018, version=1)
        publish(s, latest_result(s, get_campaign(s, 2018).id).id, ADMIN)
    with session_scope(demo_db) as s:
        assert bundle_for(s, actor=None, year=2018).content == provisional.content  # the bytes do not change
        set_public(s, actor=ADMIN, year=2018, public=False)


def test_a_version_scored_before_bundles_gets_one_only_while_its_inputs_are_unchanged(scheme_engine):
    with session_scope(scheme_engine) as s:
        campaign = get_campaign(s, 2017)
        for k, unit in enumerate(s.exec(select(Unit).where(Unit.campaign_id == campaign.id)).all()):
            s.add(DailyScore(campaign_id=campaign.id, unit_id=unit.id, score=60 + k % 40))
        s.flush()
        result = score_campaign(s, campaign.id, ADMIN, replicates=10, draws=10)
        stored = bundle_sha(s, result.id)
        publish(s, result.id, ADMIN)

    def forget():  # as if scored before bundles were kept
        with session_scope(scheme_engine) as s:
            s.delete(s.exec(select(ResultBundle)).one())

    forget()
    with session_scope(scheme_engine) as s:
        rebuilt = bundle_for(s, actor=LEADER, year=2017)
    assert rebuilt.sha256 == stored  # the same bytes as at scoring time: the build is deterministic
    assert verify(rebuilt.content)[0]
    forget()
    with session_scope(scheme_engine) as s:
        daily = s.exec(select(DailyScore)).first()
        daily.score = 1.0
        s.add(daily)
    with session_scope(scheme_engine) as s, pytest.raises(UserError) as caught:
        bundle_for(s, actor=LEADER, year=2017)
    assert caught.value.key == "bundle.stale"
    with session_scope(scheme_engine) as s:
        assert s.exec(select(Result)).one().status == "published"


def test_verify_page_offers_only_what_the_office_made_public(demo_db, monkeypatch):
    from tests.support.apptest import open_app, shown

    monkeypatch.setenv("DATABASE_URL", str(demo_db.url))
    monkeypatch.setenv("NETWORK_SALT", "apptest-salt")
    hidden = open_app("verify")
    assert not hidden.exception and "目前没有公开的验证包" in shown(hidden)
    assert not hidden.get("download_button")
    with session_scope(demo_db) as s:
        set_public(s, actor=ADMIN, year=2017, public=True)
    try:
        offered = open_app("verify")
        assert not offered.exception and "2017 年度 · 结果第 1 版" in shown(offered)
        assert [b.proto.label for b in offered.get("download_button")] == ["下载验证包"]
    finally:
        with session_scope(demo_db) as s:
            set_public(s, actor=ADMIN, year=2017, public=False)
