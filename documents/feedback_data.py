"""What a unit's feedback letter is made from: plain data the store fills (db.feedback) and the letter
(documents.feedback_letter) and the /feedback page read. Kept here, below both, so that neither imports the
other's module for its types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core import comment_themes as themes_rules
from core.privacy import SMALL_CELL, small_cell


@dataclass(frozen=True)
class SourceCount:
    source: str  # panel, poll
    comments: int  # as written, before merging
    withheld: bool  # fewer than SMALL_CELL and the reader is not the office

    @property
    def small(self) -> bool:
        """Too few to show to the unit (the office still sees them, marked)."""
        return small_cell(self.comments, SMALL_CELL)


@dataclass(frozen=True)
class CommentDigest:
    unit_code: str
    sources: tuple[SourceCount, ...]
    themes: tuple[themes_rules.Theme, ...]  # the unit's top themes, then "other" (term None)

    @property
    def shown(self) -> int:
        return sum(s.comments for s in self.sources if not s.withheld)


@dataclass(frozen=True)
class UnitFeedback:
    campaign_id: int
    year: int
    campaign_name: str
    demo: bool
    result: Any  # db.dashboard.ResultInfo: the letter reads version and published_at
    unit_code: str
    unit_name: str
    category_code: str
    category_zh: str
    category_en: str
    category_size: int
    total: float | None
    score_low: float | None
    score_high: float | None
    grade: str
    rank: int
    rank_low: int | None
    rank_high: int | None
    borderline: bool
    components: dict[str, float | None]
    # dimension_code, dimension_zh, dimension_en, estimate, low, high, se, valid, category_mean, difference
    dimensions: pd.DataFrame
    groups: Any  # db.explore.GroupComparison: overall (a frame) and unit_score
    poll: pd.DataFrame  # period, votes, satisfied, basically_satisfied, dissatisfied, satisfaction
    # The registers as the store lists them: db.inspections.FindingRow (handed over to the unit only),
    # db.media.CaseRow, db.cases.CaseRow, db.rectifications.RectificationRow.
    findings: list = field(default_factory=list)
    media: list = field(default_factory=list)
    cases: list = field(default_factory=list)
    rectifications: list = field(default_factory=list)
    # Why the unit is borderline (excellent_min, qualified_min, quota), the rank range under sampling
    # uncertainty (the one the quota test uses) and the quota's last place, from the result's explanation.
    borderline_why: tuple[str, ...] = ()
    sampling_rank: tuple[int, int] | None = None
    quota_limit: int | None = None
    grade_lines: dict = field(default_factory=dict)  # excellent_min, qualified_min of the published result
