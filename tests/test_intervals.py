"""The panel's 90 % intervals: the Rao-Wu rescaled bootstrap against R, the studentised interval, a small
coverage study on a known population (core.uncertainty, core.scoring, bench.coverage)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench.coverage import Design, population, study
from core.estimators import cell_estimates, cell_influence
from core.scoring import score
from core.uncertainty import (
    RESCALED_T,
    WITH_REPLACEMENT,
    linearised_variance,
    replicate_variance,
    resample_cells,
    studentised_interval,
)
from tests.support.scoring import make_inputs, settings
from tests.test_scoring_core import run_r

SMALL = (("economic_social", 5), ("public_service", 4))


def sampled(rng, fraction, groups=4):
    """One stratified sample at about `fraction` of each group, complete answers on 0/70/100."""
    sizes = rng.integers(25, 400, groups)
    counts = np.maximum(5, np.round(fraction * sizes)).astype(int)
    strata = np.repeat(np.arange(groups), counts)
    values = rng.choice([0.0, 70.0, 100.0], size=len(strata), p=[0.15, 0.35, 0.5])
    return values, strata, sizes.astype(float)


@pytest.mark.parametrize("fraction", [0.05, 0.25, 0.4])
def test_rescaled_replicates_have_the_variance_r_computes(tmp_path, fraction):
    """The replicates' variance is R's svymean variance with the fpc (within the Monte Carlo error of
    20,000 replicates); n_h of n_h with replacement, as before, is wider by about 1/(1 - f)."""
    rng = np.random.default_rng(int(fraction * 100))
    datasets = [sampled(rng, fraction) for _ in range(4)]
    expected = run_r(tmp_path, [(values, [f"g{h}" for h in strata], {f"g{h}": int(n) for h, n in enumerate(sizes)})
                                for values, strata, sizes in datasets])
    for (values, strata, sizes), (mean, se) in zip(datasets, expected):
        rescaled = resample_cells(values[:, None], strata, sizes, 20_000, np.random.default_rng(1))
        assert rescaled.cells.mean() == pytest.approx(mean, abs=4 * se / np.sqrt(20_000) + 1e-9)
        assert rescaled.cells.var() / se**2 == pytest.approx(1, abs=0.05)
        before = resample_cells(values[:, None], strata, sizes, 20_000, np.random.default_rng(1), rescaled=False)
        if fraction >= 0.25:
            assert before.cells.var() / se**2 > 1.15


def test_the_linearised_variance_is_the_analytic_one_and_the_replicates_agree_on_average():
    rng = np.random.default_rng(5)
    values, strata, sizes = sampled(rng, 0.2, groups=5)
    block = np.column_stack([values, np.roll(values, 3), np.where(rng.random(len(values)) < 0.1, np.nan, values)])
    estimates = cell_estimates(block[:, :2], strata, sizes)
    z, lone = cell_influence(block[:, :2], strata, estimates, sizes)
    draws = resample_cells(block[:, :2], strata, sizes, 4000, np.random.default_rng(2))
    assert linearised_variance(z, draws) == pytest.approx(estimates.se**2, rel=1e-12)
    assert not lone.any()
    assert replicate_variance(z, draws).mean(axis=0) == pytest.approx(estimates.se**2, rel=0.05)


def test_a_group_with_one_answer_keeps_rs_adjust_term():
    values = np.array([[100.0], [70.0], [0.0], [100.0], [70.0], [np.nan], [40.0]])
    strata = np.array([0, 0, 0, 1, 1, 2, 2])  # group 2 has one valid answer among two reviewers
    sizes = np.array([30.0, 20.0, 10.0])
    estimates = cell_estimates(values, strata, sizes, lonely="adjust")
    z, lone = cell_influence(values, strata, estimates, sizes, lonely="adjust")
    draws = resample_cells(values, strata, sizes, 10, np.random.default_rng(1))
    assert linearised_variance(z, draws) + (lone**2).sum(axis=0) == pytest.approx(estimates.se**2, rel=0.2)
    assert (lone**2).sum() > 0
    _, removed = cell_influence(values, strata, estimates, sizes, lonely="remove")
    assert not removed.any()


def test_the_studentised_interval_uses_the_spread_of_t_and_falls_back_without_a_standard_error():
    rng = np.random.default_rng(3)
    replicates = 50 + rng.normal(0, 2, (2000, 2))
    low, high = studentised_interval(np.array([50.0, 50.0]), replicates, np.array([4.0, 0.0]),
                                     np.full((2000, 2), 4.0))
    assert low[0] == pytest.approx(50 - 1.645 * 2, abs=0.2) and high[0] == pytest.approx(50 + 1.645 * 2, abs=0.2)
    assert (low[1], high[1]) == pytest.approx(tuple(np.percentile(replicates[:, 1], [5, 95])))
    low, high = studentised_interval(np.array([99.0]), 99 + rng.normal(0, 3, (500, 1)), np.array([9.0]),
                                     np.full((500, 1), 9.0))
    assert high[0] == 100.0  # never beyond the scale


def test_scores_carry_cell_panel_and_total_intervals_with_their_method():
    inputs = make_inputs(4, reviewers=40, categories=SMALL, votes=600, media=8, visits=8)
    rules = settings(uncertainty={"bootstrap_replicates": 200, "weight_draws": 50})
    result = score(inputs, rules)
    assert result.config["interval_method"] == RESCALED_T and result.config["interval_level"] == 0.9
    for unit in result.units:
        panel = unit.explanation["panel"]
        assert panel["interval"][0] <= panel["score"] <= panel["interval"][1]
        assert unit.score_low <= unit.total <= unit.score_high
        for cell in panel["dimensions"].values():
            assert 0 <= cell["interval"][0] <= cell["estimate"] <= cell["interval"][1] <= 100
        assert unit.explanation["uncertainty"]["interval_method"] == RESCALED_T
    before = score(inputs, rules, interval_method=WITH_REPLACEMENT)
    assert before.config["interval_method"] == WITH_REPLACEMENT
    assert [u.total for u in before.units] == [u.total for u in result.units]
    with pytest.raises(ValueError, match="unknown interval method"):
        score(inputs, rules, interval_method="jackknife")


def test_policy_weights_lone_groups_and_no_questionnaires_still_give_intervals():
    inputs = make_inputs(9, reviewers=40, categories=SMALL, votes=600, media=8, visits=8)
    groups = inputs.respondent_groups.copy()
    groups[np.flatnonzero(groups == 1)[1:]] = 0  # npc_deputy keeps a single questionnaire
    shares = {"service_recipient": 30, "npc_deputy": 30, "cppcc_member": 10, "industry_rep": 10, "cadre": 10,
              "community_cadre": 10}
    rules = settings(uncertainty={"bootstrap_replicates": 100, "weight_draws": 0},
                     panel={"weighting": "policy", "group_weights": shares})
    for changed in (replace(inputs, respondent_groups=groups),
                    replace(inputs, respondent_groups=groups[:0], answers=inputs.answers[:0])):
        result = score(changed, rules)
        for unit in result.units:
            assert np.isfinite(unit.score_low) and unit.score_low <= unit.total <= unit.score_high


def test_a_small_known_population_is_covered_at_the_nominal_rate():
    """60 panels of 140 from 350 people (40 %, groups of 8 to 48), 300 replicates each: the 90 % intervals
    hold the true value 90 % of the time within the study's own error (bands of ±3 and ±4 points); the
    method this project used before (n_h of n_h with replacement) covers 95 % and more here."""
    sizes = (120, 80, 60, 40, 30, 20)
    people = population(3, sizes, categories=(("economic_social", 4), ("urban_enforcement", 3),
                                              ("public_service", 3)))
    design = Design("small", sizes, 140)
    now = study(people, design, panels=60, replicates=300, seed=3)
    assert 87 <= now.covered["cell"] <= 93
    assert 86 <= now.covered["panel"] <= 94 and 86 <= now.covered["total"] <= 94
    before = study(people, design, panels=60, replicates=300, seed=3, method=WITH_REPLACEMENT)
    assert before.covered["cell"] > 93.5 and before.covered["panel"] > 94
