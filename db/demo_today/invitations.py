"""The demo draw's invitation list: the only plain-text copy of its links and venue codes.

Like the file `python -m db draw` writes, but owner-only (mode 600) from the moment it exists:
the database keeps only the tokens' SHA-256, so whoever reads this file can answer as these
(made-up) reviewers. One file per database, beside a SQLite file or under data/ otherwise.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from db.engine import ROOT

COLUMNS = ("kind", "state", "group", "group_name", "name", "token", "link")
KINDS = ("personal", "ballot")
STATES = ("not_started", "half_done")


@dataclass(frozen=True)
class Entry:
    kind: str  # personal (a reviewer's link) or ballot (a venue code naming nobody)
    state: str  # not_started, half_done
    group: str
    group_name: str
    name: str  # the made-up reviewer's name; empty for a ballot
    token: str
    link: str  # the questionnaire link for a personal token; empty for a ballot


def default_path(database_url: str) -> Path:
    """Beside a SQLite file (`review.db` -> `review-demo-invitations.csv`); else under data/."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database)
        return database.with_name(f"{database.stem}-demo-invitations.csv")
    name = "".join(ch if ch.isalnum() else "-" for ch in f"{url.host or 'local'}-{url.database or 'db'}")
    return ROOT / "data" / f"demo-invitations-{name}.csv"


def write(path: Path, entries: list[Entry]) -> None:
    """Write the list readable and writable by the owner only (created so, never widened)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow([getattr(entry, column) for column in COLUMNS])
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()  # a new demo's list replaces the old one, whose tokens are gone with it
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write(buffer.getvalue())
    os.chmod(path, 0o600)  # whatever the umask said


def read(path: Path) -> list[Entry]:
    """The entries of a list written by `write`; a missing file is an empty list."""
    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [Entry(**{column: row.get(column, "") or "" for column in COLUMNS}) for row in rows
            if row.get("kind") in KINDS and row.get("token")]


def remove(path: Path) -> bool:
    """Delete the list (after purge-demo its tokens lead nowhere); True if there was one."""
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False
