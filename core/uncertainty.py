"""Resampling for the score and rank intervals: the panel bootstrap, the vote bootstrap, weight draws.

Pure numpy, vectorised so that 1,000 replicates of a whole campaign take well under a second.
Every function takes a numpy Generator, so one seed reproduces every interval.

- Panel: reviewers are resampled with replacement within their group (n_h out of n_h), each
  keeping all their answers, so the correlation between a reviewer's ratings of different units
  and dimensions is kept. (Sampling with replacement ignores the finite population correction,
  which makes the interval slightly wider, never narrower.)
- Poll: each unit's counted votes are redrawn multinomially from its own shares (the same as
  resampling the individual votes, without loading them).
- Weights: each weight is multiplied by a factor uniform on [1 - noise, 1 + noise] and its group
  is renormalised to 100 %; noise 0 gives the nominal weights exactly.
"""

from __future__ import annotations

import warnings

import numpy as np

from core.grading import min_rank


def resample_cells(
    values: np.ndarray,
    strata: np.ndarray,
    weights: np.ndarray,
    replicates: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(replicates x C) stratified cell means of reviewer-resampled panels.

    `values` is R x C with NaN for no valid answer, `weights` the per-stratum combining weights
    (N_h, or policy shares). A stratum left without a valid answer in a cell drops out of that
    cell and the others are renormalised, as in the nominal estimate.
    """
    values = np.asarray(values, dtype=float)
    strata = np.asarray(strata, dtype=int)
    valid = (~np.isnan(values)).astype(float)
    filled = np.nan_to_num(values)
    cells = values.shape[1]
    numerator = np.zeros((replicates, cells))
    denominator = np.zeros((replicates, cells))
    for h, weight in enumerate(np.asarray(weights, dtype=float)):
        rows = np.flatnonzero(strata == h)
        if len(rows) == 0 or weight == 0:
            continue
        counts = rng.multinomial(len(rows), np.full(len(rows), 1.0 / len(rows)), size=replicates).astype(float)
        answered = counts @ valid[rows]
        total = counts @ filled[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(answered > 0, total / answered, 0.0)
        numerator += weight * mean
        denominator += weight * (answered > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def resample_votes(counts: np.ndarray, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """(replicates x U x K) vote counts, each unit redrawn from its own option shares."""
    counts = np.asarray(counts, dtype=np.int64)
    out = np.zeros((replicates, *counts.shape), dtype=np.int64)
    for u, row in enumerate(counts):
        n = int(row.sum())
        if n:
            out[:, u, :] = rng.multinomial(n, row / n, size=replicates)
    return out


def perturb(weights: np.ndarray, draws: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """(draws x K) weights, each multiplied by U(1 - noise, 1 + noise) and renormalised to 100."""
    weights = np.asarray(weights, dtype=float)
    if noise == 0:
        return np.broadcast_to(weights, (draws, len(weights))).copy()
    factors = rng.uniform(1.0 - noise, 1.0 + noise, size=(draws, len(weights)))
    scaled = weights * factors
    total = scaled.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100.0 * scaled / total, weights)


def ranks_within(totals: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Minimum ranks within each category for every row of (draws x U) totals."""
    totals = np.asarray(totals, dtype=float)
    ranks = np.full(totals.shape, np.nan)
    for c in np.unique(category):
        members = np.flatnonzero(category == c)
        ranks[:, members] = min_rank(totals[:, members])
    return ranks


def interval(samples: np.ndarray, low: float = 5, high: float = 95) -> tuple[np.ndarray, np.ndarray]:
    """Per column: the low and high percentiles of the finite samples (NaN where there are none)."""
    samples = np.asarray(samples, dtype=float)
    samples = np.where(np.isfinite(samples), samples, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column is reported as NaN, on purpose
        return np.nanpercentile(samples, low, axis=0), np.nanpercentile(samples, high, axis=0)


def rank_interval(ranks: np.ndarray, low: float = 5, high: float = 95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: the low rank, the median rank and the high rank (whole numbers) of the draws."""
    ranks = np.asarray(ranks, dtype=float)
    out = []
    for q, method in ((low, "lower"), (50, "lower"), (high, "higher")):
        out.append(np.array([np.percentile(col[np.isfinite(col)], q, method=method) if np.isfinite(col).any()
                             else np.nan for col in ranks.T]))
    return out[0], out[1], out[2]
