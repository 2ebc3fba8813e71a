"""What the live screen and the explorer share: who may read, which result to show, score expressions.

Everything here aggregates in SQL; the frames handed to the interface hold one row per unit,
day, group or event, never one row per vote or answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from core.poll import COUNTED
from db.access import Actor, require
from db.models import Campaign, Result, ResultUnit, Unit, UnitCategory

READERS = ("admin", "leader", "analyst")  # a liaison sees only their unit, so never these screens
COMPONENTS = ("panel", "online", "inspection", "daily")
DEFAULT_OPTION_SCORES = {"satisfied": 100.0, "basically_satisfied": 70.0, "dissatisfied": 0.0}


def check_reader(actor: Actor) -> Actor:
    return require(actor, *READERS)


def option_scores(settings: Mapping) -> dict[str, float]:
    """The campaign's option scores (满意 100, 基本满意 70, 不满意 0 by default); 不了解 has none."""
    scores = dict(DEFAULT_OPTION_SCORES)
    for option, value in (settings.get("option_scores") or {}).items():
        if option in scores and isinstance(value, int | float) and not isinstance(value, bool):
            scores[option] = float(value)
    return scores


def score_sum(option_column, scores: Mapping[str, float], weight=None):
    """SUM of the score of each answer or vote (options without a score add nothing); `weight`:
    a count column, when each row stands for that many answers or votes (a tally)."""
    per_row = case(*((option_column == option, value) for option, value in scores.items()), else_=0.0)
    return func.sum(per_row if weight is None else per_row * weight)


def scored_count(option_column, scores: Mapping[str, float], weight=None):
    """How many answers or votes carry a score (不了解 is left out of the denominator)."""
    return func.sum(case((col(option_column).in_(list(scores)), 1 if weight is None else weight), else_=0))


def counted_vote(status_column):
    return col(status_column).in_(COUNTED)


@dataclass(frozen=True)
class ResultInfo:
    """A scoring run as shown on a screen: its status decides the label (provisional or published)."""

    id: int
    campaign_id: int
    version: int
    status: str  # provisional, published
    created_at: datetime
    published_at: datetime | None


def _info(row: Result) -> ResultInfo:
    return ResultInfo(row.id, row.campaign_id, row.version, row.status, row.created_at, row.published_at)


def results(session: Session, *, campaign_ids: list[int]) -> list[ResultInfo]:
    """Every scoring run of these campaigns, newest version first."""
    rows = session.exec(select(Result).where(col(Result.campaign_id).in_(campaign_ids))
                        .order_by(Result.campaign_id, col(Result.version).desc())).all()
    return [_info(r) for r in rows]


def newest_result(session: Session, *, campaign_id: int) -> ResultInfo | None:
    """The newest run, provisional or published (the live screen follows the scoring as it goes)."""
    row = session.exec(select(Result).where(Result.campaign_id == campaign_id)
                       .order_by(col(Result.version).desc())).first()
    return _info(row) if row else None


def newest_published(session: Session, *, campaign_id: int) -> ResultInfo | None:
    row = session.exec(select(Result).where(Result.campaign_id == campaign_id, Result.status == "published")
                       .order_by(col(Result.version).desc())).first()
    return _info(row) if row else None


def best_results(session: Session, *, campaign_ids: list[int]) -> dict[int, ResultInfo]:
    """Per campaign, the result that speaks for the year: the newest published, else the newest provisional."""
    chosen: dict[int, ResultInfo] = {}
    for info in results(session, campaign_ids=campaign_ids):  # newest first within a campaign
        current = chosen.get(info.campaign_id)
        if current is None or (info.status == "published" and current.status != "published"):
            chosen[info.campaign_id] = info
    return chosen


RESULT_COLUMNS = ["result_id", "unit_id", "unit_code", "unit_name", "unit_position", "category_code",
                  "category_zh", "category_en", "category_position", "total", "grade", "rank", "score_low",
                  "score_high", "rank_low", "rank_high", "borderline", *COMPONENTS]


def result_units(session: Session, *, result_ids: list[int], unit_codes: list[str] | None = None) -> pd.DataFrame:
    """The rows of these results with their units and categories; components spread into columns."""
    query = (select(ResultUnit.result_id, Unit.id, Unit.code, Unit.name, Unit.position, UnitCategory.code,
                    UnitCategory.name_zh, UnitCategory.name_en, UnitCategory.position, ResultUnit.total,
                    ResultUnit.grade, ResultUnit.rank, ResultUnit.score_low, ResultUnit.score_high,
                    ResultUnit.rank_low, ResultUnit.rank_high, ResultUnit.borderline, ResultUnit.components)
             .join(Unit, Unit.id == ResultUnit.unit_id)
             .join(UnitCategory, UnitCategory.id == Unit.category_id)
             .where(col(ResultUnit.result_id).in_(result_ids or [-1]))
             .order_by(UnitCategory.position, ResultUnit.rank, Unit.position))
    if unit_codes is not None:
        query = query.where(col(Unit.code).in_(unit_codes))
    rows = []
    for *head, components in session.exec(query).all():
        parts = components or {}
        rows.append([*head, *(_number(parts.get(name)) for name in COMPONENTS)])
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    frame["borderline"] = frame["borderline"].astype(bool)
    return frame


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def campaign_years(session: Session) -> dict[int, int]:
    """campaign id -> year, oldest first."""
    return dict(session.exec(select(Campaign.id, Campaign.year).order_by(Campaign.year)).all())
