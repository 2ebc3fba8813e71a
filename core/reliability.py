"""How far the questionnaire can be trusted: internal consistency and agreement among reviewers.

Pure. Both measures are computed from aggregates that SQL can produce with GROUP BY, so an
analyst's screen never pulls individual answers into memory:

- Cronbach's alpha of the five dimensions, from the moments of the item scores (count, sums,
  sums of squares of each item and of the row total) over complete (questionnaire, unit) rows;
- Krippendorff's alpha, from how often each value was given to each rated item (unit x
  dimension): the coincidence matrix needs nothing else (Krippendorff 2011, "Computing
  Krippendorff's Alpha-Reliability", section C).

Interpretation follows Krippendorff: alpha >= 0.800 is reliable, 0.667-0.800 allows only
tentative conclusions, below that the data do not support conclusions about single units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

METRICS = ("nominal", "ordinal", "interval", "ratio")
RELIABLE = 0.800
TENTATIVE = 0.667


@dataclass(frozen=True)
class ItemMoments:
    """Sufficient statistics of k item scores over n complete rows."""

    n: int
    item_sums: tuple[float, ...]
    item_squares: tuple[float, ...]
    total_sum: float
    total_squares: float


def moments(matrix: Sequence[Sequence[float]]) -> ItemMoments:
    """The moments of a complete rows x items matrix (rows with a missing value are dropped)."""
    data = np.asarray(matrix, dtype=float)
    data = data[~np.isnan(data).any(axis=1)] if data.size else data.reshape(0, 0)
    totals = data.sum(axis=1) if data.size else np.zeros(0)
    return ItemMoments(int(data.shape[0]), tuple(data.sum(axis=0).tolist()), tuple((data ** 2).sum(axis=0).tolist()),
                       float(totals.sum()), float((totals ** 2).sum()))


def moments_from_patterns(patterns: Iterable[tuple[Sequence[str], int]], scores: Mapping[str, float],
                          k: int) -> ItemMoments:
    """The moments of k items from counted answer patterns: (the option of each item, how many rows).

    A row counts only if every item's option has a score (不了解 or no answer leave it incomplete),
    as in `moments`; so one small table of patterns serves whatever option scores apply.
    """
    n, sums, squares, total_sum, total_squares = 0, [0.0] * k, [0.0] * k, 0.0, 0.0
    for options, count in patterns:
        if len(options) != k or any(option not in scores for option in options):
            continue
        values = [float(scores[option]) for option in options]
        n += count
        for i, value in enumerate(values):
            sums[i] += count * value
            squares[i] += count * value * value
        total = sum(values)
        total_sum += count * total
        total_squares += count * total * total
    return ItemMoments(n, tuple(sums), tuple(squares), total_sum, total_squares)


def _variance(n: int, total: float, squares: float) -> float:
    return (squares - total * total / n) / (n - 1)


def cronbach_alpha_from_moments(m: ItemMoments) -> float | None:
    """k/(k-1) * (1 - sum of item variances / variance of the total); None when undefined.

    Undefined with fewer than two items or two rows, or when every total is the same (all
    reviewers gave every dimension the same score: there is no variance to explain).
    """
    k = len(m.item_sums)
    if k < 2 or m.n < 2:
        return None
    item_variance = sum(_variance(m.n, s, q) for s, q in zip(m.item_sums, m.item_squares))
    total_variance = _variance(m.n, m.total_sum, m.total_squares)
    if total_variance <= 1e-12:
        return None
    return k / (k - 1) * (1 - item_variance / total_variance)


def cronbach_alpha(matrix: Sequence[Sequence[float]]) -> float | None:
    """Cronbach's alpha of a rows x items matrix (rows with a missing value are left out)."""
    return cronbach_alpha_from_moments(moments(matrix))


def cronbach_alpha_from_covariance(covariance: Sequence[Sequence[float]]) -> float | None:
    cov = np.asarray(covariance, dtype=float)
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or total <= 1e-12:
        return None
    return k / (k - 1) * (1 - np.trace(cov) / total)


def _distance(values: np.ndarray, marginals: np.ndarray, metric: str) -> np.ndarray:
    """Squared difference function delta^2(c, k) of Krippendorff's alpha for each metric."""
    c, k = np.meshgrid(values, values, indexing="ij")
    if metric == "nominal":
        return (c != k).astype(float)
    if metric == "interval":
        return (c - k) ** 2
    if metric == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(c + k == 0, 0.0, (c - k) / (c + k))
        return ratio ** 2
    if metric == "ordinal":
        # Ranks, not values, count: the distance is the number of pairable values between
        # the two categories, the two categories themselves counting half.
        cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
        index = np.arange(len(values))
        i, j = np.meshgrid(index, index, indexing="ij")
        low, high = np.minimum(i, j), np.maximum(i, j)
        between = cumulative[high + 1] - cumulative[low]
        return (between - (marginals[i] + marginals[j]) / 2) ** 2
    raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")


def krippendorff_alpha_from_counts(counts: Sequence[Sequence[float]], values: Sequence[float],
                                   metric: str = "ordinal") -> float | None:
    """Krippendorff's alpha from a units x values matrix of how many raters gave each value.

    `values` are the numeric values of the columns (ascending for ordinal data). Units with
    fewer than two values are not pairable and drop out, as the method prescribes. None when
    there are no pairable values or no disagreement is even possible (a single value used).
    """
    table = np.asarray(counts, dtype=float)
    order = np.argsort(np.asarray(values, dtype=float), kind="stable")
    table, vals = table[:, order] if table.size else table.reshape(0, len(values)), \
        np.asarray(values, dtype=float)[order]
    per_unit = table.sum(axis=1)
    table, per_unit = table[per_unit >= 2], per_unit[per_unit >= 2]
    if not len(table):
        return None
    # Coincidence matrix: every ordered pair of values within a unit, weighted 1/(m_u - 1).
    weighted = table / (per_unit - 1)[:, None]
    coincidences = weighted.T @ table - np.diag(weighted.sum(axis=0))
    marginals = coincidences.sum(axis=1)
    n = marginals.sum()
    delta = _distance(vals, marginals, metric)
    expected = (np.outer(marginals, marginals) * delta).sum()
    if n <= 1 or expected <= 1e-12:
        return None
    observed = (coincidences * delta).sum()
    return float(1 - (n - 1) * observed / expected)


def krippendorff_alpha(data: Sequence[Sequence[float | None]], metric: str = "ordinal") -> float | None:
    """Krippendorff's alpha of raters x units reliability data (None or NaN: not rated)."""
    matrix = np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float)
    values = np.unique(matrix[~np.isnan(matrix)])
    counts = np.array([[np.sum(matrix[:, u] == v) for v in values] for u in range(matrix.shape[1])])
    return krippendorff_alpha_from_counts(counts, values, metric)


def verdict(alpha: float | None) -> str:
    """reliable, tentative, unreliable, or undefined (Krippendorff's thresholds)."""
    if alpha is None:
        return "undefined"
    if alpha >= RELIABLE:
        return "reliable"
    return "tentative" if alpha >= TENTATIVE else "unreliable"
