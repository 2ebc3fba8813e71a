"""Whether a campaign's documents are made from demo data, so that they can say so.

A demo campaign is demo through and through; the scheme's own campaign may also hold demo rows
(`python -m db demo --years 2017`), and then its circular, notices and lists are demo too.
"""

from __future__ import annotations

from sqlmodel import Session, select

from db.models import (
    AccountabilityCase,
    Campaign,
    DailyScore,
    Inspection,
    MediaCase,
    PollVote,
    Rectification,
    Response,
    Result,
    Reviewer,
    UnitReport,
)

# The tables whose demo rows feed a campaign's results and casework documents.
FED_BY = (PollVote, Response, Reviewer, MediaCase, Inspection, AccountabilityCase, DailyScore, Rectification,
          UnitReport, Result)


def holds_demo(session: Session, campaign_id: int) -> bool:
    campaign = session.get(Campaign, campaign_id)
    if campaign is not None and campaign.is_demo:
        return True
    return any(session.exec(select(table.id).where(table.campaign_id == campaign_id, table.is_demo).limit(1)).first()
               is not None for table in FED_BY)
