"""`purge_demo`: remove exactly the rows the demo made, in one transaction."""

from __future__ import annotations

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, SQLModel, func, select

from core.errors import UserError
from db import tallies
from db.access import Actor, require
from db.audit import record
from db.engine import session_scope
from db.models import (
    AccountabilityCase,
    Answer,
    AnswerComment,
    Campaign,
    CaseEvent,
    Complaint,
    DailyScore,
    Dimension,
    DisplayLink,
    Draw,
    DrawMember,
    Evidence,
    Finding,
    Inspection,
    Invitation,
    MediaCase,
    Objection,
    ObjectionFile,
    ObjectionPeriod,
    PollVote,
    Rectification,
    ResponsiblePerson,
    Result,
    ResultBundle,
    ResultUnit,
    Reviewer,
    ReviewerGroup,
    SealedBallot,
    Talk,
    Unit,
    UnitCategory,
    UnitReport,
)
from db.models import Response as PanelResponse

TALLIES = {"votetally", "answertally", "answerpattern"}  # counts, recounted by the purge


def purge_demo(engine: Engine, *, actor: Actor) -> dict:
    """Delete every demo row and the demo campaigns, in one transaction; returns counts per table.

    Refused, with nothing deleted, while a demo campaign holds anything the demo did not make (a pool the
    office imported into it, a draw, a vote cast by a person, a wall-screen link): that is real work, and
    deleting the demo's years would take it along."""
    require(actor, "admin")
    with session_scope(engine) as session:
        foreign = foreign_rows(session)
        if foreign:
            raise UserError("demo.holds_real", "the demo years hold data the demo did not make: {what}; nothing was "
                            "removed", what=", ".join(f"{table} {n}" for table, n in foreign.items()))
        counts = delete_demo_rows(session)
        record(session, actor=actor, action="demo.purge", entity="demo", after={"rows": counts})
    return counts


# Rows of a demo campaign that the demo never writes itself: any one of them was made by a person.
NEVER_DEMO = (DisplayLink,)


def foreign_rows(session: Session) -> dict[str, int]:
    """Rows in demo campaigns that the demo did not make, counted per table (empty: safe to purge)."""
    demo_campaigns = select(Campaign.id).where(Campaign.is_demo)
    found = {}
    for table in SQLModel.metadata.tables.values():
        if "campaign_id" not in table.c or table.name in {"auditevent", *TALLIES}:
            continue
        if "is_demo" in table.c:
            where = [table.c.campaign_id.in_(demo_campaigns), ~table.c.is_demo]
        elif table.name in {t.__tablename__ for t in NEVER_DEMO}:
            where = [table.c.campaign_id.in_(demo_campaigns)]
        else:
            continue  # the structure (units, categories, dimensions, groups) comes with the campaign
        n = session.exec(select(func.count()).select_from(table).where(*where)).one()
        if n:
            found[table.name] = n
    return found


def delete_demo_rows(session: Session) -> dict[str, int]:
    """Delete the demo; returns rows deleted per table, and `unlinked` (see _unlink_kept_rows).

    A row is demo if it is flagged, belongs to a demo campaign, or hangs off a demo row (an
    answer of a demo response, a talk of a demo notice, a draw member of a demo reviewer).
    Audit events stay: the log is append-only, and it should show the demo came and went.
    """
    demo_campaigns = select(Campaign.id).where(Campaign.is_demo)

    def flagged(table):
        return or_(table.is_demo, table.campaign_id.in_(demo_campaigns))

    def ids(table):
        return select(table.id).where(demo[table])

    # Which rows of each table are demo, parents before children (a child's condition names
    # its parent's); deleting in the reverse order keeps every foreign key valid at every
    # statement, on SQLite and PostgreSQL alike.
    demo = {Campaign: Campaign.is_demo}
    for table in (UnitCategory, Unit, Dimension, ReviewerGroup):
        demo[table] = table.campaign_id.in_(demo_campaigns)
    for table in (UnitReport, DailyScore, PollVote, Reviewer, PanelResponse, Draw, Result, Rectification, MediaCase,
                  Inspection):
        demo[table] = flagged(table)
    demo[DrawMember] = or_(DrawMember.draw_id.in_(ids(Draw)), DrawMember.reviewer_id.in_(ids(Reviewer)))
    demo[Invitation] = or_(flagged(Invitation), Invitation.draw_member_id.in_(ids(DrawMember)))
    demo[ResultUnit] = ResultUnit.result_id.in_(ids(Result))
    demo[ObjectionPeriod] = ObjectionPeriod.result_id.in_(ids(Result))  # posted demo figures, and what was
    demo[Objection] = Objection.period_id.in_(ids(ObjectionPeriod))  # filed against them
    demo[ObjectionFile] = ObjectionFile.objection_id.in_(ids(Objection))
    demo[ResultBundle] = ResultBundle.result_id.in_(ids(Result))
    demo[Talk] = Talk.rectification_id.in_(ids(Rectification))
    demo[Finding] = or_(Finding.is_demo, Finding.inspection_id.in_(ids(Inspection)))
    demo[Evidence] = Evidence.finding_id.in_(ids(Finding))
    demo[AccountabilityCase] = flagged(AccountabilityCase)
    demo[CaseEvent] = CaseEvent.case_id.in_(ids(AccountabilityCase))
    demo[ResponsiblePerson] = ResponsiblePerson.case_id.in_(ids(AccountabilityCase))
    demo[Complaint] = or_(flagged(Complaint), Complaint.vote_id.in_(ids(PollVote)))  # before its vote goes
    demo[SealedBallot] = flagged(SealedBallot)  # a demo questionnaire still in the ballot box
    demo[Answer] = Answer.response_id.in_(ids(PanelResponse))
    demo[AnswerComment] = AnswerComment.response_id.in_(ids(PanelResponse))

    counts = {"unlinked": _unlink_kept_rows(session, findings=ids(Finding), media=ids(MediaCase),
                                            campaigns=demo_campaigns)}
    # Dashboard tallies: a demo campaign's go before its units do; a kept campaign that held demo
    # votes or questionnaires is recounted once the demo rows are gone.
    gone = set(session.exec(demo_campaigns).all())
    touched = set(session.exec(select(PollVote.campaign_id).where(demo[PollVote]).distinct()).all())
    touched |= set(session.exec(select(PanelResponse.campaign_id).where(demo[PanelResponse]).distinct()).all())
    tallies.forget(session, gone)
    connection = session.connection()
    for table in reversed(demo):
        counts[table.__tablename__] = connection.execute(table.__table__.delete().where(demo[table])).rowcount
    for campaign_id in sorted(touched - gone):
        tallies.rebuild(session, campaign_id)
    return counts


def _unlink_kept_rows(session: Session, *, findings, media, campaigns) -> int:
    """An office's own case may cite a demo finding or media case (someone tried the app
    on demo data): the case stays, its pointer to the made-up source goes."""
    connection = session.connection()
    unlinked = 0
    for column, sources in ((AccountabilityCase.finding_id, findings), (AccountabilityCase.media_case_id, media)):
        unlinked += connection.execute(
            update(AccountabilityCase.__table__)
            .where(~AccountabilityCase.is_demo, AccountabilityCase.campaign_id.not_in(campaigns),
                   column.in_(sources))
            .values({column.key: None})
        ).rowcount
    unlinked += connection.execute(
        update(Campaign.__table__).where(~Campaign.is_demo, Campaign.copied_from_id.in_(campaigns))
        .values(copied_from_id=None)
    ).rowcount
    return unlinked
