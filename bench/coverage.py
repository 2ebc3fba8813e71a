"""Do the panel's 90 % intervals cover the truth 90 % of the time? A simulation on known populations.

A synthetic finite population of reviewers (2,000 people in the plan's six groups, each with an
answer for all 37 units x 5 dimensions) is made once, so its true scores are known: they are the
population's own score, `core.scoring.score` on every one of its members (the design weights are
then N_h/N_h and the estimate is the population value). Then panels are drawn as the office does,
stratified and without replacement with proportional allocation (core.sampling.allocate), and each
panel is scored by `core.scoring.score` itself with 1,000 bootstrap replicates: the figure is the
share of 90 % intervals (every unit x dimension cell, every unit's panel score, every unit's total)
that hold the true value.

The population (from the demo's model, core.demo_model): units differ in quality, reviewer groups
lean (cadres kinder than service recipients), dimensions differ a little; each reviewer has a
strictness of their own (all their answers move together) and a view of each unit (its five
dimensions move together), answers fall on 满意/基本满意/不满意 by an ordered logit, and some are
不了解 (mostly a whole unit a reviewer does not know). The other components of a total (inspection,
daily work) are fixed and known, the poll is left out: only the panel is sampled here, so a total's
interval covers when its panel part does.

- `run` (in `make bench`): the plan's design, 2,000 in six groups, 100 panels of 200:
  `panel_cell_coverage_90`, `panel_score_coverage_90`, `panel_total_coverage_90` (target 90,
  88-92 accepted; the unit names the number of simulated panels).
- `run_full` (`python -m bench coverage`): 400 panels for each design below, with the project's
  interval method and with the one it replaced (n_h of n_h resampled with replacement,
  percentiles), a table on stderr and one line per figure. Takes about 16 minutes here.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from core import demo_model
from core.sampling import allocate
from core.scoring import FindingFacts, ScoringInputs, UnitRef, score
from core.uncertainty import RESCALED_T, WITH_REPLACEMENT

GROUPS = ("service_recipient", "npc_deputy", "cppcc_member", "industry_rep", "cadre", "community_cadre")
DIMENSIONS = tuple(demo_model.DIMENSION_LEAN)
CATEGORIES = (("economic_social", 18), ("urban_enforcement", 11), ("public_service", 8))
HALO_SD = 0.5  # a reviewer's view of one unit, shared by its five dimensions
UNKNOWN_CELL = 0.02  # 不了解 for a single dimension, besides whole units a reviewer does not know
REPLICATES = 1000
SCHEME = Path(__file__).resolve().parents[1] / "db" / "schemes" / "2017.toml"


@dataclass(frozen=True)
class Design:
    name: str
    sizes: tuple[int, ...]  # N_h, in GROUPS order
    n: int  # panel size, allocated proportionally

    def describe(self) -> str:
        allocation = allocate(dict(enumerate(self.sizes)), self.n)
        return (f"{self.n} of {sum(self.sizes):,} ({100 * self.n / sum(self.sizes):.0f} %), "
                f"groups of {min(allocation.values())} to {max(allocation.values())}")


PLAN = Design("plan", demo_model.GROUP_SHARES, 200)
DESIGNS = (
    PLAN,
    Design("fraction_5", demo_model.GROUP_SHARES, 100),
    Design("fraction_25", demo_model.GROUP_SHARES, 500),
    Design("groups_of_5", (1000, 400, 300, 150, 100, 50), 200),
    Design("fraction_5_groups_of_5", (600, 400, 400, 300, 200, 100), 100),
)


@dataclass
class Population:
    inputs: ScoringInputs  # every member of the population as a respondent
    settings: dict
    truth: dict[str, np.ndarray]  # "cell" (U*D), "panel" (U), "total" (U)


def settings() -> dict:
    """The 2017 scheme's settings; no poll prior, so a unit without votes has no online score."""
    with open(SCHEME, "rb") as handle:
        scheme = tomllib.load(handle)["settings"]
    return {**scheme, "poll": {**scheme["poll"], "prior_strength": 0}}


def population(seed: int, sizes: tuple[int, ...], *, categories=CATEGORIES) -> Population:
    """A finite population of reviewers with known answers, and its true scores."""
    rng = np.random.default_rng(seed)
    units = tuple(UnitRef(f"{c[:2]}{k + 1:02d}", f"unit {c[:2]}{k + 1:02d}", c) for c, n in categories
                  for k in range(n))
    n_units, people = len(units), sum(sizes)
    groups = np.repeat(np.arange(len(sizes)), sizes)
    quality = rng.normal(0.0, demo_model.QUALITY_SD, n_units)
    lean = np.array([demo_model.GROUP_LEAN[g] for g in GROUPS[:len(sizes)]])[groups]
    strictness = rng.normal(0.0, 0.35, people)
    halo = rng.normal(0.0, HALO_SD, (people, n_units))
    latent = (demo_model.PANEL_BASE + quality[None, :, None] + (lean + strictness)[:, None, None]
              + halo[:, :, None] + np.array(list(demo_model.DIMENSION_LEAN.values()))[None, None, :])
    answers = demo_model.ordinal(rng, latent, demo_model.PANEL_CUTS).astype(np.int8)
    familiarity = rng.beta(1.2, 30.0, people)
    obscurity = rng.lognormal(0.0, 0.5, n_units)
    answers[rng.random((people, n_units)) < np.clip(familiarity[:, None] * obscurity[None, :], 0, 0.9)] = 3
    answers[rng.random(answers.shape) < UNKNOWN_CELL] = 3
    inputs = ScoringInputs(
        units=units, dimensions=DIMENSIONS, groups=GROUPS[:len(sizes)],
        population={g: int(n) for g, n in zip(GROUPS, sizes)}, respondent_groups=groups, answers=answers,
        votes=np.zeros((n_units, 3), dtype=np.int64), votes_set_aside=np.zeros(n_units, dtype=np.int64),
        media=tuple(() for _ in units), visits=np.ones(n_units, dtype=np.int64),
        findings=tuple(tuple(FindingFacts(k * 10 + j, "general", DIMENSIONS[j], "finding") for j in range(k % 3))
                       for k in range(n_units)),
        daily=np.clip(np.round(rng.normal(85, 5, n_units), 1), 0, 100), vetoes=tuple(() for _ in units),
        rejections=tuple(() for _ in units), as_of=date(2017, 12, 31))
    rules = settings()
    whole = score(inputs, rules, replicates=0, draws=0)
    truth = {"cell": np.array([[_value(c["estimate"]) for c in u.explanation["panel"]["dimensions"].values()]
                               for u in whole.units]).ravel(),
             "panel": np.array([_value(u.components["panel"]) for u in whole.units]),
             "total": np.array([u.total for u in whole.units])}
    return Population(inputs, rules, truth)


def _value(value) -> float:
    return np.nan if value is None else float(value)


def draw_panel(people: Population, n: int, rng: np.random.Generator) -> ScoringInputs:
    """A stratified simple random sample without replacement, allocated proportionally."""
    groups = people.inputs.respondent_groups
    sizes = np.bincount(groups, minlength=len(people.inputs.groups))
    allocation = allocate(dict(enumerate(int(s) for s in sizes)), n)
    rows = np.sort(np.concatenate([rng.choice(np.flatnonzero(groups == h), allocation[h], replace=False)
                                   for h in range(len(sizes))]))
    return replace(people.inputs, respondent_groups=groups[rows], answers=people.inputs.answers[rows])


def intervals(result) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The 90 % intervals of one scored panel: cells, panel scores, totals."""
    cells = [d["interval"] for u in result.units for d in u.explanation["panel"]["dimensions"].values()]
    panel = [u.explanation["panel"]["interval"] for u in result.units]
    out = {}
    for level, pairs in (("cell", cells), ("panel", panel)):
        out[level] = (np.array([_value(p[0]) for p in pairs]), np.array([_value(p[1]) for p in pairs]))
    out["total"] = (np.array([u.score_low for u in result.units]), np.array([u.score_high for u in result.units]))
    return out


@dataclass
class Coverage:
    design: Design
    method: str
    panels: int
    covered: dict[str, float]  # level -> percent of intervals holding the truth
    half_width: dict[str, float]  # level -> mean half-width, points
    seconds: float


def study(people: Population, design: Design, *, panels: int, replicates: int = REPLICATES,
          method: str = RESCALED_T, seed: int = 2017) -> Coverage:
    """Draw `panels` panels of `design.n`, score each, and count the intervals that hold the truth."""
    rng = np.random.default_rng(seed)
    settings_ = {**people.settings, "uncertainty": {**people.settings["uncertainty"], "seed": seed}}
    hits = {level: 0 for level in people.truth}
    counted = {level: 0 for level in people.truth}
    widths = {level: 0.0 for level in people.truth}
    started = time.perf_counter()
    for k in range(panels):
        panel = draw_panel(people, design.n, rng)
        settings_["uncertainty"]["seed"] = seed + k
        result = score(panel, settings_, replicates=replicates, draws=0, interval_method=method)
        for level, (low, high) in intervals(result).items():
            truth = people.truth[level]
            known = np.isfinite(truth) & np.isfinite(low)
            hits[level] += int(((low <= truth) & (truth <= high))[known].sum())
            counted[level] += int(known.sum())
            widths[level] += float(((high - low) / 2)[known].sum())
    return Coverage(design, method, panels, {lv: 100 * hits[lv] / counted[lv] for lv in hits},
                    {lv: widths[lv] / counted[lv] for lv in hits}, time.perf_counter() - started)


def _unit(result: Coverage) -> str:
    return (f"% of 90 % intervals holding the truth ({result.panels} simulated panels of {result.design.n} "
            f"from {sum(result.design.sizes):,}; 88-92 accepted)")


def measure(design: Design, panels: int, method: str = RESCALED_T) -> Coverage:
    """The study of one design on its population (seed 1), as `run` and `run_full` report it."""
    return study(population(1, design.sizes), design, panels=panels, method=method)


def one_blas_thread(function, *args):
    """Run function(*args) in a fresh process whose BLAS uses one thread.

    Each panel's bootstrap is a few small matrix products; on this shared 2-CPU machine OpenBLAS's
    threads spend more time waiting for each other than computing (0.4 s a panel against 0.1 s).
    The variable must be set before numpy loads, hence the new process.
    """
    previous = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(function, *args).result()
    finally:
        if previous is None:
            os.environ.pop("OPENBLAS_NUM_THREADS")
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = previous


def run(emit, *, panels: int = 100) -> None:
    result = one_blas_thread(measure, PLAN, panels)
    for level, name in (("cell", "panel_cell_coverage_90"), ("panel", "panel_score_coverage_90"),
                        ("total", "panel_total_coverage_90")):
        emit(name, result.covered[level], _unit(result), 90, "closer")


def run_full(emit, *, panels: int = 400) -> None:
    print(f"{'design':<24}{'method':<30}{'cells':>8}{'panel':>8}{'total':>8}{'±total':>8}   panels, seconds",
          file=sys.stderr)
    for design in DESIGNS:
        for method in (RESCALED_T, WITH_REPLACEMENT):
            result = one_blas_thread(measure, design, panels, method)
            print(f"{design.name:<24}{method:<30}{result.covered['cell']:8.1f}{result.covered['panel']:8.1f}"
                  f"{result.covered['total']:8.1f}{result.half_width['total']:8.2f}   {panels}, "
                  f"{result.seconds:.0f}  ({design.describe()})", file=sys.stderr, flush=True)
            for level in ("cell", "panel", "total"):
                emit(f"coverage_{design.name}_{level}_{method}", result.covered[level],
                     _unit(result) + f"; {design.describe()}", 90, "closer")
