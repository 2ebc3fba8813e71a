"""Setting up a campaign: the demo load, the draw of 200 from 2,000, the overview counts."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from core import sampling
from db.access import cli_actor
from db.bootstrap import init_database
from db.demo.years import load_demo
from db.draws import pool_frame
from db.engine import make_engine, session_scope
from db.stats import stats


def _median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(emit) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        init_database(engine, actor=cli_actor())
        started = time.perf_counter()
        load_demo(engine, actor=cli_actor(), years=(2017, 2018, 2019), votes_per_year=100_000)
        emit("demo_load_s", time.perf_counter() - started, "s", 60, "lower")

        with session_scope(engine) as s:
            pool = pool_frame(s, campaign_id=1)
        emit("draw_200_of_2000_ms", _median_ms(lambda: sampling.draw_panel(pool, 200, seed="bench"), 20),
             "ms", 1000, "lower")

        def overview() -> None:
            with session_scope(engine) as s:
                stats(s, year=2019)

        emit("overview_counts_ms", _median_ms(overview, 20), "ms", 300, "lower")
        engine.dispose()

        # What `make run` loads on a fresh machine: two finished years and today's, running today.
        engine = make_engine(f"sqlite:///{Path(folder) / 'today.db'}")
        init_database(engine, actor=cli_actor())
        started = time.perf_counter()
        load_demo(engine, actor=cli_actor(), invitations_path=Path(folder) / "invitations.csv")
        emit("demo_load_today_s", time.perf_counter() - started, "s", 60, "lower")
        engine.dispose()
