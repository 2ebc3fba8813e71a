"""The unit answers its complaints; the office rules on disputes, watches deadlines, erases phone numbers.

Who sees what is decided here (db.scope): a liaison sees and answers only their own unit's
complaints, and only those that reached the unit (not held back with a vote set aside as a
burst, not dismissed with a rejected vote); another unit's complaint is "not found". The
office sees and rules on all; leadership and analysts read all, with phone numbers masked.
What people wrote is de-identified here too (core.privacy), so that screens and exports agree:
the citizen's comment for everyone but the office, the answers on a complaint (the unit's, the
office's ruling) for leadership and analysts. Every step is audited; nothing is deleted.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from core import complaints as rules
from core.clock import office_today, to_office, utcnow
from core.errors import NotFound
from core.poll import COUNTED
from core.privacy import masked, text_for
from db.access import Actor, require
from db.audit import record
from db.models import Campaign, Complaint, PollVote, Unit
from db.scope import visible_unit
from documents.workbook import defuse

READERS = ("admin", "leader", "analyst", "liaison")
HANDLERS = ("admin", "liaison")  # the unit answers (the office may record an answer given on paper)
OFFICE = ("admin",)
SEES_PHONE = ("admin", "liaison")  # a liaison only ever sees their own unit's complaints
READS_ANSWERS = ("admin", "liaison")  # the answers written on a complaint, as written: the office and the unit
ERASE_ACTOR = Actor("system:erase-complaint-phones", "admin")


def _not_found(complaint_id: object) -> NotFound:
    return NotFound("complaints.not_found", "there is no complaint {id}", id=complaint_id)


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("complaints.no_campaign", "there is no campaign with id {id}", id=campaign_id)
    return campaign


@dataclass(frozen=True)
class ComplaintRow:
    """A complaint as the /complaints page shows it: phone and texts masked unless the reader may see them."""

    id: int
    unit_code: str
    unit_name: str
    source: str
    comment: str
    voted_at: datetime
    state: str
    vote_status: str
    received_on: date | None
    ack_due: date | None
    close_due: date | None
    acknowledged_on: date | None
    closed_on: date | None
    ack_overdue: bool
    close_overdue: bool
    found: str
    done: str
    closing_kind: str | None
    ruling: str | None
    ruling_reason: str
    phone: str  # full, masked, or ""
    phone_erased: bool
    follow_up: str | None


def _query(campaign_id: int):
    return (select(Complaint, Unit.code, Unit.name, PollVote.source, PollVote.comment, PollVote.created_at,
                   PollVote.status)
            .join(Unit, Unit.id == Complaint.unit_id).join(PollVote, PollVote.id == Complaint.vote_id)
            .where(Complaint.campaign_id == campaign_id))


def _limited(query, actor: Actor, unit: int | None):
    """A liaison's view: their unit, and only what reached it (its vote counted, not held or dismissed)."""
    if unit is None:
        return query
    return query.where(Complaint.unit_id == unit, col(Complaint.state).in_(rules.VISIBLE_TO_UNIT),
                       col(PollVote.status).in_(COUNTED))


def _row(row, actor: Actor, r: rules.Rules, today: date) -> ComplaintRow:
    c, code, name, source, comment, at, vote_status = row
    ack_late = close_late = False
    if c.received_on and c.state in rules.COUNTED_STATES:
        ack_late, close_late = rules.overdue(rules.Facts(c.received_on, c.acknowledged_on, c.closed_on, c.follow_up),
                                             r, today=today)
    phone = (c.phone or "") if actor.role in SEES_PHONE else rules.mask(c.phone)

    def answer(text: str) -> str:
        return text if actor.role in READS_ANSWERS else masked(text)

    return ComplaintRow(
        c.id, code, name, source, text_for(actor.role, comment), at, c.state, vote_status, c.received_on,
        r.ack_due(c.received_on) if c.received_on else None, r.close_due(c.received_on) if c.received_on else None,
        c.acknowledged_on, c.closed_on, ack_late, close_late, answer(c.found), answer(c.done), c.closing_kind,
        c.ruling, answer(c.ruling_reason), phone, c.phone_erased_at is not None, c.follow_up)


def list_complaints(session: Session, *, actor: Actor, campaign_id: int, state: str | None = None,
                    unit_id: int | None = None, overdue_only: bool = False, today: date | None = None,
                    limit: int = 500) -> list[ComplaintRow]:
    """Complaints newest first; a liaison gets only their unit's, whatever `unit_id` asks for."""
    unit = visible_unit(session, actor, campaign_id, *READERS)
    campaign = _campaign(session, campaign_id)
    r, today = rules.rules_from(campaign.settings), today or office_today()
    query = _limited(_query(campaign_id), actor, unit)
    if state is not None:
        query = query.where(Complaint.state == state)
    if unit_id is not None:
        query = query.where(Complaint.unit_id == unit_id)
    rows = [_row(row, actor, r, today) for row in session.exec(query.order_by(col(Complaint.id).desc())
                                                                    .limit(limit)).all()]
    if overdue_only:
        rows = [row for row in rows if row.state in rules.OPEN_STATES and (row.ack_overdue or row.close_overdue)]
    return rows


def get_complaint(session: Session, *, actor: Actor, complaint_id: int, today: date | None = None) -> ComplaintRow:
    require(actor, *READERS)
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise _not_found(complaint_id)
    unit = visible_unit(session, actor, complaint.campaign_id, *READERS)
    row = session.exec(_limited(_query(complaint.campaign_id), actor, unit)
                       .where(Complaint.id == complaint_id)).first()
    if row is None:
        raise _not_found(complaint_id)
    campaign = _campaign(session, complaint.campaign_id)
    return _row(row, actor, rules.rules_from(campaign.settings), today or office_today())


def _for_change(session: Session, actor: Actor, complaint_id: int, roles: tuple[str, ...]) -> Complaint:
    """The complaint locked for a change, if this actor may change it (another unit's: not found)."""
    require(actor, *roles)
    complaint = session.exec(select(Complaint).where(Complaint.id == complaint_id).with_for_update()).first()
    if complaint is None:
        raise _not_found(complaint_id)
    unit = visible_unit(session, actor, complaint.campaign_id, *roles)
    if unit is not None:
        vote_status = session.exec(select(PollVote.status).where(PollVote.id == complaint.vote_id)).one()
        if complaint.unit_id != unit or complaint.state not in rules.VISIBLE_TO_UNIT or vote_status not in COUNTED:
            raise _not_found(complaint_id)
    return complaint


def _view(c: Complaint) -> dict:
    """What an audit event keeps of a complaint: never the phone number, and its texts de-identified (the
    append-only log outlives the erasure of a number someone quoted in an answer)."""
    return {"state": c.state, "acknowledged_on": c.acknowledged_on.isoformat() if c.acknowledged_on else None,
            "closed_on": c.closed_on.isoformat() if c.closed_on else None, "found": masked(c.found),
            "done": masked(c.done), "closing_kind": c.closing_kind, "ruling": c.ruling,
            "ruling_reason": masked(c.ruling_reason)}


def _move(session: Session, actor: Actor, c: Complaint, step: rules.Step, action: str, **changes) -> Complaint:
    rules.check_step(step)
    before = _view(c)
    c.state = rules.after(step)
    for name, value in changes.items():
        setattr(c, name, value)
    c.updated_at = utcnow()
    session.add(c)
    session.flush()
    record(session, actor=actor, action=f"complaints.{action}", entity="complaint", entity_id=c.id,
           campaign_id=c.campaign_id, before=before, after=_view(c))
    return c


def acknowledge(session: Session, *, actor: Actor, complaint_id: int, today: date | None = None) -> Complaint:
    """The unit has taken the complaint up (受理): due within the acknowledgement working days."""
    c = _for_change(session, actor, complaint_id, HANDLERS)
    return _move(session, actor, c, rules.Step(c.state, "acknowledge"), "acknowledge",
                 acknowledged_on=today or office_today())


def close(session: Session, *, actor: Actor, complaint_id: int, found: str, done: str, kind: str,
          today: date | None = None) -> Complaint:
    """The unit's answer: what it found, what it did, and how it closed it. Disputed goes to the office."""
    c = _for_change(session, actor, complaint_id, HANDLERS)
    found = rules.clean_text("found", found, required=False)
    done = rules.clean_text("done", done, required=False)
    day = today or office_today()
    return _move(session, actor, c, rules.Step(c.state, "close", found=found, done=done, kind=kind), "close",
                 found=found, done=done, closing_kind=kind, closed_on=day,
                 acknowledged_on=c.acknowledged_on or day)


def rule_dispute(session: Session, *, actor: Actor, complaint_id: int, ruling: str, reason: str) -> Complaint:
    """The office on a disputed complaint: upheld (it stands, closed) or excluded from the count, in writing."""
    c = _for_change(session, actor, complaint_id, OFFICE)
    reason = rules.clean_text("reason", reason, required=False)
    return _move(session, actor, c, rules.Step(c.state, "rule", ruling=ruling, reason=reason), "rule",
                 ruling=ruling, ruling_reason=reason)


def follow_vote_ruling(session: Session, *, actor: Actor, vote_ids: list[int], decision: str) -> int:
    """Called in the transaction of db.poll.rule_on_votes: a held complaint reaches its unit when its vote is
    admitted (its deadlines count from today), and is dismissed when the vote is rejected. Audited."""
    require(actor, "admin")
    if not vote_ids:
        return 0
    held = session.exec(select(Complaint).where(col(Complaint.vote_id).in_(vote_ids),
                                                col(Complaint.state).in_(("held", "received")))
                        .with_for_update()).all()
    action = "release" if decision == "admitted" else "dismiss"
    today = office_today()
    for c in held:
        extra = {"received_on": today} if action == "release" else {}
        _move(session, actor, c, rules.Step(c.state, action), action, **extra)
    return len(held)


# ------------------------------------------------------------------------------------------- phone numbers


def phones_due(session: Session, *, today: date | None = None) -> list[int]:
    """The complaints whose call-back number is due to go (core.complaints.Rules.phone_erase_on): a finished
    one `complaints.phone_erase_days` after it was finished, and any one, whatever its state,
    `complaints.phone_max_days` after it was filed. Ids only."""
    today = today or office_today()
    rows = session.exec(select(Complaint.id, Complaint.campaign_id, Complaint.state, Complaint.closed_on,
                               Complaint.created_at, Complaint.updated_at)
                        .where(col(Complaint.phone).is_not(None))).all()
    campaigns = {campaign_id: rules.rules_from(settings) for campaign_id, settings in session.exec(
        select(Campaign.id, Campaign.settings).where(col(Campaign.id).in_({row[1] for row in rows} or {-1}))).all()}
    due = []
    for cid, campaign_id, state, closed_on, created_at, updated_at in rows:
        finished = None
        if state in rules.FINISHED_STATES:  # excluded by a ruling, dismissed with its vote: finished by that change
            finished = closed_on if state == "closed" and closed_on else to_office(updated_at).date()
        if campaigns[campaign_id].phone_erase_on(to_office(created_at).date(), finished) <= today:
            due.append(cid)
    return sorted(due)


def erase_numbers(session: Session, *, actor: Actor, complaint_ids: list[int]) -> int:
    """Erase the call-back numbers of these complaints, audited per campaign with the complaint ids and a count,
    never a digit of a number. The UPDATE takes only numbers still there: run twice, or by two replicas at
    once, each number is erased and audited once (the later run's UPDATE waits for the earlier's and then
    finds nothing). Returns how many this run erased."""
    require(actor, "admin")
    if not complaint_ids:
        return 0
    erased = session.execute(
        update(Complaint).where(col(Complaint.id).in_(sorted(set(complaint_ids))), col(Complaint.phone).is_not(None))
        .values(phone=None, phone_erased_at=utcnow()).returning(Complaint.id, Complaint.campaign_id)
        .execution_options(synchronize_session=False)).all()
    by_campaign: dict[int, list[int]] = {}
    for cid, campaign_id in erased:
        by_campaign.setdefault(campaign_id, []).append(cid)
    for campaign_id, ids in sorted(by_campaign.items()):
        ids.sort()
        record(session, actor=actor, action="complaints.phone_erased", entity="complaint",
               entity_id=f"{ids[0]}…{ids[-1]}", campaign_id=campaign_id, after={"complaints": ids, "count": len(ids)})
    return len(erased)


def erase_phones(session: Session, *, actor: Actor = ERASE_ACTOR, today: date | None = None) -> int:
    """Erase every call-back number that is due (phones_due). Run by the app process on its own clock
    (db.housekeeping) and by `python -m db erase-complaint-phones`. Returns how many were erased."""
    require(actor, "admin")
    return erase_numbers(session, actor=actor, complaint_ids=phones_due(session, today=today))


# ------------------------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class UnitFigures:
    unit_id: int
    unit_code: str
    unit_name: str
    votes: int  # counted votes
    complaints: int  # counted complaints (reached the unit, not excluded)
    rate: float | None  # complaints per 100 counted votes
    open: int
    overdue: int
    closed: int
    disputed: int
    excluded: int
    ack_on_time: float | None  # percent
    closed_on_time: float | None
    median_days: float | None  # working days from receipt to closing
    follow_up: dict  # option -> count
    satisfaction: float | None  # the follow-up score (option scores), as it enters the online score
    sources: dict  # poster code -> complaints ("" is the ordinary poll)


def unit_figures(session: Session, *, actor: Actor, campaign_id: int, today: date | None = None
                 ) -> list[UnitFigures]:
    """Per unit: complaint rate, open and overdue, handling times and follow-up; a liaison gets their unit only."""
    unit = visible_unit(session, actor, campaign_id, *READERS)
    campaign = _campaign(session, campaign_id)
    r, today = rules.rules_from(campaign.settings), today or office_today()
    as_of = min(today, campaign.ends_on)
    units = session.exec(select(Unit.id, Unit.code, Unit.name).where(Unit.campaign_id == campaign_id, Unit.active)
                         .order_by(Unit.position, Unit.id)).all()
    if unit is not None:
        units = [u for u in units if u[0] == unit]
    votes = dict(session.exec(select(PollVote.unit_id, func.count()).where(
        PollVote.campaign_id == campaign_id, col(PollVote.status).in_(COUNTED)).group_by(PollVote.unit_id)).all())
    rows = session.exec(select(Complaint, PollVote.source).join(PollVote, PollVote.id == Complaint.vote_id)
                        .where(Complaint.campaign_id == campaign_id, col(PollVote.status).in_(COUNTED),
                               col(Complaint.state).in_(rules.VISIBLE_TO_UNIT))).all()
    by_unit: dict[int, list] = {}
    for c, source in rows:
        by_unit.setdefault(c.unit_id, []).append((c, source))
    result = []
    for unit_id, code, name in units:
        mine = by_unit.get(unit_id, [])
        counted = [c for c, _ in mine if c.state in rules.COUNTED_STATES]
        facts = [rules.Facts(c.received_on, c.acknowledged_on, c.closed_on if c.state == "closed" else None,
                             c.follow_up) for c in counted if c.received_on]
        parts = rules.parts(facts, campaign.settings, as_of)
        overdue = sum(1 for c, f in zip([c for c in counted if c.received_on], facts)
                      if c.state in rules.OPEN_STATES and any(rules.overdue(f, r, today=today)))
        days = [rules.working_days_between(c.received_on, c.closed_on, r) for c in counted
                if c.state == "closed" and c.received_on and c.closed_on]
        n_votes = int(votes.get(unit_id, 0))
        sources: dict[str, int] = {}
        for c, source in mine:
            if c.state in rules.COUNTED_STATES:
                sources[source] = sources.get(source, 0) + 1
        result.append(UnitFigures(
            unit_id, code, name, n_votes, len(counted), 100.0 * len(counted) / n_votes if n_votes else None,
            sum(c.state in rules.OPEN_STATES for c in counted), overdue, sum(c.state == "closed" for c in counted),
            sum(c.state == "disputed" for c in counted), sum(c.state == "excluded" for c, _ in mine),
            parts["ack_on_time"]["score"], parts["closed_on_time"]["score"],
            float(statistics.median(days)) if days else None,
            {o: sum(c.follow_up == o for c in counted) for o in rules.FOLLOW_UP},
            parts["satisfaction"]["score"], sources))
    return result


@dataclass(frozen=True)
class MonthFigures:
    month: str  # YYYY-MM
    votes: int
    complaints: int
    rate: float | None
    median_days: float | None


def unit_months(session: Session, *, actor: Actor, unit_code: str, today: date | None = None) -> list[MonthFigures]:
    """A unit's complaint rate and handling time per month, across every campaign (for /explore)."""
    require(actor, "admin", "leader", "analyst")
    votes: dict[str, int] = {}
    for day, n in session.exec(select(PollVote.day, func.count()).join(Unit, Unit.id == PollVote.unit_id)
                               .where(Unit.code == unit_code, col(PollVote.status).in_(COUNTED))
                               .group_by(PollVote.day)).all():  # a few hundred days a year, folded into months
        votes[day.isoformat()[:7]] = votes.get(day.isoformat()[:7], 0) + int(n)
    rows = session.exec(select(Complaint.received_on, Complaint.closed_on, Complaint.state, Campaign.settings,
                               PollVote.day)
                        .join(Unit, Unit.id == Complaint.unit_id).join(Campaign, Campaign.id == Complaint.campaign_id)
                        .join(PollVote, PollVote.id == Complaint.vote_id)
                        .where(Unit.code == unit_code, col(PollVote.status).in_(COUNTED),
                               col(Complaint.state).in_(rules.COUNTED_STATES))).all()
    counts: dict[str, int] = {}
    days: dict[str, list[int]] = {}
    for received, closed, state, settings, day in rows:
        key = day.isoformat()[:7]
        counts[key] = counts.get(key, 0) + 1
        if state == "closed" and received and closed:
            days.setdefault(key, []).append(rules.working_days_between(received, closed, rules.rules_from(settings)))
    months = sorted(set(votes) | set(counts))
    return [MonthFigures(m, int(votes.get(m, 0)), counts.get(m, 0),
                         100.0 * counts.get(m, 0) / votes[m] if votes.get(m) else None,
                         float(statistics.median(days[m])) if days.get(m) else None) for m in months]


def live_counts(session: Session, *, actor: Actor, campaign_id: int, today: date | None = None) -> dict:
    """Open and overdue complaints of the campaign, and how many wait for a ruling (for /live: not a liaison's)."""
    require(actor, "admin", "leader", "analyst")
    figures = unit_figures(session, actor=actor, campaign_id=campaign_id, today=today)
    held = session.exec(select(func.count()).select_from(Complaint).where(
        Complaint.campaign_id == campaign_id, Complaint.state == "held")).one()
    worst = sorted((f for f in figures if f.overdue), key=lambda f: -f.overdue)[:5]
    return {"open": sum(f.open for f in figures), "overdue": sum(f.overdue for f in figures),
            "disputed": sum(f.disputed for f in figures), "held": int(held),
            "closed": sum(f.closed for f in figures), "worst": [(f.unit_name, f.overdue) for f in worst]}


# ------------------------------------------------------------------------------------------- export

EXPORT_COLUMNS = ("id", "unit_code", "unit_name", "source", "comment", "state", "received_on", "ack_due",
                  "acknowledged_on", "close_due", "closed_on", "closing_kind", "found", "done", "ruling",
                  "ruling_reason", "follow_up", "phone_left")


def export_csv(session: Session, *, actor: Actor, campaign_id: int, today: date | None = None) -> bytes:
    """The complaints as CSV (UTF-8 with BOM). Never a phone number: only whether one was left."""
    rows = list_complaints(session, actor=actor, campaign_id=campaign_id, today=today, limit=100_000)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        values = [row.id, row.unit_code, row.unit_name, row.source, row.comment, row.state, row.received_on,
                  row.ack_due, row.acknowledged_on, row.close_due, row.closed_on, row.closing_kind or "", row.found,
                  row.done, row.ruling or "", row.ruling_reason, row.follow_up or "", "yes" if row.phone else "no"]
        # A cell that starts like a formula is run by spreadsheets: quote it (an empty one stays empty).
        writer.writerow(["" if v is None else defuse(v) for v in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
