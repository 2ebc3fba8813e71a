"""The demo draw's invitation list: the only plain-text copy of its links and venue codes.

The same format as the list `python -m db draw` writes (documents.invitation_list), owner-only
(mode 600) from the moment it exists: the database keeps only the tokens' SHA-256, so whoever
reads this file can answer as these (made-up) reviewers. One file per database, beside a SQLite
file or under data/ otherwise.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from db.engine import ROOT
from db.private_files import write_owner_only
from documents.invitation_list import Entry, from_csv, to_csv

__all__ = ["Entry", "default_path", "read", "remove", "write"]


def default_path(database_url: str) -> Path:
    """Beside a SQLite file (`review.db` -> `review-demo-invitations.csv`); else under data/."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database)
        return database.with_name(f"{database.stem}-demo-invitations.csv")
    name = "".join(ch if ch.isalnum() else "-" for ch in f"{url.host or 'local'}-{url.database or 'db'}")
    return ROOT / "data" / f"demo-invitations-{name}.csv"


def write(path: Path, entries: list[Entry]) -> None:
    """A new demo's list replaces the old one, whose tokens are gone with it."""
    write_owner_only(path, to_csv(entries), replace=True)


def read(path: Path) -> list[Entry]:
    """The entries of the list; a missing file is an empty list."""
    return from_csv(path.read_bytes()) if path.is_file() else []


def remove(path: Path) -> bool:
    """Delete the list (after purge-demo its tokens lead nowhere); True if there was one."""
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False
