"""The panel's "hall now" strip, summed over every app process through the database.

Each process counts for itself (db.metrics). Every 10 seconds each one publishes what it saw over the last
minute (ui/hall_now.py: tablets connected, answers, the questionnaire's latency histogram, store errors) as
one row of the platform settings table under `hall_now:<host>:<pid>`: no table of its own, and a few hundred
bytes per process. The panel adds up the rows written in the last 30 seconds, so a replica that stopped drops
out by itself; rows older than an hour are removed by whoever publishes next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from core.clock import utcnow
from core.histogram import INTERACTION_BOUNDS, quantile
from db.access import Actor, require
from db.models import AppSetting

PREFIX = "hall_now:"
FRESH = timedelta(seconds=30)
FORGOTTEN = timedelta(hours=1)
PUBLISHER = "hall-now"  # updated_by of these rows: no person changed a setting


@dataclass(frozen=True)
class HallNow:
    replicas: int  # processes that published in the last 30 seconds
    tablets: int  # sessions open on /questionnaire
    answers_per_minute: float
    p95_ms: float | None  # of the questionnaire's interactions in the last minute (None: none)
    interactions: int  # in the last minute
    store_errors: int  # in the last 15 minutes


def publish(session: Session, *, replica: str, figures: dict, now: datetime | None = None) -> None:
    """Store this process's last-minute figures (ui/hall_now.py makes them) in place of its previous ones."""
    now = now or utcnow()
    key = f"{PREFIX}{replica}"[:64]
    row = session.get(AppSetting, key) or AppSetting(key=key)
    row.value, row.updated_at, row.updated_by = dict(figures), now, PUBLISHER
    session.add(row)
    session.exec(delete(AppSetting).where(col(AppSetting.key).startswith(PREFIX),
                                          col(AppSetting.updated_at) < now - FORGOTTEN))


def read(session: Session, *, actor: Actor, now: datetime | None = None) -> HallNow | None:
    """The sum over the processes that published in the last 30 seconds (None: none did, e.g. the app was not
    started with `python -m ui.serve`, which runs the publisher)."""
    require(actor, "admin")
    now = now or utcnow()
    rows = session.exec(select(AppSetting).where(col(AppSetting.key).startswith(PREFIX),
                                                 col(AppSetting.updated_at) >= now - FRESH)).all()
    if not rows:
        return None
    width = len(INTERACTION_BOUNDS) + 1
    histogram = [0.0] * width
    tablets = errors = 0
    answers_per_minute = 0.0
    for row in rows:
        figures = row.value
        tablets += int(figures.get("tablets", 0))
        errors += int(figures.get("store_errors", 0))
        answers_per_minute += float(figures.get("answers", 0)) * 60 / max(float(figures.get("seconds", 60)), 1)
        counts = figures.get("histogram") or []
        if len(counts) == width:
            histogram = [a + float(b) for a, b in zip(histogram, counts, strict=True)]
    p95 = quantile(INTERACTION_BOUNDS, histogram, 0.95) * 1000 if histogram[-1] else None
    return HallNow(len(rows), tablets, answers_per_minute, p95, int(histogram[-1]), errors)
