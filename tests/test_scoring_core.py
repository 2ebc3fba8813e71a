"""Scoring rules without a database: estimators against R and scipy, properties, grades, bad input."""

from __future__ import annotations

import csv
import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from core.errors import UserError, ValidationError
from core.grading import grade_category, min_rank
from core.scoring import score, stratified_mean, wilson_interval
from tests.conftest import unavailable
from tests.support.scoring import make_inputs, settings

SMALL = (("economic_social", 5), ("public_service", 4))
FAST = {"uncertainty": {"bootstrap_replicates": 50, "weight_draws": 50}}


def small(seed=1, **kw):
    return make_inputs(seed, reviewers=kw.pop("reviewers", 40), categories=kw.pop("categories", SMALL),
                       votes=kw.pop("votes", 600), media=kw.pop("media", 8), visits=kw.pop("visits", 8), **kw)


def fast(**changes):
    merged = {**FAST, **changes}
    if "uncertainty" in changes:
        merged["uncertainty"] = {**FAST["uncertainty"], **changes["uncertainty"]}
    return settings(**merged)


# ------------------------------------------------------------------------------ R and scipy


def run_r(tmp_path, datasets, lonely="fail"):
    """svymean on svydesign(ids=~1, strata=~h, fpc=~N) for each dataset, computed by R itself."""
    if shutil.which("Rscript") is None:
        unavailable("R (Rscript)")
    data = tmp_path / "data.csv"
    with open(data, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["set", "y", "h", "N"])
        for k, (values, strata, population) in enumerate(datasets):
            for y, h in zip(values, strata):
                writer.writerow([k, repr(float(y)), h, population[h]])
    script = f"""
suppressMessages(library(survey)); options(survey.lonely.psu = "{lonely}")
d <- read.csv("{data}", colClasses = c("integer", "numeric", "character", "numeric"))
for (k in sort(unique(d$set))) {{
  s <- d[d$set == k, ]
  r <- svymean(~y, svydesign(ids = ~1, strata = ~h, fpc = ~N, data = s))
  cat(sprintf("%.17g %.17g\\n", coef(r), SE(r)))
}}"""
    result = subprocess.run(["Rscript", "-e", script], check=False, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 and "there is no package called" in result.stderr:
        unavailable("R package survey")
    assert result.returncode == 0, result.stderr
    return [tuple(map(float, line.split())) for line in result.stdout.strip().splitlines()]


def random_dataset(rng, lonely=False):
    groups = [f"g{k}" for k in range(int(rng.integers(2, 7)))]
    population, values, strata = {}, [], []
    for k, group in enumerate(groups):
        n = 1 if lonely and k == 0 else int(rng.integers(2, 30))
        population[group] = n + int(rng.integers(0, 500))
        strata += [group] * n
        values += list(rng.choice([0.0, 70.0, 100.0], n) if rng.random() < 0.5 else rng.normal(60, 25, n))
    order = rng.permutation(len(values))
    return [values[i] for i in order], [strata[i] for i in order], population


def test_stratified_mean_equals_r_svymean(tmp_path):
    rng = np.random.default_rng(2017)
    datasets = [random_dataset(rng) for _ in range(40)]
    # one stratum fully sampled (fpc 0) and one single-stratum design
    datasets.append(([10.0, 20.0, 30.0, 70.0, 90.0], ["a", "a", "a", "b", "b"], {"a": 3, "b": 9}))
    datasets.append(([5.0, 7.0, 100.0], ["x", "x", "x"], {"x": 40}))
    expected = run_r(tmp_path, datasets)
    for (values, strata, population), (mean, se) in zip(datasets, expected):
        ours = stratified_mean(values, strata, population)
        assert ours[0] == pytest.approx(mean, rel=1e-9, abs=1e-12)
        assert ours[1] == pytest.approx(se, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("rule", ["adjust", "remove"])
def test_a_group_with_one_answer_follows_r_lonely_psu(tmp_path, rule):
    rng = np.random.default_rng(7)
    datasets = [random_dataset(rng, lonely=True) for _ in range(10)]
    expected = run_r(tmp_path, datasets, lonely=rule)
    for (values, strata, population), (mean, se) in zip(datasets, expected):
        ours = stratified_mean(values, strata, population, lonely=rule)
        assert ours == pytest.approx((mean, se), rel=1e-9, abs=1e-12)
        assert np.isfinite(ours[1])


def test_stratified_mean_refuses_bad_input():
    with pytest.raises(ValueError, match="equal-length"):
        stratified_mean([1.0, 2.0], ["a"], {"a": 5})
    with pytest.raises(ValueError, match="empty"):
        stratified_mean([], [], {"a": 5})
    with pytest.raises(ValueError, match="stratum 'b'"):
        stratified_mean([1.0, 2.0], ["a", "b"], {"a": 5})
    with pytest.raises(ValueError, match="population of 1"):
        stratified_mean([1.0, 2.0], ["a", "a"], {"a": 1})
    with pytest.raises(ValueError, match="finite"):
        stratified_mean([1.0, float("nan")], ["a", "a"], {"a": 5})
    with pytest.raises(ValueError, match="unknown rule"):
        stratified_mean([1.0, 2.0], ["a", "a"], {"a": 5}, lonely="average")


@pytest.mark.parametrize("n", [1, 2, 7, 50, 1000, 100_000])
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_wilson_equals_scipy(n, confidence):
    for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
        if 0 <= k <= n:
            ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
            assert wilson_interval(k, n, confidence) == pytest.approx((ci.low, ci.high), rel=1e-12, abs=1e-15)


def test_wilson_refuses_no_votes():
    with pytest.raises(ValueError, match="at least 1"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(5, 4)


# ------------------------------------------------------------------------------ properties

PROPERTY = hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(seed=st.integers(0, 10_000), data=st.data())
def test_a_better_answer_never_lowers_the_score(seed, data):
    inputs = small(seed, reviewers=25)
    rules = fast(uncertainty={"bootstrap_replicates": 0, "weight_draws": 0})
    before = score(inputs, rules)
    r = data.draw(st.integers(0, inputs.answers.shape[0] - 1))
    u = data.draw(st.integers(0, inputs.answers.shape[1] - 1))
    d = data.draw(st.integers(0, inputs.answers.shape[2] - 1))
    current = int(inputs.answers[r, u, d])
    if current not in (1, 2):  # only 基本满意 and 不满意 can move up
        return
    better = inputs.answers.copy()
    better[r, u, d] = data.draw(st.integers(0, current - 1))
    after = score(replace(inputs, answers=better), rules)
    assert after.units[u].components["panel"] >= before.units[u].components["panel"] - 1e-9
    assert after.units[u].total >= before.units[u].total - 1e-9


@pytest.mark.parametrize(("code", "expected"), [(0, 100.0), (2, 0.0)])
def test_all_satisfied_is_100_and_all_dissatisfied_is_0(code, expected):
    inputs = small(3)
    answers = np.full_like(inputs.answers, code)
    answers[::7, :, 1] = 3  # 不了解 is left out, whatever its number
    result = score(replace(inputs, answers=answers), fast())
    for unit in result.units:
        assert unit.components["panel"] == pytest.approx(expected, abs=1e-9)
        for dimension in unit.explanation["panel"]["dimensions"].values():
            assert dimension["estimate"] == pytest.approx(expected) and dimension["se"] == 0


@PROPERTY
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["panel", "online", "inspection", "daily"]),
       shift=st.floats(-50, 50))
def test_a_zero_weight_removes_a_component(seed, method, shift):
    inputs = small(seed)
    others = [m for m in ("panel", "online", "inspection", "daily") if m != method]
    weights = {method: 0, others[0]: 50, others[1]: 30, others[2]: 20}
    rules = fast(method_weights=weights, uncertainty={"bootstrap_replicates": 0, "weight_draws": 0})
    base = score(inputs, rules)
    if method == "daily":
        changed = replace(inputs, daily=np.clip(inputs.daily + shift, 0, 100))
    elif method == "panel":
        changed = replace(inputs, answers=np.roll(inputs.answers, 1, axis=1))
    elif method == "inspection":
        changed = replace(inputs, findings=tuple(() for _ in inputs.units))
    else:
        changed = replace(inputs, votes=inputs.votes[:, ::-1].copy(), media=tuple(() for _ in inputs.units))
    after = score(changed, rules)
    for a, b in zip(base.units, after.units):
        assert a.total == pytest.approx(b.total, abs=1e-9)


@PROPERTY
@given(seed=st.integers(0, 10_000), weights=st.lists(st.integers(0, 100), min_size=3, max_size=3))
def test_total_is_the_weighted_sum_and_stays_in_range(seed, weights):
    if sum(weights) > 100:
        return
    method_weights = dict(zip(("panel", "online", "inspection", "daily"), [*weights, 100 - sum(weights)]))
    result = score(small(seed), fast(method_weights=method_weights))
    for unit in result.units:
        assert 0 <= unit.total <= 100
        parts = {m: v for m, v in unit.components.items() if v is not None}
        used = sum(method_weights[m] for m in parts)
        if used:
            assert unit.total == pytest.approx(sum(method_weights[m] * v for m, v in parts.items()) / used,
                                               rel=1e-12)
        if len(parts) == 4:  # nothing missing: exactly Σ weight x component
            assert unit.total == pytest.approx(sum(method_weights[m] / 100 * v for m, v in parts.items()),
                                               rel=1e-12)


@PROPERTY
@given(seed=st.integers(0, 10_000))
def test_no_noise_collapses_the_rank_interval(seed):
    result = score(small(seed), fast(uncertainty={"weight_noise": 0, "bootstrap_replicates": 0}))
    for unit in result.units:
        assert unit.rank_low == unit.rank == unit.rank_high
        assert unit.explanation["uncertainty"]["weights_rank_median"] == unit.rank


@PROPERTY
@given(totals=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=20),
       quota=st.sampled_from([0, 10, 30, 50, 100]), excellent=st.floats(50, 100))
def test_one_grade_each_and_grades_follow_scores(totals, quota, excellent):
    rules = {"excellent_min": excellent, "qualified_min": excellent - 20, "excellent_quota_pct": quota}
    graded, info = grade_category(totals, rules)
    order = {"excellent": 0, "qualified": 1, "unqualified": 2}
    assert len(graded) == len(totals)
    assert all(g["grade"] in order for g in graded)
    for i, a in enumerate(totals):
        for j, b in enumerate(totals):
            if a > b:
                assert order[graded[i]["grade"]] <= order[graded[j]["grade"]]
    if info["limit"] is not None:
        assert sum(g["grade"] == "excellent" for g in graded) <= info["limit"]


# ------------------------------------------------------------------------------ grades


RULES = {"excellent_min": 90, "qualified_min": 70, "excellent_quota_pct": 30,
         "veto_unqualified": True, "rectification_rejected_unqualified": True}


def test_a_tie_at_the_quota_boundary_is_treated_alike():
    # 10 units, 30 % quota: 3 places; the 3rd and 4th best are tied, so neither is excellent.
    totals = [99, 97, 95, 95, 93, 80, 75, 72, 60, 50]
    graded, info = grade_category(totals, RULES)
    assert [g["grade"] for g in graded[:5]] == ["excellent", "excellent", "qualified", "qualified", "qualified"]
    assert graded[2]["reasons"] == ["quota_tie"] and graded[3]["reasons"] == ["quota_tie"]
    assert graded[4]["reasons"] == ["quota"]
    assert info == {"limit": 3, "candidates": 5, "applied": True, "boundary": 97.0}
    assert list(min_rank(totals)) == [1, 2, 3, 3, 5, 6, 7, 8, 9, 10]


def test_quota_zero_switches_it_off_and_floating_noise_is_no_tie_breaker():
    graded, info = grade_category([95, 95.00000000000001, 91], {**RULES, "excellent_quota_pct": 0})
    assert [g["grade"] for g in graded] == ["excellent"] * 3 and info["limit"] is None
    assert list(min_rank([95, 95.00000000000001, 91])) == [1, 1, 3]


def test_veto_and_rejected_rectification_override_the_score():
    graded, _ = grade_category([99, 98, 60], RULES, vetoed=[True, False, False], rejected=[False, True, False])
    assert [g["grade"] for g in graded] == ["unqualified", "unqualified", "unqualified"]
    assert graded[0]["reasons"] == ["veto"] and graded[1]["reasons"] == ["rectification_rejected"]
    assert graded[0]["by_threshold"] == "excellent"
    off = {**RULES, "veto_unqualified": False, "rectification_rejected_unqualified": False, "excellent_quota_pct": 0}
    assert [g["grade"] for g in grade_category([99, 98, 60], off, vetoed=[True, False, False],
                                               rejected=[False, True, False])[0]] == [
        "excellent", "excellent", "unqualified"]


def test_overrides_reach_the_scored_units():
    inputs = small(5)
    vetoes = tuple(("瞒报事故",) if k == 0 else () for k in range(len(inputs.units)))
    rejections = tuple(("整改〔2017〕1号",) if k == 1 else () for k in range(len(inputs.units)))
    result = score(replace(inputs, vetoes=vetoes, rejections=rejections), fast())
    assert result.units[0].grade == result.units[1].grade == "unqualified"
    assert {"code": "veto"} in result.units[0].explanation["notes"]
    assert result.units[1].explanation["overrides"]["rejections"] == ["整改〔2017〕1号"]
    assert not result.units[0].borderline


# ------------------------------------------------------------------------------ bad input and treatment


def test_weights_that_do_not_sum_to_100_are_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as caught:
        score(small(), fast(method_weights={"panel": 50, "online": 25, "inspection": 20, "daily": 15}))
    assert [p.key for p in caught.value.problems] == ["settings.weights_sum"]
    assert "now 110 %" in caught.value.english()


def test_negative_weights_are_refused():
    with pytest.raises(ValidationError) as caught:
        score(small(), fast(dimension_weights={"party_discipline": -20, "rule_of_law": 40, "serving_public": 40,
                                               "work_style": 20, "problem_solving": 20}))
    assert "settings.negative_weight" in [p.key for p in caught.value.problems]


def test_a_unit_without_valid_answers_is_renormalised_and_says_so():
    inputs = small(8)
    answers = inputs.answers.copy()
    answers[:, 2, :] = 3  # everyone said 不了解
    result = score(replace(inputs, answers=answers), fast())
    unit = result.units[2]
    assert unit.components["panel"] is None
    assert {"code": "missing_panel"} in unit.explanation["notes"]
    assert set(unit.explanation["weights_used"]) == {"online", "inspection", "daily"} - {
        m for m, v in unit.components.items() if v is None}
    assert sum(unit.explanation["weights_used"].values()) == pytest.approx(100)
    assert np.isfinite(unit.total)
    assert {"code": "missing_component", "method": "panel", "count": 1} in result.notes


def test_a_group_with_one_respondent_is_flagged_and_keeps_a_finite_error():
    inputs = small(9)
    groups = inputs.respondent_groups.copy()
    lone = np.flatnonzero(groups == 1)
    groups[lone[1:]] = 0  # npc_deputy keeps a single questionnaire
    result = score(replace(inputs, respondent_groups=groups), fast())
    assert any(n["code"] == "lonely_group" and "npc_deputy" in n["groups"] for n in result.notes)
    unit = result.units[0]
    assert {"code": "lonely_group_unit", "rule": "adjust"} in unit.explanation["notes"]
    assert all(np.isfinite(d["se"]) for d in unit.explanation["panel"]["dimensions"].values())


def test_a_unit_with_nothing_to_score_is_refused_by_name():
    inputs = small(4)
    answers = inputs.answers.copy()
    answers[:, 0, :] = -1
    daily = inputs.daily.copy()
    daily[0] = np.nan
    visits = inputs.visits.copy()
    visits[0] = 0
    findings = ((), *inputs.findings[1:])
    votes = inputs.votes.copy()
    votes[0] = 0
    bare = replace(inputs, answers=answers, daily=daily, visits=visits, findings=findings, votes=votes,
                   media=((), *inputs.media[1:]))
    result = score(bare, fast())  # the category mean still gives it a poll index
    assert result.units[0].components["online"] is not None
    assert {"code": "poll_category_mean"} in result.units[0].explanation["notes"]
    with pytest.raises(UserError) as caught:
        score(bare, fast(poll={"prior_strength": 0}))
    assert caught.value.key == "scoring.no_components" and inputs.units[0].name in caught.value.english()


def test_answers_beyond_the_pool_are_refused():
    inputs = small(2)
    with pytest.raises(UserError) as caught:
        score(replace(inputs, population={**inputs.population, "service_recipient": 1}), fast())
    assert caught.value.key == "scoring.bad_population"
    with pytest.raises(UserError) as caught:
        score(replace(inputs, population={**inputs.population, "cadre": 0}), fast())
    assert caught.value.key == "scoring.no_population"


# ------------------------------------------------------------------------------ poll, policy, reproducibility


def test_poll_index_is_shrunk_toward_the_category_mean():
    inputs = small(6)
    votes = inputs.votes.copy()
    votes[0] = [3, 0, 0]  # three 满意 votes only
    result = score(replace(inputs, votes=votes), fast())
    poll = result.units[0].explanation["online"]["poll"]
    k, mean = poll["prior_strength"], poll["category_mean"]
    assert poll["raw"] == 100
    assert poll["index"] == pytest.approx((300 + k * mean) / (3 + k), abs=1e-4)
    low, high = wilson_interval(3, 3)
    assert poll["wilson95"] == pytest.approx([low, high], abs=1e-4)


def test_policy_weights_combine_group_means_with_fixed_shares():
    inputs = small(12)
    shares = {"service_recipient": 30, "npc_deputy": 30, "cppcc_member": 10, "industry_rep": 10, "cadre": 10,
              "community_cadre": 10}
    result = score(inputs, fast(panel={"weighting": "policy", "group_weights": shares}))
    unit = result.units[0]
    for code, dimension in unit.explanation["panel"]["dimensions"].items():
        d = list(inputs.dimensions).index(code)
        points = np.array([100.0, 70.0, 0.0, np.nan])
        means = {}
        for h, group in enumerate(inputs.groups):
            column = inputs.answers[inputs.respondent_groups == h, 0, d]
            values = points[column[(column >= 0) & (column < 3)]]
            if len(values):
                means[group] = values.mean()
        expected = sum(shares[g] * m for g, m in means.items()) / sum(shares[g] for g in means)
        assert dimension["estimate"] == pytest.approx(expected, abs=1e-4)
    assert any(n["code"] == "policy_weights" for n in result.notes)
    with pytest.raises(ValidationError):
        score(inputs, fast(panel={"weighting": "policy", "group_weights": {"cadre": 100}}))


def test_same_seed_same_result_and_the_hash_sees_every_input():
    inputs = small(10)
    first, second = score(inputs, fast()), score(inputs, fast())
    assert [(u.total, u.score_low, u.score_high, u.rank_low, u.rank_high) for u in first.units] == \
        [(u.total, u.score_low, u.score_high, u.rank_low, u.rank_high) for u in second.units]
    assert first.input_hash == second.input_hash
    answers = inputs.answers.copy()
    answers[0, 0, 0] = (answers[0, 0, 0] + 1) % 3
    assert score(replace(inputs, answers=answers), fast()).input_hash != first.input_hash
    assert score(inputs, fast(uncertainty={"seed": 1})).input_hash != first.input_hash
    other_seed = score(inputs, fast(uncertainty={"seed": 99}))
    assert [u.total for u in other_seed.units] == [u.total for u in first.units]


def test_intervals_hold_the_estimate_and_borderline_means_a_boundary_inside():
    result = score(make_inputs(11), settings(uncertainty={"bootstrap_replicates": 200, "weight_draws": 200}))
    rules = settings()["grade_rules"]
    for unit in result.units:
        assert unit.score_low <= unit.total <= unit.score_high
        assert 1 <= unit.rank_low <= unit.rank_high
        crosses = any(unit.score_low < rules[t] <= unit.score_high for t in ("excellent_min", "qualified_min"))
        if crosses:
            assert unit.borderline
        if unit.borderline:
            assert unit.explanation["uncertainty"]["borderline"]
