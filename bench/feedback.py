"""All 37 feedback letters from the database, as the office's one action makes them.

Setup (not timed): a temporary SQLite database with the 2017 scheme and one demo year of
100,000 poll votes, 200 questionnaires, findings, cases and the demo's comments, scored and
published.

- `feedback_letters_all_units_s`: db.feedback.feedback_letters plus the zip, in one transaction, the
  first call in the process: jieba's dictionary load, masking, merging and themes of every comment
  of the year, each unit's figures and 37 Word documents (target 10 s).
- `feedback_letters_all_units_cpu_s`: the CPU time of that run (this process), which a busy machine does
  not inflate as it does the wall clock.
- `feedback_page_data_ms`: what /feedback reads for one unit (unit_feedback and unit_comments) once
  warm, median of 5.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import select

from db.access import Actor, cli_actor
from db.bootstrap import init_database
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.feedback import feedback_letters, letters_zip, unit_comments, unit_feedback
from db.models import Campaign, Result
from db.scoring import publish

VOTES = 100_000
UNIT = "es03"


def run(emit) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        init_database(engine, actor=cli_actor())
        load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=VOTES)
        with session_scope(engine) as s:
            result = s.exec(select(Result).order_by(Result.version.desc())).first()
            publish(s, result.id, cli_actor())
            campaign_id = s.exec(select(Campaign.id).where(Campaign.year == 2017)).one()

        started, cpu = time.perf_counter(), time.process_time()
        with session_scope(engine) as s:
            letters = feedback_letters(s, actor=cli_actor(), campaign_id=campaign_id)
            archive = letters_zip(letters)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(letters) == 37 and archive
        emit("feedback_letters_all_units_s", elapsed, "s (37 letters + zip, cold, 100k votes)", 10, "lower")
        # The same run's CPU time: on a shared machine the wall clock above also measures the neighbours.
        emit("feedback_letters_all_units_cpu_s", cpu, "s of CPU (same run)", 10, "lower")

        liaison = Actor("bench", "liaison", UNIT)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            with session_scope(engine) as s:
                unit_feedback(s, actor=liaison, campaign_id=campaign_id, unit_code=UNIT)
                unit_comments(s, actor=liaison, campaign_id=campaign_id, unit_code=UNIT)
            times.append((time.perf_counter() - started) * 1000)
        emit("feedback_page_data_ms", statistics.median(times), "ms (one unit, warm, median of 5)", 500, "lower")
        engine.dispose()
