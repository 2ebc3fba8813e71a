"""The draw of reviewers: stored with everything needed to reproduce it, replacements, invitations."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session, col, func, select

from core import sampling
from core.errors import NotFound, UserError
from core.tokens import new_token, token_hash
from db.access import Actor, require
from db.audit import record
from db.campaigns import get_campaign, reviewer_groups
from db.models import Campaign, Draw, DrawMember, Invitation, Reviewer, ReviewerGroup

REPLACEMENT_REASONS = ("declined", "unreachable", "ineligible")


def pool_frame(session: Session, *, campaign_id: int) -> pd.DataFrame:
    """The active pool as the draw sees it: id (text) and group code, nothing personal."""
    rows = session.exec(
        select(Reviewer.id, ReviewerGroup.code).join(ReviewerGroup, Reviewer.group_id == ReviewerGroup.id)
        .where(Reviewer.campaign_id == campaign_id, Reviewer.active).order_by(Reviewer.id)
    ).all()
    return pd.DataFrame({"id": [str(i) for i, _ in rows], "group": [g for _, g in rows]}, dtype=object)


# The published pool file's headers: a 公示 is read by the public, so they are Chinese. The group's code stays in
# a column of its own because the draw ranks people by it (sha256-rank-v1), so anyone can reproduce the draw.
PUBLIC_ID, PUBLIC_GROUP_NAME, PUBLIC_GROUP = "人员编号", "人员类别", "类别代码"


def public_pool_csv(session: Session, *, campaign_id: int) -> bytes:
    """The file to publish before the draw: with the seed it lets anyone reproduce the draw.

    UTF-8 with a byte-order mark (Excel and WPS then read the Chinese), pool member number, the group's
    Chinese name and its code; no name, phone or ID number.
    """
    pool = pool_frame(session, campaign_id=campaign_id)
    names = {g.code: g.name_zh for g in reviewer_groups(session, campaign_id)}
    published = pd.DataFrame({PUBLIC_ID: pool["id"], PUBLIC_GROUP_NAME: pool["group"].map(names).fillna(""),
                              PUBLIC_GROUP: pool["group"]})
    return published.to_csv(index=False).encode("utf-8-sig")


def read_public_pool(pool: pd.DataFrame) -> pd.DataFrame:
    """The columns id and group of a published pool file (the Chinese headers, or id and group of older files)."""
    pool = pool.rename(columns={PUBLIC_ID: "id", PUBLIC_GROUP: "group"})
    if not {"id", "group"} <= set(pool.columns):
        raise UserError("draw.public_pool_columns", "the pool file needs the columns 人员编号 and 类别代码 "
                        "(or id and group)")
    return pool[["id", "group"]]


@dataclass(frozen=True)
class Preview:
    seed: str
    seed_sha256: str
    pool_hash: str
    sizes: dict[str, int]
    allocation: dict[str, int]


def _sd_for(sd: dict[str, float] | None) -> dict[str, float] | None:
    return {k: float(v) for k, v in sd.items()} if sd else None


def _drawn(pool: pd.DataFrame, *, seed: str, n: int, method: str, minimum: int, sd: dict | None,
           strata: list[str]) -> tuple[dict[str, int], pd.DataFrame]:
    if not seed:
        raise UserError("draw.no_seed", "fix the seed before the draw")
    if pool.empty:
        raise UserError("draw.empty_pool", "the pool is empty: import the reviewer pool first")
    # The refusals a person can meet, in the office's words, before core's own checks speak in a developer's.
    if n > len(pool):
        raise UserError("draw.larger_than_pool", "the pool holds {pool} people: a draw of {n} is not possible; "
                        "import a larger pool or draw at most {pool}", pool=len(pool), n=n)
    groups = sum(min(minimum, int((pool["group"] == code).sum())) for code in strata)
    if groups > n:
        raise UserError("draw.minimum_too_large", "at least {minimum} per group makes {total}, more than the {n} "
                        "to draw: lower the minimum per group or draw more", minimum=minimum, total=groups, n=n)
    try:
        return sampling.draw_panel(pool, n, seed=seed, method=method, minimum=minimum, sd=_sd_for(sd), strata=strata)
    except (ValueError, TypeError) as error:
        raise UserError("draw.impossible", "the draw cannot be made: {reason}", reason=str(error)) from None


def preview(session: Session, *, year: int, seed: str, n: int | None = None, method: str = "proportional",
            minimum: int = 2, sd: dict[str, float] | None = None) -> tuple[Preview, pd.DataFrame]:
    """What the draw will use, shown before it happens: seed digest, pool hash, allocation (and the result)."""
    campaign = get_campaign(session, year)
    pool = pool_frame(session, campaign_id=campaign.id)
    codes = [g.code for g in reviewer_groups(session, campaign.id)]
    seed = str(seed or "").strip()
    allocation, drawn = _drawn(pool, seed=seed, n=campaign.panel_size if n is None else n, method=method,
                               minimum=minimum, sd=sd, strata=codes)
    sizes = {code: int((pool["group"] == code).sum()) for code in codes}
    return Preview(seed, sampling.seed_digest(seed), sampling.pool_hash(pool), sizes, allocation), drawn


def active_draw(session: Session, *, campaign_id: int) -> Draw | None:
    return session.exec(select(Draw).where(Draw.campaign_id == campaign_id, Draw.status == "active")
                        .order_by(col(Draw.id).desc())).first()


def create_draw(
    session: Session,
    *,
    actor: Actor,
    year: int,
    seed: str,
    n: int | None = None,
    method: str = "proportional",
    minimum: int = 2,
    sd: dict[str, float] | None = None,
    seed_source: str = "",
    supersede_reason: str = "",
) -> Draw:
    """Draw the panel and store it with its seed, pool hash and snapshot.

    A campaign has one active draw. Drawing again needs a written reason and keeps
    the earlier draw visible, so nobody can quietly redraw until the panel suits them.
    """
    require(actor, "admin")
    campaign = get_campaign(session, year)
    plan, drawn = preview(session, year=year, seed=seed, n=n, method=method, minimum=minimum, sd=sd)
    previous = active_draw(session, campaign_id=campaign.id)
    if previous is not None:
        if not supersede_reason.strip():
            raise UserError("draw.exists", "a draw exists already for {year}; drawing again needs a reason",
                            year=year)
        previous.status, previous.superseded_reason = "superseded", supersede_reason.strip()
        session.add(previous)
        for invitation in session.exec(select(Invitation).join(DrawMember, Invitation.draw_member_id == DrawMember.id)
                                       .where(DrawMember.draw_id == previous.id, Invitation.status == "issued")):
            invitation.status = "revoked"
            session.add(invitation)
    pool = pool_frame(session, campaign_id=campaign.id)
    groups = {g.code: g.id for g in reviewer_groups(session, campaign.id)}
    record_ = Draw(
        campaign_id=campaign.id, seed=plan.seed, seed_sha256=plan.seed_sha256, pool_hash=plan.pool_hash,
        method=method, algorithm_version=sampling.ALGORITHM_VERSION, n=int(sum(plan.allocation.values())),
        allocation=plan.allocation, parameters={"minimum": minimum, "sd": _sd_for(sd)},
        pool_snapshot=dict(zip(pool["id"], pool["group"])), seed_source=seed_source.strip(),
        operator=actor.username,
    )
    session.add(record_)
    session.flush()
    for row in drawn.itertuples():
        session.add(DrawMember(draw_id=record_.id, reviewer_id=int(row.id), group_id=groups[row.group],
                               draw_order=int(row.draw_order), design_weight=float(row.design_weight)))
    session.flush()
    record(session, actor=actor, action="draw.create", entity="draw", entity_id=record_.id, campaign_id=campaign.id,
           after={"seed": plan.seed, "seed_sha256": plan.seed_sha256, "pool_hash": plan.pool_hash,
                  "method": method, "n": record_.n, "allocation": plan.allocation, "seed_source": record_.seed_source,
                  "supersedes": previous.id if previous else None, "reason": supersede_reason.strip() or None})
    return record_


def get_draw(session: Session, draw_id: int) -> Draw:
    found = session.get(Draw, draw_id)
    if found is None:
        raise NotFound("draw.not_found", "no draw with the number {id}", id=draw_id)
    return found


def list_draws(session: Session, *, campaign_id: int) -> list[Draw]:
    return list(session.exec(select(Draw).where(Draw.campaign_id == campaign_id).order_by(col(Draw.id).desc())))


def snapshot_frame(draw: Draw) -> pd.DataFrame:
    return pd.DataFrame({"id": list(draw.pool_snapshot), "group": list(draw.pool_snapshot.values())}, dtype=object)


def reproduce(draw: Draw) -> pd.DataFrame:
    """Run the draw again from what was stored (snapshot, seed, allocation parameters)."""
    return _drawn(snapshot_frame(draw), seed=draw.seed, n=draw.n, method=draw.method,
                  minimum=draw.parameters.get("minimum", 2), sd=draw.parameters.get("sd"),
                  strata=list(draw.allocation))[1]


def verify(session: Session, *, draw_id: int) -> dict:
    """Re-run a stored draw and compare with the people stored as drawn first (not replacements)."""
    stored = get_draw(session, draw_id)
    original = session.exec(select(DrawMember.reviewer_id)
                            .where(DrawMember.draw_id == draw_id, col(DrawMember.replaces_id).is_(None))).all()
    pool = snapshot_frame(stored)
    result = sampling.compare_draws(list(reproduce(stored)["id"]), [str(i) for i in original])
    result["pool_hash_matches"] = sampling.pool_hash(pool) == stored.pool_hash
    result["seed_sha256_matches"] = sampling.seed_digest(stored.seed) == stored.seed_sha256
    result["verified"] = result["verified"] and result["pool_hash_matches"] and result["seed_sha256_matches"]
    return result


@dataclass(frozen=True)
class MemberRow:
    member_id: int
    reviewer_id: int
    name: str
    organisation: str
    group_code: str
    draw_order: int
    design_weight: float
    status: str
    replaces: int | None
    reason: str


def members(session: Session, *, actor: Actor, draw_id: int) -> list[MemberRow]:
    """Who a draw took, by name and organisation: personal data, for the administrator only."""
    require(actor, "admin")
    rows = session.exec(
        select(DrawMember, Reviewer.name, Reviewer.organisation, ReviewerGroup.code)
        .join(Reviewer, DrawMember.reviewer_id == Reviewer.id)
        .join(ReviewerGroup, DrawMember.group_id == ReviewerGroup.id)
        .where(DrawMember.draw_id == draw_id).order_by(ReviewerGroup.position, DrawMember.draw_order)
    ).all()
    return [MemberRow(m.id, m.reviewer_id, name, org, code, m.draw_order, m.design_weight, m.status, m.replaces_id,
                      m.reason) for m, name, org, code in rows]


def replace_member(session: Session, *, actor: Actor, draw_id: int, reviewer_id: int, reason: str,
                   note: str = "") -> DrawMember:
    """Replace a drawn person by the next one of the same group in the draw's seeded reserve order."""
    require(actor, "admin")
    if reason not in REPLACEMENT_REASONS:
        raise UserError("draw.bad_reason", "the reason must be one of: {reasons}",
                        reasons=", ".join(REPLACEMENT_REASONS))
    stored = get_draw(session, draw_id)
    if stored.status != "active":
        raise UserError("draw.not_active", "this draw was superseded; replacements go into the active draw")
    member = session.exec(select(DrawMember).where(DrawMember.draw_id == draw_id,
                                                   DrawMember.reviewer_id == reviewer_id)).first()
    if member is None or member.status != "drawn":
        raise UserError("draw.not_drawn", "pool member {id} is not a current member of this draw", id=reviewer_id)
    used = {str(r) for r in session.exec(select(DrawMember.reviewer_id).where(DrawMember.draw_id == draw_id))}
    # People deactivated since the draw (moved away, ineligible) are passed over, not drawn.
    inactive = {str(r) for r in session.exec(select(Reviewer.id).where(Reviewer.campaign_id == stored.campaign_id,
                                                                       col(Reviewer.active).is_(False)))}
    pool = snapshot_frame(stored)
    group = stored.pool_snapshot[str(reviewer_id)]
    try:
        successor = sampling.next_replacement(pool, seed=stored.seed, stratum_value=group,
                                              excluded_ids=used | inactive)
    except ValueError:
        raise UserError("draw.no_reserve", "no one is left in the group {group} to replace this person",
                        group=group) from None
    member.status, member.reason = reason, note.strip()
    session.add(member)
    order = session.exec(select(func.max(DrawMember.draw_order)).where(DrawMember.draw_id == draw_id,
                                                                     DrawMember.group_id == member.group_id)).one()
    replacement = DrawMember(draw_id=draw_id, reviewer_id=int(successor), group_id=member.group_id,
                             draw_order=(order or 0) + 1, design_weight=member.design_weight, replaces_id=member.id)
    session.add(replacement)
    for invitation in session.exec(select(Invitation).where(Invitation.draw_member_id == member.id,
                                                            Invitation.status == "issued")):
        invitation.status = "revoked"
        session.add(invitation)
    session.flush()
    record(session, actor=actor, action="draw.replace", entity="draw", entity_id=draw_id,
           campaign_id=stored.campaign_id,
           after={"replaced": reviewer_id, "by": int(successor), "group": group, "reason": reason,
                  "note": note.strip()})
    return replacement


@dataclass(frozen=True)
class IssuedInvitation:
    reviewer_id: int
    name: str
    group_code: str
    group_name: str
    link: str
    token: str  # plain text exists only here, to go on the sheet or into the mail-merge file
    phone: str = ""  # for the office's SMS sender only: never in a public file, a log or the audit trail


def questionnaire_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/questionnaire?token={token}"


def issue_invitations(session: Session, *, actor: Actor, draw_id: int, base_url: str,
                      reissue: bool = False) -> list[IssuedInvitation]:
    """Personal links for the current members of a draw; tokens are stored only as hashes.

    Members who already hold a live invitation are skipped unless `reissue`, which
    revokes the old links (a lost sheet cannot be reprinted: its tokens are gone).
    """
    require(actor, "admin")
    stored = get_draw(session, draw_id)
    if stored.status != "active":
        raise UserError("draw.not_active", "this draw was superseded; replacements go into the active draw")
    campaign = session.get(Campaign, stored.campaign_id)
    group_names = {g.id: g.name_zh for g in reviewer_groups(session, stored.campaign_id)}
    group_codes = {g.id: g.code for g in reviewer_groups(session, stored.campaign_id)}
    issued = []
    current = session.exec(
        select(DrawMember, Reviewer.name, Reviewer.phone).join(Reviewer, DrawMember.reviewer_id == Reviewer.id)
        .where(DrawMember.draw_id == draw_id, DrawMember.status == "drawn")
        .order_by(DrawMember.group_id, DrawMember.draw_order)
    ).all()
    for member, name, phone in current:
        live = session.exec(select(Invitation).where(Invitation.draw_member_id == member.id,
                                                     col(Invitation.status).in_(("issued", "started")))).all()
        if live and not reissue:
            continue
        for old in live:
            if old.status == "issued":
                old.status = "revoked"
                session.add(old)
        if any(old.status == "started" for old in live):
            continue  # a questionnaire in progress keeps its link
        token = new_token()
        session.add(Invitation(campaign_id=stored.campaign_id, kind="personal", group_id=member.group_id,
                               draw_member_id=member.id, token_hash=token_hash(token),
                               expires_at=campaign.panel_closes_at))
        issued.append(IssuedInvitation(member.reviewer_id, name, group_codes[member.group_id],
                                       group_names[member.group_id], questionnaire_link(base_url, token), token,
                                       phone or ""))
    session.flush()
    record(session, actor=actor, action="invitation.issue", entity="draw", entity_id=draw_id,
           campaign_id=stored.campaign_id, after={"issued": len(issued), "reissue": reissue})
    return issued
