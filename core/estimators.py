"""Design-based estimators for the panel review, the Wilson interval, and weighted averages with gaps.

Pure numpy/scipy. `stratified_mean` is the reference for one cell and reproduces R's
`svymean(~y, svydesign(ids=~1, strata=~h, fpc=~N))`; `cell_estimates` does the same for many
cells at once (every unit x dimension of a campaign) and is what scoring and the bootstrap use.

A reviewer group with a single valid answer in a cell leaves its variance contribution
undefined (there is no spread to measure). R refuses by default (`survey.lonely.psu = "fail"`);
we follow R's `"adjust"` rule unless told otherwise: the lone answer's deviation from the
cell's overall estimate stands in for the missing within-group spread (conservative: the
standard error grows rather than pretending the group is known exactly). `"remove"` counts
the group with variance 0, like R's `"remove"`. Either way the cell is reported, so the
interface can show which groups were treated so.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from scipy.special import ndtri

LONELY_RULES = ("adjust", "remove")


def stratified_mean(
    values: Sequence[float],
    strata: Sequence[Hashable],
    population: Mapping[Hashable, float],
    *,
    lonely: str = "adjust",
) -> tuple[float, float]:
    """Mean and standard error of a stratified simple random sample without replacement.

    Weights N_h/n_h; the variance is the textbook Σ_h (N_h/N)² (1 - n_h/N_h) s_h²/n_h, which
    is what R's survey package computes by linearisation for this design. Raises ValueError,
    saying why, for empty input, unequal lengths, non-finite values, a stratum missing from
    `population`, or more answers than people in a stratum.
    """
    values = np.asarray(values, dtype=float)
    strata = list(strata)
    if values.ndim != 1 or len(values) != len(strata):
        raise ValueError(f"values and strata must be equal-length sequences ({len(values)} vs {len(strata)})")
    if len(values) == 0:
        raise ValueError("no values: the mean of an empty sample is undefined")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite numbers (a missing answer is left out, not passed as NaN)")
    keys = list(dict.fromkeys(strata))
    missing = [k for k in keys if k not in population]
    if missing:
        raise ValueError(f"population has no size for stratum {missing[0]!r}")
    index = {k: i for i, k in enumerate(keys)}
    codes = np.array([index[s] for s in strata])
    sizes = np.array([_size(population[k], k) for k in keys])
    result = cell_estimates(values[:, None], codes, sizes, lonely=lonely)
    return float(result.mean[0]), float(result.se[0])


def _size(value: object, key: Hashable) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"population of stratum {key!r} must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"population of stratum {key!r} must be positive, got {value!r}")
    return float(value)


class CellEstimates:
    """Per cell: mean, se, answers per stratum (H x C), which strata had one answer only, and the
    share each stratum has in the cell's mean (H x C, 0 for a stratum without an answer)."""

    def __init__(self, mean, se, n, group_mean, lonely_cells, *, share=None):
        self.mean: np.ndarray = mean
        self.se: np.ndarray = se
        self.n: np.ndarray = n
        self.group_mean: np.ndarray = group_mean
        self.lonely: np.ndarray = lonely_cells  # H x C booleans: a stratum with exactly one answer
        self.share: np.ndarray | None = share


def cell_estimates(
    values: np.ndarray,
    strata: np.ndarray,
    population: np.ndarray,
    *,
    shares: np.ndarray | None = None,
    lonely: str = "adjust",
) -> CellEstimates:
    """Stratified estimates for every column of `values` (R respondents x C cells, NaN = no valid answer).

    `strata` holds each respondent's stratum index 0..H-1 and `population` the N_h. With
    `shares` (fixed policy weights per stratum) the strata are combined with those shares,
    renormalised over the strata that answered, instead of N_h; the finite population
    correction still uses N_h. A cell nobody answered has mean and se NaN.
    """
    if lonely not in LONELY_RULES:
        raise ValueError(f"unknown rule for a group with one answer {lonely!r}; use one of {', '.join(LONELY_RULES)}")
    values = np.asarray(values, dtype=float)
    strata = np.asarray(strata, dtype=int)
    population = np.asarray(population, dtype=float)
    n_strata = len(population)
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    member = (strata[None, :] == np.arange(n_strata)[:, None]).astype(float)  # H x R
    n = member @ valid  # H x C answers per stratum
    if np.any(n > population[:, None]):
        h = int(np.argwhere(n > population[:, None])[0][0])
        raise ValueError(f"stratum {h} has {int(n[h].max())} answers but a population of {population[h]:g}")
    with np.errstate(invalid="ignore", divide="ignore"):
        group_mean = (member @ filled) / n
        deviation = np.where(valid, filled - np.nan_to_num(group_mean)[strata], 0.0)
        spread = member @ deviation**2  # Σ (y - ȳ_h)², two-pass for accuracy
        answered = n > 0
        weight = (population if shares is None else np.asarray(shares, dtype=float))[:, None] * answered
        total = weight.sum(axis=0)
        share = weight / total
        mean = np.where(answered, share * np.nan_to_num(group_mean), 0.0).sum(axis=0)
        mean = np.where(total > 0, mean, np.nan)
        fpc = 1.0 - n / population[:, None]
        several = n >= 2
        within = np.where(several, fpc * share**2 * spread / np.where(several, n * (n - 1), 1), 0.0)
        alone = n == 1
        if lonely == "adjust":
            # R: a lone PSU is not centred on its stratum mean, so its influence is its deviation
            # from the overall estimate; scaled by the fpc (N_h - 1)/N_h.
            lone_value = np.where(alone, np.nan_to_num(group_mean), 0.0)
            within = within + np.where(alone, fpc * share**2 * (lone_value - np.nan_to_num(mean)) ** 2, 0.0)
        variance = within.sum(axis=0)
    se = np.where(total > 0, np.sqrt(variance), np.nan)
    return CellEstimates(mean, se, n, group_mean, alone, share=np.nan_to_num(share))


def cell_influence(
    values: np.ndarray,
    strata: np.ndarray,
    estimates: CellEstimates,
    population: np.ndarray,
    *,
    lonely: str = "adjust",
) -> tuple[np.ndarray, np.ndarray]:
    """Each respondent's linearised contribution to every cell's estimate (R x C), and the lone answers' part.

    The estimate of a cell is Σ_h share_h ȳ_h over the strata that answered it, ȳ_h the mean of
    the valid answers of stratum h; its Taylor linearisation (Woodruff 1971; Särndal, Swensson &
    Wretman 1992, for a ratio over a domain) gives respondent i of stratum h with a valid answer
    z_i = share_h (y_i - ȳ_h) / n_h (n_h its stratum's valid answers), and 0 for no valid answer.
    Any linear combination of cells (a unit's panel score, its total) has the contributions
    z @ coefficients, and its variance is Σ_h (1 - r_h/N_h) r_h/(r_h - 1) Σ_i (z_i - z̄_h)², r_h the
    stratum's respondents (`core.uncertainty.linearised_variance`).

    The second array carries R's "adjust" rule for a stratum with a single valid answer in a cell
    (it has no spread of its own): share_h √(1 - 1/N_h) (y_i - estimate); its square is the
    variance term `cell_estimates` adds. With `lonely="remove"` it is all 0.
    """
    values = np.asarray(values, dtype=float)
    strata = np.asarray(strata, dtype=int)
    population = np.asarray(population, dtype=float)
    valid = ~np.isnan(values)
    filled = np.where(valid, values, 0.0)
    share = estimates.share[strata]  # R x C
    count = estimates.n[strata]
    group_mean = np.nan_to_num(estimates.group_mean)[strata]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(valid & (count >= 2), share * (filled - group_mean) / np.where(count > 0, count, 1), 0.0)
    lone = np.zeros_like(z)
    if lonely == "adjust":
        alone = valid & (count == 1)
        fpc = np.sqrt(np.clip(1.0 - 1.0 / population[strata], 0.0, None))[:, None]
        lone = np.where(alone, share * fpc * (filled - np.nan_to_num(estimates.mean)[None, :]), 0.0)
    return z, lone


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (no continuity correction), as scipy's binomtest gives it."""
    for name, value in (("successes", successes), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
    if n < 1:
        raise ValueError("n must be at least 1: a share of no votes has no interval")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie between 0 and n={n}, got {successes}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    z = float(ndtri(0.5 + 0.5 * confidence))
    p = successes / n
    denominator = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denominator
    delta = z / denominator * math.sqrt(4 * n * p * (1 - p) + z**2)
    return max(0.0, center - delta), min(1.0, center + delta)


def weighted(parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ w·part / Σ w over the parts present (not NaN), along the last axis; NaN if none carries weight.

    This is the project's rule for a missing component: the remaining weights are scaled up to
    100 %. With every part present it is exactly Σ w·part / Σ w.
    """
    parts, weights = np.broadcast_arrays(np.asarray(parts, dtype=float), np.asarray(weights, dtype=float))
    present = ~np.isnan(parts)
    used = np.where(present, weights, 0.0)
    total = used.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(present, used * np.nan_to_num(parts), 0.0).sum(axis=-1) / total
    return np.where(total > 0, value, np.nan)
