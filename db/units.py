"""The reviewed units of a campaign: listing, renaming, recategorising, deactivating, merging."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.errors import NotFound, UserError
from core.scheme import repeated_base_names
from db import tallies
from db.access import Actor, require
from db.audit import changes, record
from db.models import (
    AccountabilityCase,
    Answer,
    AnswerComment,
    DailyScore,
    Finding,
    Inspection,
    MediaCase,
    PollVote,
    Rectification,
    Unit,
    UnitCategory,
    UnitReport,
)


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    category_code: str
    category_zh: str
    category_en: str
    position: int
    active: bool
    merged_into: str | None


def list_units(session: Session, *, campaign_id: int, include_inactive: bool = True) -> list[UnitRow]:
    query = (
        select(Unit, UnitCategory)
        .join(UnitCategory, Unit.category_id == UnitCategory.id)
        .where(Unit.campaign_id == campaign_id)
        .order_by(UnitCategory.position, Unit.position)
    )
    if not include_inactive:
        query = query.where(Unit.active)
    rows = session.exec(query).all()
    codes = {unit.id: unit.code for unit, _ in rows}
    return [
        UnitRow(unit.id, unit.code, unit.name, cat.code, cat.name_zh, cat.name_en, unit.position, unit.active,
                codes.get(unit.merged_into_id))
        for unit, cat in rows
    ]


def categories(session: Session, *, campaign_id: int) -> list[UnitCategory]:
    return list(session.exec(
        select(UnitCategory).where(UnitCategory.campaign_id == campaign_id).order_by(UnitCategory.position)
    ).all())


def repeated_names(session: Session, *, campaign_id: int) -> dict[str, list[str]]:
    """Active units whose names differ only by a parenthetical (the 2017 source has two such pairs)."""
    units = session.exec(select(Unit).where(Unit.campaign_id == campaign_id, Unit.active)).all()
    return repeated_base_names({unit.code: unit.name for unit in units})


def _unit(session: Session, campaign_id: int, code: str) -> Unit:
    unit = session.exec(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == code)).first()
    if unit is None:
        raise NotFound("units.not_found", "no unit with the code {code!r}", code=code)
    return unit


def _view(unit: Unit, category_code: str) -> dict:
    return {"name": unit.name, "category": category_code, "active": unit.active}


def update_unit(
    session: Session, *, actor: Actor, campaign_id: int, code: str, name: str, category_code: str, active: bool
) -> Unit:
    """Rename, recategorise or (de)activate a unit; the audit event keeps the old values."""
    require(actor, "admin")
    unit = _unit(session, campaign_id, code)
    if unit.merged_into_id is not None:
        raise UserError("units.merged", "unit {code} was merged into another unit and cannot be edited", code=code)
    name = " ".join(name.split())
    if not name:
        raise UserError("units.name_required", "a unit needs a name")
    if len(name) > 200:
        raise UserError("units.name_long", "a unit name has at most 200 characters")
    categories_by_code = {c.code: c for c in categories(session, campaign_id=campaign_id)}
    if category_code not in categories_by_code:
        raise UserError("units.unknown_category", "no category with the code {code!r}", code=category_code)
    old_category = next(c.code for c in categories_by_code.values() if c.id == unit.category_id)
    before = _view(unit, old_category)
    unit.name, unit.category_id, unit.active = name, categories_by_code[category_code].id, active
    session.add(unit)
    old, new = changes(before, _view(unit, category_code))
    if new:
        record(session, actor=actor, action="unit.update", entity="unit", entity_id=code, campaign_id=campaign_id,
               before=old, after=new)
    return unit


# Every table whose rows belong to a unit: a merge moves them all to the surviving unit.
_UNIT_TABLES = (PollVote, MediaCase, Inspection, Finding, AccountabilityCase, Rectification)


def merge_units(session: Session, *, actor: Actor, campaign_id: int, code: str, into_code: str) -> Unit:
    """Merge unit `code` into `into_code`: its records move over, it stays as an inactive trace.

    Refused when both units hold answers, a daily score or a report, which cannot
    be combined without deciding whose counts: the office resolves those first.
    """
    require(actor, "admin")
    if code == into_code:
        raise UserError("units.merge_self", "a unit cannot be merged into itself")
    unit, target = _unit(session, campaign_id, code), _unit(session, campaign_id, into_code)
    if unit.merged_into_id is not None or target.merged_into_id is not None:
        raise UserError("units.merged", "unit {code} was merged into another unit and cannot be edited",
                        code=code if unit.merged_into_id else into_code)
    for table in (Answer, AnswerComment, DailyScore, UnitReport):
        held = [session.exec(select(table.id).where(table.unit_id == u.id)).first() for u in (unit, target)]
        if all(h is not None for h in held):
            raise UserError("units.merge_conflict",
                            "both units have {what}: resolve these before merging", what=table.__tablename__)
    moved = {}
    try:
        for table in (*_UNIT_TABLES, Answer, AnswerComment, DailyScore, UnitReport):
            result = session.exec(update(table).where(table.unit_id == unit.id).values(unit_id=target.id))
            if result.rowcount:
                moved[table.__tablename__] = result.rowcount
    except IntegrityError:
        # e.g. one device voted for both units on the same day: the votes cannot become one unit's.
        raise UserError("units.merge_duplicates",
                        "the two units' records collide (the same voter on the same day); nothing was merged") from None
    unit.merged_into_id, unit.active = target.id, False
    session.add(unit)
    # Votes and answers changed unit: recount the campaign's dashboard tallies (a rare, admin-only step).
    tallies.rebuild(session, campaign_id)
    record(session, actor=actor, action="unit.merge", entity="unit", entity_id=code, campaign_id=campaign_id,
           before={"name": unit.name}, after={"merged_into": into_code, "moved": moved})
    return target
