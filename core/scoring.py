"""Scores, grades and their uncertainty: from a campaign's raw inputs to one explained result per unit.

Pure: `score(inputs, settings)` takes plain values (`ScoringInputs`, the campaign settings dict)
and returns a `Scoring`; the store (db.scoring) gathers the inputs with SQL and keeps the result.
README.md, section "Scoring", states every rule in words; the rules are:

Components, each 0-100 per unit:
- panel: option scores (default 满意 100, 基本满意 70, 不满意 0; 不了解 left out), per unit and
  dimension a stratified estimate over the reviewer groups (weights N_h/n_h over the reviewers of
  group h who gave a valid answer, standard error with the finite population correction), or,
  with `panel.weighting = "policy"`, the group means combined with fixed policy shares; then the
  dimensions combined with the dimension weights.
- online: the poll index (counted votes only: accepted or admitted) shrunk toward the vote-weighted
  category mean with `poll.prior_strength` pseudo-votes, combined with the media-case handling score
  (answered on time, resolved, public satisfaction) and the complaint handling score (the poll's
  complaints acknowledged on time, closed on time, citizens' follow-up satisfaction: core.complaints,
  weighted by `complaint_weights`) by the online weights (poll / media / complaints).
- inspection: 100 minus the severity deductions of the unit's findings, floored at 0.
- daily: entered by the office.

A missing component (no valid panel answer, no votes and no category mean, no media case, no
inspection visit, no daily score) is never read as 0: the weights of the components present are
scaled up to 100 % (`estimators.weighted`), and the unit's explanation says which was missing.
The same rule applies inside the panel (a dimension nobody answered), the online score (poll, media
or complaints part), the media score (a sub-score without cases) and the complaint score (a unit
without complaints has none: its online score is poll and media alone, never a zero). A unit with no component at all
cannot be scored: the run is refused, naming it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from core import complaints as complaint_rules
from core import settings as settings_rules
from core.errors import UserError, ValidationError
from core.estimators import cell_estimates, cell_influence, stratified_mean, weighted, wilson_interval
from core.grading import grade_category, min_rank
from core.media import answer_calendar
from core.poll import OPTIONS
from core.uncertainty import (
    INTERVAL_METHODS,
    RESCALED_T,
    WITH_REPLACEMENT,
    PanelReplicates,
    interval,
    linearised_variance,
    perturb,
    rank_interval,
    ranks_within,
    replicate_variance,
    resample_cells,
    resample_votes,
    studentised_interval,
)

__all__ = ["ENGINE_VERSION", "Scoring", "ScoringInputs", "UnitScore", "score", "stratified_mean", "wilson_interval"]

# Part of every stored config: a changed rule must change this. v2: the panel's intervals come from the
# Rao-Wu rescaled bootstrap, studentised (core.uncertainty); v1 resampled n_h of n_h with replacement.
ENGINE_VERSION = "scoring-v2"
METHODS = settings_rules.METHODS  # panel, online, inspection, daily
PANEL_OPTIONS = (*OPTIONS, "unknown")  # answer codes 0..3 in `ScoringInputs.answers`; -1: not answered
NO_ANSWER = -1
MEDIA_PARTS = ("on_time", "resolved", "satisfaction")
COMPLAINT_PARTS = complaint_rules.PARTS  # ack_on_time, closed_on_time, satisfaction
ONLINE_PARTS = ("poll", "media", "complaints")
PANEL_DEFAULTS = {"weighting": "design", "group_weights": {}, "lonely_group": "adjust"}
WEIGHTINGS = ("design", "policy")
MIN_PANEL_SHARE = 1e-12
INTERVAL_LEVEL = 0.90  # of every score interval (cell, panel score, total)
# Settings groups that decide nothing a score reads (who may download the bundle, the objection period's
# length): left out of the digest,
# so switching them does not make a computed version stale.
NOT_SCORING = ("bundle", "objections")


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    category: str


@dataclass(frozen=True)
class MediaFacts:
    ref: str
    exposed_on: date
    answered_on: date | None
    status: str  # open, answered, resolved
    satisfaction: str | None  # satisfied, basically_satisfied, dissatisfied; None: not rated


@dataclass(frozen=True)
class FindingFacts:
    id: int
    severity: str
    dimension: str
    description: str


@dataclass
class ScoringInputs:
    """Everything a result depends on, in a fixed order (units by category and position)."""

    units: tuple[UnitRef, ...]
    dimensions: tuple[str, ...]
    groups: tuple[str, ...]
    population: dict[str, int]  # N_h: people in each reviewer group's pool
    respondent_groups: np.ndarray  # (R,) index into `groups`, one per submitted questionnaire
    answers: np.ndarray  # (R, U, D) int8 codes into PANEL_OPTIONS, -1 when not answered
    votes: np.ndarray  # (U, 3) counted votes per option (OPTIONS order)
    votes_set_aside: np.ndarray  # (U,) flagged or rejected votes, not counted (shown in explanations)
    media: tuple[tuple[MediaFacts, ...], ...]  # per unit
    visits: np.ndarray  # (U,) inspection visits
    findings: tuple[tuple[FindingFacts, ...], ...]  # per unit
    daily: np.ndarray  # (U,) daily work score, NaN when not entered
    vetoes: tuple[tuple[str, ...], ...]  # per unit: titles of cases with a recorded veto
    rejections: tuple[tuple[str, ...], ...]  # per unit: notices whose rectification the public rejected
    as_of: date  # the day media deadlines are judged on
    sources: dict = field(default_factory=dict)  # where the population came from etc., for the config
    # per unit: the poll's counted complaints (core.complaints.Facts); () when none were gathered
    complaints: tuple[tuple[complaint_rules.Facts, ...], ...] = ()

    def complaints_of(self, k: int) -> tuple[complaint_rules.Facts, ...]:
        return self.complaints[k] if self.complaints else ()

    def digest(self, settings: Mapping) -> str:
        """SHA-256 of every input and the settings: equal digests, equal results."""
        hasher = hashlib.sha256()
        plain = {
            "engine": ENGINE_VERSION, "settings": {k: v for k, v in settings.items() if k not in NOT_SCORING},
            "units": [list(u.__dict__.values()) for u in self.units],
            "dimensions": self.dimensions, "groups": self.groups, "population": self.population,
            "media": [[[m.ref, m.exposed_on, m.answered_on, m.status, m.satisfaction] for m in unit]
                      for unit in self.media],
            "findings": [[[f.id, f.severity, f.dimension, f.description] for f in unit] for unit in self.findings],
            "vetoes": self.vetoes, "rejections": self.rejections, "as_of": self.as_of,
            "complaints": [[[c.received_on, c.acknowledged_on, c.closed_on, c.follow_up] for c in unit]
                           for unit in self.complaints],
        }
        hasher.update(json.dumps(plain, sort_keys=True, ensure_ascii=False, default=str).encode())
        for raw in (self.respondent_groups, self.answers, self.votes, self.votes_set_aside, self.visits, self.daily):
            array = np.ascontiguousarray(raw)
            hasher.update(f"{array.dtype.str}{array.shape}".encode())
            hasher.update(array.tobytes())
        return hasher.hexdigest()


@dataclass
class UnitScore:
    code: str
    name: str
    category: str
    total: float
    components: dict  # method -> score or None when missing
    grade: str
    rank: int
    score_low: float | None
    score_high: float | None
    rank_low: int | None
    rank_high: int | None
    borderline: bool
    explanation: dict


@dataclass
class Scoring:
    units: list[UnitScore]
    config: dict
    input_hash: str
    notes: list[dict]  # campaign-level notes: {"code": ..., params}


# ------------------------------------------------------------------------------ settings


def panel_settings(settings: Mapping) -> dict:
    """The panel rules with their defaults (older campaigns have no `panel` group)."""
    return {**PANEL_DEFAULTS, **(settings.get("panel") or {})}


def check(settings: Mapping, inputs: ScoringInputs) -> None:
    """Refuse settings that cannot give an honest score, listing every problem."""
    problems = settings_rules.validate(dict(settings), dimensions=list(inputs.dimensions), groups=list(inputs.groups))
    if problems:
        raise ValidationError("scoring.bad_settings", "the campaign settings cannot be used for scoring",
                              problems=problems)


def _vector(group: Mapping, keys) -> np.ndarray:
    return np.array([float(group[k]) for k in keys])


# ------------------------------------------------------------------------------ components


def option_values(settings: Mapping) -> np.ndarray:
    """Points per answer code (PANEL_OPTIONS order); 不了解 is NaN, i.e. not a valid answer."""
    scores = settings["option_scores"]
    return np.array([float(scores[o]) for o in OPTIONS] + [np.nan])


def panel_values(answers: np.ndarray, settings: Mapping) -> np.ndarray:
    """(R x U*D) points with NaN for 不了解 and for no answer."""
    points = option_values(settings)
    answers = np.asarray(answers)
    codes = answers.reshape(len(answers), int(np.prod(answers.shape[1:])))  # also with no questionnaire
    return np.where(codes >= 0, points[np.clip(codes, 0, len(points) - 1)], np.nan)


def group_weights(inputs: ScoringInputs, settings: Mapping) -> tuple[np.ndarray, np.ndarray | None]:
    """N_h for the standard error, and the combining shares when policy weights are chosen."""
    population = np.array([float(inputs.population.get(g, 0)) for g in inputs.groups])
    panel = panel_settings(settings)
    if panel["weighting"] != "policy":
        return population, None
    return population, np.array([float(panel["group_weights"].get(g, 0)) for g in inputs.groups])


def poll_index(votes: np.ndarray, category: np.ndarray, settings: Mapping) -> dict[str, np.ndarray]:
    """The poll index per unit (any leading replicate axes): raw, category mean and shrunk.

    Shrunk = (n·raw + k·category mean) / (n + k) with k = poll.prior_strength: a Bayesian average
    that pulls a unit with few votes toward its category. NaN where nothing is known.
    """
    votes = np.asarray(votes, dtype=float)
    points = np.array([float(settings["option_scores"][o]) for o in OPTIONS])
    prior = float(settings["poll"]["prior_strength"])
    n = votes.sum(axis=-1)
    sums = votes @ points
    category_mean = np.full(n.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in np.unique(category):
            members = category == c
            total = n[..., members].sum(axis=-1, keepdims=True)
            mean = np.where(total > 0, sums[..., members].sum(axis=-1, keepdims=True) / total, np.nan)
            category_mean[..., members] = np.broadcast_to(mean, n[..., members].shape)
        raw = np.where(n > 0, sums / n, np.nan)
        shrunk = (sums + prior * np.nan_to_num(category_mean)) / (n + prior)
    known = (n > 0) | ((prior > 0) & np.isfinite(category_mean))
    return {"raw": raw, "category_mean": category_mean, "index": np.where(known, shrunk, np.nan), "n": n}


def poll_variance(votes: np.ndarray, settings: Mapping) -> np.ndarray:
    """Variance of each unit's shrunk poll index from its own votes (any leading replicate axes).

    The votes are a multinomial draw: the raw index has variance σ²/n (σ² the spread of the option
    scores among the unit's votes), and shrinking multiplies it by (n/(n + k))²; the category mean
    is taken as fixed. 0 for a unit without votes.
    """
    votes = np.asarray(votes, dtype=float)
    points = np.array([float(settings["option_scores"][o]) for o in OPTIONS])
    prior = float(settings["poll"]["prior_strength"])
    n = votes.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = (votes @ points) / n
        spread = (votes * (points - raw[..., None]) ** 2).sum(axis=-1) / n
        return np.where(n > 0, n * spread / (n + prior) ** 2, 0.0)


def media_parts(cases: tuple[MediaFacts, ...], settings: Mapping, as_of: date) -> dict:
    """The three media sub-scores of one unit (0-100, None without cases to judge) and their counts.

    On time: answered by the deadline (poll.media_answer_working_days working days); an open case
    still within its deadline is not judged yet. Resolved: share of cases resolved. Satisfaction:
    the option score of the public's rating, over the rated cases.
    """
    calendar = answer_calendar(settings)
    points = settings["option_scores"]
    judged = [not calendar.overdue(c.exposed_on, c.answered_on, today=as_of) for c in cases
              if c.answered_on is not None or calendar.due(c.exposed_on) < as_of]
    rated = [float(points[c.satisfaction]) for c in cases if c.satisfaction in points]
    resolved = [c.status == "resolved" for c in cases]

    def share(values):
        return 100.0 * sum(values) / len(values) if values else None

    return {
        "cases": len(cases),
        "on_time": {"score": share(judged), "count": int(sum(judged)), "of": len(judged)},
        "resolved": {"score": share(resolved), "count": int(sum(resolved)), "of": len(resolved)},
        "satisfaction": {"score": sum(rated) / len(rated) if rated else None, "of": len(rated)},
    }


def online_vector(settings: Mapping) -> np.ndarray:
    """The online weights (poll, media, complaints); a campaign set up before complaints gives them 0."""
    weights = settings["online_weights"]
    return np.array([float(weights.get(k, 0)) for k in ONLINE_PARTS])


def complaint_vector(settings: Mapping) -> np.ndarray:
    weights = complaint_rules.part_weights(settings)
    return np.array([weights[p] for p in COMPLAINT_PARTS])


def inspection_score(visits: int, findings: tuple[FindingFacts, ...], settings: Mapping) -> float | None:
    if visits == 0 and not findings:
        return None
    deductions = settings["severity_deductions"]
    return max(0.0, 100.0 - sum(float(deductions[f.severity]) for f in findings))


def _nan(value) -> float:
    return np.nan if value is None else float(value)


def jsonable(value):
    """A deep copy safe for a JSON column: numpy values as Python ones, non-finite floats as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def _plain(value, digits: int | None = 4):
    """JSON-safe: floats rounded (if asked) with NaN as None, numpy scalars as Python numbers."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not np.isfinite(value):
            return None
        return round(value, digits) if digits is not None else value
    return value


# ------------------------------------------------------------------------------ the run


@dataclass
class _Nominal:
    """The point estimates and the parts the uncertainty runs recombine."""

    cells: object  # CellEstimates over U*D
    dim_means: np.ndarray  # (U, D)
    panel: np.ndarray  # (U,)
    poll: dict
    media_parts: np.ndarray  # (U, 3) sub-scores, NaN when missing
    media_detail: list[dict]
    media: np.ndarray
    complaint_parts: np.ndarray  # (U, 3) sub-scores, NaN when missing
    complaint_detail: list[dict]
    complaints: np.ndarray
    online: np.ndarray
    inspection: np.ndarray
    daily: np.ndarray
    components: np.ndarray  # (U, 4) in METHODS order
    total: np.ndarray


def _nominal(inputs: ScoringInputs, settings: Mapping, category: np.ndarray) -> _Nominal:
    n_units, n_dims = len(inputs.units), len(inputs.dimensions)
    population, shares = group_weights(inputs, settings)
    values = panel_values(inputs.answers, settings)
    cells = cell_estimates(values, inputs.respondent_groups, population, shares=shares,
                           lonely=panel_settings(settings)["lonely_group"])
    dim_means = cells.mean.reshape(n_units, n_dims)
    panel = weighted(dim_means, _vector(settings["dimension_weights"], inputs.dimensions))
    poll = poll_index(inputs.votes, category, settings)
    detail = [media_parts(cases, settings, inputs.as_of) for cases in inputs.media]
    parts = np.array([[_nan(d[p]["score"]) for p in MEDIA_PARTS] for d in detail]).reshape(n_units, 3)
    media = weighted(parts, _vector(settings["media_weights"], MEDIA_PARTS))
    c_detail = [complaint_rules.parts(inputs.complaints_of(k), settings, inputs.as_of) for k in range(n_units)]
    c_parts = np.array([[_nan(d[p]["score"]) for p in COMPLAINT_PARTS] for d in c_detail]).reshape(n_units, 3)
    complaints = weighted(c_parts, complaint_vector(settings))
    online = weighted(np.stack([poll["index"], media, complaints], axis=-1), online_vector(settings))
    inspection = np.array([_nan(inspection_score(int(v), f, settings)) for v, f in zip(inputs.visits, inputs.findings)])
    daily = np.asarray(inputs.daily, dtype=float)
    components = np.stack([panel, online, inspection, daily], axis=-1)
    total = weighted(components, _vector(settings["method_weights"], METHODS))
    return _Nominal(cells, dim_means, panel, poll, parts, detail, media, c_parts, c_detail, complaints, online,
                    inspection, daily, components, total)


def _totals_from(settings: Mapping, inputs: ScoringInputs, *, dim_means, poll_index_, parts, inspection, daily,
                 dim_w, media_w, online_w, method_w, complaints) -> np.ndarray:
    """Totals for stacks of replicated parts and/or weights (leading axis = replicate)."""
    panel = weighted(dim_means, dim_w)
    media = weighted(parts, media_w)
    online = weighted(np.stack(np.broadcast_arrays(poll_index_, media, complaints), axis=-1), online_w)
    components = np.stack(np.broadcast_arrays(panel, online, inspection, daily), axis=-1)
    return weighted(components, method_w)


def score(
    inputs: ScoringInputs,
    settings: Mapping,
    *,
    replicates: int | None = None,
    draws: int | None = None,
    interval_method: str = RESCALED_T,
) -> Scoring:
    """Score, grade and explain every unit; intervals from the bootstrap and the weight draws.

    `replicates` and `draws` override the settings' counts (the demo uses fewer); the config
    records what was used. `interval_method` is the project's method (core.uncertainty) unless a
    study asks for the old one to compare (bench.coverage). Raises ValidationError for unusable
    settings and UserError for a unit that has no component at all or for answers that
    contradict the reviewer pool.
    """
    if interval_method not in INTERVAL_METHODS:
        raise ValueError(f"unknown interval method {interval_method!r}; use one of {', '.join(INTERVAL_METHODS)}")
    check(settings, inputs)
    unc = settings["uncertainty"]
    replicates = int(unc["bootstrap_replicates"] if replicates is None else replicates)
    draws = int(unc["weight_draws"] if draws is None else draws)
    if replicates < 0 or draws < 0:
        raise UserError("scoring.bad_counts", "replicates and weight draws cannot be negative")
    categories, category = _categories(inputs)
    _check_population(inputs, settings)
    try:
        nominal = _nominal(inputs, settings, category)
    except ValueError as error:  # more answers in a group than people in its pool
        raise UserError("scoring.bad_population", "the reviewer groups do not fit the pool: {error}",
                        error=str(error)) from error
    unscorable = [u.name for u, t in zip(inputs.units, nominal.total) if not np.isfinite(t)]
    if unscorable:
        raise UserError("scoring.no_components",
                        "no score can be computed for {units}: none of its components has data (or all weigh 0)",
                        units="、".join(unscorable))

    grades, ranks, quotas = _grade(inputs, settings, nominal.total, category, categories)
    seed = np.random.SeedSequence(int(unc["seed"]))
    boot_rng, weight_rng = (np.random.default_rng(s) for s in seed.spawn(2))
    run = _Run(inputs, settings, category, nominal)
    boot = _bootstrap(run, replicates, boot_rng, interval_method)
    mc = _weight_draws(run, draws, float(unc["weight_noise"]), weight_rng)

    units, notes = [], _campaign_notes(inputs, settings, nominal)
    rules = settings["grade_rules"]
    for k, unit in enumerate(inputs.units):
        quota = quotas[category[k]]
        borderline, why = _borderline(k, boot=boot, graded=grades[k], quota=quota, rules=rules)
        explanation = _explain(run, k, graded=grades[k], quota=quota, boot=boot, mc=mc, borderline_why=why)
        units.append(UnitScore(
            code=unit.code, name=unit.name, category=unit.category, total=float(nominal.total[k]),
            components={m: _plain(nominal.components[k, j], None) for j, m in enumerate(METHODS)},
            grade=grades[k]["grade"], rank=int(ranks[k]),
            score_low=_plain(boot["score_low"][k], None) if boot else None,
            score_high=_plain(boot["score_high"][k], None) if boot else None,
            rank_low=int(mc["low"][k]) if mc else None, rank_high=int(mc["high"][k]) if mc else None,
            borderline=borderline, explanation=jsonable(explanation)))
    config = {
        "engine": ENGINE_VERSION,
        "settings": json.loads(json.dumps(settings, default=str)),
        "panel": panel_settings(settings),
        "population": dict(inputs.population),
        "sources": inputs.sources,
        "as_of": inputs.as_of.isoformat(),
        "bootstrap_replicates": replicates,
        "interval_method": interval_method if replicates else None,
        "interval_level": INTERVAL_LEVEL,
        "weight_draws": draws,
        "rules": {"missing_component": "renormalise", "quota_ties": "tied_units_alike_within_quota",
                  "rank": "min", "borderline": "interval_crosses_boundary", "precision": 9},
        "quotas": {categories[c]: q for c, q in enumerate(quotas)},
        "notes": notes,
    }
    return Scoring(units=units, config=jsonable(config), input_hash=inputs.digest(settings), notes=notes)


def _categories(inputs: ScoringInputs) -> tuple[list[str], np.ndarray]:
    """The category codes in order of appearance, and each unit's index into them."""
    categories = list(dict.fromkeys(u.category for u in inputs.units))
    return categories, np.array([categories.index(u.category) for u in inputs.units], dtype=int)


def _check_population(inputs: ScoringInputs, settings: Mapping) -> None:
    if not len(inputs.respondent_groups):
        return
    answered = {inputs.groups[h] for h in np.unique(inputs.respondent_groups)}
    unknown = sorted(g for g in answered if inputs.population.get(g, 0) <= 0)
    if unknown:
        raise UserError("scoring.no_population",
                        "reviewer groups {groups} have questionnaires but no people in the pool or draw: "
                        "their design weights N_h/n_h are unknown", groups=", ".join(unknown))
    if panel_settings(settings)["weighting"] == "policy":
        _, shares = group_weights(inputs, settings)
        if shares.sum() <= MIN_PANEL_SHARE:
            raise UserError("scoring.policy_zero", "the reviewer-group policy weights are all 0")


def _grade(inputs, settings, total, category, categories):
    grades: list[dict] = [{}] * len(inputs.units)
    ranks = np.zeros(len(inputs.units), dtype=int)
    quotas = []
    for c in range(len(categories)):
        members = np.flatnonzero(category == c)
        units, quota = grade_category(total[members], settings["grade_rules"],
                                      vetoed=[bool(inputs.vetoes[k]) for k in members],
                                      rejected=[bool(inputs.rejections[k]) for k in members])
        for k, graded in zip(members, units):
            grades[k] = graded
        ranks[members] = min_rank(total[members]).astype(int)
        quota["size"] = len(members)
        quotas.append(quota)
    return grades, ranks, quotas


@dataclass
class _Run:
    inputs: ScoringInputs
    settings: Mapping
    category: np.ndarray
    nominal: _Nominal


def _bootstrap(run: _Run, replicates: int, rng: np.random.Generator, method: str) -> dict | None:
    """90 % intervals of every cell, panel score and total, and the bootstrap rank intervals.

    One set of replicates serves all three levels: the panel's cells from the reviewers
    (core.uncertainty.resample_cells), the poll index from the redrawn votes; media, complaints,
    inspection and daily scores are fixed. With the project's method the intervals are
    studentised (`_studentised`); the rank intervals are percentiles of the replicates' ranks.
    """
    inputs, settings, nominal, category = run.inputs, run.settings, run.nominal, run.category
    if replicates == 0:
        return None
    n_units, n_dims = len(inputs.units), len(inputs.dimensions)
    population, shares = group_weights(inputs, settings)
    values = panel_values(inputs.answers, settings)
    draws = resample_cells(values, inputs.respondent_groups, population, replicates, rng, shares=shares,
                           rescaled=method == RESCALED_T)
    votes = resample_votes(inputs.votes, replicates, rng)
    poll = poll_index(votes, category, settings)["index"]
    dim_w = _vector(settings["dimension_weights"], inputs.dimensions)
    dim_means = draws.cells.reshape(replicates, n_units, n_dims)
    totals = _totals_from(
        settings, inputs, dim_means=dim_means, poll_index_=poll, **_fixed_parts(run))
    estimate = np.concatenate([nominal.cells.mean, nominal.panel, nominal.total])
    replicated = np.concatenate([draws.cells, weighted(dim_means, dim_w), totals], axis=1)
    if method == RESCALED_T:
        low, high = _studentised(run, values=values, draws=draws, votes=votes, estimate=estimate,
                                 replicated=replicated)
    else:
        low, high = interval(replicated)
    # An interval that misses the point estimate (possible for skewed resamples) is widened to it.
    low, high = np.fmin(low, estimate), np.fmax(high, estimate)
    rank_low, rank_median, rank_high = rank_interval(ranks_within(totals, category))
    cells, panel = n_units * n_dims, n_units * n_dims + n_units
    return {"cell_low": low[:cells], "cell_high": high[:cells], "panel_low": low[cells:panel],
            "panel_high": high[cells:panel], "score_low": low[panel:], "score_high": high[panel:],
            "rank_low": rank_low, "rank_median": rank_median, "rank_high": rank_high, "replicates": replicates,
            "method": method}


def _fixed_parts(run: _Run) -> dict:
    """The parts of a total the bootstrap does not resample, with the nominal weights."""
    inputs, settings, nominal = run.inputs, run.settings, run.nominal
    return {"parts": nominal.media_parts, "inspection": nominal.inspection, "daily": nominal.daily,
            "dim_w": _vector(settings["dimension_weights"], inputs.dimensions),
            "media_w": _vector(settings["media_weights"], MEDIA_PARTS), "online_w": online_vector(settings),
            "complaints": nominal.complaints, "method_w": _vector(settings["method_weights"], METHODS)}


def _slopes(run: _Run) -> tuple[np.ndarray, np.ndarray]:
    """(U,) each, how many points a total moves per point of its panel score and of its poll index.

    A total is linear in each part (its renormalised weight), so one point up gives the slope
    exactly; 0 for a part the unit does not have.
    """
    inputs, settings, nominal = run.inputs, run.settings, run.nominal
    fixed = _fixed_parts(run)
    poll = nominal.poll["index"]
    panel = _totals_from(settings, inputs, dim_means=nominal.dim_means + 1, poll_index_=poll, **fixed)
    votes = _totals_from(settings, inputs, dim_means=nominal.dim_means, poll_index_=poll + 1, **fixed)
    return np.nan_to_num(panel - nominal.total), np.nan_to_num(votes - nominal.total)


def sensitivity(inputs: ScoringInputs, settings: Mapping) -> dict[str, np.ndarray]:
    """Per unit, what the precision planner needs of a scored year: the total, the total's slope in the
    panel score, and the variance the poll adds to the total (core.planner)."""
    check(settings, inputs)
    _, category = _categories(inputs)
    _check_population(inputs, settings)
    nominal = _nominal(inputs, settings, category)
    panel_slope, poll_slope = _slopes(_Run(inputs, settings, category, nominal))
    return {"total": nominal.total, "panel_slope": panel_slope,
            "other_variance": poll_slope**2 * poll_variance(inputs.votes, settings)}


def _studentised(run: _Run, *, values: np.ndarray, draws: PanelReplicates, votes: np.ndarray,
                 estimate: np.ndarray, replicated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap-t intervals for the cells, panel scores and totals (in that order).

    Every statistic is linear in the cells near the estimate, so each respondent's contribution to
    a panel score is the dimension-weighted sum of their cell contributions, and to a total that
    times the total's slope in the panel score (its renormalised panel weight). The poll adds its
    own variance to the totals, from the nominal and from each replicate's votes.
    """
    inputs, settings, nominal = run.inputs, run.settings, run.nominal
    n_units, n_dims = len(inputs.units), len(inputs.dimensions)
    population, _ = group_weights(inputs, settings)
    z, lone = cell_influence(values, inputs.respondent_groups, nominal.cells, population,
                             lonely=panel_settings(settings)["lonely_group"])
    present = np.isfinite(nominal.dim_means) * _vector(settings["dimension_weights"], inputs.dimensions)
    with np.errstate(invalid="ignore", divide="ignore"):
        coefficients = np.nan_to_num(present / present.sum(axis=1, keepdims=True))  # (U, D), rows sum to 1
    panel_slope, poll_slope = _slopes(run)

    def levels(cells: np.ndarray) -> np.ndarray:
        panel = (cells.reshape(len(cells), n_units, n_dims) * coefficients).sum(axis=-1)
        return np.concatenate([cells, panel, panel * panel_slope], axis=1)

    z, lone = levels(z), levels(lone)
    fixed_variance = (lone**2).sum(axis=0)  # R's "adjust" term for groups with one answer in a cell
    variance = linearised_variance(z, draws) + fixed_variance
    variances = replicate_variance(z, draws) + fixed_variance
    totals = slice(n_units * n_dims + n_units, None)
    variance[totals] += poll_slope**2 * poll_variance(inputs.votes, settings)
    variances[:, totals] += poll_slope**2 * poll_variance(votes, settings)
    return studentised_interval(estimate, replicated, variance, variances)


def _weight_draws(run: _Run, draws: int, noise: float, rng: np.random.Generator) -> dict | None:
    inputs, settings, nominal, category = run.inputs, run.settings, run.nominal, run.category
    if draws == 0:
        return None
    groups = {
        "dimension_weights": inputs.dimensions, "media_weights": MEDIA_PARTS,
        "method_weights": METHODS,
    }
    drawn = {name: perturb(_vector(settings[name], keys), draws, noise, rng) for name, keys in groups.items()}
    drawn["online_weights"] = perturb(online_vector(settings), draws, noise, rng)
    totals = _totals_from(
        settings, inputs, dim_means=nominal.dim_means[None], poll_index_=nominal.poll["index"][None],
        parts=nominal.media_parts[None], inspection=nominal.inspection[None], daily=nominal.daily[None],
        dim_w=drawn["dimension_weights"][:, None, :], media_w=drawn["media_weights"][:, None, :],
        online_w=drawn["online_weights"][:, None, :], method_w=drawn["method_weights"][:, None, :],
        complaints=nominal.complaints[None])
    if noise == 0:
        totals = np.broadcast_to(nominal.total, totals.shape)  # exactly the nominal ranks, not float noise
    low, median, high = rank_interval(ranks_within(totals, category))
    return {"low": low, "median": median, "high": high, "draws": draws, "noise": noise}


def _borderline(k: int, *, boot: dict | None, graded: dict, quota: dict, rules: Mapping) -> tuple[bool, list[str]]:
    """Whether the unit's grade could change within its uncertainty, and why.

    Borderline: not fixed by an override, and either its 90 % score interval reaches both sides
    of a grade threshold, or the quota binds and its bootstrap rank interval straddles the
    quota's last place.
    """
    if boot is None or set(graded["reasons"]) & {"veto", "rectification_rejected"}:
        return False, []
    why = []
    low, high = boot["score_low"][k], boot["score_high"][k]
    for name in ("excellent_min", "qualified_min"):
        if low < float(rules[name]) <= high:
            why.append(name)
    limit = quota.get("limit")
    if quota.get("applied") and limit and boot["rank_low"][k] <= limit < boot["rank_high"][k] \
            and graded["by_threshold"] == "excellent":
        why.append("quota")
    return bool(why), why


def _campaign_notes(inputs, settings, nominal) -> list[dict]:
    notes = []
    lonely = np.argwhere(nominal.cells.lonely)
    if len(lonely):
        groups = sorted({inputs.groups[h] for h, _ in lonely})
        notes.append({"code": "lonely_group", "cells": len(lonely), "groups": ", ".join(groups),
                      "rule": panel_settings(settings)["lonely_group"]})
    if panel_settings(settings)["weighting"] == "policy":
        notes.append({"code": "policy_weights", "weights": ", ".join(
            f"{g} {panel_settings(settings)['group_weights'].get(g, 0):g} %" for g in inputs.groups)})
    missing = {m: int(np.isnan(nominal.components[:, j]).sum()) for j, m in enumerate(METHODS)}
    for method, count in missing.items():
        if count:
            notes.append({"code": "missing_component", "method": method, "count": count})
    if len(inputs.respondent_groups) == 0:
        notes.append({"code": "no_questionnaires"})
    return notes


def _explain(run: _Run, k: int, *, graded: dict, quota: dict, boot: dict | None, mc: dict | None,
             borderline_why: list[str]) -> dict:
    """The breakdown from raw inputs to total that the results page and the workbook show."""
    inputs, settings, nominal = run.inputs, run.settings, run.nominal
    n_dims = len(inputs.dimensions)
    cells = slice(k * n_dims, (k + 1) * n_dims)
    cell_low = boot["cell_low"][cells] if boot else np.full(n_dims, np.nan)
    cell_high = boot["cell_high"][cells] if boot else np.full(n_dims, np.nan)
    method_w = _vector(settings["method_weights"], METHODS)
    present = ~np.isnan(nominal.components[k])
    used = np.where(present, method_w, 0.0)
    used = 100.0 * used / used.sum()
    dim_w = _vector(settings["dimension_weights"], inputs.dimensions)
    answers = inputs.answers[:, k, :] if inputs.answers.size else np.zeros((0, n_dims), dtype=np.int8)
    dimensions = {}
    for d, code in enumerate(inputs.dimensions):
        column = answers[:, d]
        lonely = [inputs.groups[h] for h in np.flatnonzero(nominal.cells.lonely[:, cells][:, d])]
        dimensions[code] = {
            "estimate": _plain(nominal.cells.mean[cells][d]), "se": _plain(nominal.cells.se[cells][d]),
            "interval": [_plain(cell_low[d]), _plain(cell_high[d])] if boot else None,
            "answers": int((column >= 0).sum()), "valid": int(((column >= 0) & (column < 3)).sum()),
            "unknown": int((column == 3).sum()), "lonely_groups": lonely,
            "options": {o: int((column == i).sum()) for i, o in enumerate(PANEL_OPTIONS)},
        }
    group_means = nominal.cells.group_mean[:, cells]  # H x D
    groups = {}
    for h, code in enumerate(inputs.groups):
        mean = weighted(group_means[h], dim_w)
        groups[code] = {"mean": _plain(mean), "valid": int(nominal.cells.n[h, cells].sum())}
    panel_score = nominal.panel[k]
    lower = sorted((g for g, v in groups.items() if v["mean"] is not None and np.isfinite(panel_score)
                    and v["mean"] < panel_score - 0.005), key=lambda g: groups[g]["mean"])
    poll = nominal.poll
    counts = inputs.votes[k]
    n_votes = int(counts.sum())
    wilson = wilson_interval(int(counts[0]), n_votes, 0.95) if n_votes else None
    online_parts = np.array([poll["index"][k], nominal.media[k], nominal.complaints[k]])
    online_w = online_vector(settings)
    notes = []
    for j, method in enumerate(METHODS):
        if not present[j]:
            notes.append({"code": f"missing_{method}"})
    if np.isfinite(nominal.panel[k]) and np.isnan(nominal.dim_means[k]).any():
        notes.append({"code": "missing_dimension", "dimensions": ", ".join(
            c for d, c in enumerate(inputs.dimensions) if np.isnan(nominal.dim_means[k, d]))})
    if any(v["lonely_groups"] for v in dimensions.values()):
        notes.append({"code": "lonely_group_unit", "rule": panel_settings(settings)["lonely_group"]})
    if n_votes == 0 and np.isfinite(poll["index"][k]):
        notes.append({"code": "poll_category_mean"})
    if np.isfinite(online_parts[:2]).sum() == 1 and np.isfinite(nominal.online[k]):
        notes.append({"code": "online_half", "missing": "poll" if np.isnan(online_parts[0]) else "media"})
    for reason in graded["reasons"]:
        notes.append({"code": reason})
    for why in borderline_why:
        notes.append({"code": f"borderline_{why}"})
    return {
        "total": _plain(nominal.total[k]),
        "weights": {m: float(w) for m, w in zip(METHODS, method_w)},
        "weights_used": {m: _plain(w) for m, w, p in zip(METHODS, used, present) if p},
        "contributions": {m: _plain(used[j] / 100 * nominal.components[k, j]) for j, m in enumerate(METHODS)
                          if present[j]},
        "panel": {
            "score": _plain(nominal.panel[k]), "weighting": panel_settings(settings)["weighting"],
            "interval": [_plain(boot["panel_low"][k]), _plain(boot["panel_high"][k])] if boot else None,
            "respondents": len(inputs.respondent_groups), "dimensions": dimensions, "groups": groups,
            "lower_groups": lower,
        },
        "online": {
            "score": _plain(nominal.online[k]),
            "poll": {"votes": {o: int(c) for o, c in zip(OPTIONS, counts)}, "counted": n_votes,
                     "set_aside": int(inputs.votes_set_aside[k]), "raw": _plain(poll["raw"][k]),
                     "category_mean": _plain(poll["category_mean"][k]), "index": _plain(poll["index"][k]),
                     "prior_strength": float(settings["poll"]["prior_strength"]),
                     "satisfied_share": _plain(counts[0] / n_votes) if n_votes else None,
                     "wilson95": [_plain(wilson[0]), _plain(wilson[1])] if wilson else None},
            "media": {**nominal.media_detail[k], "score": _plain(nominal.media[k]),
                      "cases_list": [{"ref": m.ref, "status": m.status, "satisfaction": m.satisfaction,
                                      "exposed_on": m.exposed_on.isoformat(),
                                      "answered_on": m.answered_on.isoformat() if m.answered_on else None}
                                     for m in inputs.media[k]]},
            "complaints": {**nominal.complaint_detail[k], "score": _plain(nominal.complaints[k])},
            "weights_used": {p: _plain(100 * w / online_w[np.isfinite(online_parts)].sum())
                             for p, w, v in zip(ONLINE_PARTS, online_w, online_parts) if np.isfinite(v) and w > 0},
        },
        "inspection": {
            "score": _plain(nominal.inspection[k]), "visits": int(inputs.visits[k]),
            "deducted": float(sum(float(settings["severity_deductions"][f.severity]) for f in inputs.findings[k])),
            "findings": [{"id": f.id, "severity": f.severity, "dimension": f.dimension, "description": f.description,
                          "deduction": float(settings["severity_deductions"][f.severity])}
                         for f in inputs.findings[k]],
        },
        "daily": {"score": _plain(nominal.daily[k])},
        "grade": {**graded, "quota": quota},
        "overrides": {"vetoes": list(inputs.vetoes[k]), "rejections": list(inputs.rejections[k])},
        "uncertainty": {
            "score_interval": [_plain(boot["score_low"][k]), _plain(boot["score_high"][k])] if boot else None,
            "bootstrap_rank": [_plain(boot["rank_low"][k]), _plain(boot["rank_high"][k])] if boot else None,
            "bootstrap_replicates": boot["replicates"] if boot else 0,
            "interval_method": boot["method"] if boot else None,
            "weights_rank": [_plain(mc["low"][k]), _plain(mc["high"][k])] if mc else None,
            "weights_rank_median": _plain(mc["median"][k]) if mc else None,
            "weight_draws": mc["draws"] if mc else 0,
            "borderline": borderline_why,
        },
        "notes": notes,
    }


def interval_method_of(config: Mapping) -> str:
    """Which method made a stored result's score intervals ("none" without bootstrap replicates).

    Recorded in the config since scoring-v2; results computed before used the with-replacement
    percentile bootstrap.
    """
    if not config.get("bootstrap_replicates"):
        return "none"
    return config.get("interval_method") or WITH_REPLACEMENT


def option_code(option: str) -> int:
    """The int8 code of a panel answer (for building `ScoringInputs.answers`)."""
    return PANEL_OPTIONS.index(option)

