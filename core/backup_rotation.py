"""Which dated backups a backup folder keeps: the last 14 days, and the last backup of every month.

Pure: the backup timer (`python -m db backup --into FOLDER`) lists the folder, asks `to_keep` and
deletes the rest; the tests run it on a fake calendar. A backup is named by the moment it was taken
(`review-2026-12-04T0300Z.dump`), so the folder itself is the record and nothing else has to agree with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

KEEP_DAYS = 14
PREFIX = "review-"
_NAME = re.compile(r"^review-(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})Z\.(dump|db)$")


def backup_name(taken: datetime, suffix: str) -> str:
    """The file name of a backup taken at `taken` (aware): UTC, sortable, no colon (portable to any disk)."""
    return f"{PREFIX}{taken.astimezone(UTC):%Y-%m-%dT%H%M%SZ}.{suffix}"


def taken_at(name: str) -> datetime | None:
    """The moment in a backup's file name; None for a file that is not a dated backup (never deleted)."""
    match = _NAME.match(name)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def to_keep(moments: Iterable[datetime], today: date, *, days: int = KEEP_DAYS) -> set[datetime]:
    """The backups to keep among `moments`, on `today` (UTC):

    - every backup of the last `days` days, today included;
    - the last backup of each calendar month (the month's final state, kept for the year's record);
    - the newest backup whatever its age (a server that stopped taking backups still has one);
    - anything dated after today (a clock set wrongly is a reason to look, not to delete).
    """
    moments = sorted(set(moments))
    if not moments:
        return set()
    first_day = today - timedelta(days=days - 1)
    keep = {m for m in moments if m.date() >= first_day}
    last_of_month: dict[tuple[int, int], datetime] = {}
    for moment in moments:
        last_of_month[(moment.year, moment.month)] = moment  # sorted: the last one wins
    keep |= set(last_of_month.values())
    keep.add(moments[-1])
    return keep


def to_delete(names: Iterable[str], today: date, *, days: int = KEEP_DAYS) -> list[str]:
    """The file names in a backup folder that the rotation removes (files not named as backups stay)."""
    dated = {name: taken_at(name) for name in names}
    keep = to_keep((m for m in dated.values() if m is not None), today, days=days)
    return sorted(name for name, moment in dated.items() if moment is not None and moment not in keep)
