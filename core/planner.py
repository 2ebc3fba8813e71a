"""The precision planner: before the draw, what a panel of 100 to 400 reviewers buys in certainty.

Pure. For each panel size (`SIZES`) and allocation (proportional, and Neyman from last year's
group spreads), with the draw's own numbers per group (core.sampling.allocate, as the draw will
make them):

- the expected 90 % half-width of a unit's panel score: 1.645 √V_u with the stratified design
  variance V_u = Σ_h W_h² (1 - n_hu/N_h) S_hu² / n_hu (Cochran 1977, Sampling Techniques, ch. 5),
  where S_hu is the spread of group h's reviewers' panel scores for unit u last year (a reviewer's
  panel score for a unit is the dimension-weighted mean of their answers, so the correlation
  between one reviewer's five answers is in it), n_hu = n_h x the share of group h that gave unit
  u a valid answer last year, and W_h = N_h/N (or the policy shares);
- of its total: 1.645 √(b_u² V_u + P_u), b_u the total's slope in the panel score (its renormalised
  panel weight) and P_u the poll's part of the total's variance, both as last year;
- the expected number of borderline units per category, by simulation: last year's totals are
  taken as this year's truth, each simulated result is truth + a normal error of the total's
  standard error, its interval ± the expected half-width, and a unit is borderline as
  core.scoring says (its interval reaches both sides of a grade threshold, or the quota binds and
  its rank interval, from simulated replicates, straddles the quota's last place).

Without a previous year it assumes the same spread for every group (`ASSUMED_SPREAD`, the /draw
page's default for a Neyman draw), every reviewer answering every unit and nothing else uncertain
in a total, and it expects no borderline count: it says so in its notes instead.

The recommendation: for each size the allocation with fewer expected borderline units (else the
narrower total); recommended is the smallest size whose expected borderline count is within one
unit of the largest panel's, that is, beyond which more reviewers spare less than one borderline
unit. Without last year's scores it is the planned panel size.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from core import sampling
from core.estimators import weighted
from core.grading import quota_limit

SIZES = (100, 150, 200, 250, 300, 400)
ALLOCATIONS = sampling.METHODS  # proportional, neyman
LEVEL = 0.90
Z = float(ndtri(0.5 + LEVEL / 2))  # 1.645
ASSUMED_SPREAD = 20.0  # points; the /draw page's default standard deviation per group for Neyman
SIMULATIONS = 300  # simulated results per design
REPLICATES = 100  # simulated bootstrap replicates per result, for the rank intervals
WITHIN_ONE = 1.0  # borderline units a larger panel must spare to be worth recommending


@dataclass(frozen=True)
class History:
    """What last year's panel and results say, per reviewer group (rows) and unit (columns)."""

    spread: np.ndarray  # (H, U) standard deviation of a group's reviewers' panel scores for the unit
    answered: np.ndarray  # (H, U) share of the group's reviewers who gave the unit a valid answer
    total: np.ndarray  # (U,) last year's totals; NaN for a unit without one
    panel_slope: np.ndarray  # (U,) points of total per point of panel score
    other_variance: np.ndarray  # (U,) variance of the total that does not come from the panel (the poll)


@dataclass(frozen=True)
class Design:
    size: int
    allocation: str
    counts: dict[str, int]  # reviewers per group, as the draw would allocate them
    panel_half_width: float  # mean over units, points
    total_half_width: float
    borderline: dict[str, float] | None  # expected borderline units per category; None without scores

    @property
    def borderline_total(self) -> float | None:
        return None if self.borderline is None else float(sum(self.borderline.values()))


@dataclass(frozen=True)
class Plan:
    designs: tuple[Design, ...]
    recommended: Design
    larger: Design | None  # the next larger size, with its better allocation
    spreads: dict[str, float]  # S_h per group used for the Neyman allocation
    population: dict[str, int]  # N_h the allocations are made from
    notes: tuple[dict, ...] = field(default_factory=tuple)  # what was assumed: {"code": ..., params}
    simulations: int = SIMULATIONS


def reviewer_scores(values: np.ndarray, n_units: int, dim_weights: np.ndarray) -> np.ndarray:
    """(R x U) each reviewer's panel score per unit: their valid answers weighted by dimension; NaN for none."""
    values = np.asarray(values, dtype=float)
    return weighted(values.reshape(len(values), n_units, -1), dim_weights)


def history(
    scores: np.ndarray,
    respondent_groups: np.ndarray,
    *,
    groups: Sequence[str],
    previous_groups: Sequence[str],
    total: np.ndarray,
    panel_slope: np.ndarray,
    other_variance: np.ndarray,
) -> tuple[History, list[dict]]:
    """Spreads and answer rates per group and unit from last year's reviewer scores (R x U).

    `groups` are this year's group codes, `previous_groups` last year's (respondent_groups index
    them); the units are already this year's, in order. A group with fewer than two answers for a
    unit takes the unit's spread over the other groups (its answer rate likewise), a unit nobody
    answered the spread over all units; the notes say which.
    """
    scores = np.asarray(scores, dtype=float)
    respondent_groups = np.asarray(respondent_groups, dtype=int)
    n_units = scores.shape[1]
    spread = np.full((len(groups), n_units), np.nan)
    answered = np.full((len(groups), n_units), np.nan)
    for h, code in enumerate(groups):
        if code not in previous_groups:
            continue
        rows = scores[respondent_groups == list(previous_groups).index(code)]
        if not len(rows):
            continue
        valid = np.isfinite(rows)
        answered[h] = valid.mean(axis=0)
        count = valid.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, np.nansum(rows, axis=0) / np.maximum(count, 1), np.nan)
            variance = np.nansum((rows - mean) ** 2, axis=0) / (count - 1)
        spread[h] = np.where(count >= 2, np.sqrt(variance), np.nan)
    notes = []
    thin = [groups[h] for h in range(len(groups)) if np.isnan(spread[h]).any()]
    if thin:
        notes.append({"code": "spread_filled", "groups": ", ".join(thin)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a unit no group answered: filled below
        unit_variance = np.nanmean(spread**2, axis=0)
        unit_rate = np.nanmean(answered, axis=0)
    overall = float(np.nanmean(unit_variance)) if np.isfinite(unit_variance).any() else ASSUMED_SPREAD**2
    unit_variance = np.where(np.isfinite(unit_variance), unit_variance, overall)
    spread = np.where(np.isfinite(spread), spread, np.sqrt(unit_variance)[None, :])
    unit_rate = np.where(np.isfinite(unit_rate), unit_rate, 1.0)
    answered = np.where(np.isfinite(answered), answered, unit_rate[None, :])
    total = np.asarray(total, dtype=float)
    if np.isnan(total).any():
        notes.append({"code": "new_units", "count": int(np.isnan(total).sum())})
    # A unit without a panel score last year (or new) is given the usual slope: it will have one.
    slope = np.asarray(panel_slope, dtype=float)
    usual = float(np.median(slope[slope > 0])) if (slope > 0).any() else 0.0
    slope = np.where(np.isfinite(slope) & (slope > 0), slope, usual)
    return History(spread, answered, total, slope, np.nan_to_num(np.asarray(other_variance, dtype=float))), notes


def assumed_history(n_groups: int, n_units: int, panel_share: float) -> History:
    """No previous year: the same spread for every group, everyone answers, nothing else uncertain."""
    return History(np.full((n_groups, n_units), ASSUMED_SPREAD), np.ones((n_groups, n_units)),
                   np.full(n_units, np.nan), np.full(n_units, panel_share), np.zeros(n_units))


def group_spreads(past: History) -> np.ndarray:
    """S_h for a Neyman allocation: each group's spread pooled over the units (root mean square)."""
    return np.sqrt(np.mean(past.spread**2, axis=1))


def panel_variance(counts: np.ndarray, population: np.ndarray, past: History,
                   shares: np.ndarray | None = None) -> np.ndarray:
    """(U,) expected variance of every unit's panel score with `counts` reviewers per group."""
    counts = np.asarray(counts, dtype=float)
    population = np.asarray(population, dtype=float)
    answering = counts[:, None] * past.answered  # expected valid answers per group and unit
    used = answering >= 1
    weight = (population if shares is None else np.asarray(shares, dtype=float))[:, None] * used
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = weight / weight.sum(axis=0, keepdims=True)
        fpc = 1.0 - np.clip(answering / population[:, None], 0.0, 1.0)
        terms = np.where(used, weight**2 * fpc * past.spread**2 / np.where(used, answering, 1.0), 0.0)
    return terms.sum(axis=0)


def expected_borderline(
    total: np.ndarray,
    sd: np.ndarray,
    category: np.ndarray,
    rules: Mapping,
    *,
    simulations: int = SIMULATIONS,
    replicates: int = REPLICATES,
    seed: int = 0,
) -> np.ndarray:
    """(categories,) expected borderline units per category index (0..C-1), by simulation.

    Units with a NaN total are left out. The same seed gives every design the same random errors,
    so designs differ by their precision, not by luck.
    """
    total, sd, category = np.asarray(total, float), np.asarray(sd, float), np.asarray(category, int)
    rng = np.random.default_rng(seed)
    known = np.isfinite(total)
    estimate = total + sd * rng.standard_normal((simulations, len(total)))
    half = Z * sd
    flagged = np.zeros(estimate.shape, dtype=bool)
    for name in ("excellent_min", "qualified_min"):
        line = float(rules[name])
        flagged |= (estimate - half < line) & (line <= estimate + half)
    excellent_min = float(rules["excellent_min"])
    counts = np.zeros(int(category.max()) + 1 if len(category) else 0)
    for c in range(len(counts)):
        in_category = category == c
        members = np.flatnonzero(in_category & known)
        limit = quota_limit(int(in_category.sum()), float(rules.get("excellent_quota_pct", 0) or 0))
        if limit and limit < len(members):  # with fewer known units than places the quota cannot bind
            excellent = estimate[:, members] >= excellent_min
            applied = np.flatnonzero(excellent.sum(axis=1) > limit)  # the simulations where the quota binds
            replicated = estimate[applied][:, None, members] + sd[members] * rng.standard_normal(
                (len(applied), replicates, len(members)))
            # Its minimum rank ("1, 2, 2, 4", core.grading) is within the quota when it scores at least the
            # limit-th best of its replicate. Its rank interval (5 % and 95 % ranks, as
            # core.uncertainty.rank_interval takes them) straddles the quota's last place when the sorted
            # ranks are within the quota at the 5 % position and beyond it at the 95 % position.
            kth = np.partition(replicated, len(members) - limit, axis=-1)[..., len(members) - limit]
            within = (replicated >= kth[..., None]).sum(axis=1)  # (simulations, members) replicates
            low, high = math.floor(0.05 * (replicates - 1)), math.ceil(0.95 * (replicates - 1))
            straddles = (within >= low + 1) & (within <= high)
            flagged[np.ix_(applied, members)] |= excellent[applied] & straddles
        counts[c] = flagged[:, members].sum(axis=1).mean() if len(members) else 0.0
    return counts


def plan(
    *,
    population: Mapping[str, int],
    categories: Sequence[str],
    past: History,
    rules: Mapping,
    shares: np.ndarray | None = None,
    planned: int = 200,
    minimum: int = 2,
    sizes: Sequence[int] = SIZES,
    simulations: int = SIMULATIONS,
    replicates: int = REPLICATES,
    seed: int = 0,
    notes: Sequence[dict] = (),
    scores_known: bool = True,
) -> Plan:
    """Every design's expected precision and borderline count, and the recommendation.

    `population` holds N_h by group code (the order of `past`'s rows), `categories` each unit's
    category code (the order of `past`'s columns), `rules` the grade rules. Sizes larger than the
    pool, or too small for `minimum` per group, are left out (and noted).
    """
    groups = list(population)
    sizes_h = np.array([float(population[g]) for g in groups])
    spreads = group_spreads(past)
    names = list(dict.fromkeys(categories))
    category = np.array([names.index(c) for c in categories], dtype=int)
    sd_other = past.other_variance
    notes = list(notes)
    designs = []
    for size in sizes:
        for method in ALLOCATIONS:
            try:
                counts = sampling.allocate(dict(population), int(size), method=method, minimum=minimum,
                                           sd={g: float(s) for g, s in zip(groups, spreads)})
            except ValueError:
                if method == ALLOCATIONS[0]:
                    notes.append({"code": "size_impossible", "size": int(size), "pool": int(sizes_h.sum())})
                continue
            variance = panel_variance(np.array([counts[g] for g in groups]), sizes_h, past, shares)
            total_sd = np.sqrt(past.panel_slope**2 * variance + sd_other)
            borderline = None
            if scores_known:
                expected = expected_borderline(past.total, total_sd, category, rules, simulations=simulations,
                                               replicates=replicates, seed=seed)
                borderline = {name: float(expected[c]) for c, name in enumerate(names)}
            rated = variance > 0  # units expected to get a panel score (the mean is over these)
            designs.append(Design(int(size), method, {g: int(counts[g]) for g in groups},
                                  _mean(Z * np.sqrt(variance), rated), _mean(Z * total_sd, rated), borderline))
    if not designs:
        raise ValueError("no panel size fits the pool: it has fewer people than the smallest panel")
    best = _best_per_size(designs)
    recommended = _recommend(best, planned, scores_known)
    larger = next((d for d in best if d.size > recommended.size), None)
    return Plan(tuple(designs), recommended, larger, {g: float(s) for g, s in zip(groups, spreads)},
                {g: int(population[g]) for g in groups}, tuple(notes), simulations)


def _mean(values: np.ndarray, where: np.ndarray) -> float:
    return float(values[where].mean()) if where.any() else 0.0


def _best_per_size(designs: list[Design]) -> list[Design]:
    """For each size the allocation with fewer expected borderline units, else the narrower total
    (a tie keeps the proportional one, the simpler to explain)."""
    best: dict[int, Design] = {}
    for design in designs:
        current = best.get(design.size)
        if current is None or _merit(design) < _merit(current):
            best[design.size] = design
    return [best[size] for size in sorted(best)]


def _merit(design: Design) -> tuple[float, float]:
    return (design.borderline_total or 0.0, round(design.total_half_width, 6))


def _recommend(best: list[Design], planned: int, scores_known: bool) -> Design:
    if not scores_known:
        return min(best, key=lambda d: (abs(d.size - planned), d.size))
    floor = min(d.borderline_total for d in best)
    return next(d for d in best if d.borderline_total <= floor + WITHIN_ONE + 1e-9)


def panel_share(method_weights: Mapping[str, float]) -> float:
    """The panel's share of a total when every component is present."""
    total = sum(float(w) for w in method_weights.values())
    return float(method_weights.get("panel", 0)) / total if total else 0.0
