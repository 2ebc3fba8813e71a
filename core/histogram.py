"""Latency histograms as Prometheus keeps them: cumulative counts under fixed upper bounds.

The bounds grow by 2^(1/4) (about 19 %) from 2 ms to 32 s, so that a quantile read back from the counts
by linear interpolation inside its bucket (as Prometheus's `histogram_quantile` does) is never off by more
than one bucket's width: under 19 % of the true value, and usually far less.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

INTERACTION_BOUNDS: tuple[float, ...] = tuple(round(0.002 * 2 ** (k / 4), 6) for k in range(57))  # 2 ms .. 32 s
# A database transaction: from a tenth of a millisecond to ten seconds, doubling.
TRANSACTION_BOUNDS: tuple[float, ...] = tuple(round(0.0001 * 2 ** k, 6) for k in range(17))


def quantile(bounds: Sequence[float], cumulative: Sequence[float], share: float) -> float:
    """The `share` quantile (0..1) of observations counted cumulatively under `bounds` (the last count is
    the total, +Inf included: len(cumulative) == len(bounds) + 1). NaN when nothing was counted; the
    highest finite bound when the quantile lies in the +Inf bucket (as histogram_quantile answers)."""
    if len(cumulative) != len(bounds) + 1:
        raise ValueError("one cumulative count per bound, and one for +Inf")
    total = cumulative[-1]
    if total <= 0:
        return math.nan
    rank = share * total
    previous_bound, previous_count = 0.0, 0.0
    for bound, count in zip(bounds, cumulative[:-1], strict=True):
        if count >= rank and count > previous_count:
            return previous_bound + (bound - previous_bound) * (rank - previous_count) / (count - previous_count)
        previous_bound, previous_count = bound, count
    return float(bounds[-1])


def difference(later: Sequence[float], earlier: Sequence[float] | None) -> list[float]:
    """The counts between two readings of the same histogram (a process restarted in between: `later` alone)."""
    if earlier is None or len(earlier) != len(later) or later[-1] < earlier[-1]:
        return list(later)
    return [a - b for a, b in zip(later, earlier, strict=True)]
