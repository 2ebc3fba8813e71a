"""Quality flags on a submitted questionnaire, for analysts: flagged, never deleted.

Straight-lining shows as one option everywhere (longstring: the longest run of
identical answers in the order they were given; intra-individual response
variability: the spread of one person's scores). Speeding is too little time per
answer for anyone to have read the question.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

SCORES = {"satisfied": 2.0, "basically_satisfied": 1.0, "dissatisfied": 0.0}
LONGSTRING_SHARE = 0.9  # a run covering 90 % of the items
MIN_SECONDS_PER_ANSWER = 1.0


def longstring(options: Sequence[str]) -> int:
    best = run = 0
    previous = None
    for option in options:
        run = run + 1 if option == previous else 1
        best = max(best, run)
        previous = option
    return best


def irv(options: Sequence[str]) -> float | None:
    """Standard deviation of the scored answers (不了解 left out); None with fewer than two."""
    scores = [SCORES[o] for o in options if o in SCORES]
    return statistics.pstdev(scores) if len(scores) >= 2 else None


def quality_flags(options: Sequence[str], *, seconds: float | None) -> dict:
    """The measures and the flags they raise, stored with the response."""
    n = len(options)
    run = longstring(options)
    spread = irv(options)
    per_answer = seconds / n if seconds is not None and n else None
    flags = []
    if n and (run >= LONGSTRING_SHARE * n or spread == 0.0):
        flags.append("straight_lining")
    if per_answer is not None and per_answer < MIN_SECONDS_PER_ANSWER:
        flags.append("too_fast")
    return {"longstring": run, "irv": None if spread is None else round(spread, 4),
            "seconds_per_answer": None if per_answer is None else round(per_answer, 2), "flags": flags}
