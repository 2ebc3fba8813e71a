"""The leadership's live screen (/live): one read of everything it shows, aggregated in SQL.

One call, one transaction, so that every number on the wall screen describes the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, literal, or_
from sqlmodel import Session, col, select

from core.casework import rectification_days_over, rectification_overdue
from core.clock import from_office
from core.poll import COUNTED
from db.access import Actor
from db.dashboard import ResultInfo, check_reader, counted_vote, newest_published, newest_result, result_units
from db.models import AccountabilityCase, Campaign, PollVote, Rectification, Unit, UnitReport, VoteTally
from db.questionnaire import completion

# Open cases by age, in days since they were opened: the bands a leader asks about.
AGE_BANDS = ((30, "lt30"), (90, "d30_90"), (180, "d90_180"), (None, "gt180"))
TREND_DAYS = 30


@dataclass(frozen=True)
class VoteTotals:
    today: int  # counted votes cast today (office day)
    today_flagged: int  # cast today, set aside for a ruling
    total: int  # counted votes of the campaign
    flagged: int  # waiting for a ruling
    rejected: int
    last_vote_at: datetime | None


@dataclass(frozen=True)
class LiveBoard:
    campaign_id: int
    year: int
    today: date
    in_period: bool  # today lies within the campaign's period
    completion: pd.DataFrame  # group_code, name_zh, name_en, drawn, started, submitted
    votes: VoteTotals
    votes_by_day: pd.DataFrame  # day, counted, flagged (the last TREND_DAYS days of the period up to today)
    result: ResultInfo | None  # the newest scoring run
    published: ResultInfo | None  # the newest published run (may be older than `result`)
    ranking: pd.DataFrame  # db.dashboard.RESULT_COLUMNS of `result`
    cases_by_age: pd.DataFrame  # band, open, overdue
    # unit_code, unit_name, title, state, severity, escalated, opened_on, due_on, age_days, overdue
    open_cases: pd.DataFrame
    # unit_code, unit_name, notice_no, reason, state, issued_on, deadline, days_over
    overdue_rectifications: pd.DataFrame
    late_reports: pd.DataFrame  # unit_code, unit_name, kind, due_on, submitted_at, problem (missing, late)


def live_board(session: Session, *, actor: Actor, campaign_id: int, today: date) -> LiveBoard:
    check_reader(actor)
    campaign = session.get(Campaign, campaign_id)
    result = newest_result(session, campaign_id=campaign_id)
    progress = completion(session, campaign_id=campaign_id)
    return LiveBoard(
        campaign_id=campaign_id, year=campaign.year, today=today,
        in_period=campaign.starts_on <= today <= campaign.ends_on,
        completion=pd.DataFrame([vars(p) for p in progress],
                                columns=["code", "name_zh", "name_en", "drawn", "started", "submitted"]),
        votes=_vote_totals(session, campaign_id, today),
        votes_by_day=_votes_by_day(session, campaign, today),
        result=result, published=newest_published(session, campaign_id=campaign_id),
        ranking=result_units(session, result_ids=[result.id] if result else []),
        cases_by_age=_cases_by_age(session, campaign_id, today),
        open_cases=_open_cases(session, campaign_id, today),
        overdue_rectifications=_overdue_rectifications(session, campaign_id, today),
        late_reports=_late_reports(session, campaign, today),
    )


def _vote_totals(session: Session, campaign_id: int, today: date) -> VoteTotals:
    """From the maintained tallies (db/tallies.py): counts by status over the campaign and today;
    the newest vote by id from the campaign's index on the votes themselves."""
    n = func.sum(VoteTally.n)
    by_status = dict(session.exec(select(VoteTally.status, n).where(VoteTally.campaign_id == campaign_id)
                                  .group_by(VoteTally.status)).all())
    today_by_status = dict(session.exec(select(VoteTally.status, n)
                                        .where(VoteTally.campaign_id == campaign_id, VoteTally.day == today)
                                        .group_by(VoteTally.status)).all())
    last = session.exec(select(PollVote.created_at).where(PollVote.campaign_id == campaign_id)
                        .order_by(col(PollVote.id).desc()).limit(1)).first()
    return VoteTotals(today=int(sum(today_by_status.get(s, 0) for s in COUNTED)),
                      today_flagged=int(today_by_status.get("flagged", 0)),
                      total=int(sum(by_status.get(s, 0) for s in COUNTED)), flagged=int(by_status.get("flagged", 0)),
                      rejected=int(by_status.get("rejected", 0)), last_vote_at=last)


def _votes_by_day(session: Session, campaign: Campaign, today: date) -> pd.DataFrame:
    """The last days with their counts (every day shown, quiet ones as 0), ending today or at the period's end."""
    last = min(today, campaign.ends_on)
    first = max(campaign.starts_on, last - timedelta(days=TREND_DAYS - 1))
    # object dtype even with no day at all (a year that has not begun), to merge with the dates of the counts
    days = pd.DataFrame({"day": pd.Series([first + timedelta(days=k) for k in range(max((last - first).days + 1, 0))],
                                          dtype=object)})
    rows = session.exec(
        select(VoteTally.day, func.sum(case((counted_vote(VoteTally.status), VoteTally.n), else_=0)),
               func.sum(case((VoteTally.status == "flagged", VoteTally.n), else_=0)))
        .where(VoteTally.campaign_id == campaign.id, VoteTally.day >= first, VoteTally.day <= last)
        .group_by(VoteTally.day)).all()
    counts = pd.DataFrame(rows, columns=["day", "counted", "flagged"])
    frame = days.merge(counts, on="day", how="left").fillna({"counted": 0, "flagged": 0})
    return frame.astype({"counted": int, "flagged": int})


def _is_open(today: date):
    """Open as of `today`: opened by then and not closed (a past day shows the board as it stood)."""
    closed_on = AccountabilityCase.closed_on
    return and_(AccountabilityCase.opened_on <= today, or_(col(closed_on).is_(None), closed_on > today))


def _cases_by_age(session: Session, campaign_id: int, today: date) -> pd.DataFrame:
    """Open cases per age band, and how many of them are past their due day (bands compared as dates,
    which every database does the same way)."""
    opened = AccountabilityCase.opened_on
    whens = [(opened > today - timedelta(days=days), literal(band)) for days, band in AGE_BANDS if days is not None]
    band = case(*whens, else_=literal(AGE_BANDS[-1][1]))
    overdue = and_(col(AccountabilityCase.due_on).is_not(None), AccountabilityCase.due_on < today)
    rows = session.exec(select(band, func.count(), func.sum(case((overdue, 1), else_=0)))
                        .where(AccountabilityCase.campaign_id == campaign_id, _is_open(today))
                        .group_by(band)).all()
    found = {name: (int(n), int(late or 0)) for name, n, late in rows}
    return pd.DataFrame([(name, *found.get(name, (0, 0))) for _, name in AGE_BANDS],
                        columns=["band", "open", "overdue"])


def _open_cases(session: Session, campaign_id: int, today: date) -> pd.DataFrame:
    rows = session.exec(
        select(Unit.code, Unit.name, AccountabilityCase.title, AccountabilityCase.state, AccountabilityCase.severity,
               AccountabilityCase.escalated, AccountabilityCase.opened_on, AccountabilityCase.due_on)
        .join(Unit, Unit.id == AccountabilityCase.unit_id)
        .where(AccountabilityCase.campaign_id == campaign_id, _is_open(today))
        .order_by(AccountabilityCase.opened_on, AccountabilityCase.id)).all()
    frame = pd.DataFrame(rows, columns=["unit_code", "unit_name", "title", "state", "severity", "escalated",
                                        "opened_on", "due_on"])
    frame["age_days"] = [(today - d).days for d in frame["opened_on"]]
    frame["overdue"] = [due is not None and not pd.isna(due) and due < today for due in frame["due_on"]]
    return frame


def _overdue_rectifications(session: Session, campaign_id: int, today: date) -> pd.DataFrame:
    """Notices past their deadline and still open, by core.casework's one rule (the rectification list's too):
    a notice reported done on time is not overdue while the office has yet to verify it."""
    rows = session.exec(
        select(Unit.code, Unit.name, Rectification.notice_no, Rectification.reason, Rectification.state,
               Rectification.issued_on, Rectification.deadline, Rectification.submitted_on)
        .join(Unit, Unit.id == Rectification.unit_id)
        .where(Rectification.campaign_id == campaign_id, Rectification.deadline < today,
               or_(and_(col(Rectification.closed_on).is_(None), Rectification.state != "verified"),
                   Rectification.closed_on > today))
        .order_by(Rectification.deadline, Rectification.id)).all()
    # A notice verified after `today` (read as of an earlier day) was still open then.
    kept = [row for row in rows if rectification_overdue(row.deadline, row.submitted_on,
                                                         "open" if row.state == "verified" else row.state, today=today)]
    frame = pd.DataFrame([row[:7] for row in kept], columns=["unit_code", "unit_name", "notice_no", "reason", "state",
                                                             "issued_on", "deadline"])
    frame["days_over"] = [rectification_days_over(row.deadline, row.submitted_on, today=today) for row in kept]
    return frame


def _late_reports(session: Session, campaign: Campaign, today: date) -> pd.DataFrame:
    """Plans and summaries past their due day and still missing, or handed in after it.

    A report is on time until the end of its due day in office time; the cut-off moment is
    computed here and compared in SQL, so both databases agree.
    """
    frames = []
    for kind, due in (("plan", campaign.plan_due), ("summary", campaign.summary_due)):
        cutoff = from_office(datetime(due.year, due.month, due.day) + timedelta(days=1))
        submitted = UnitReport.submitted_at
        problem = submitted >= cutoff
        if due < today:  # before the due day a missing report is not yet a problem
            problem = or_(col(submitted).is_(None), problem)
        rows = session.exec(
            select(Unit.code, Unit.name, submitted)
            .select_from(Unit)
            .join(UnitReport, and_(UnitReport.unit_id == Unit.id, UnitReport.kind == kind,
                                   UnitReport.campaign_id == campaign.id), isouter=True)
            .where(Unit.campaign_id == campaign.id, Unit.active, col(Unit.merged_into_id).is_(None), problem)
            .order_by(Unit.position)).all()
        frames += [(code, name, kind, due, at) for code, name, at in rows]
    frame = pd.DataFrame(frames, columns=["unit_code", "unit_name", "kind", "due_on", "submitted_at"])
    frame["problem"] = ["missing" if at is None or pd.isna(at) else "late" for at in frame["submitted_at"]]
    return frame
