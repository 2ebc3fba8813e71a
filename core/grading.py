"""Ranks and grades within a category: thresholds, the excellent quota, vetoes and the public's verdict.

Pure. The rules, in the order they apply (README "Scoring" says the same):

1. Threshold: total >= excellent_min is excellent, >= qualified_min qualified, else unqualified.
2. Overrides: a recorded veto (一票否决, when `veto_unqualified`) or a rectification the public
   rejected (when `rectification_rejected_unqualified`) makes the unit unqualified whatever its
   score. An overridden unit takes no excellent place.
3. Quota: at most floor(quota % x units in the category) units are excellent (0 % switches the
   quota off). Candidates are taken by score. Units tied at the boundary are treated alike: a
   unit stays excellent only if the candidates scoring at least as much as it fit in the quota,
   so when a tie straddles the limit none of the tied units is excellent (they are qualified).
   "At most x %" is never exceeded and no tie is broken by anything but the score.

Scores are compared rounded to `PRECISION` decimals, so two totals that differ only by
floating-point noise are one tie. The rank is the minimum rank ("1, 2, 2, 4") by score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

GRADES = ("excellent", "qualified", "unqualified")
PRECISION = 9  # decimals compared when ranking and breaking ties


def comparable(totals: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(totals, dtype=float), PRECISION)


def min_rank(totals: Sequence[float]) -> np.ndarray:
    """1 + the number of strictly higher scores, along the last axis; NaN scores get rank NaN.

    Works on a 1-d array of one category or on a (draws x units) array at once.
    """
    values = comparable(totals)
    finite = np.isfinite(values)
    higher = (values[..., None, :] > values[..., :, None]) & finite[..., None, :]
    ranks = 1.0 + higher.sum(axis=-1)
    return np.where(finite, ranks, np.nan)


def threshold_grade(total: float, rules: Mapping) -> str:
    if total >= rules["excellent_min"]:
        return "excellent"
    if total >= rules["qualified_min"]:
        return "qualified"
    return "unqualified"


def quota_limit(size: int, quota_pct: float) -> int | None:
    """How many units of a category may be excellent; None when the quota is off (0 %)."""
    if not quota_pct:
        return None
    # A hair of tolerance so 30 % of 10 is 3, not 2 after 0.3 * 10 = 2.9999999999999996.
    return math.floor(quota_pct * size / 100 + 1e-9)


def grade_category(
    totals: Sequence[float],
    rules: Mapping,
    *,
    vetoed: Sequence[bool] | None = None,
    rejected: Sequence[bool] | None = None,
) -> tuple[list[dict], dict]:
    """Grades of one category's units, in the order given, and what the quota did.

    Each unit gets {"grade", "by_threshold", "reasons"}, reasons naming every rule that moved it
    from its threshold grade ("veto", "rectification_rejected", "quota", "quota_tie"). The
    second value is {"limit", "candidates", "applied", "boundary"} for display.
    """
    totals = comparable(totals)
    size = len(totals)
    if not np.all(np.isfinite(totals)):
        raise ValueError("every unit needs a finite total to be graded")
    vetoed = list(vetoed or [False] * size)
    rejected = list(rejected or [False] * size)
    units = []
    for k in range(size):
        by_threshold = threshold_grade(float(totals[k]), rules)
        reasons = []
        if vetoed[k] and rules.get("veto_unqualified", True):
            reasons.append("veto")
        if rejected[k] and rules.get("rectification_rejected_unqualified", True):
            reasons.append("rectification_rejected")
        units.append({"grade": "unqualified" if reasons else by_threshold, "by_threshold": by_threshold,
                      "reasons": reasons})
    candidates = [k for k in range(size) if units[k]["grade"] == "excellent"]
    limit = quota_limit(size, float(rules.get("excellent_quota_pct", 0) or 0))
    quota = {"limit": limit, "candidates": len(candidates), "applied": False, "boundary": None}
    if limit is not None and len(candidates) > limit:
        quota["applied"] = True
        for k in candidates:
            at_least = sum(1 for j in candidates if totals[j] >= totals[k])
            if at_least > limit:
                above = sum(1 for j in candidates if totals[j] > totals[k])
                units[k]["grade"] = "qualified"
                # "quota_tie": its place was within the quota, but a tie at the boundary overflowed it.
                units[k]["reasons"].append("quota_tie" if above < limit else "quota")
        kept = [totals[k] for k in candidates if units[k]["grade"] == "excellent"]
        quota["boundary"] = float(min(kept)) if kept else None
    return units, quota
