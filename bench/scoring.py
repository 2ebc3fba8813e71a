"""Scoring one campaign end to end, and the panel's design-based estimates against R's svyby.

Setup (not timed): a temporary SQLite database with the 2017 scheme and one demo year of
100,000 poll votes, media cases, inspections and daily scores; its questionnaires are then
replaced by exactly 200 complete ones (200 reviewers x 37 units x 5 dimensions = 37,000 answers,
about 5 % 不了解).

- `scoring_end_to_end_s`: db.scoring.score_campaign from the database to a stored Result:
  aggregate queries, 1,000 bootstrap replicates, 1,000 weight draws, grades, explanations,
  37 ResultUnit rows and the audit event (target 3 s).
- `svyby_speedup_vs_r`: all 185 unit x dimension estimates with standard errors. R's time is
  measured inside R with system.time() around svydesign(ids=~1, strata=~cell:group, fpc=~N) and
  svyby(~y, ~cell, design, svymean), so R's start-up and library loading are excluded; ours is
  core.estimators.cell_estimates from the answer codes (best of several runs each). The value is
  R's time over ours (target >= 1). `svyby_max_relative_difference` checks that both computed the
  same numbers. Skipped (a line on stderr) when Rscript or the survey package is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import delete, insert, select

from core.estimators import cell_estimates
from core.scoring import panel_values
from db import tallies
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import get_campaign
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.models import Answer, AnswerComment, Dimension, Response, ReviewerGroup, Unit
from db.scoring import load_inputs, score_campaign

REVIEWERS = 200
R_REPEATS = 3
OUR_REPEATS = 20


def _replace_questionnaires(session, campaign_id: int, rng: np.random.Generator) -> None:
    """Exactly 200 complete submitted questionnaires, groups in proportion to the pool."""
    responses = select(Response.id).where(Response.campaign_id == campaign_id)
    session.execute(delete(Answer).where(Answer.response_id.in_(responses)))
    session.execute(delete(AnswerComment).where(AnswerComment.response_id.in_(responses)))
    session.execute(delete(Response).where(Response.campaign_id == campaign_id))
    groups = session.execute(select(ReviewerGroup.id).where(ReviewerGroup.campaign_id == campaign_id)
                             .order_by(ReviewerGroup.position)).scalars().all()
    units = session.execute(select(Unit.id).where(Unit.campaign_id == campaign_id)).scalars().all()
    dims = session.execute(select(Dimension.id).where(Dimension.campaign_id == campaign_id)).scalars().all()
    shares = np.array([0.35, 0.075, 0.075, 0.15, 0.2, 0.15])[: len(groups)]
    drawn = rng.choice(len(groups), size=REVIEWERS, p=shares / shares.sum())
    ids = session.execute(insert(Response.__table__).returning(Response.__table__.c.id, sort_by_parameter_order=True),
                          [dict(campaign_id=campaign_id, group_id=groups[g], status="submitted", rehearsal=False,
                                flags={}, is_demo=True, position="") for g in drawn]).scalars().all()
    quality = rng.normal(0, 1, len(units))
    options = ("satisfied", "basically_satisfied", "dissatisfied", "unknown")
    rows = []
    for response_id in ids:
        latent = quality[:, None] + rng.normal(0, 1, (len(units), len(dims)))
        code = np.where(latent > 0.2, 0, np.where(latent > -0.9, 1, 2))
        code[rng.random(code.shape) < 0.05] = 3
        rows += [dict(response_id=response_id, unit_id=units[u], dimension_id=dims[d], option=options[code[u, d]])
                 for u in range(len(units)) for d in range(len(dims))]
    session.execute(insert(Answer.__table__), rows)
    tallies.rebuild(session, campaign_id)  # raw rows replaced in bulk: keep the dashboard tallies exact


def _r_svyby(folder: Path, values: np.ndarray, groups: np.ndarray, population: np.ndarray) -> tuple | None:
    if shutil.which("Rscript") is None:
        print("# svyby_speedup_vs_r skipped: Rscript is not installed", file=sys.stderr)
        return None
    data = folder / "panel.csv"
    rows, cells = np.nonzero(~np.isnan(values))
    with open(data, "w") as handle:
        handle.write("cell,h,N,y\n")
        for r, c in zip(rows, cells):
            handle.write(f"{c},{groups[r]},{population[groups[r]]:g},{values[r, c]:g}\n")
    script = f"""
suppressMessages(library(survey)); options(survey.lonely.psu = "adjust")
d <- read.csv("{data}")
best <- Inf
for (k in 1:{R_REPEATS}) {{
  t <- system.time({{
    design <- svydesign(ids = ~1, strata = ~interaction(cell, h), fpc = ~N, data = d)
    r <- svyby(~y, ~cell, design, svymean)
  }})[["elapsed"]]
  best <- min(best, t)
}}
cat(best, "\\n")
writeLines(c("cell,mean,se", sprintf("%s,%.17g,%.17g", r$cell, r$y, SE(r))), "{folder / 'r.csv'}")
"""
    result = subprocess.run(["Rscript", "-e", script], check=False, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        print(f"# svyby_speedup_vs_r skipped: R failed: {result.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    seconds = float(result.stdout.split()[0])
    table = np.genfromtxt(folder / "r.csv", delimiter=",", skip_header=1)
    order = np.argsort(table[:, 0])
    return seconds, table[order, 1], table[order, 2]


def run(emit) -> None:
    rng = np.random.default_rng(2017)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        init_database(engine, actor=cli_actor())
        load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=100_000)
        with session_scope(engine) as s:
            campaign = get_campaign(s, 2017)
            _replace_questionnaires(s, campaign.id, rng)
        with session_scope(engine) as s:
            settings = campaign.settings["uncertainty"]
            assert settings["bootstrap_replicates"] == 1000 and settings["weight_draws"] == 1000
            started = time.perf_counter()
            result = score_campaign(s, campaign.id, cli_actor())
            elapsed = time.perf_counter() - started
            assert result.config["bootstrap_replicates"] == 1000 and result.config["weight_draws"] == 1000
        emit("scoring_end_to_end_s", elapsed, "s", 3, "lower")

        with session_scope(engine) as s:
            inputs = load_inputs(s, campaign.id)
        engine.dispose()
        assert inputs.answers.shape == (REVIEWERS, 37, 5)
        population = np.array([inputs.population[g] for g in inputs.groups], dtype=float)
        ours = []
        for _ in range(OUR_REPEATS):
            started = time.perf_counter()
            values = panel_values(inputs.answers, campaign.settings)
            estimates = cell_estimates(values, inputs.respondent_groups, population)
            ours.append(time.perf_counter() - started)
        reference = _r_svyby(folder, values, inputs.respondent_groups, population)
        if reference is None:
            return
        r_seconds, r_mean, r_se = reference
        emit("svyby_speedup_vs_r", r_seconds / min(ours), "x", 1, "higher")
        difference = max(np.max(np.abs(estimates.mean - r_mean) / np.abs(r_mean)),
                         np.max(np.abs(estimates.se - r_se) / np.abs(r_se)))
        emit("svyby_max_relative_difference", float(difference), "ratio", 1e-9, "lower")
