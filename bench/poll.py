"""The public poll's store path: accepted votes per second on SQLite, every check switched on.

Each vote is its own transaction (as from the page): window and unit check, the per-network
flood count, the insert that the one-vote-per-device-per-day constraint guards, and the
burst and regular-interval check. Arrival times follow a Poisson stream, as real citizens
do, so the detection runs on realistic input instead of flagging a benchmark's metronome.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.poll import OPTIONS, new_device_id
from db.access import cli_actor
from db.bootstrap import init_database
from db.engine import make_engine, session_scope
from db.poll import record_vote
from db.units import list_units

VOTES = 20_000
NETWORKS = 4_000
SALT = "bench-salt"


def run(emit) -> None:
    rng = random.Random(2017)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        init_database(engine, actor=cli_actor())
        with session_scope(engine) as s:
            units = [u.id for u in list_units(s, campaign_id=1, include_inactive=False)]
        moment = datetime(2017, 6, 1, 1, 0, tzinfo=UTC)
        votes = []
        for _ in range(VOTES):
            moment += timedelta(seconds=rng.expovariate(1000))
            votes.append((rng.choice(units), rng.choice(OPTIONS), new_device_id(),
                          f"10.{rng.randrange(NETWORKS) // 250}.{rng.randrange(250)}.1", moment))

        started = time.perf_counter()
        recorded = 0
        for unit_id, option, device, ip, at in votes:
            with session_scope(engine) as s:
                result = record_vote(s, campaign_id=1, unit_id=unit_id, option=option, device_id=device, ip=ip,
                                     now=at, salt=SALT)
            recorded += result.recorded
        elapsed = time.perf_counter() - started
        if recorded != VOTES:
            raise RuntimeError(f"only {recorded} of {VOTES} benchmark votes were recorded")
        emit("vote_store_throughput", recorded / elapsed, "votes/s", 1000, "higher")
        engine.dispose()
