"""Backups that can be taken while the app runs, and their restore.

SQLite: the online backup API copies a consistent snapshot page by page, even
while votes are being written. PostgreSQL: `pg_dump` in its custom format.

A restore checks the file completely before it touches the database (right kind of
file, readable, this application's schema), refuses to overwrite a database that
holds data unless told to, and is all or nothing: SQLite's backup API copies into
the live file in one write transaction, and `pg_restore --single-transaction`
rolls back on the first error.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from core.errors import UserError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


def backup(engine: Engine, path: Path) -> Path:
    path = Path(path)
    if path.exists():
        raise UserError("backup.exists", "{path} exists already; choose a new file name", path=str(path))
    if not path.parent.is_dir():
        raise UserError("backup.no_folder", "the folder {folder} does not exist", folder=str(path.parent))
    url = engine.url
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(Path(url.database), path)
    else:
        _pg_dump(url, path)
    return path


def _sqlite_backup(source: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    partial.replace(target)  # a half-written backup never carries the final name


def _libpq_env(url) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password  # not on the command line, where `ps` would show it
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
            "--username", url.username or "postgres"]
    return args, env


def pg_tool(name: str) -> str | None:
    """A PostgreSQL client program: on PATH, else the newest /usr/lib/postgresql/*/bin (Debian's layout)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0)
    return candidates[-1] if candidates else None


def _pg_dump(url, target: Path) -> None:
    program = pg_tool("pg_dump")
    if program is None:
        raise UserError("backup.no_pg_dump", "pg_dump is not installed (Debian package postgresql-client)")
    args, env = _libpq_env(make_url(url.render_as_string(hide_password=False)))
    partial = target.with_name(target.name + ".partial")
    done = subprocess.run([program, *args, "--format=custom", "--file", str(partial), url.database],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise UserError("backup.failed", "pg_dump failed: {error}", error=done.stderr.strip()[:500])
    partial.replace(target)


@dataclass(frozen=True)
class RestoreReport:
    revision: str | None
    tables: int
    rows_replaced: int


def _not_a_backup(path: Path, why: str) -> UserError:
    return UserError("backup.not_a_backup", "{path} is not a backup of this application ({why}); nothing was changed",
                     path=str(path), why=why)


def rows_held(engine: Engine) -> int:
    """Rows in the application's tables (the migration bookkeeping does not count)."""
    with engine.connect() as connection:
        names = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
        return sum(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names)


def restore(engine: Engine, path: Path, *, force: bool = False) -> RestoreReport:
    """Replace the database's content with the backup at `path` (checked first; all or nothing)."""
    path = Path(path)
    if not path.is_file():
        raise UserError("backup.no_file", "no backup file at {path}", path=str(path))
    with open(path, "rb") as handle:
        head = handle.read(16)
    sqlite_target = engine.url.get_backend_name() == "sqlite"
    if sqlite_target and head != SQLITE_MAGIC:
        raise _not_a_backup(path, "not an SQLite database file")
    if not sqlite_target and not head.startswith(PG_CUSTOM_MAGIC):
        raise _not_a_backup(path, "not a pg_dump file in custom format")
    tables = _check_sqlite_backup(path) if sqlite_target else _check_pg_backup(path)
    held = rows_held(engine)
    if held and not force:
        raise UserError("backup.target_has_data",
                        "the database holds {rows} rows; restoring replaces all of them: add --force to go ahead",
                        rows=held)
    engine.dispose()  # no pooled connection of ours keeps an old snapshot or a lock
    if sqlite_target:
        _sqlite_restore(path, Path(engine.url.database))
    else:
        _pg_restore(engine.url, path)
    engine.dispose()
    from db.migrate import current

    return RestoreReport(revision=current(engine), tables=tables, rows_replaced=held)


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from db.migrate import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _check_sqlite_backup(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            revision = (connection.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
                if "alembic_version" in tables else None
    except sqlite3.DatabaseError as error:
        raise _not_a_backup(path, str(error)) from None
    if verdict != "ok":
        raise _not_a_backup(path, f"damaged: {verdict}")
    if revision not in _known_revisions():
        raise _not_a_backup(path, "no schema revision of this application")
    return len(tables) - 1


def _sqlite_restore(source: Path, target: Path) -> None:
    # The backup API writes the destination in one transaction under an exclusive lock: other
    # connections (a running app) see the old database or the new one, never a mixture.
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
                sqlite3.connect(target, timeout=30) as dst:
            src.backup(dst)
    except sqlite3.OperationalError as error:
        raise UserError("backup.restore_failed", "the restore failed and nothing was changed: {error}",
                        error=str(error)) from None


def _check_pg_backup(path: Path) -> int:
    program = pg_tool("pg_restore")
    if program is None:
        raise UserError("backup.no_pg_restore", "pg_restore is not installed (Debian package postgresql-client)")
    listed = subprocess.run([program, "--list", str(path)], capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        raise _not_a_backup(path, listed.stderr.strip()[:300] or "pg_restore cannot read it")
    tables = [line for line in listed.stdout.splitlines() if " TABLE DATA " in line]
    if not any(" alembic_version " in line for line in tables):
        raise _not_a_backup(path, "no schema revision of this application")
    return len(tables) - 1


def _pg_restore(url, path: Path) -> None:
    args, env = _libpq_env(make_url(url.render_as_string(hide_password=False)))
    # --single-transaction: the first error rolls everything back, so the database stays as it was.
    done = subprocess.run([pg_tool("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                           "--single-transaction", "--dbname", url.database, str(path)],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UserError("backup.restore_failed", "the restore failed and nothing was changed: {error}",
                        error=done.stderr.strip()[:500])


# --- the backup folder of a server (the backup timer) and the restore check --------------------------------------

def suffix_for(engine: Engine) -> str:
    return "db" if engine.url.get_backend_name() == "sqlite" else "dump"


def backup_into(engine: Engine, folder: Path, *, now: datetime | None = None) -> tuple[Path, list[str]]:
    """A new dated backup in `folder`, then the rotation (core.backup_rotation): the files it removed.

    The new file is complete (written under a .partial name, then renamed) before anything is deleted,
    so a failed backup never costs an old one."""
    from core.backup_rotation import backup_name, to_delete
    from core.clock import utcnow

    folder = Path(folder)
    if not folder.is_dir():
        raise UserError("backup.no_folder", "the folder {folder} does not exist", folder=str(folder))
    now = now or utcnow()
    path = backup(engine, folder / backup_name(now, suffix_for(engine)))
    removed = to_delete((p.name for p in folder.iterdir() if p.is_file()), now.date())
    for name in removed:
        (folder / name).unlink(missing_ok=True)
    return path, removed


def latest_backup(folder: Path) -> tuple[Path, datetime] | None:
    """The newest dated backup in `folder` and when it was taken (None: no backup there)."""
    from core.backup_rotation import taken_at

    dated = [(path, taken_at(path.name)) for path in Path(folder).iterdir() if path.is_file()] \
        if Path(folder).is_dir() else []
    dated = [(path, moment) for path, moment in dated if moment is not None]
    return max(dated, key=lambda pair: pair[1]) if dated else None


@dataclass(frozen=True)
class RestoreCheck:
    revision: str | None
    tables: int
    rows: int


def check_restore(engine: Engine, path: Path) -> RestoreCheck:
    """Restore the backup at `path` into a scratch database, count what came back and drop it again.

    The live database is never written: SQLite restores into a temporary file, PostgreSQL into a new
    database on the same server (the account needs CREATEDB), dropped afterwards whatever happened."""
    path = Path(path)
    if not path.is_file():
        raise UserError("backup.no_file", "no backup file at {path}", path=str(path))
    with open(path, "rb") as handle:
        head = handle.read(16)
    if engine.url.get_backend_name() == "sqlite":
        if head != SQLITE_MAGIC:
            raise _not_a_backup(path, "not an SQLite database file")
        _check_sqlite_backup(path)
        with tempfile.TemporaryDirectory(prefix="review-restore-check-") as scratch:
            target = Path(scratch) / "check.db"
            _sqlite_restore(path, target)
            return _count_restored(create_engine(f"sqlite:///{target}"), path)
    if not head.startswith(PG_CUSTOM_MAGIC):
        raise _not_a_backup(path, "not a pg_dump file in custom format")
    _check_pg_backup(path)
    scratch_name = f"review_restore_check_{secrets.token_hex(6)}"
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch_name}"'))
    except DBAPIError as error:
        raise UserError("backup.check_no_scratch", "the restore check needs a scratch database and could not create "
                        "one (the account needs CREATEDB): {error}", error=str(error.orig).strip()[:300]) from None
    scratch_url = engine.url.set(database=scratch_name)
    try:
        _pg_restore(scratch_url, path)
        return _count_restored(create_engine(scratch_url, poolclass=NullPool), path)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)'))
        admin.dispose()


def _count_restored(restored: Engine, path: Path) -> RestoreCheck:
    from db.migrate import current

    try:
        revision = current(restored)
        if revision not in _known_revisions():
            raise _not_a_backup(path, "no schema revision of this application after the restore")
        with restored.connect() as connection:
            tables = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
        return RestoreCheck(revision=revision, tables=len(tables), rows=rows_held(restored))
    finally:
        restored.dispose()
