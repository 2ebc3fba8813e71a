"""Wrong ballot codes and receipt codes: counted per device and per network, so that only whoever
keeps mistyping (or guessing) waits.

The questionnaire and the receipt look a code up first: a code that exists opens, whatever other
devices on the same network typed before (a hall's 200 tablets share one address; so do the phones
behind a carrier's NAT). Only a miss is counted, twice: against the device (the browser's random
cookie id, else its session) and against the network (the salted hash of its address). A device
gets 10 misses in 10 minutes for nothing; after that it waits 1 minute, then 2, 4, 8, at most 10,
and while it waits its entries are not looked up at all (otherwise the wait would not slow a
guesser down). Nobody but the device itself can make it wait: its key is its own random id.

A network is limited only far above what a hall's typos make: beyond 300 misses in 10 minutes,
every device on it that misses waits from its first miss, so a guesser who keeps opening new
browser sessions gets one guess per session. Valid codes still open for everyone there.
Only keyed hashes are stored (table `attempt`), and nothing older than a day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, select
from sqlmodel import Session

from core.errors import UserError
from core.throttle import Throttle, whole_minutes
from db.models import Attempt

DEVICE = Throttle(free=10, first=timedelta(minutes=1), longest=timedelta(minutes=10), window=timedelta(minutes=10))
NETWORK_MISSES = 300  # per network within DEVICE.window; a hall's typos stay far below it
KEPT = timedelta(days=1)

_ATTEMPT = Attempt.__table__
_A = _ATTEMPT.c
_COUNT = select(func.count(), func.max(_A.at)).where(_A.kind == bindparam("kind"),
                                                     _A.subject_hash == bindparam("subject"),
                                                     _A.at > bindparam("since"))
_PRUNE = delete(_ATTEMPT).where(_A.kind.in_(bindparam("kinds", expanding=True)), _A.at < bindparam("before"))
_ADD = insert(_ATTEMPT)


def _device_kind(kind: str) -> str:
    return f"{kind}.device"


def _misses(session: Session, kind: str, subject: str, since: datetime) -> tuple[int, datetime | None]:
    count, last = session.connection().execute(_COUNT, {"kind": kind, "subject": subject, "since": since}).one()
    return count, last


def device_wait(session: Session, *, kind: str, device: str, network: str, now: datetime) -> timedelta:
    """How long this device must still wait before its next entry is looked up (zero: not at all)."""
    since = now - DEVICE.window
    count, last = _misses(session, _device_kind(kind), device, since)
    if not count:
        return timedelta(0)
    throttle = DEVICE
    if _misses(session, kind, network, since)[0] >= NETWORK_MISSES:
        throttle = replace(DEVICE, free=1)  # a network under attack: every miss makes its device wait
    return throttle.remaining(count, last, now)


def count_miss(session: Session, *, kind: str, device: str, network: str, now: datetime) -> timedelta:
    """Count a miss against the device and the network; the wait it starts for the device (zero: none).

    Written in the caller's transaction: a caller that refuses by raising commits first.
    """
    db = session.connection()
    db.execute(_PRUNE, {"kinds": [kind, _device_kind(kind)], "before": now - KEPT})
    db.execute(_ADD, [{"kind": kind, "subject_hash": network, "at": now},
                      {"kind": _device_kind(kind), "subject_hash": device, "at": now}])
    return device_wait(session, kind=kind, device=device, network=network, now=now)


def too_many(key: str, wait: timedelta) -> UserError:
    """The refusal of a device that must wait (`key`: the page's catalogue entry, which names the minutes)."""
    return UserError(key, "too many wrong codes on this device; try again in {minutes} min",
                     minutes=whole_minutes(wait))
