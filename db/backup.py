"""Backups that can be taken while the app runs.

SQLite: the online backup API copies a consistent snapshot page by page, even
while votes are being written. PostgreSQL: `pg_dump` in its custom format.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from core.errors import UserError


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


def _pg_dump(url, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise UserError("backup.no_pg_dump", "pg_dump is not installed (Debian package postgresql-client)")
    args, env = _libpq_env(make_url(url.render_as_string(hide_password=False)))
    partial = target.with_name(target.name + ".partial")
    done = subprocess.run(["pg_dump", *args, "--format=custom", "--file", str(partial), url.database],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise UserError("backup.failed", "pg_dump failed: {error}", error=done.stderr.strip()[:500])
    partial.replace(target)
