"""The reviewed units of a campaign: adding (one, or a list from a file), categories, listing, renaming,
recategorising, deactivating, merging."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import unit_import
from core.errors import NotFound, UserError, ValidationError
from core.scheme import CODE_RE, repeated_base_names
from db import tallies
from db.access import Actor, require
from db.audit import changes, record
from db.models import (
    AccountabilityCase,
    Answer,
    AnswerComment,
    Campaign,
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


# ---------------------------------------------------------------------------------------
# The office's own units: a category, a unit, a whole list from a file


def _own_campaign(session: Session, campaign_id: int) -> Campaign:
    """A campaign the office may add units to: never a demo year, whose structure purge-demo deletes."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign.not_found", "there is no campaign for {year}", year=campaign_id)
    if campaign.is_demo:
        raise UserError("unit_list.demo_year",
                        "{year} is a demo year, which purge-demo deletes whole: start a year of your own "
                        "(Settings, new year) and add the units there", year=campaign.year)
    return campaign


def _category_map(session: Session, campaign_id: int) -> dict[str, tuple[str, str]]:
    return {c.code: (c.name_zh, c.name_en) for c in categories(session, campaign_id=campaign_id)}


def _next_position(session: Session, table, campaign_id: int) -> int:
    top = session.exec(select(func.max(table.position)).where(table.campaign_id == campaign_id)).one()
    return 0 if top is None else top + 1


def add_category(session: Session, *, actor: Actor, campaign_id: int, code: str, name_zh: str,
                 name_en: str) -> UnitCategory:
    """A new unit category at the end of the campaign's list (its grade quota is counted per category)."""
    require(actor, "admin")
    campaign = _own_campaign(session, campaign_id)
    code = unit_import.normalise_code(code)
    name_zh, name_en = " ".join(name_zh.split()), " ".join(name_en.split())
    problems = []
    if not CODE_RE.match(code):
        problems.append(UserError("unit_list.form_bad_code",
                                  "the code {code!r} must start with a letter and hold only a-z, 0-9 and _ "
                                  "(at most 40 characters)", code=code))
    if not name_zh or not name_en:
        problems.append(UserError("unit_list.category_names", "a category needs a Chinese and an English name"))
    elif max(len(name_zh), len(name_en)) > 100:
        problems.append(UserError("unit_list.category_long", "a category name has at most 100 characters"))
    for other_code, names in _category_map(session, campaign_id).items():
        if other_code == code:
            problems.append(UserError("unit_list.category_code_taken", "the category code {code} is used already",
                                      code=code))
        elif name_zh in names or name_en in names:
            problems.append(UserError("unit_list.category_name_taken",
                                      "a category of this year has that name already ({code})", code=other_code))
    if problems:
        raise ValidationError("unit_list.category_invalid", "the category was not added", problems=problems)
    category = UnitCategory(campaign_id=campaign_id, code=code, name_zh=name_zh, name_en=name_en,
                            position=_next_position(session, UnitCategory, campaign_id))
    session.add(category)
    session.flush()
    record(session, actor=actor, action="category.create", entity="category", entity_id=code,
           campaign_id=campaign_id, after={"name_zh": name_zh, "name_en": name_en, "year": campaign.year})
    return category


def suggest_code(session: Session, *, campaign_id: int, category_code: str) -> str:
    """A free unit code for the add form, numbered on from the category's own (es19 after es01-es18;
    town01 in a category with no units yet)."""
    rows = session.exec(select(Unit.code, UnitCategory.code).join(UnitCategory, Unit.category_id == UnitCategory.id)
                        .where(Unit.campaign_id == campaign_id)).all()
    taken = {code for code, _ in rows}
    numbered = [m.groups() for code, category in rows if category == category_code
                for m in [_NUMBERED.fullmatch(code)] if m]
    if numbered:
        prefix = max({p for p, _ in numbered}, key=lambda p: sum(1 for q, _ in numbered if q == p))
        width = max(len(digits) for p, digits in numbered if p == prefix)
        number = 1 + max(int(digits) for p, digits in numbered if p == prefix)
    else:
        prefix, width, number = (category_code[:10] if CODE_RE.match(category_code or "") else "u"), 2, 1
    while f"{prefix}{number:0{width}d}" in taken:
        number += 1
    return f"{prefix}{number:0{width}d}"


_NUMBERED = re.compile(r"([a-z][a-z_]*?)(\d+)")


def add_unit(session: Session, *, actor: Actor, campaign_id: int, code: str, name: str, category_code: str) -> Unit:
    """A new unit at the end of the campaign's list, under review from now on (poll, questionnaire, scores)."""
    require(actor, "admin")
    _own_campaign(session, campaign_id)
    code, name = unit_import.normalise_code(code), " ".join(name.split())
    categories_by_code = {c.code: c for c in categories(session, campaign_id=campaign_id)}
    problems = unit_import.check_unit(code=code, name=name, category=category_code,
                                      categories=_category_map(session, campaign_id))
    existing = session.exec(select(Unit).where(Unit.campaign_id == campaign_id)).all()
    if any(u.code == code for u in existing):
        problems.append(UserError("unit_list.code_taken", "the unit code {code} is used already", code=code))
    same = next((u for u in existing if name and u.name == name), None)
    if same is not None:
        problems.append(UserError("unit_list.name_taken_form", "{name} is already the name of unit {code}",
                                  name=name, code=same.code))
    if problems:
        raise ValidationError("unit_list.unit_invalid", "the unit was not added", problems=problems)
    unit = Unit(campaign_id=campaign_id, category_id=categories_by_code[category_code].id, code=code, name=name,
                position=_next_position(session, Unit, campaign_id))
    session.add(unit)
    session.flush()
    record(session, actor=actor, action="unit.create", entity="unit", entity_id=code, campaign_id=campaign_id,
           after={"name": name, "category": category_code})
    return unit


@dataclass(frozen=True)
class UnitImportReport:
    created: int
    updated: int
    unchanged: int
    encoding: str


def check_unit_file(session: Session, *, campaign_id: int, content: bytes, filename: str) -> unit_import.UnitImport:
    """Parse and check a unit list against the campaign's categories and units; writes nothing."""
    units = session.exec(select(Unit).where(Unit.campaign_id == campaign_id)).all()
    return unit_import.parse_units(
        content, filename, categories=_category_map(session, campaign_id),
        existing={u.code: u.name for u in units if u.merged_into_id is None},
        merged=frozenset(u.code for u in units if u.merged_into_id is not None))


def import_units(session: Session, *, actor: Actor, campaign_id: int, content: bytes,
                 filename: str) -> UnitImportReport:
    """Import a unit list whole or not at all: new codes are added at the end, known codes renamed or
    recategorised in place (so their votes, answers and cases stay theirs); units not in the file are left
    as they are (deactivate them on the page)."""
    require(actor, "admin")
    campaign = _own_campaign(session, campaign_id)
    parsed = check_unit_file(session, campaign_id=campaign_id, content=content, filename=filename)
    if not parsed.ok:
        raise parsed.as_error()
    category_ids = {c.code: c.id for c in categories(session, campaign_id=campaign_id)}
    by_code = {u.code: u for u in session.exec(select(Unit).where(Unit.campaign_id == campaign_id)).all()}
    position = _next_position(session, Unit, campaign_id)
    created = updated = unchanged = 0
    for line in parsed.rows:
        unit = by_code.get(line.code)
        if unit is None:
            session.add(Unit(campaign_id=campaign_id, category_id=category_ids[line.category], code=line.code,
                             name=line.name, position=position))
            position += 1
            created += 1
        elif (unit.name, unit.category_id) != (line.name, category_ids[line.category]):
            unit.name, unit.category_id = line.name, category_ids[line.category]
            session.add(unit)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    record(session, actor=actor, action="unit.import", entity="campaign", entity_id=campaign.year,
           campaign_id=campaign_id, after={"file": filename, "created": created, "updated": updated,
                                          "unchanged": unchanged})
    return UnitImportReport(created, updated, unchanged, parsed.encoding)
