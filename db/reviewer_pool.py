"""The reviewer pool (评议人员库): all-or-nothing import, listing with masked personal data, edits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlmodel import Session, col, func, or_, select

from core import pool_import
from core.clock import utcnow
from core.errors import NotFound, UserError, ValidationError
from core.privacy import mask_id_number, mask_phone
from db.access import Actor, require
from db.audit import changes, record
from db.campaigns import get_campaign, reviewer_groups
from db.models import Reviewer, ReviewerGroup


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    encoding: str
    notices: list[UserError]


@dataclass(frozen=True)
class PoolMember:
    id: int
    name: str
    group_code: str
    organisation: str
    phone: str  # masked unless revealed
    id_number: str  # masked unless revealed
    notes: str
    active: bool


def _groups(session: Session, campaign_id: int) -> dict[str, ReviewerGroup]:
    return {g.code: g for g in reviewer_groups(session, campaign_id)}


def _existing(session: Session, campaign_id: int) -> tuple[dict[str, str], dict[str, str]]:
    rows = session.exec(select(Reviewer.person_key, Reviewer.id_number, Reviewer.phone)
                        .where(Reviewer.campaign_id == campaign_id)).all()
    ids = {id_number: key for key, id_number, _ in rows if id_number}
    phones = {phone: key for key, _, phone in rows if phone}
    return ids, phones


def check_pool_file(session: Session, *, year: int, content: bytes, filename: str) -> pool_import.PoolImport:
    """Parse and check a pool file against the campaign's groups and pool; writes nothing."""
    campaign = get_campaign(session, year)
    groups = {code: g.name_zh for code, g in _groups(session, campaign.id).items()}
    existing_ids, existing_phones = _existing(session, campaign.id)
    return pool_import.parse_pool(content, filename, groups=groups, existing_ids=existing_ids,
                                  existing_phones=existing_phones)


def import_pool(session: Session, *, actor: Actor, year: int, content: bytes, filename: str) -> ImportReport:
    """Import a pool file whole or not at all; people already in the pool are updated by their key.

    Updating in place keeps each person's database id, so earlier draws still point at them.
    """
    require(actor, "admin")
    parsed = check_pool_file(session, year=year, content=content, filename=filename)
    if not parsed.ok:
        raise parsed.as_error()
    campaign = get_campaign(session, year)
    groups = _groups(session, campaign.id)
    by_key = {r.person_key: r for r in session.exec(select(Reviewer).where(Reviewer.campaign_id == campaign.id))}
    created = updated = unchanged = 0
    now = utcnow()
    for row in parsed.rows:
        values = {"name": row.name, "group_id": groups[row.group].id, "organisation": row.organisation,
                  "phone": row.phone, "id_number": row.id_number, "notes": row.notes}
        person = by_key.get(row.person_key)
        if person is None:
            session.add(Reviewer(campaign_id=campaign.id, person_key=row.person_key, **values))
            created += 1
        elif any(getattr(person, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(person, key, value)
            person.updated_at = now
            session.add(person)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    record(session, actor=actor, action="pool.import", entity="campaign", entity_id=year, campaign_id=campaign.id,
           after={"file": filename, "sha256": hashlib.sha256(content).hexdigest(), "rows": len(parsed.rows),
                  "created": created, "updated": updated, "unchanged": unchanged, "encoding": parsed.encoding})
    return ImportReport(created, updated, unchanged, parsed.encoding, list(parsed.notices))


def pool_counts(session: Session, *, campaign_id: int) -> dict[str, int]:
    """Active pool members per reviewer group code (every group listed, zero included)."""
    counts = dict(session.exec(
        select(ReviewerGroup.code, func.count(Reviewer.id))
        .join(Reviewer, (Reviewer.group_id == ReviewerGroup.id) & Reviewer.active, isouter=True)
        .where(ReviewerGroup.campaign_id == campaign_id)
        .group_by(ReviewerGroup.code)
    ).all())
    return {g.code: counts.get(g.code, 0) for g in reviewer_groups(session, campaign_id)}


def list_pool(
    session: Session,
    *,
    actor: Actor,
    campaign_id: int,
    search: str = "",
    group_code: str | None = None,
    include_inactive: bool = False,
    reveal: bool = False,
    limit: int = 500,
) -> tuple[list[PoolMember], int]:
    """Pool members matching a search, masked; `reveal` (admin only) is itself audited."""
    require(actor, "admin")
    query = (select(Reviewer, ReviewerGroup.code).join(ReviewerGroup, Reviewer.group_id == ReviewerGroup.id)
             .where(Reviewer.campaign_id == campaign_id))
    if not include_inactive:
        query = query.where(Reviewer.active)
    if group_code:
        query = query.where(ReviewerGroup.code == group_code)
    search = search.strip()
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(col(Reviewer.name).like(pattern), col(Reviewer.organisation).like(pattern),
                                col(Reviewer.notes).like(pattern)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(ReviewerGroup.position, Reviewer.id).limit(limit)).all()
    if reveal and rows:
        record(session, actor=actor, action="pool.reveal", entity="campaign", entity_id=campaign_id,
               campaign_id=campaign_id, after={"search": search, "group": group_code, "rows": len(rows)})
    return [_member(r, code, reveal=reveal) for r, code in rows], total


def _member(person: Reviewer, group_code: str, *, reveal: bool) -> PoolMember:
    phone = (person.phone or "") if reveal else mask_phone(person.phone)
    id_number = (person.id_number or "") if reveal else mask_id_number(person.id_number)
    return PoolMember(person.id, person.name, group_code, person.organisation, phone, id_number, person.notes,
                      person.active)


def get_member(session: Session, *, actor: Actor, campaign_id: int, reviewer_id: int) -> PoolMember | None:
    """One pool member, masked, or None."""
    require(actor, "admin")
    row = session.exec(select(Reviewer, ReviewerGroup.code).join(ReviewerGroup, Reviewer.group_id == ReviewerGroup.id)
                       .where(Reviewer.id == reviewer_id, Reviewer.campaign_id == campaign_id)).first()
    return _member(row[0], row[1], reveal=False) if row else None


def _reviewer(session: Session, campaign_id: int, reviewer_id: int) -> Reviewer:
    person = session.get(Reviewer, reviewer_id)
    if person is None or person.campaign_id != campaign_id:
        raise NotFound("pool.not_found", "no pool member with the number {id}", id=reviewer_id)
    return person


def _masked_view(person: Reviewer, group_code: str) -> dict:
    """What an audit event may keep of a person: never the full phone or ID number."""
    return {"name": person.name, "group": group_code, "organisation": person.organisation,
            "phone": mask_phone(person.phone), "id_number": mask_id_number(person.id_number),
            "notes": person.notes, "active": person.active}


def update_member(
    session: Session,
    *,
    actor: Actor,
    campaign_id: int,
    reviewer_id: int,
    name: str,
    group_code: str,
    organisation: str,
    phone: str | None,
    id_number: str | None,
    notes: str,
    active: bool,
) -> Reviewer:
    """Edit one person with the same rules as an import; the key stays, so draw history stays attached.

    `phone` and `id_number`: None keeps what is stored (the form never shows it), "" removes it.
    """
    require(actor, "admin")
    person = _reviewer(session, campaign_id, reviewer_id)
    groups = _groups(session, campaign_id)
    names = {code: g.name_zh for code, g in groups.items()}
    problems = pool_import.check_member(name=name, group=group_code, organisation=organisation, phone=phone,
                                        id_number=id_number, notes=notes, groups=names)
    if problems:
        raise ValidationError("pool.invalid_member", "the changes were not saved", problems=problems)
    new_phone = person.phone if phone is None else (pool_import.normalise_phone(phone) if phone.strip() else None)
    new_id = person.id_number if id_number is None else (
        pool_import.normalise_id_number(id_number) if id_number.strip() else None)
    clashes = [col(Reviewer.phone) == new_phone] if new_phone else []
    clashes += [col(Reviewer.id_number) == new_id] if new_id else []
    if clashes:
        clash = session.exec(select(Reviewer.id).where(Reviewer.campaign_id == campaign_id, Reviewer.id != reviewer_id,
                                                       or_(*clashes))).first()
        if clash is not None:
            raise UserError("pool.duplicate_member",
                            "another pool member (number {other}) has this phone or ID number", other=clash)
    group = pool_import.group_code(group_code, names)
    before = _masked_view(person, next(c for c, g in groups.items() if g.id == person.group_id))
    person.name, person.group_id = pool_import.normalise_name(name), groups[group].id
    person.organisation, person.notes = pool_import.clean(organisation), pool_import.clean(notes)
    person.phone, person.id_number, person.active = new_phone, new_id, active
    person.updated_at = utcnow()
    session.add(person)
    old, new = changes(before, _masked_view(person, group))
    if new:
        record(session, actor=actor, action="pool.update", entity="reviewer", entity_id=reviewer_id,
               campaign_id=campaign_id, before=old, after=new)
    return person
