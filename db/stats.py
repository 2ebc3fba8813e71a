"""Counts for `python -m db stats` and the overview page, computed in SQL."""

from __future__ import annotations

from sqlmodel import Session, func, select

from db.models import (
    Campaign,
    Dimension,
    PollVote,
    Response,
    Reviewer,
    ReviewerGroup,
    SealedBallot,
    Unit,
    UnitCategory,
)


def _count(session: Session, table, campaign_ids: list[int], *where) -> int:
    query = select(func.count()).select_from(table).where(table.campaign_id.in_(campaign_ids), *where)
    return session.exec(query).one()


def stats(session: Session, *, year: int | None = None) -> dict:
    """Counts over every campaign, or one when `year` is given (units etc. are per campaign)."""
    query = select(Campaign).order_by(Campaign.year)
    if year is not None:
        query = query.where(Campaign.year == year)
    campaigns = session.exec(query).all()
    ids = [c.id for c in campaigns]
    by_category = dict(session.exec(
        select(UnitCategory.code, func.count(Unit.id))
        .join(Unit, Unit.category_id == UnitCategory.id)
        .where(UnitCategory.campaign_id.in_(ids), Unit.active)
        .group_by(UnitCategory.code)
    ).all())
    return {
        "campaigns": [c.year for c in campaigns],
        "units": _count(session, Unit, ids, Unit.active),
        "units_by_category": by_category,
        "dimensions": _count(session, Dimension, ids),
        "reviewer_groups": _count(session, ReviewerGroup, ids),
        "reviewers": _count(session, Reviewer, ids, Reviewer.active),
        "poll_votes": _count(session, PollVote, ids),
        # Submitted questionnaires: released, or still sealed in the ballot box (db.ballot_box).
        "responses": _count(session, Response, ids, Response.status == "submitted")
        + _count(session, SealedBallot, ids),
        "demo_rows": any(c.is_demo for c in campaigns)
        or _count(session, PollVote, ids, PollVote.is_demo) > 0
        or _count(session, Reviewer, ids, Reviewer.is_demo) > 0,
    }
