"""Backup and restore: a round trip gives back every row of every table, on SQLite and PostgreSQL;
a wrong file or a database holding data is refused with a clear message and changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select

from core.clock import utcnow
from core.errors import UserError
from core.tokens import new_token, token_hash
from db.access import cli_actor
from db.backup import backup, restore
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.models import (
    AppSetting,
    Attempt,
    DisplayLink,
    Evidence,
    Finding,
    Invitation,
    Objection,
    ObjectionFile,
    ObjectionPeriod,
    Result,
    ResultUnit,
    ReviewerGroup,
    SealedBallot,
    Unit,
    User,
    UserSession,
)
from tests.support import postgres

ROOT = Path(__file__).resolve().parents[1]


def every_row(engine) -> dict[str, list[tuple]]:
    """Each table's rows, in a stable order, as plain tuples: the whole content of the database."""
    metadata = MetaData()
    metadata.reflect(engine)
    content = {}
    with engine.connect() as connection:
        for name, table in metadata.tables.items():
            rows = connection.execute(select(table)).all()
            content[name] = sorted((tuple(row) for row in rows), key=repr)
    return content


def fill_every_table(engine) -> None:
    """Demo data, plus a row in each table the demo leaves empty."""
    load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=300)
    with session_scope(engine) as s:
        def empty(table) -> bool:
            return s.exec(select(func.count()).select_from(table)).scalar_one() == 0

        finding = s.exec(select(Finding)).scalars().first()
        group = s.exec(select(ReviewerGroup)).scalars().first()
        unit = s.exec(select(Unit)).scalars().first()
        if empty(Attempt):
            s.add(Attempt(kind="ballot_code", subject_hash="f" * 64))
        if empty(Evidence):
            s.add(Evidence(finding_id=finding.id, filename="照片.jpg", content_type="image/jpeg", size=4,
                           sha256="0" * 64, content=b"\xff\xd8\xff\x00"))
        if empty(Invitation):
            s.add(Invitation(campaign_id=1, kind="ballot", group_id=group.id, token_hash=token_hash(new_token()),
                             expires_at=utcnow() + timedelta(days=3)))
        if empty(SealedBallot):
            s.add(SealedBallot(campaign_id=1, group_id=group.id, content={"answers": [[unit.id, 1, "satisfied"]],
                                                                          "comments": [], "flags": {}}))
        if empty(Result):
            s.add(Result(campaign_id=1, version=99, config={"weights": {"panel": 0.4}}, input_hash="a" * 64))
            s.flush()
        if empty(ResultUnit):
            result = s.exec(select(Result)).scalars().first()
            s.add(ResultUnit(result_id=result.id, unit_id=unit.id, total=91.5, components={"panel": 90.1},
                             grade="excellent", rank=1, explanation={"zh": "说明"}))
        if empty(ObjectionPeriod):
            result = s.exec(select(Result)).scalars().first()
            today = utcnow().date()
            s.add(ObjectionPeriod(campaign_id=1, result_id=result.id, opens_on=today,
                                  closes_on=today + timedelta(days=7), working_days=5, opened_by="admin"))
            s.flush()
        if empty(Objection):
            period = s.exec(select(ObjectionPeriod)).scalars().first()
            s.add(Objection(campaign_id=1, period_id=period.id, unit_id=unit.id, item_kind="daily",
                            reason="日常评价漏记加分", filed_by="liaison", state="dismissed",
                            ruling_reason="核对无误", ruled_by="admin", ruled_at=utcnow()))
            s.flush()
        if empty(ObjectionFile):
            objection = s.exec(select(Objection)).scalars().first()
            s.add(ObjectionFile(objection_id=objection.id, filename="考评表.pdf", content_type="application/pdf",
                                size=5, sha256="1" * 64, content=b"%PDF-"))
        if empty(AppSetting):
            s.add(AppSetting(key="sessions", value={"idle_hours": 8, "lifetime_days": 7}, updated_by="admin"))
        if empty(UserSession) or empty(DisplayLink):
            staff = User(username="backup-check", role="leader", password_hash="x")
            s.add(staff)
            s.flush()
            s.add(UserSession(id_hash=token_hash(new_token()), user_id=staff.id, device="Chrome · Android"))
            s.add(DisplayLink(token_hash=token_hash(new_token()), campaign_id=1, label="大屏", created_by="admin",
                              expires_at=utcnow() + timedelta(days=30)))


@pytest.fixture
def filled(scheme_engine):
    fill_every_table(scheme_engine)
    return scheme_engine


@pytest.fixture
def fresh_url(request, tmp_path, db_url):
    """Another empty database on the same kind of server as `db_url`."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    server = request.getfixturevalue("pg_server")
    url = postgres.create_database(server)
    yield url
    postgres.drop_database(server, url)


def test_round_trip_gives_back_every_row(filled, fresh_url, tmp_path):
    before = every_row(filled)
    known_empty = {"alembic_version"}
    assert all(before[name] for name in before if name not in known_empty), \
        [name for name in before if not before[name]]
    archive = backup(filled, tmp_path / "review.backup")

    # Into an empty database: no --force needed.
    fresh = make_engine(fresh_url)
    report = restore(fresh, archive)
    assert every_row(fresh) == before
    assert report.rows_replaced == 0 and report.revision
    fresh.dispose()

    # Over the same database after more work: refused without force, then everything as it was.
    with session_scope(filled) as s:
        s.add(User(username="later", role="analyst", password_hash="x"))
        s.exec(select(Unit)).scalars().first().name = "改过的名字"
    changed = every_row(filled)
    with pytest.raises(UserError) as refused:
        restore(filled, archive)
    assert refused.value.key == "backup.target_has_data" and "--force" in refused.value.english()
    assert every_row(filled) == changed
    restore(filled, archive, force=True)
    assert every_row(filled) == before


def garbage_files(tmp_path, engine_url: str) -> dict[str, bytes]:
    files = {
        "random bytes": bytes(range(256)) * 8,
        "a text file": "姓名,手机号码\n张三,13900000000\n".encode(),
        "empty": b"",
    }
    if engine_url.startswith("sqlite"):
        other = tmp_path / "other.sqlite"
        with sqlite3.connect(other) as connection:
            connection.execute("CREATE TABLE notes (x)")
            connection.execute("INSERT INTO notes VALUES (1)")
        files["another program's SQLite database"] = other.read_bytes()
        files["a truncated SQLite header"] = b"SQLite format 3\x00" + b"\x00" * 50
    else:
        files["a pg_dump header and then nothing"] = b"PGDMP\x01\x0e\x00" + b"\x00" * 40
    return files


def test_bad_backup_files_are_refused_and_change_nothing(filled, db_url, tmp_path):
    before = every_row(filled)
    with pytest.raises(UserError) as missing:
        restore(filled, tmp_path / "no-such.backup", force=True)
    assert missing.value.key == "backup.no_file"
    for what, content in garbage_files(tmp_path, db_url).items():
        path = tmp_path / "bad.backup"
        path.write_bytes(content)
        with pytest.raises(UserError) as refused:
            restore(filled, path, force=True)
        assert refused.value.key == "backup.not_a_backup", what
        assert "nothing was changed" in refused.value.english()
    assert every_row(filled) == before


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "db", *args], check=False, cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, DATABASE_URL=url), timeout=300)


def test_restore_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert run_cli("init", url=url).returncode == 0
    assert run_cli("backup", str(tmp_path / "copy.db"), url=url).returncode == 0

    refused = run_cli("restore", str(tmp_path / "copy.db"), url=url)
    assert refused.returncode == 1 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    missing = run_cli("restore", str(tmp_path / "nothing.db"), "--force", url=url)
    assert missing.returncode == 1 and "no backup file" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "notes.txt").write_text("hello")
    wrong = run_cli("restore", str(tmp_path / "notes.txt"), "--force", url=url)
    assert wrong.returncode == 1 and "is not a backup" in wrong.stderr and "Traceback" not in wrong.stderr

    done = run_cli("restore", str(tmp_path / "copy.db"), "--force", url=url)
    assert done.returncode == 0, done.stderr
    assert "restored" in done.stdout
    fresh = run_cli("restore", str(tmp_path / "copy.db"), url=f"sqlite:///{tmp_path / 'new.db'}")
    assert fresh.returncode == 0, fresh.stderr
