"""The precision planner without a database (core.planner): its variance against simulated panels, its
borderline count against a brute-force count, its allocations, its fill rules and its recommendation."""

from __future__ import annotations

import numpy as np
import pytest

from bench.coverage import draw_panel, population
from core import planner
from core.estimators import cell_estimates, weighted
from core.grading import min_rank
from core.sampling import allocate
from core.scoring import panel_values

RULES = {"excellent_min": 90, "qualified_min": 70, "excellent_quota_pct": 30}
GROUPS = ("a", "b", "c")


def flat(spread, units=4, total=None, slope=0.4):
    spread = np.asarray(spread, dtype=float)
    return planner.History(np.repeat(spread[:, None], units, axis=1), np.ones((len(spread), units)),
                           np.full(units, np.nan) if total is None else np.asarray(total, dtype=float),
                           np.full(units, slope), np.zeros(units))


def test_the_expected_half_width_is_the_one_panels_really_have():
    """The population's own spreads give a variance that 300 simulated panels of 200 reproduce (±12 %)."""
    people = population(2, (523, 417, 381, 299, 236, 144))
    settings, inputs = people.settings, people.inputs
    dims = np.array([float(settings["dimension_weights"][d]) for d in inputs.dimensions])
    scores = planner.reviewer_scores(panel_values(inputs.answers, settings), len(inputs.units), dims)
    past, _ = planner.history(scores, inputs.respondent_groups, groups=inputs.groups,
                              previous_groups=inputs.groups, total=np.zeros(len(inputs.units)),
                              panel_slope=np.ones(len(inputs.units)), other_variance=np.zeros(len(inputs.units)))
    sizes = np.bincount(inputs.respondent_groups)
    counts = allocate(dict(enumerate(int(s) for s in sizes)), 200)
    expected = planner.panel_variance(np.array(list(counts.values())), sizes, past)
    rng = np.random.default_rng(7)
    estimates = []
    for _ in range(300):
        panel = draw_panel(people, 200, rng)
        values = panel_values(panel.answers, settings)
        cells = cell_estimates(values, panel.respondent_groups, sizes.astype(float)).mean
        estimates.append(weighted(cells.reshape(len(inputs.units), -1), dims))
    observed = np.var(estimates, axis=0, ddof=1)
    assert np.median(observed / expected) == pytest.approx(1, abs=0.12)
    assert planner.Z * np.sqrt(expected).mean() == pytest.approx(planner.Z * np.sqrt(observed).mean(), rel=0.12)


def test_the_design_variance_is_the_textbook_formula():
    past = flat([10.0, 20.0, 30.0], units=1)
    population = np.array([100.0, 200.0, 700.0])
    counts = np.array([10, 20, 70])
    weight = population / population.sum()
    groups = list(zip(weight, counts, population, [10, 20, 30]))
    textbook = sum(w**2 * (1 - n / big) * s**2 / n for w, n, big, s in groups)
    assert planner.panel_variance(counts, population, past)[0] == pytest.approx(textbook)
    half = planner.History(past.spread, np.full((3, 1), 0.5), past.total, past.panel_slope, past.other_variance)
    fewer = sum(w**2 * (1 - n / 2 / big) * s**2 / (n / 2) for w, n, big, s in groups)
    assert planner.panel_variance(counts, population, half)[0] == pytest.approx(fewer)


def brute_force_borderline(total, sd, category, rules, *, simulations=2000, replicates=100, seed=11):
    """The borderline rule of core.scoring, applied to simulated results one by one with core.grading."""
    rng = np.random.default_rng(seed)
    counts = np.zeros(category.max() + 1)
    for _ in range(simulations):
        estimate = total + sd * rng.standard_normal(len(total))
        low, high = estimate - planner.Z * sd, estimate + planner.Z * sd
        flagged = np.zeros(len(total), dtype=bool)
        for line in (rules["excellent_min"], rules["qualified_min"]):
            flagged |= (low < line) & (line <= high)
        for c in range(len(counts)):
            members = np.flatnonzero(category == c)
            limit = int(np.floor(rules["excellent_quota_pct"] * len(members) / 100 + 1e-9))
            excellent = estimate[members] >= rules["excellent_min"]
            if limit and excellent.sum() > limit:
                replicated = estimate[members] + sd[members] * rng.standard_normal((replicates, len(members)))
                ranks = min_rank(replicated)
                rank_low = np.percentile(ranks, 5, axis=0, method="lower")
                rank_high = np.percentile(ranks, 95, axis=0, method="higher")
                flagged[members] |= excellent & (rank_low <= limit) & (limit < rank_high)
        for c in range(len(counts)):
            counts[c] += flagged[category == c].sum()
    return counts / simulations


def test_the_expected_borderline_count_follows_the_results_rule():
    total = np.array([96, 93.5, 93, 92.6, 91, 85, 72, 70.2, 60, 94, 91, 88.0])
    sd = np.array([0.8, 1.0, 1.0, 1.2, 0.6, 1.0, 1.0, 0.5, 1.0, 0.9, 1.5, 1.0])
    category = np.array([0] * 9 + [1] * 3)
    ours = planner.expected_borderline(total, sd, category, RULES, simulations=2000, replicates=100, seed=3)
    assert ours == pytest.approx(brute_force_borderline(total, sd, category, RULES), abs=0.12)
    assert ours[0] > 2  # the quota binds in the first category: the units around 3rd place are borderline
    nothing = planner.expected_borderline(total, np.zeros(12), category, RULES)
    assert nothing == pytest.approx([0, 0])
    exactly = planner.expected_borderline(np.array([70.0]), np.array([1.0]), np.array([0]), RULES, simulations=4000)
    assert exactly[0] == pytest.approx(0.9, abs=0.02)  # a 90 % interval around a unit on the line


def test_allocations_follow_the_draw_and_neyman_follows_the_spreads():
    population = {"a": 500, "b": 300, "c": 200}
    result = planner.plan(population=population, categories=["x"] * 4, past=flat([10, 10, 10]), rules=RULES,
                          scores_known=False, sizes=(100, 200))
    for design in result.designs:
        assert sum(design.counts.values()) == design.size
        assert design.counts == allocate(population, design.size, method=design.allocation,
                                         sd={g: 10.0 for g in population})
    by = {(d.size, d.allocation): d for d in result.designs}
    assert by[100, "proportional"].counts == by[100, "neyman"].counts  # equal spreads: the same
    spread_c = planner.plan(population=population, categories=["x"] * 4, past=flat([5, 5, 30]), rules=RULES,
                            scores_known=False, sizes=(100,))
    neyman = next(d for d in spread_c.designs if d.allocation == "neyman")
    assert neyman.counts["c"] > 20 and neyman.panel_half_width < spread_c.designs[0].panel_half_width
    assert result.designs[0].borderline is None and result.recommended.size == 200  # the planned size
    too_big = planner.plan(population=population, categories=["x"] * 4, past=flat([10, 10, 10]), rules=RULES,
                           scores_known=False, sizes=(200, 2000), planned=2000)
    assert [d.size for d in too_big.designs] == [200, 200]
    assert {"code": "size_impossible", "size": 2000, "pool": 1000} in too_big.notes
    with pytest.raises(ValueError, match="fewer people"):
        planner.plan(population={"a": 5, "b": 5, "c": 5}, categories=["x"], past=flat([1, 1, 1], units=1),
                     rules=RULES, scores_known=False)


def test_the_recommendation_is_the_smallest_size_within_one_borderline_unit_of_the_largest():
    population = {"a": 5000, "b": 3000, "c": 2000}
    totals = np.array([90.4, 89.7, 70.5, 69.6, 80, 85, 75, 95.5, 60, 89.2])
    past = flat([25, 25, 25], units=10, total=totals, slope=1.0)
    result = planner.plan(population=population, categories=["x"] * 10, past=past, rules=RULES, seed=5)
    best = {}
    for design in result.designs:
        best[design.size] = min(best.get(design.size, np.inf), design.borderline_total)
    floor = min(best.values())
    wanted = min(size for size, count in best.items() if count <= floor + 1)
    assert result.recommended.size == wanted and best[100] > floor + 1  # the smallest panels are not enough
    assert result.larger.size == min(s for s in best if s > wanted)


def test_history_fills_what_last_year_lacks_and_says_so():
    scores = np.array([[80, 70, np.nan], [90, np.nan, np.nan], [60, 75, np.nan], [85, 95, np.nan]], dtype=float)
    groups = np.array([0, 0, 1, 1])
    past, notes = planner.history(scores, groups, groups=("a", "b", "new"), previous_groups=("a", "b"),
                                  total=np.array([80, np.nan, 75]), panel_slope=np.array([0.4, 0.0, np.nan]),
                                  other_variance=np.array([0.1, np.nan, 0.0]))
    assert past.spread[0, 0] == pytest.approx(np.std([80, 90], ddof=1))
    assert past.spread[0, 1] == pytest.approx(past.spread[1, 1])  # a has one answer for unit 2: b's spread
    assert past.spread[2, 0] == pytest.approx(np.sqrt(np.mean(past.spread[:2, 0] ** 2)))  # new group: the unit's
    assert np.isfinite(past.spread).all() and np.isfinite(past.answered).all()
    assert past.answered[0, 1] == 0.5 and past.answered[:, 2].tolist() == [0, 0, 0]
    assert past.panel_slope.tolist() == [0.4, 0.4, 0.4] and past.other_variance.tolist() == [0.1, 0, 0]
    assert {"code": "new_units", "count": 1} in notes
    assert {"code": "spread_filled", "groups": "a, b, new"} in notes
