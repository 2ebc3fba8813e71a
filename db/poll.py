"""The public poll: recording a citizen's vote, staff views of the votes, and admin rulings.

`record_vote` is the only writer citizens reach, so it is built for a voting day: a handful
of indexed statements in one short transaction, written with SQL expressions rather than ORM
objects. It never stores an address or a device id, only their salted hashes (core.poll).

A refusal is returned, not raised: a flood refusal writes an Attempt row that must be
committed with it, and a page shows every refusal the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import poll as rules
from core.clock import to_office, utcnow
from core.errors import UserError
from core.privacy import text_for
from db import tallies
from db.access import Actor, require
from db.audit import record
from db.complaints.handling import follow_vote_ruling
from db.models import Attempt, Campaign, PollVote, Unit
from db.salt import secret_salt

READERS = ("admin", "leader", "analyst")
ATTEMPT_KIND = "poll_flood"
# Attempts are for rate limiting only: a day is plenty, and nothing older is kept.
ATTEMPT_KEPT = timedelta(days=1)
REASON_LIMIT = 200


def poll_salt() -> str:
    """The key of the poll's hashes: POLL_SALT, else poll_salt in secrets.toml, else data/poll_salt."""
    return secret_salt("poll")


@dataclass(frozen=True)
class VoteResult:
    status: str  # accepted, flagged (recorded, set aside for review), refused (nothing recorded)
    vote_id: int | None = None
    refusal: UserError | None = None

    @property
    def recorded(self) -> bool:
        return self.status != "refused"


def _refused(key: str, default: str, **params: object) -> VoteResult:
    return VoteResult("refused", refusal=UserError(key, default, **params))


def poll_campaign(session: Session, *, today: date) -> Campaign | None:
    """The campaign whose period includes `today` (the newest, should periods overlap)."""
    return session.exec(select(Campaign).where(Campaign.starts_on <= today, Campaign.ends_on >= today)
                        .order_by(col(Campaign.year).desc())).first()


# The voting path's statements, built once: on a voting day, building and caching a statement
# per vote costs more than running it. Plain table columns keep them off the ORM's slower path.
_VOTE, _UNIT, _CAMPAIGN = PollVote.__table__, Unit.__table__, Campaign.__table__
_V = _VOTE.c
_TARGET = (sa_select(_CAMPAIGN.c.starts_on, _CAMPAIGN.c.ends_on, _UNIT.c.active, _UNIT.c.merged_into_id)
           .select_from(_UNIT.join(_CAMPAIGN, _CAMPAIGN.c.id == _UNIT.c.campaign_id))
           .where(_UNIT.c.id == bindparam("unit_id"), _UNIT.c.campaign_id == bindparam("campaign_id")))
_FROM_NETWORK = (sa_select(_V.id, _V.unit_id, _V.created_at)
                 .where(_V.network_hash == bindparam("network"), _V.created_at > bindparam("since")))
_INSERT = insert(_VOTE).returning(_V.id)
# RETURNING names exactly the votes this statement flagged, so the tallies move by exactly those.
_FLAG = (update(_VOTE).where(_V.id.in_(bindparam("ids", expanding=True)), _V.status == "accepted")
         .values(status="flagged", flag_reason=bindparam("reason"))
         .returning(_V.campaign_id, _V.unit_id, _V.day, _V.option))
_ATTEMPT = Attempt.__table__
_PRUNE = delete(_ATTEMPT).where(_ATTEMPT.c.kind == ATTEMPT_KIND, _ATTEMPT.c.at < bindparam("before"))
_ADD_ATTEMPT = insert(_ATTEMPT)


@lru_cache(maxsize=4)
def _newest(k: int):
    # The unit's newest votes (today and yesterday: a timer running over midnight is still a timer).
    return (sa_select(_V.id, _V.network_hash, _V.created_at)
            .where(_V.unit_id == bindparam("unit_id"), _V.day >= bindparam("since_day"))
            .order_by(_V.id.desc()).limit(k))


def record_vote(
    session: Session,
    *,
    campaign_id: int,
    unit_id: int,
    option: str,
    device_id: str,
    ip: str | None,
    comment: str = "",
    now: datetime | None = None,
    salt: str,
    limits: rules.Rules = rules.RULES,
    is_demo: bool = False,
    source: str = "",
) -> VoteResult:
    """Record one citizen's vote, or say why not. The vote is the whole transaction: pass a fresh session.

    One vote per unit per device per office day is the database's unique constraint: a second
    vote fails on insert, and since the insert is the transaction's first write, rolling back
    loses nothing else (no savepoint, which SQLite's Python driver handles badly).
    `is_demo` marks the made-up traffic of `python -m db demo-traffic`; pages never set it.
    """
    now = now or utcnow()
    day = to_office(now).date()
    if option not in rules.OPTIONS:
        return _refused("poll.unknown_option", "choose one of: satisfied, basically satisfied, dissatisfied")
    try:
        comment = rules.clean_comment(comment)
    except UserError as error:
        return VoteResult("refused", refusal=error)
    if not rules.valid_device_id(device_id):
        return _refused("poll.no_device", "your browser did not keep this site's cookie; allow cookies and reload")

    db = session.connection()
    target = db.execute(_TARGET, {"unit_id": unit_id, "campaign_id": campaign_id}).first()
    if target is None or not target.active or target.merged_into_id is not None:
        return _refused("poll.unknown_unit", "this unit is not in the poll; choose it again from the list")
    if not target.starts_on <= day <= target.ends_on:
        return _refused("poll.closed", "the poll is open from {first} to {last}; it is not open today",
                        first=target.starts_on.isoformat(), last=target.ends_on.isoformat())

    network = rules.network_hash(ip, salt)
    # Counted without a lock: two simultaneous votes can both pass at the limit, which a
    # limit this generous tolerates, and every vote still needs its own device and day.
    from_network = db.execute(_FROM_NETWORK, {"network": network, "since": now - limits.flood_window}).all()
    if len(from_network) >= limits.flood_votes:
        db.execute(_PRUNE, {"before": now - ATTEMPT_KEPT})
        db.execute(_ADD_ATTEMPT, {"kind": ATTEMPT_KIND, "subject_hash": network, "at": now})
        return _refused("poll.flood", "too many votes have come from your network in the last few minutes; "
                                      "please try again in {minutes} minutes",
                        minutes=int(limits.flood_window.total_seconds() // 60))

    try:
        vote_id = db.execute(_INSERT, {
            "campaign_id": campaign_id, "unit_id": unit_id, "option": option, "comment": comment,
            "device_hash": rules.device_hash(device_id, salt), "network_hash": network, "day": day,
            "created_at": now, "status": "accepted", "flag_reason": "", "source": source, "is_demo": is_demo,
        }).scalar_one()
    except IntegrityError:
        session.rollback()
        return _refused("poll.already_voted", "you have already rated this unit today; each phone or computer "
                                              "can rate each unit once a day")

    # The unit's newest votes, plus this network's votes for it in the flood window (which hold any burst).
    newest = db.execute(_newest(limits.regular_votes), {"unit_id": unit_id, "since_day": day - timedelta(days=1)})
    recent = [rules.RecentVote(i, n, at) for i, n, at in newest]
    recent += [rules.RecentVote(i, network, at) for i, u, at in from_network if u == unit_id]
    recent.append(rules.RecentVote(vote_id, network, now))
    flags = rules.suspicious(recent, limits)
    # The dashboards' tallies change in this same transaction: the new vote, and any votes flagged now.
    deltas = Counter({(campaign_id, unit_id, day, option, "accepted"): 1})
    for reason in set(flags.values()):
        # Only votes still "accepted": an earlier ruling on a vote is never undone by a later burst.
        moved = db.execute(_FLAG, {"ids": [i for i, r in flags.items() if r == reason], "reason": reason})
        deltas.update(tallies.vote_moves([(*row, "accepted") for row in moved], "flagged"))
    tallies.apply_vote_deltas(db, deltas)
    return VoteResult("flagged" if vote_id in flags else "accepted", vote_id=vote_id)


# ---------------------------------------------------------------------------------------
# Staff views (admin, leader, analyst): aggregated in SQL


@dataclass(frozen=True)
class DayCount:
    day: date
    unit_code: str
    unit_name: str
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    flagged: int  # waiting for a ruling
    rejected: int


def _counted(option: str):
    return func.sum(case((and_(PollVote.option == option, col(PollVote.status).in_(rules.COUNTED)), 1), else_=0))


def _with_status(status: str):
    return func.sum(case((PollVote.status == status, 1), else_=0))


def votes_by_day(session: Session, *, actor: Actor, campaign_id: int, unit_id: int | None = None,
                 since: date | None = None, until: date | None = None) -> list[DayCount]:
    """Votes per unit per day, newest day first: counted ones by option, and those set aside."""
    require(actor, *READERS)
    query = (select(PollVote.day, Unit.code, Unit.name, _counted("satisfied"), _counted("basically_satisfied"),
                    _counted("dissatisfied"), _with_status("flagged"), _with_status("rejected"))
             .join(Unit, Unit.id == PollVote.unit_id)
             .where(PollVote.campaign_id == campaign_id)
             .group_by(PollVote.day, Unit.id, Unit.code, Unit.name, Unit.position)
             .order_by(col(PollVote.day).desc(), Unit.position))
    if unit_id is not None:
        query = query.where(PollVote.unit_id == unit_id)
    if since is not None:
        query = query.where(PollVote.day >= since)
    if until is not None:
        query = query.where(PollVote.day <= until)
    return [DayCount(*row) for row in session.exec(query).all()]


@dataclass(frozen=True)
class FlagGroup:
    unit_id: int
    unit_code: str
    unit_name: str
    day: date
    reason: str  # burst, regular
    votes: int
    networks: int
    first_at: datetime
    last_at: datetime


def flagged_groups(session: Session, *, actor: Actor, campaign_id: int) -> list[FlagGroup]:
    """Votes waiting for a ruling, grouped by unit, day and reason (one burst is usually one group)."""
    require(actor, *READERS)
    rows = session.exec(
        select(Unit.id, Unit.code, Unit.name, PollVote.day, PollVote.flag_reason, func.count(),
               func.count(func.distinct(PollVote.network_hash)), func.min(PollVote.created_at),
               func.max(PollVote.created_at))
        .join(Unit, Unit.id == PollVote.unit_id)
        .where(PollVote.campaign_id == campaign_id, PollVote.status == "flagged")
        .group_by(Unit.id, Unit.code, Unit.name, PollVote.day, PollVote.flag_reason)
        .order_by(col(PollVote.day).desc(), Unit.code)
    ).all()
    return [FlagGroup(*row) for row in rows]


@dataclass(frozen=True)
class VoteRow:
    id: int
    at: datetime
    unit_code: str
    unit_name: str
    option: str
    status: str
    flag_reason: str
    network: str  # the first characters of the salted hash: enough to tell networks apart, no address
    comment: str


def list_votes(session: Session, *, actor: Actor, campaign_id: int, unit_id: int | None = None,
               day: date | None = None, status: str | None = None, reason: str | None = None,
               with_comment: bool = False, limit: int = 500) -> list[VoteRow]:
    """Single votes, newest first: a flagged group's votes, or the comments people left (masked but for the
    office)."""
    require(actor, *READERS)
    query = (select(PollVote.id, PollVote.created_at, Unit.code, Unit.name, PollVote.option, PollVote.status,
                    PollVote.flag_reason, PollVote.network_hash, PollVote.comment)
             .join(Unit, Unit.id == PollVote.unit_id).where(PollVote.campaign_id == campaign_id))
    for column, value in ((PollVote.unit_id, unit_id), (PollVote.day, day), (PollVote.status, status),
                          (PollVote.flag_reason, reason)):
        if value is not None:
            query = query.where(column == value)
    if with_comment:
        query = query.where(PollVote.comment != "")
    rows = session.exec(query.order_by(col(PollVote.id).desc()).limit(limit)).all()
    # A comment reaches leadership and analysts de-identified; the office reads what was typed (core.privacy).
    return [VoteRow(i, at, code, name, option, status, reason_, network[:8], text_for(actor.role, comment))
            for i, at, code, name, option, status, reason_, network, comment in rows]


def rule_on_votes(session: Session, *, actor: Actor, vote_ids: list[int], decision: str, reason: str) -> int:
    """Admit or reject votes set aside for review (or change an earlier ruling); audited. Returns the count."""
    require(actor, "admin")
    if decision not in rules.RULINGS:
        raise UserError("poll.bad_ruling", "a ruling is either admitted or rejected")
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("poll.ruling_reason", "give a reason for the ruling")
    if len(reason) > REASON_LIMIT:
        raise UserError("poll.ruling_reason_long", "the reason has at most {limit} characters", limit=REASON_LIMIT)
    ids = sorted(set(vote_ids))
    rows = session.exec(select(PollVote.id, PollVote.campaign_id, PollVote.status, PollVote.unit_id, PollVote.day,
                               PollVote.option)
                        # Locked: the tallies move from the status read here, so no ruling may slip in between.
                        .where(col(PollVote.id).in_(ids)).with_for_update()).all() if ids else []
    if not rows or len(rows) != len(ids) or any(row[2] not in ("flagged", *rules.RULINGS) for row in rows):
        raise UserError("poll.not_rulable", "only votes set aside for review can be ruled on; reload the list")
    session.exec(update(PollVote).where(col(PollVote.id).in_(ids)).values(status=decision))
    tallies.move_votes(session, [(campaign, unit, day, option, status)
                                 for _, campaign, status, unit, day, option in rows], to=decision)
    before: dict[str, int] = {}
    for row in rows:
        before[row[2]] = before.get(row[2], 0) + 1
    campaigns = {row[1] for row in rows}
    # A complaint held back with its vote now reaches its unit, or never does (db.complaints.handling).
    follow_vote_ruling(session, actor=actor, vote_ids=ids, decision=decision)
    record(session, actor=actor, action="poll.ruling", entity="pollvote", entity_id=f"{ids[0]}…{ids[-1]}",
           campaign_id=campaigns.pop() if len(campaigns) == 1 else None,
           before={"statuses": before}, after={"decision": decision, "reason": reason, "votes": len(ids), "ids": ids})
    return len(ids)
