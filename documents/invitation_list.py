"""The invitation list: the one plain-text copy of a panel's personal links and venue codes.

One format for every writer (`python -m db draw --invitations`, the draw page's download, the demo's
owner-only file) and every reader (`demo-info`, `bench.hall --invitations`): UTF-8 with a byte-order
mark, so that Excel and WPS read the Chinese names, one row per link or code:

    kind, state, group, group_name, name, token, link, phone

`kind` is `personal` (a drawn reviewer's link) or `ballot` (a venue code naming nobody); `state` is
`not_started` or `half_done` (the demo leaves some questionnaires half done); `name` is empty for a
ballot, `link` is empty for a ballot code (it is typed on /questionnaire); `phone` is the reviewer's mobile
number from the pool, so that the file can drive the office's SMS sender (empty for a ballot or when the
pool has none). It is an office-only file: never published, never logged.

Whoever holds this file can answer as these reviewers (the database keeps only the tokens' hashes),
so callers write it owner-only (db.private_files).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields

KINDS = ("personal", "ballot")
STATES = ("not_started", "half_done")


@dataclass(frozen=True)
class Entry:
    kind: str  # personal or ballot
    state: str  # not_started or half_done
    group: str  # the reviewer group's code
    group_name: str
    name: str  # the reviewer's name; empty for a ballot
    token: str
    link: str  # the questionnaire link of a personal token; empty for a ballot
    phone: str = ""  # the reviewer's mobile number, for the SMS sender; empty for a ballot


COLUMNS = tuple(f.name for f in fields(Entry))


def personal(*, name: str, group: str, group_name: str, token: str, link: str,
             state: str = "not_started", phone: str = "") -> Entry:
    return Entry("personal", state, group, group_name, name, token, link, phone)


def to_csv(entries: list[Entry]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow([getattr(entry, column) for column in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def from_csv(content: bytes | str) -> list[Entry]:
    """The entries of a list written by `to_csv`. Rows without a token are skipped; a list written
    before the token column existed (name, group, group_name, link) still reads, its token taken
    from the link."""
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.removeprefix("\ufeff")
    entries = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        values = {column: (row.get(column) or "") for column in COLUMNS}
        if not values["token"] and "token=" in values["link"]:
            values["token"] = values["link"].split("token=", 1)[1].split("&", 1)[0]
        values["kind"] = values["kind"] or "personal"
        values["state"] = values["state"] or "not_started"
        if values["kind"] in KINDS and values["token"]:
            entries.append(Entry(**values))
    return entries
