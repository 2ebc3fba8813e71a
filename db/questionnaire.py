"""The panel questionnaire: entry by link or ballot code, answers saved one by one, final submission.

Every answer is its own short transaction, so nothing a reviewer gave is lost to a
reload, a closed tab or a restarted server. On submission the questionnaire goes into the
ballot box (db.ballot_box): the draft and its token are gone, and the ballot is released
later, with others, in a shuffled order that nothing in the database ties to its reviewer.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, bindparam, cast, delete, null, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, func, select

from core import quality
from core.clock import to_office, utcnow
from core.errors import UserError
from core.tokens import entry_hashes, new_ballot_code, token_hash
from db import ballot_box, wrong_codes
from db.access import Actor, require
from db.audit import record
from db.campaigns import dimensions, get_campaign, reviewer_groups
from db.draws import active_draw
from db.models import (
    Answer,
    AnswerComment,
    AuditEvent,
    Campaign,
    Dimension,
    DrawMember,
    Invitation,
    Response,
    Reviewer,
    ReviewerGroup,
    Unit,
)
from db.units import UnitRow, list_units

LOG = logging.getLogger(__name__)
OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied", "unknown")
ATTEMPT_KIND = "ballot_code"  # wrong codes, counted per device and network (db.wrong_codes)
COMMENT_LIMIT = 300


@dataclass(frozen=True)
class Ballot:
    """What the questionnaire page holds for an open questionnaire (the token only as its hash)."""

    token_hash: str
    response_id: int
    campaign_id: int
    year: int
    group_id: int
    rehearsal: bool
    new: bool = False  # this call started it (db.metrics counts a questionnaire started once it is committed)


def _refuse(session: Session, miss: UserError, *, client: str, device: str, now: datetime) -> UserError:
    """Count a miss against this device and network (db.wrong_codes) and say why the entry failed."""
    wait = wrong_codes.count_miss(session, kind=ATTEMPT_KIND, device=device, network=client, now=now)
    session.commit()  # the miss counts even though the entry is refused
    return wrong_codes.too_many("q.too_many", wait) if wait else miss


def _office_time(moment: datetime) -> str:
    return to_office(moment).strftime("%Y-%m-%d %H:%M")


def _window_error(campaign: Campaign, now: datetime, *, rehearsal: bool) -> UserError | None:
    if rehearsal:
        if not campaign.rehearsal:
            return UserError("q.rehearsal_over", "this rehearsal ballot no longer works: the rehearsal is over")
        return None
    if now < campaign.panel_opens_at:
        return UserError("q.not_open", "the panel review opens on {opens}", opens=_office_time(campaign.panel_opens_at))
    if now > campaign.panel_closes_at:
        return UserError("q.closed", "the panel review closed on {closes}",
                         closes=_office_time(campaign.panel_closes_at))
    return None


def open_questionnaire(session: Session, *, entry: str, client: str, device: str,
                       now: datetime | None = None) -> Ballot:
    """Resolve a link token or a typed ballot code to its questionnaire, starting it if new.

    `client` is the salted hash of the network the request came from, `device` that of the browser
    (its cookie id, else its session). A code that exists opens whatever others on the same network
    typed; only a miss is counted, and only a device that missed too often waits (db.wrong_codes).
    """
    now = now or utcnow()
    wait = wrong_codes.device_wait(session, kind=ATTEMPT_KIND, device=device, network=client, now=now)
    if wait:
        raise wrong_codes.too_many("q.too_many", wait)
    hashes = entry_hashes(entry)
    invitation = session.exec(select(Invitation).where(col(Invitation.token_hash).in_(hashes))).first() \
        if hashes else None
    if invitation is None or invitation.status == "revoked":
        raise _refuse(session, UserError("q.unknown", "this code is not valid; check it and type it again"),
                      client=client, device=device, now=now)
    if invitation.status == "used":
        raise _refuse(session, UserError("q.used", "this questionnaire has been submitted already"),
                      client=client, device=device, now=now)
    if invitation.expires_at < now:
        raise UserError("q.expired", "this code expired on {expired}", expired=_office_time(invitation.expires_at))
    campaign = session.get(Campaign, invitation.campaign_id)
    problem = _window_error(campaign, now, rehearsal=invitation.rehearsal)
    if problem is not None:
        raise problem
    response = session.exec(select(Response).where(Response.token_hash == invitation.token_hash)).first()
    new = response is None
    if response is None:
        # A demo code's questionnaire is demo data too (purge-demo removes it with the code).
        response = Response(campaign_id=campaign.id, group_id=invitation.group_id, token_hash=invitation.token_hash,
                            rehearsal=invitation.rehearsal, started_at=now, is_demo=invitation.is_demo)
        invitation.status = "started"
        session.add_all([response, invitation])
        try:
            session.flush()
        except IntegrityError:
            # The same link opened twice at once: the other tab created it; use that one.
            session.rollback()
            response = session.exec(select(Response).where(Response.token_hash == invitation.token_hash)).one()
            new = False
    return Ballot(invitation.token_hash, response.id, campaign.id, campaign.year, response.group_id,
                  response.rehearsal, new)


@dataclass(frozen=True)
class Structure:
    """What the questionnaire asks: active units in category order, and the dimensions."""

    title_zh: str
    title_en: str
    units: list[UnitRow]
    dimensions: list[Dimension]


def structure(session: Session, *, campaign_id: int) -> Structure:
    campaign = session.get(Campaign, campaign_id)
    return Structure(campaign.name_zh, campaign.name_en, list_units(session, campaign_id=campaign_id,
                                                                    include_inactive=False),
                     dimensions(session, campaign_id))


@dataclass(frozen=True)
class State:
    answers: dict[tuple[int, int], str]
    comments: dict[int, str]
    position: str


def _draft(session: Session, token: str, now: datetime) -> tuple[Response, Campaign]:
    response = session.exec(select(Response).where(Response.token_hash == token, Response.status == "draft")).first()
    if response is None:
        raise UserError("q.gone", "this questionnaire was submitted or is no longer open")
    campaign = session.get(Campaign, response.campaign_id)
    problem = _window_error(campaign, now, rehearsal=response.rehearsal)
    if problem is not None:
        raise problem
    return response, campaign


def _state_statement():
    draft = (Response.token_hash == bindparam("token"), Response.status == "draft")
    answers = (select(Response.id, Response.position, Answer.unit_id, Answer.dimension_id, Answer.option,
                      cast(null(), String).label("text"))
               .select_from(Response).join(Answer, Answer.response_id == Response.id, isouter=True).where(*draft))
    comments = (select(Response.id, Response.position, AnswerComment.unit_id, cast(null(), Integer),
                       cast(null(), String), AnswerComment.text)
                .select_from(Response).join(AnswerComment, AnswerComment.response_id == Response.id).where(*draft))
    return union_all(answers, comments)


# Built once: putting a statement together in SQLAlchemy costs more than SQLite takes to run it.
_STATE = _state_statement()


def load_state(session: Session, *, token: str) -> State:
    """A draft's answers, comments and position in one indexed query (the token's unique index, then
    the answers' and comments' indexes on the response): the questionnaire reads it on every screen."""
    rows = session.connection().execute(_STATE, {"token": token}).all()
    if not rows:
        raise UserError("q.gone", "this questionnaire was submitted or is no longer open")
    given, notes = {}, {}
    for _response, _position, unit_id, dimension_id, option, text in rows:
        if text is not None:
            notes[unit_id] = text
        elif option is not None:
            given[(unit_id, dimension_id)] = option
    return State(given, notes, rows[0][1] or "")


@functools.cache
def _upsert_statement(dialect: str, table, keys: tuple[str, ...], changes: tuple[str, ...]):
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return insert.on_conflict_do_update(index_elements=list(keys),
                                        set_={name: insert.excluded[name] for name in changes})


def _upsert(session: Session, table, rows: list[dict], keys: tuple[str, ...], changes: tuple[str, ...]) -> None:
    """INSERT … ON CONFLICT DO UPDATE on either engine: one statement, no read-modify-write race."""
    # On the connection: the ORM's bulk-insert path around a plain statement costs more than the statement.
    connection = session.connection()
    connection.execute(_upsert_statement(connection.dialect.name, table, keys, changes), rows)


def _draft_check_statement():
    units_ok = (select(func.count(Unit.id)).where(col(Unit.id).in_(bindparam("unit_ids", expanding=True)),
                                                  Unit.campaign_id == Response.campaign_id, Unit.active)
                .correlate(Response).scalar_subquery())
    dimensions_ok = (select(func.count(Dimension.id))
                     .where(col(Dimension.id).in_(bindparam("dimension_ids", expanding=True)),
                            Dimension.campaign_id == Response.campaign_id)
                     .correlate(Response).scalar_subquery())
    return (select(Response.id, Response.rehearsal.label("draft_rehearsal"), Campaign.rehearsal,
                   Campaign.panel_opens_at, Campaign.panel_closes_at, units_ok.label("units_ok"),
                   dimensions_ok.label("dimensions_ok"))
            .join(Campaign, Campaign.id == Response.campaign_id)
            .where(Response.token_hash == bindparam("token"), Response.status == "draft"))


_DRAFT_CHECK = _draft_check_statement()


def _open_draft(session: Session, token: str, now: datetime, unit_ids: set[int], dimension_ids: set[int]) -> int:
    """The draft's id, after checking in one statement that it is open and that every unit and
    dimension belongs to its questionnaire (a tap's whole check: one query, not five)."""
    row = session.connection().execute(_DRAFT_CHECK, {"token": token, "unit_ids": sorted(unit_ids),
                                         "dimension_ids": sorted(dimension_ids)}).first()
    if row is None:
        raise UserError("q.gone", "this questionnaire was submitted or is no longer open")
    problem = _window_error(row, now, rehearsal=row.draft_rehearsal)
    if problem is not None:
        raise problem
    if row.units_ok != len(unit_ids) or row.dimensions_ok != len(dimension_ids):
        raise UserError("q.bad_item", "this question does not belong to the questionnaire")
    return row.id


def save_answers(session: Session, *, token: str, answers: dict[tuple[int, int], str] | None = None,
                 comments: dict[int, str] | None = None, now: datetime | None = None) -> None:
    """Store answers ((unit id, dimension id) -> option) and comments (unit id -> text) at once.

    Changing an answer replaces the earlier one; an emptied comment is removed. Saving the same
    again changes nothing, so a retried transaction is harmless.
    """
    answers, comments = answers or {}, comments or {}
    for option in answers.values():
        if option not in OPTIONS:
            raise UserError("q.bad_option", "unknown answer {option!r}", option=option)
    cleaned = {}
    for unit_id, typed in comments.items():
        text = "".join(ch for ch in typed if ch.isprintable() or ch == "\n").strip()
        if len(text) > COMMENT_LIMIT:
            raise UserError("q.comment_long", "a comment has at most {n} characters", n=COMMENT_LIMIT)
        cleaned[unit_id] = text
    if not answers and not cleaned:
        return
    response_id = _open_draft(session, token, now or utcnow(), {u for u, _ in answers} | set(cleaned),
                              {d for _, d in answers})
    if answers:
        rows = [{"response_id": response_id, "unit_id": u, "dimension_id": d, "option": o}
                for (u, d), o in answers.items()]
        _upsert(session, Answer, rows[0] if len(rows) == 1 else rows,
                ("response_id", "unit_id", "dimension_id"), ("option",))
    emptied = [unit_id for unit_id, text in cleaned.items() if not text]
    if emptied:
        session.execute(delete(AnswerComment).where(AnswerComment.response_id == response_id,
                                                    col(AnswerComment.unit_id).in_(emptied)))
    written = [{"response_id": response_id, "unit_id": u, "text": text} for u, text in cleaned.items() if text]
    if written:
        _upsert(session, AnswerComment, written, ("response_id", "unit_id"), ("text",))


def save_answer(session: Session, *, token: str, unit_id: int, dimension_id: int, option: str,
                now: datetime | None = None) -> None:
    """Store one answer at once (changing it replaces the earlier one)."""
    save_answers(session, token=token, answers={(unit_id, dimension_id): option}, now=now)


def save_comment(session: Session, *, token: str, unit_id: int, text: str, now: datetime | None = None) -> None:
    """Store (or, when emptied, remove) the optional comment on a unit. Kept as plain text."""
    save_answers(session, token=token, comments={unit_id: text}, now=now)


def save_position(session: Session, *, token: str, unit_code: str) -> None:
    session.connection().execute(_SAVE_POSITION, {"token": token, "position": unit_code[:40]})


_SAVE_POSITION = (update(Response).where(Response.token_hash == bindparam("token"), Response.status == "draft")
                  .values(position=bindparam("position")))


def _expected_cells(session: Session, campaign_id: int) -> list[tuple[int, int]]:
    """Every (unit, dimension) of the questionnaire, in the order it is shown."""
    units = session.exec(select(Unit.id).where(Unit.campaign_id == campaign_id, Unit.active)
                         .order_by(Unit.position)).all()
    dims = session.exec(select(Dimension.id).where(Dimension.campaign_id == campaign_id)
                        .order_by(Dimension.position)).all()
    return [(u, d) for u in units for d in dims]


def submit(session: Session, *, token: str, now: datetime | None = None) -> dict:
    """Make the questionnaire final and cut it loose from its token: it goes into the ballot box
    (db.ballot_box), which releases it later with others, in a shuffled batch of its own transaction.

    The submission is committed here, before any release: whatever the release meets, the ballot is kept.
    """
    now = now or utcnow()
    response, campaign = _draft(session, token, now)
    state = load_state(session, token=token)
    given = state.answers
    cells = _expected_cells(session, campaign.id)
    missing = [cell for cell in cells if cell not in given]
    if missing:
        raise UserError("q.incomplete", "{n} questions are still unanswered", n=len(missing))
    seconds = (now - response.started_at).total_seconds() if response.started_at else None
    measures = quality.quality_flags([given[cell] for cell in cells], seconds=seconds)
    session.execute(update(Invitation).where(Invitation.token_hash == token).values(status="used"))
    if response.rehearsal:  # a rehearsal's answers are wiped before the review, and never counted
        response.status, response.token_hash, response.position, response.started_at = "submitted", None, "", None
        response.flags = measures
        session.add(response)
        session.commit()
    else:
        ballot_box.seal(session, draft=response, answers=given, comments=state.comments, flags=measures)
        session.commit()
        _release(session, campaign.id, now)
    return {"answers": len(cells), "flags": measures["flags"]}


def _release(session: Session, campaign_id: int, now: datetime) -> None:
    """Release what the box holds if due, in its own transaction; a failure leaves the sealed ballots for the
    next submission or the scoring to release (nothing is lost: they are committed)."""
    try:
        ballot_box.release_due(session, campaign_id=campaign_id, now=now)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        LOG.warning("the ballot box release was deferred", exc_info=True)


@dataclass(frozen=True)
class GroupProgress:
    code: str
    name_zh: str
    name_en: str
    drawn: int
    started: int
    submitted: int  # questionnaires submitted in this group (links and ballots), rehearsals excluded


def completion(session: Session, *, campaign_id: int) -> list[GroupProgress]:
    """Live completion by reviewer group, counted in SQL."""
    draw = active_draw(session, campaign_id=campaign_id)
    drawn = dict(session.exec(select(DrawMember.group_id, func.count()).where(
        DrawMember.draw_id == (draw.id if draw else -1), DrawMember.status == "drawn").group_by(DrawMember.group_id)
    ).all())
    by_status = session.exec(select(Response.group_id, Response.status, func.count()).where(
        Response.campaign_id == campaign_id, col(Response.rehearsal).is_(False))
        .group_by(Response.group_id, Response.status)).all()
    counts = {(g, s): n for g, s, n in by_status}
    sealed = ballot_box.pending(session, campaign_id=campaign_id)  # submitted, waiting to be released
    return [GroupProgress(g.code, g.name_zh, g.name_en, drawn.get(g.id, 0),
                          counts.get((g.id, "draft"), 0) + counts.get((g.id, "abandoned"), 0),
                          counts.get((g.id, "submitted"), 0) + sealed.get(g.id, 0))
            for g in reviewer_groups(session, campaign_id)]


def quality_summary(session: Session, *, campaign_id: int) -> dict[str, int]:
    """How many submitted questionnaires carry each quality flag (they are kept, never deleted)."""
    flags = session.exec(select(Response.flags).where(Response.campaign_id == campaign_id,
                                                      Response.status == "submitted",
                                                      col(Response.rehearsal).is_(False))).all()
    flags = [*flags, *ballot_box.pending_flags(session, campaign_id=campaign_id)]
    summary = {"submitted": len(flags), "straight_lining": 0, "too_fast": 0}
    for measures in flags:
        for flag in (measures or {}).get("flags", []):
            summary[flag] = summary.get(flag, 0) + 1
    return summary


def reminders(session: Session, *, actor: Actor, campaign_id: int) -> list[tuple[str, str, str]]:
    """Drawn people who have not submitted: (name, group code, invitation status). Never answers."""
    require(actor, "admin")
    draw = active_draw(session, campaign_id=campaign_id)
    if draw is None:
        return []
    rows = session.exec(
        select(Reviewer.name, ReviewerGroup.code, func.coalesce(Invitation.status, "not_issued"))
        .select_from(DrawMember)
        .join(Reviewer, DrawMember.reviewer_id == Reviewer.id)
        .join(ReviewerGroup, DrawMember.group_id == ReviewerGroup.id)
        .join(Invitation, (Invitation.draw_member_id == DrawMember.id) & (Invitation.status != "revoked"),
              isouter=True)
        .where(DrawMember.draw_id == draw.id, DrawMember.status == "drawn",
               func.coalesce(Invitation.status, "not_issued") != "used")
        .order_by(ReviewerGroup.position, Reviewer.name)
    ).all()
    return [tuple(r) for r in rows]


def issue_ballots(session: Session, *, actor: Actor, year: int, group_code: str, count: int, batch: str = "",
                  rehearsal: bool | None = None) -> list[str]:
    """One-time venue ballot codes for a reviewer group, naming nobody. Returned once, for printing.

    While the campaign's rehearsal is on every code printed is a rehearsal code (`rehearsal=None` follows
    the campaign); asking for real codes then is refused, so a rehearsal never hands out real ones.
    """
    require(actor, "admin")
    campaign = get_campaign(session, year)
    group = next((g for g in reviewer_groups(session, campaign.id) if g.code == group_code), None)
    if group is None:
        raise UserError("q.unknown_group", "no reviewer group {code!r}", code=group_code)
    if not 1 <= count <= 500:
        raise UserError("q.ballot_count", "print between 1 and 500 ballots at a time")
    if rehearsal is None:
        rehearsal = campaign.rehearsal
    if rehearsal and not campaign.rehearsal:
        raise UserError("q.no_rehearsal", "turn the rehearsal on before printing rehearsal ballots")
    if not rehearsal and campaign.rehearsal:
        raise UserError("q.real_in_rehearsal",
                        "the rehearsal is on: turn it off (and wipe the rehearsal) before printing real ballots")
    codes = [new_ballot_code() for _ in range(count)]
    session.add_all([Invitation(campaign_id=campaign.id, kind="ballot", group_id=group.id, token_hash=token_hash(c),
                                batch=batch.strip()[:40], expires_at=campaign.panel_closes_at, rehearsal=rehearsal)
                     for c in codes])
    session.flush()
    record(session, actor=actor, action="ballot.issue", entity="campaign", entity_id=year, campaign_id=campaign.id,
           after={"group": group_code, "count": count, "batch": batch.strip()[:40], "rehearsal": rehearsal})
    return codes


def set_rehearsal(session: Session, *, actor: Actor, year: int, on: bool) -> None:
    require(actor, "admin")
    campaign = get_campaign(session, year)
    if campaign.rehearsal != on:
        campaign.rehearsal = on
        session.add(campaign)
        record(session, actor=actor, action="campaign.rehearsal", entity="campaign", entity_id=year,
               campaign_id=campaign.id, before={"rehearsal": not on}, after={"rehearsal": on})


def wipe_rehearsal(session: Session, *, actor: Actor, year: int) -> dict:
    """Remove every rehearsal questionnaire and rehearsal ballot in one transaction, before going live."""
    require(actor, "admin")
    campaign = get_campaign(session, year)
    responses = select(Response.id).where(Response.campaign_id == campaign.id, Response.rehearsal)
    counts = {
        "answers": session.execute(delete(Answer).where(col(Answer.response_id).in_(responses))).rowcount,
        "comments": session.execute(delete(AnswerComment).where(col(AnswerComment.response_id).in_(responses)))
        .rowcount,
    }
    counts["responses"] = session.execute(delete(Response).where(Response.campaign_id == campaign.id,
                                                                  Response.rehearsal)).rowcount
    counts["ballots"] = session.execute(delete(Invitation).where(Invitation.campaign_id == campaign.id,
                                                                 Invitation.rehearsal)).rowcount
    record(session, actor=actor, action="campaign.rehearsal_wipe", entity="campaign", entity_id=year,
           campaign_id=campaign.id, after=counts)
    return counts


def structure_version(session: Session, *, campaign_id: int) -> int:
    """A number that changes whenever the questionnaire's structure may have: the newest audit event of
    the campaign (renaming, recategorising, (de)activating or merging a unit, renaming the campaign
    are all audited). Lets a screen keep the structure in memory and still show an administrator's
    change; one lookup in the audit table's campaign index."""
    return session.connection().execute(_STRUCTURE_VERSION, {"campaign_id": campaign_id}).scalar_one()


_STRUCTURE_VERSION = select(func.coalesce(func.max(AuditEvent.id), 0)).where(
    AuditEvent.campaign_id == bindparam("campaign_id"))
