"""Scoring results for dashboard tests, written as the scoring run stores them (tables Result, ResultUnit)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import select

from core.clock import utcnow
from db.engine import session_scope
from db.models import Result, ResultUnit, Unit, UnitCategory

GRADES = ((90.0, "excellent"), (70.0, "qualified"), (0.0, "unqualified"))


def add_result(engine, *, campaign_id: int, status: str = "provisional", version: int = 1, seed: int = 1,
               shift: float = 0.0) -> int:
    """A plausible result for every active unit of the campaign: totals, components, ranks, intervals."""
    rng = random.Random(seed * 1000 + campaign_id)
    with session_scope(engine) as s:
        units = s.exec(select(Unit.id, Unit.code, UnitCategory.code).join(UnitCategory)
                       .where(Unit.campaign_id == campaign_id, Unit.active).order_by(Unit.position)).all()
        now = utcnow() - timedelta(hours=1)
        result = Result(campaign_id=campaign_id, version=version, status=status, config={}, input_hash=f"h{version}",
                        created_at=now, published_at=now if status == "published" else None,
                        published_by="admin" if status == "published" else None)
        s.add(result)
        s.flush()
        by_category: dict[str, list] = {}
        for unit_id, code, category in units:
            components = {"panel": rng.uniform(60, 98), "online": rng.uniform(55, 98),
                          "inspection": rng.uniform(50, 100), "daily": None if code.endswith("8") else
                          rng.uniform(60, 100)}
            total = min(100.0, sum(v for v in components.values() if v is not None) / 4 + 8 + shift)
            by_category.setdefault(category, []).append((unit_id, total, components))
        for rows in by_category.values():
            rows.sort(key=lambda r: -r[1])
            for rank, (unit_id, total, components) in enumerate(rows, start=1):
                grade = next(g for low, g in GRADES if total >= low)
                s.add(ResultUnit(result_id=result.id, unit_id=unit_id, total=round(total, 2), components=components,
                                 grade=grade, rank=rank, score_low=round(total - 3, 2), score_high=round(total + 3, 2),
                                 rank_low=max(1, rank - 1), rank_high=min(len(rows), rank + 2),
                                 borderline=abs(total - 90) < 2 or abs(total - 70) < 2, explanation={}))
        return result.id
