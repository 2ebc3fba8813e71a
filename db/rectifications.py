"""Rectification (整改): the notice, the talks with the head and the deputy, the unit's report,
the office's verification and the public's verdict.

A unit graded unqualified, or whose rectification the public rejected, gets a notice with a
deadline; its head and its deputy in charge are each summoned for a talk (约谈). The unit's
liaison reads its own notices (and downloads them) and reports the rectification done; the
office sends it back or verifies it, and records the public's satisfaction, which the grade reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case
from sqlmodel import Session, col, select

from core import casework as rules
from core.clock import office_today
from core.errors import NotFound, UserError
from db.access import Actor, require
from db.audit import record
from db.demo_rows import holds_demo
from db.inspections import list_findings
from db.models import Campaign, Rectification, Result, ResultUnit, Talk, Unit
from db.scope import unit_ids, unit_names, visible_unit
from documents.rectification_notice import NoticeData, notice_docx

OFFICE = ("admin",)
READERS = ("admin", "leader", "analyst", "liaison")
UNIT_SIDE = ("admin", "liaison")  # the unit reports through its liaison; the office may enter it for them


@dataclass(frozen=True)
class TalkRow:
    id: int
    held_on: date
    with_role: str
    persons: str
    notes: str


@dataclass(frozen=True)
class RectificationRow:
    id: int
    unit_code: str
    unit_name: str
    reason: str
    problems: str
    notice_no: str
    issuing_office: str
    issued_on: date
    deadline: date
    state: str
    submitted_on: date | None
    closed_on: date | None
    reply: str
    public_satisfaction: str | None
    overdue: bool  # not reported done by the deadline
    days_overdue: int
    talked_to: tuple[str, ...]  # head, deputy: who has had the talk


@dataclass(frozen=True)
class Suggestion:
    unit_code: str
    unit_name: str
    reason: str  # unqualified, public_rejected


def _not_found(rect_id: object) -> NotFound:
    return NotFound("rectification.not_found", "no rectification with the number {id}", id=rect_id)


def _view(r: Rectification) -> dict:
    return {"state": r.state, "notice_no": r.notice_no, "reason": r.reason, "issued_on": r.issued_on.isoformat(),
            "deadline": r.deadline.isoformat(), "submitted_on": r.submitted_on.isoformat() if r.submitted_on else None,
            "closed_on": r.closed_on.isoformat() if r.closed_on else None,
            "public_satisfaction": r.public_satisfaction}


def _row(r: Rectification, unit: Unit, talks: list[str], today: date) -> RectificationRow:
    late = rules.rectification_days_over(r.deadline, r.submitted_on, today=today)
    return RectificationRow(r.id, unit.code, unit.name, r.reason, r.problems, r.notice_no, r.issuing_office,
                            r.issued_on, r.deadline, r.state, r.submitted_on, r.closed_on, r.reply,
                            r.public_satisfaction, late > 0, late, tuple(sorted(set(talks))))


# ---------------------------------------------------------------------------------------
# Reading


def list_rectifications(session: Session, *, actor: Actor, campaign_id: int, unit_code: str | None = None,
                        state: str | None = None, overdue_only: bool = False,
                        today: date | None = None) -> list[RectificationRow]:
    visible = visible_unit(session, actor, campaign_id, *READERS)
    query = (select(Rectification, Unit).join(Unit, Unit.id == Rectification.unit_id)
             .where(Rectification.campaign_id == campaign_id))
    if visible is not None:
        query = query.where(Rectification.unit_id == visible)
    if unit_code:
        query = query.where(Unit.code == unit_code)
    if state:
        query = query.where(Rectification.state == state)
    rows = session.exec(query.order_by(col(Rectification.issued_on).desc(), col(Rectification.id).desc())).all()
    ids = [r.id for r, _ in rows]
    talks: dict[int, list[str]] = {}
    if ids:
        for rect_id, role in session.exec(select(Talk.rectification_id, Talk.with_role)
                                          .where(col(Talk.rectification_id).in_(ids))).all():
            talks.setdefault(rect_id, []).append(role)
    today = today or office_today()
    result = [_row(r, u, talks.get(r.id, []), today) for r, u in rows]
    if overdue_only:
        return [r for r in result if rules.rectification_overdue(r.deadline, r.submitted_on, r.state, today=today)]
    return result


def _rectification(session: Session, actor: Actor, rect_id: int, *roles: str) -> tuple[Rectification, Unit]:
    row = session.exec(select(Rectification, Unit).join(Unit, Unit.id == Rectification.unit_id)
                       .where(Rectification.id == rect_id)).first()
    if row is None:
        raise _not_found(rect_id)
    visible = visible_unit(session, actor, row[0].campaign_id, *roles)
    if visible is not None and row[0].unit_id != visible:
        raise _not_found(rect_id)
    return row


def get_rectification(session: Session, *, actor: Actor, rect_id: int,
                      today: date | None = None) -> tuple[RectificationRow, list[TalkRow]]:
    rect, unit = _rectification(session, actor, rect_id, *READERS)
    talks = session.exec(select(Talk).where(Talk.rectification_id == rect_id).order_by(Talk.held_on, Talk.id)).all()
    return (_row(rect, unit, [t.with_role for t in talks], today or office_today()),
            [TalkRow(t.id, t.held_on, t.with_role, t.persons, t.notes) for t in talks])


def notice_document(session: Session, *, actor: Actor, rect_id: int) -> tuple[str, bytes]:
    """(file name, .docx bytes) of the notice, for the office and the unit it was sent to."""
    rect, unit = _rectification(session, actor, rect_id, *READERS)
    campaign = session.get(Campaign, rect.campaign_id)
    content = notice_docx(NoticeData(notice_no=rect.notice_no, unit_name=unit.name, year=campaign.year,
                                     reason=rect.reason, problems=rect.problems, deadline=rect.deadline,
                                     issuing_office=rect.issuing_office or rules.DEFAULT_OFFICE,
                                     issued_on=rect.issued_on,
                                     is_demo=rect.is_demo or holds_demo(session, campaign.id)))
    return f"整改通知书-{unit.code}-{rect.notice_no or rect.id}.docx", content


def suggestions(session: Session, *, actor: Actor, campaign_id: int) -> list[Suggestion]:
    """Units that should get a notice and have none yet: unqualified in the newest result (published
    first), or whose verified rectification the public rejected without a notice after it."""
    require(actor, *OFFICE)
    names = {u.id: (u.code, u.name) for u in session.exec(select(Unit).where(Unit.campaign_id == campaign_id))}
    notices = session.exec(select(Rectification).where(Rectification.campaign_id == campaign_id)).all()
    published_first = case((Result.status == "published", 0), else_=1)
    result = session.exec(select(Result).where(Result.campaign_id == campaign_id)
                          .order_by(published_first, col(Result.version).desc())).first()
    found: list[Suggestion] = []
    if result is not None:
        unqualified = session.exec(select(ResultUnit.unit_id).where(ResultUnit.result_id == result.id,
                                                                    ResultUnit.grade == "unqualified")).all()
        noticed = {n.unit_id for n in notices if n.reason == "unqualified"}
        found += [Suggestion(*names[u], "unqualified") for u in unqualified if u not in noticed and u in names]
    for n in notices:
        if n.public_satisfaction == "dissatisfied" and not any(
                m.unit_id == n.unit_id and m.reason == "public_rejected" and m.issued_on >= (n.closed_on or n.issued_on)
                and m.id != n.id for m in notices):
            found.append(Suggestion(*names[n.unit_id], "public_rejected"))
    return list(dict.fromkeys(found))


def unit_problems(session: Session, *, actor: Actor, campaign_id: int, unit_code: str) -> str:
    """The unit's findings of the year as problem lines, to start a notice from."""
    require(actor, *OFFICE)
    rows = list_findings(session, actor=actor, campaign_id=campaign_id, unit_code=unit_code)
    return "\n".join(f"{r.visited_on.isoformat()} {r.site}：{r.description}" for r in reversed(rows)
                     if r.state != "recorded")


# ---------------------------------------------------------------------------------------
# Writing


def issue_notice(session: Session, *, actor: Actor, campaign_id: int, notice: rules.NoticeFields) -> Rectification:
    """A notice with its deadline; without a number it gets the year's next one."""
    require(actor, *OFFICE)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign.not_found", "there is no campaign {year}", year=campaign_id)
    notice = rules.check_notice(notice, units=unit_names(session, campaign_id))
    used = session.exec(select(Rectification.notice_no).where(Rectification.campaign_id == campaign_id)).all()
    number = notice.notice_no or rules.next_notice_no(campaign.year, used)
    if number in used:
        raise UserError("rectification.duplicate_no", "the notice number {no} is used already", no=number)
    row = Rectification(campaign_id=campaign_id, unit_id=unit_ids(session, campaign_id)[notice.unit],
                        reason=notice.reason, problems=notice.problems, issued_on=notice.issued_on,
                        deadline=notice.deadline, state="issued", notice_no=number,
                        issuing_office=notice.issuing_office)
    session.add(row)
    session.flush()
    record(session, actor=actor, action="rectification.issue", entity="rectification", entity_id=row.id,
           campaign_id=campaign_id, after={**_view(row), "unit": notice.unit, "problems": notice.problems,
                                           "issuing_office": notice.issuing_office})
    return row


def record_talk(session: Session, *, actor: Actor, rect_id: int, held_on: date, with_role: str, persons: str,
                notes: str = "", today: date | None = None) -> Talk:
    require(actor, *OFFICE)
    rect, _ = _rectification(session, actor, rect_id, *OFFICE)
    persons, notes = rules.check_talk(held_on=held_on, with_role=with_role, persons=persons, notes=notes,
                                      issued_on=rect.issued_on, today=today or office_today())
    talk = Talk(rectification_id=rect_id, held_on=held_on, with_role=with_role, persons=persons, notes=notes)
    session.add(talk)
    session.flush()
    record(session, actor=actor, action="rectification.talk", entity="talk", entity_id=talk.id,
           campaign_id=rect.campaign_id, after={"rectification": rect_id, "held_on": held_on.isoformat(),
                                                "with_role": with_role, "persons": persons, "notes": notes})
    return talk


def _move(session: Session, actor: Actor, rect: Rectification, to: str, *, note: str = "", **changes) -> None:
    rules.check_rectification_step(rect.state, to, note=note)
    before = _view(rect)
    rect.state = to
    for name, value in changes.items():
        setattr(rect, name, value)
    session.add(rect)
    record(session, actor=actor, action="rectification.move", entity="rectification", entity_id=rect.id,
           campaign_id=rect.campaign_id, before=before, after={**_view(rect), "note": note})


def start(session: Session, *, actor: Actor, rect_id: int) -> None:
    """The unit has begun (its liaison says so, or the office)."""
    require(actor, *UNIT_SIDE)
    rect, _ = _rectification(session, actor, rect_id, *UNIT_SIDE)
    _move(session, actor, rect, "in_progress")


def submit(session: Session, *, actor: Actor, rect_id: int, reply: str, today: date | None = None) -> None:
    """The unit reports the rectification done, with what it did; the day counts against the deadline."""
    require(actor, *UNIT_SIDE)
    rect, _ = _rectification(session, actor, rect_id, *UNIT_SIDE)
    reply = rules.check_text("reply", reply, required=True, multiline=True)
    _move(session, actor, rect, "submitted", note=reply[:200], reply=reply, submitted_on=today or office_today())


def send_back(session: Session, *, actor: Actor, rect_id: int, note: str) -> None:
    """The office finds the report insufficient: the unit works on (the first report day stays on record)."""
    require(actor, *OFFICE)
    rect, _ = _rectification(session, actor, rect_id, *OFFICE)
    note = rules.check_text("note", note, required=True, multiline=True)
    _move(session, actor, rect, "in_progress", note=note, submitted_on=None)


def verify(session: Session, *, actor: Actor, rect_id: int, closed_on: date | None = None, note: str = "",
           today: date | None = None) -> None:
    """The office checked the rectification on site: closed."""
    require(actor, *OFFICE)
    rect, _ = _rectification(session, actor, rect_id, *OFFICE)
    closed_on = closed_on or today or office_today()
    if closed_on < rect.issued_on:
        raise UserError("rectification.closed_before_issue", "the closing day is before the notice was issued")
    note = rules.check_text("note", note, required=False, multiline=True)
    _move(session, actor, rect, "verified", note=note, closed_on=closed_on)


def record_satisfaction(session: Session, *, actor: Actor, rect_id: int, rating: str) -> None:
    """The public's verdict on a verified rectification; 'dissatisfied' makes the unit unqualified."""
    require(actor, *OFFICE)
    rect, _ = _rectification(session, actor, rect_id, *OFFICE)
    if rating not in rules.SATISFACTION:
        raise UserError("rectification.bad_rating", "choose satisfied, basically satisfied or dissatisfied")
    if rect.state != "verified":
        raise UserError("rectification.not_verified", "the public judges a rectification once it is verified")
    before = _view(rect)
    rect.public_satisfaction = rating
    session.add(rect)
    record(session, actor=actor, action="rectification.satisfaction", entity="rectification", entity_id=rect.id,
           campaign_id=rect.campaign_id, before=before, after=_view(rect))
