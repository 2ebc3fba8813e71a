"""Reliability measures against published values."""

import math

import numpy as np
import pytest

from core.reliability import (
    METRICS,
    cronbach_alpha,
    cronbach_alpha_from_covariance,
    cronbach_alpha_from_moments,
    krippendorff_alpha,
    krippendorff_alpha_from_counts,
    moments,
    verdict,
)

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges. Cronbach's alpha with the
# judges as items equals their ICC(3,k) = 0.91.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, values 1-5, missing values. Published: nominal .743, ordinal .815, interval .849,
# ratio .797.
N = None
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def test_cronbach_alpha_of_the_shrout_fleiss_judges():
    assert cronbach_alpha(SHROUT_FLEISS) == pytest.approx(0.909, abs=0.001)


def test_cronbach_alpha_equals_icc_3k_from_the_anova():
    data = np.array(SHROUT_FLEISS, dtype=float)
    n, k = data.shape
    grand = data.mean()
    ms_rows = k * ((data.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    residual = data - data.mean(axis=1, keepdims=True) - data.mean(axis=0, keepdims=True) + grand
    ms_error = (residual ** 2).sum() / ((n - 1) * (k - 1))
    assert cronbach_alpha(SHROUT_FLEISS) == pytest.approx((ms_rows - ms_error) / ms_rows)


def test_standardised_alpha_of_five_equally_correlated_items():
    # k r / (1 + (k - 1) r) with k = 5, r = 0.5
    covariance = [[1.0 if i == j else 0.5 for j in range(5)] for i in range(5)]
    assert cronbach_alpha_from_covariance(covariance) == pytest.approx(2.5 / 3)


def test_moments_give_the_same_alpha_and_rows_with_gaps_drop_out():
    with_gap = [*SHROUT_FLEISS, [1, float("nan"), 3, 4]]
    m = moments(with_gap)
    assert m.n == 6
    assert cronbach_alpha_from_moments(m) == pytest.approx(cronbach_alpha(SHROUT_FLEISS))


def test_cronbach_alpha_undefined_without_variance_or_rows():
    assert cronbach_alpha([[100, 100, 100], [100, 100, 100]]) is None
    assert cronbach_alpha([[1, 2, 3]]) is None
    assert cronbach_alpha([]) is None


@pytest.mark.parametrize("metric", METRICS)
def test_krippendorff_alpha_matches_the_published_example(metric):
    assert krippendorff_alpha(KRIPPENDORFF, metric) == pytest.approx(PUBLISHED[metric], abs=0.0005)


def test_krippendorff_alpha_from_counts_equals_alpha_from_raw_data():
    # The same data as value counts per unit (columns: values 1..5), as SQL would group them.
    counts = [[sum(1 for row in KRIPPENDORFF if row[u] == v) for v in range(1, 6)] for u in range(12)]
    for metric in METRICS:
        assert krippendorff_alpha_from_counts(counts, [1, 2, 3, 4, 5], metric) == pytest.approx(
            krippendorff_alpha(KRIPPENDORFF, metric))


def test_value_order_of_the_columns_does_not_matter():
    counts = [[sum(1 for row in KRIPPENDORFF if row[u] == v) for v in (5, 3, 1, 2, 4)] for u in range(12)]
    assert krippendorff_alpha_from_counts(counts, [5, 3, 1, 2, 4], "ordinal") == pytest.approx(0.815, abs=0.0005)


def test_perfect_agreement_is_one_and_systematic_disagreement_is_negative():
    assert krippendorff_alpha([[1, 2, 3, 1], [1, 2, 3, 1]], "interval") == pytest.approx(1.0)
    assert krippendorff_alpha([[1, 3, 1, 3], [3, 1, 3, 1]], "interval") < 0


def test_krippendorff_alpha_undefined_without_pairable_values():
    assert krippendorff_alpha([[1, N], [N, 2]], "ordinal") is None  # no unit rated twice
    assert krippendorff_alpha([[2, 2], [2, 2]], "ordinal") is None  # one value only: no variation possible


def test_verdicts_follow_krippendorffs_thresholds():
    assert [verdict(a) for a in (0.9, 0.8, 0.7, 0.5, None)] == [
        "reliable", "reliable", "tentative", "unreliable", "undefined"]
    assert not math.isnan(krippendorff_alpha(KRIPPENDORFF))
