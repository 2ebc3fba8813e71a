"""The ballot box: a submitted questionnaire waits, sealed, and is released with others in a shuffled
batch, so that nothing in the database links a ballot to the invitation that opened it.

The threat is whoever reads the database, with a full dump taken after the panel window has closed:
PostgreSQL's system columns (xmin: the transaction that last wrote a row; ctid: where it lies), SQLite's
rowids, ids, every timestamp. That reader knows which reviewer each invitation belongs to, and the
invitation's row changes at the moment it is used. A ballot written by that same transaction, or with an
id, a position or a time that follows the order in which reviewers submitted, names its reviewer. Hence:

1. `seal` (from db.questionnaire.submit): the draft goes (its answers and comments with it), the invitation
   is marked used, and the ballot is put in the box as one document (`SealedBallot`: campaign, group,
   answers, comments, quality flags; no token, no time, no position). The reviewer's part ends there.
2. `release_due`, in a transaction of its own (submit commits first), releases a reviewer group's sealed
   ballots once `RELEASE_AT` of them wait: appended in a random order among themselves (`secrets`) and
   counted into the answer tallies. The sealed rows are deleted.
3. The first release after the close (`Campaign.ballots_final_at`) rewrites every ballot of the campaign
   in one random order (new ids, new physical order, one transaction for all) and recounts the answer
   tallies from scratch (a tally row's xmin would otherwise name the last submission that touched it).
   A draft never submitted is cut from its token `DRAFT_GRACE` after the close (rewritten likewise,
   status `abandoned`; audited as a count).

What stays linkable, and only for someone reading the database while the window is open: a ballot still
sealed (at most RELEASE_AT - 1 per group) shares its transaction with its invitation's `used` mark, and a
released batch (its rows share a transaction) is known to come from the RELEASE_AT or more invitations of
its group used since the batch before.
README "Security" states this threat model. SQLite's deleted rows are overwritten (`secure_delete`,
db/engine.py), so the file itself keeps no sealed ballot either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, func, select

from core.clock import utcnow
from db import tallies
from db.access import Actor
from db.audit import record
from db.models import Answer, AnswerComment, Campaign, Response, SealedBallot

RELEASE_AT = 10  # sealed ballots of one reviewer group that make a batch
DRAFT_GRACE = timedelta(days=7)  # after the close, a draft stays resumable this long (the office may reopen)
BOX = Actor("ballot-box", "system")


@dataclass(frozen=True)
class Ballot:
    """A questionnaire as the box carries it: its answers and comments, no trace of who gave them."""

    campaign_id: int
    group_id: int
    status: str
    answers: tuple[tuple[int, int, str], ...]  # (unit_id, dimension_id, option)
    comments: tuple[tuple[int, str], ...]  # (unit_id, text)
    flags: dict
    rehearsal: bool = False
    is_demo: bool = False


def seal(session: Session, *, draft: Response, answers: dict[tuple[int, int], str], comments: dict[int, str],
         flags: dict) -> None:
    """Put a finished draft in the box and remove the draft, in the caller's (the submission's) transaction."""
    session.add(SealedBallot(campaign_id=draft.campaign_id, group_id=draft.group_id, is_demo=draft.is_demo,
                             content={"answers": sorted([u, d, o] for (u, d), o in answers.items()),
                                      "comments": sorted([u, text] for u, text in comments.items() if text),
                                      "flags": flags}))
    _delete_responses(session, [draft.id])


def pending(session: Session, *, campaign_id: int) -> dict[int, int]:
    """Sealed ballots waiting, per reviewer group id (counts only: the live screen shows them as submitted)."""
    return dict(session.exec(select(SealedBallot.group_id, func.count()).where(SealedBallot.campaign_id == campaign_id)
                             .group_by(SealedBallot.group_id)).all())


def pending_flags(session: Session, *, campaign_id: int) -> list[dict]:
    return [content.get("flags") or {} for content in session.exec(
        select(SealedBallot.content).where(SealedBallot.campaign_id == campaign_id)).all()]


def release_due(session: Session, *, campaign_id: int, now: datetime | None = None) -> int:
    """Release what is due (see the module's doc) in the caller's transaction; the number of ballots
    released. Cheap when nothing is due: one read of the campaign and one count."""
    now = now or utcnow()
    due = _due(session, campaign_id, now)
    if not due:
        return 0
    # Take the campaign's row before reading the box: two releases at once would write a ballot twice.
    # An UPDATE takes the row lock on PostgreSQL and the write lock on SQLite.
    session.execute(update(Campaign).where(Campaign.id == campaign_id)
                    .values(ballots_final_at=Campaign.ballots_final_at))
    campaign = session.get(Campaign, campaign_id)
    session.refresh(campaign)
    closed = now > campaign.panel_closes_at
    waiting = pending(session, campaign_id=campaign_id)
    groups = set(waiting) if closed else {g for g, n in waiting.items() if n >= RELEASE_AT}
    released = 0
    if closed and campaign.ballots_final_at is None:
        released = _release(session, campaign_id, groups, final=True)
        campaign.ballots_final_at = now
    elif groups:
        # After the final release a late ballot (the office reopened the window) joins as a batch; the
        # next final release rewrites all again (ballots_final_at is cleared when the window moves).
        released = _release(session, campaign_id, groups, final=False)
    if closed and campaign.drafts_cut_at is None and now > campaign.panel_closes_at + DRAFT_GRACE:
        _cut_drafts(session, campaign_id)
        campaign.drafts_cut_at = now
    session.add(campaign)
    return released


def release_all_due(session: Session, *, now: datetime | None = None) -> int:
    """`release_due` for every campaign (db.housekeeping runs it hourly): a closed window's last ballots and
    its drafts' cut do not wait for the next submission or scoring."""
    now = now or utcnow()
    return sum(release_due(session, campaign_id=campaign_id, now=now)
               for campaign_id in session.exec(select(Campaign.id).order_by(Campaign.id)).all())


def _due(session: Session, campaign_id: int, now: datetime) -> bool:
    row = session.exec(select(Campaign.panel_closes_at, Campaign.ballots_final_at, Campaign.drafts_cut_at)
                       .where(Campaign.id == campaign_id)).first()
    if row is None:
        return False
    closes, final, cut = row
    waiting = pending(session, campaign_id=campaign_id)
    if now > closes:
        return bool(waiting) or final is None or (cut is None and now > closes + DRAFT_GRACE)
    return any(n >= RELEASE_AT for n in waiting.values())


def _release(session: Session, campaign_id: int, groups: set[int], *, final: bool) -> int:
    """Release the sealed ballots of `groups`. While the window is open they are appended, in a random order
    among themselves, and counted into the tallies; the final release rewrites every ballot of the campaign
    in one random order and recounts the tallies from scratch."""
    sealed = session.exec(select(SealedBallot).where(SealedBallot.campaign_id == campaign_id,
                                                     col(SealedBallot.group_id).in_(groups))).all()
    new = [Ballot(campaign_id, s.group_id, "submitted", tuple(tuple(a) for a in s.content.get("answers", [])),
                  tuple(tuple(c) for c in s.content.get("comments", [])), s.content.get("flags") or {},
                  is_demo=s.is_demo) for s in sealed]
    if sealed:
        session.execute(delete(SealedBallot).where(col(SealedBallot.id).in_([s.id for s in sealed])))
    kept = _read(session, campaign_id, "submitted") if final else []
    _delete_responses(session, [rid for rid, _ in kept])
    written = _write(session, [ballot for _, ballot in kept] + new)
    if final:
        tallies.recount_answers(session, campaign_id)
    else:
        for response, ballot in written:
            tallies.add_submission(session, response, {(u, d): o for u, d, o in ballot.answers})
    record(session, actor=BOX, action="ballots.release", entity="campaign", entity_id=campaign_id,
           campaign_id=campaign_id, after={"released": len(new), "final": final})
    return len(new)


def _cut_drafts(session: Session, campaign_id: int) -> None:
    drafts = _read(session, campaign_id, "draft")
    _delete_responses(session, [rid for rid, _ in drafts])
    _write(session, [Ballot(b.campaign_id, b.group_id, "abandoned", b.answers, b.comments, b.flags,
                            is_demo=b.is_demo) for _, b in drafts])
    record(session, actor=BOX, action="ballots.drafts_cut", entity="campaign", entity_id=campaign_id,
           campaign_id=campaign_id, after={"drafts": len(drafts)})


def _read(session: Session, campaign_id: int, status: str) -> list[tuple[int, Ballot]]:
    """The campaign's questionnaires of one status (rehearsals aside), each with its answers and comments."""
    responses = session.exec(select(Response).where(Response.campaign_id == campaign_id, Response.status == status,
                                                    col(Response.rehearsal).is_(False))).all()
    ids = [r.id for r in responses]
    answers: dict[int, list] = {rid: [] for rid in ids}
    comments: dict[int, list] = {rid: [] for rid in ids}
    if ids:
        for rid, u, d, o in session.exec(select(Answer.response_id, Answer.unit_id, Answer.dimension_id,
                                                Answer.option).where(col(Answer.response_id).in_(ids))).all():
            answers[rid].append((u, d, o))
        for rid, u, text in session.exec(select(AnswerComment.response_id, AnswerComment.unit_id,
                                                AnswerComment.text).where(col(AnswerComment.response_id).in_(ids))):
            comments[rid].append((u, text))
    return [(r.id, Ballot(campaign_id, r.group_id, status, tuple(sorted(answers[r.id])), tuple(sorted(comments[r.id])),
                          r.flags or {}, is_demo=r.is_demo)) for r in responses]


def _delete_responses(session: Session, ids: list[int]) -> None:
    if ids:
        session.execute(delete(Answer).where(col(Answer.response_id).in_(ids)))
        session.execute(delete(AnswerComment).where(col(AnswerComment.response_id).in_(ids)))
        session.execute(delete(Response).where(col(Response.id).in_(ids)))


def _write(session: Session, ballots: list[Ballot]) -> list[tuple[Response, Ballot]]:
    """Write the questionnaires in a random order: their ids, rows and positions follow nothing but chance."""
    if not ballots:
        return []
    order = list(ballots)
    secrets.SystemRandom().shuffle(order)
    rows = [dict(campaign_id=b.campaign_id, group_id=b.group_id, status=b.status, token_hash=None,
                 rehearsal=b.rehearsal, position="", started_at=None, flags=b.flags, is_demo=b.is_demo) for b in order]
    statement = insert(Response).returning(Response.id, sort_by_parameter_order=True)
    ids = session.execute(statement, rows).scalars().all()
    answers = [dict(response_id=rid, unit_id=u, dimension_id=d, option=o)
               for rid, b in zip(ids, order) for u, d, o in b.answers]
    comments = [dict(response_id=rid, unit_id=u, text=text) for rid, b in zip(ids, order) for u, text in b.comments]
    if answers:
        session.execute(insert(Answer), answers)
    if comments:
        session.execute(insert(AnswerComment), comments)
    return [(Response(id=rid, **row), b) for rid, row, b in zip(ids, rows, order)]
