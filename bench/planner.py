"""The precision planner before a draw: `python -m db plan-panel` and /draw, from the database to the table.

Setup (not timed): a temporary SQLite database with the 2017 scheme and two demo years (2017 scored
and published, 2018 with its pool), 20,000 poll votes each.

- `plan_panel_s`: db.planning.plan_panel for 2018 from 2017, the first call in the process: last
  year's questionnaires and votes read (load_inputs), its scores and slopes, the spreads of its
  reviewers' scores, then 6 sizes x 2 allocations, each with 300 simulated results and their
  rank intervals, for 37 units (target 10 s).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from db.access import cli_actor
from db.bootstrap import init_database
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.planning import plan_panel

VOTES = 20_000


def run(emit) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        init_database(engine, actor=cli_actor())
        load_demo(engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=VOTES)
        with session_scope(engine) as s:
            started = time.perf_counter()
            plan = plan_panel(s, actor=cli_actor(), year=2018)
            elapsed = time.perf_counter() - started
        engine.dispose()
    assert len(plan.designs) == 12 and plan.designs[0].borderline is not None
    emit("plan_panel_s", elapsed, "s (37 units, 12 designs, last year's 200 questionnaires and "
         f"{VOTES:,} votes, SQLite)", 10, "lower")
