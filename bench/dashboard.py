"""Dashboard data loads with real volumes: five campaigns, 1,000,000 poll votes, on SQLite.

The database is the demo (python -m db demo) over five years with 200,000 votes a year, so
questionnaires, findings, cases and results are there too. Measured without Streamlit's cache:

- warm: the same engine again (connections open, SQLite page cache filled), median of 5;
- cold: a new engine (new connections, empty page cache; the operating system's file cache
  cannot be dropped without root and stays warm), median of 3;
- pandas: the same figures from raw rows read into pandas (pd.read_sql with the same WHERE,
  no GROUP BY) and aggregated there: votes and answers, the bulk of the data. Small tables
  (cases, results, reports) are read by the same SQL in both, which only flatters pandas.

/live and the three /explore views are measured separately; the required names report the
worst of them, and each one is emitted under its own name too.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
from sqlmodel import select

from db import explore, live
from db.access import Actor, cli_actor
from db.bootstrap import init_database
from db.dashboard import newest_result, result_units
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.live import live_board
from db.migrate import upgrade
from db.models import Campaign, Result
from db.questionnaire import completion

YEARS = tuple(range(2017, 2022))
VOTES_PER_YEAR = 200_000
READER = Actor("bench", "analyst")
UNIT, COMPARED = "es03", ["es03", "es01", "ue06"]


def _views(campaign_id: int, today: date) -> dict:
    """What each screen reads on one load, as callables on a session."""
    return {
        "live": lambda s: live_board(s, actor=READER, campaign_id=campaign_id, today=today),
        "explore_unit": lambda s: (
            explore.score_history(s, actor=READER, unit_codes=[UNIT]),
            explore.dimension_profile(s, actor=READER, campaign_id=campaign_id, unit_codes=[UNIT]),
            explore.poll_trend(s, actor=READER, unit_codes=[UNIT]),
            explore.group_comparison(s, actor=READER, campaign_id=campaign_id, unit_code=UNIT),
            explore.timeline(s, actor=READER, unit_codes=[UNIT])),
        "explore_compare": lambda s: (
            explore.compare_units(s, actor=READER, campaign_id=campaign_id, unit_codes=COMPARED),
            explore.score_history(s, actor=READER, unit_codes=COMPARED),
            explore.dimension_profile(s, actor=READER, campaign_id=campaign_id, unit_codes=COMPARED)),
        "explore_reliability": lambda s: explore.reliability_by_year(s, actor=READER),
    }


def _timed(engine, load) -> float:
    started = time.perf_counter()
    with session_scope(engine) as s:
        load(s)
    return (time.perf_counter() - started) * 1000


# ---------------------------------------------------------------------------------------
# The same figures the naive way: raw rows into pandas


def _raw(engine, sql: str, **params) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql_query(sql, connection.connection.driver_connection, params=params)


def _pandas_votes_live(engine, campaign_id: int, today: date) -> None:
    votes = _raw(engine, "SELECT unit_id, option, day, status, created_at FROM pollvote WHERE campaign_id = :c",
                 c=campaign_id)
    counted = votes["status"].isin(["accepted", "admitted"])
    today_votes = votes[votes["day"] == today.isoformat()]
    _ = (counted.sum(), today_votes["status"].value_counts(), votes["status"].value_counts(),
         votes.groupby(["day", "status"]).size(), votes["created_at"].max())


def _pandas_answers(engine, campaign_id: int) -> pd.DataFrame:
    return _raw(engine, "SELECT a.response_id, a.unit_id, a.dimension_id, a.option, r.group_id FROM answer a "
                        "JOIN response r ON r.id = a.response_id WHERE r.campaign_id = :c AND r.status = 'submitted' "
                        "AND NOT r.rehearsal", c=campaign_id)


def _pandas_view(engine, view: str, campaign_id: int, today: date) -> None:
    scores = {"satisfied": 100.0, "basically_satisfied": 70.0, "dissatisfied": 0.0}
    units = _raw(engine, "SELECT id, code, campaign_id, category_id FROM unit")
    if view == "live":
        _pandas_votes_live(engine, campaign_id, today)
        with session_scope(engine) as s:  # small tables: the same SQL as the dashboard (votes excluded)
            campaign = s.get(Campaign, campaign_id)
            completion(s, campaign_id=campaign_id)
            newest = newest_result(s, campaign_id=campaign_id)
            result_units(s, result_ids=[newest.id] if newest else [])
            live._cases_by_age(s, campaign_id, today)
            live._open_cases(s, campaign_id, today)
            live._overdue_rectifications(s, campaign_id, today)
            live._late_reports(s, campaign, today)
        return
    if view == "explore_reliability":
        for cid in _raw(engine, "SELECT id FROM campaign")["id"]:
            answers = _pandas_answers(engine, int(cid))
            answers["score"] = answers["option"].map(scores)
            wide = answers.pivot_table(index=["response_id", "unit_id"], columns="dimension_id", values="score")
            _ = wide.dropna().var(), answers.groupby(["unit_id", "dimension_id", "option"]).size()
        return
    codes = [UNIT] if view == "explore_unit" else COMPARED
    ids = units[units["code"].isin(codes)]["id"].tolist()
    # The poll across years for these units, and the campaign's votes for the comparison.
    votes = _raw(engine, f"SELECT campaign_id, unit_id, option, day, status FROM pollvote "
                         f"WHERE unit_id IN ({','.join(map(str, ids))})")
    votes["month"] = pd.to_datetime(votes["day"]).dt.to_period("M")
    _ = votes.groupby(["campaign_id", "unit_id", "month", "option", "status"]).size()
    if view == "explore_compare":
        campaign_votes = _raw(engine, "SELECT unit_id, option, status FROM pollvote WHERE campaign_id = :c",
                              c=campaign_id)
        _ = campaign_votes.groupby(["unit_id", "option", "status"]).size()
    answers = _pandas_answers(engine, campaign_id)
    answers["score"] = answers["option"].map(scores)
    _ = (answers.groupby(["unit_id", "dimension_id"])["score"].mean(),
         answers[answers["unit_id"].isin(ids)].groupby(["group_id", "dimension_id"])["score"].agg(["mean", "count"]))
    with session_scope(engine) as s:  # results and events: small tables, the same SQL
        explore.score_history(s, actor=READER, unit_codes=codes)
        explore.timeline(s, actor=READER, unit_codes=codes)


# ---------------------------------------------------------------------------------------


def _ensure_results(engine) -> None:
    """The demo scores its years; should it not (an older demo), the dashboards still need a result row."""
    with session_scope(engine) as s:
        if s.exec(select(Result.id)).first() is None:
            raise RuntimeError("the demo produced no results; the dashboards would measure an empty ranking")


def run(emit) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'dashboard.db'}"
        engine = make_engine(url)
        upgrade(engine)
        init_database(engine, actor=cli_actor())
        started = time.perf_counter()
        load_demo(engine, actor=cli_actor(), years=YEARS, votes_per_year=VOTES_PER_YEAR)
        emit("dashboard_bench_load_s", time.perf_counter() - started, "s", None, "lower")
        _ensure_results(engine)
        with session_scope(engine) as s:
            campaign = s.exec(select(Campaign).where(Campaign.year == YEARS[-1])).one()
        today = date(YEARS[-1], 6, 15)  # mid-campaign: votes today, open cases, reports due
        engine.dispose()

        worst_warm = worst_cold = 0.0
        worst_speedup = float("inf")
        for view, load in _views(campaign.id, today).items():
            cold = []
            for _ in range(3):
                fresh = make_engine(url)
                cold.append(_timed(fresh, load))
                fresh.dispose()
            warm_engine = make_engine(url)
            _timed(warm_engine, load)
            warm = statistics.median(_timed(warm_engine, load) for _ in range(5))
            started = time.perf_counter()
            _pandas_view(warm_engine, view, campaign.id, today)
            naive = (time.perf_counter() - started) * 1000
            warm_engine.dispose()
            cold_ms = statistics.median(cold)
            emit(f"dashboard_{view}_warm_ms", warm, "ms", 300, "lower")
            emit(f"dashboard_{view}_cold_ms", cold_ms, "ms", 1500, "lower")
            emit(f"dashboard_{view}_pandas_ms", naive, "ms", None, "lower")
            worst_warm, worst_cold = max(worst_warm, warm), max(worst_cold, cold_ms)
            worst_speedup = min(worst_speedup, naive / warm)
        emit("dashboard_load_warm_ms", worst_warm, "ms", 300, "lower")
        emit("dashboard_load_cold_ms", worst_cold, "ms", 1500, "lower")
        emit("dashboard_vs_pandas_speedup", worst_speedup, "x", 10, "higher")
