"""The stored draw: reproducible, audited, one active per campaign, replacements, invitations."""

import hashlib

import pytest
from sqlmodel import select

from core import sampling
from core.errors import Forbidden, UserError
from db.access import Actor
from db.campaigns import get_campaign, reviewer_groups
from db.draws import (
    active_draw,
    create_draw,
    issue_invitations,
    members,
    pool_frame,
    preview,
    public_pool_csv,
    replace_member,
    verify,
)
from db.engine import session_scope
from db.models import AuditEvent, DrawMember, Invitation, Reviewer

SIZES = [523, 417, 381, 299, 236, 144]


@pytest.fixture
def pooled(scheme_engine):
    """The 2017 campaign with a 2,000-person pool split as in the reference vector."""
    with session_scope(scheme_engine) as s:
        campaign = get_campaign(s, 2017)
        groups = reviewer_groups(s, campaign.id)
        rows = [dict(campaign_id=campaign.id, group_id=g.id, person_key=f"k{g.code}{i}", name=f"人{g.code}{i}")
                for g, size in zip(groups, SIZES) for i in range(size)]
        s.bulk_insert_mappings(Reviewer, rows)
    return scheme_engine


def draw_2017(engine, admin, **kwargs):
    with session_scope(engine) as s:
        return create_draw(s, actor=admin, year=2017, seed=kwargs.pop("seed", "20171130-福彩3D-123"), **kwargs)


def test_draw_follows_the_reference_allocation_and_is_stored_whole(pooled, admin):
    stored = draw_2017(pooled, admin)
    assert list(stored.allocation.values()) == [52, 42, 38, 30, 24, 14]
    assert stored.seed_sha256 == hashlib.sha256(stored.seed.encode()).hexdigest()
    assert stored.algorithm_version == sampling.ALGORITHM_VERSION and stored.operator == "admin"
    assert len(stored.pool_snapshot) == 2000
    with session_scope(pooled) as s:
        rows = members(s, actor=admin, draw_id=stored.id)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "draw.create")).one()
    assert len(rows) == 200 and len({r.reviewer_id for r in rows}) == 200
    assert rows[0].design_weight == pytest.approx(523 / 52)
    assert event.after["pool_hash"] == stored.pool_hash and event.after["seed"] == stored.seed


def test_the_published_pool_file_and_seed_reproduce_the_draw(pooled, admin, tmp_path):
    stored = draw_2017(pooled, admin)
    with session_scope(pooled) as s:
        published = public_pool_csv(s, campaign_id=stored.campaign_id)
        drawn_ids = {str(r.reviewer_id) for r in members(s, actor=admin, draw_id=stored.id)}
        assert verify(s, draw_id=stored.id)["verified"]
    import io

    import pandas as pd

    pool = pd.read_csv(io.BytesIO(published), dtype=str, encoding="utf-8-sig")
    assert list(pool.columns) == ["人员编号", "人员类别", "类别代码"]
    assert "service_recipient" not in set(pool["人员类别"])
    pool = pool.rename(columns={"人员编号": "id", "类别代码": "group"})[["id", "group"]]
    assert sampling.pool_hash(pool) == stored.pool_hash
    _, again = sampling.draw_panel(pool, 200, seed=stored.seed)
    assert set(again["id"]) == drawn_ids


def test_preview_shows_the_same_people_the_draw_then_takes(pooled, admin):
    with session_scope(pooled) as s:
        plan, drawn = preview(s, year=2017, seed="abc")
    stored = draw_2017(pooled, admin, seed="abc")
    with session_scope(pooled) as s:
        assert {str(r.reviewer_id) for r in members(s, actor=admin, draw_id=stored.id)} == set(drawn["id"])
    assert plan.seed_sha256 == stored.seed_sha256


def test_a_second_draw_needs_a_reason_and_keeps_the_first(pooled, admin):
    first = draw_2017(pooled, admin)
    with pytest.raises(UserError, match="needs a reason"):
        draw_2017(pooled, admin, seed="other")
    second = draw_2017(pooled, admin, seed="other", supersede_reason="the pool file was incomplete")
    with session_scope(pooled) as s:
        assert active_draw(s, campaign_id=first.campaign_id).id == second.id
        statuses = {d.id: d.status for d in [s.get(type(first), first.id), s.get(type(first), second.id)]}
    assert statuses == {first.id: "superseded", second.id: "active"}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n": 2001}, "a draw of 2001 is not possible"),
    ({"n": 10, "minimum": 2}, "more than the 10 to draw"),
    ({"seed": "  "}, "fix the seed"),
    ({"method": "neyman"}, "cannot be made"),
])
def test_impossible_draws_are_refused_and_nothing_is_stored(pooled, admin, kwargs, message):
    with pytest.raises(UserError, match=message):
        draw_2017(pooled, admin, **kwargs)
    with session_scope(pooled) as s:
        assert active_draw(s, campaign_id=get_campaign(s, 2017).id) is None


def test_an_empty_pool_is_a_clear_message(scheme_engine, admin):
    with pytest.raises(UserError, match="pool is empty"):
        draw_2017(scheme_engine, admin)


def test_a_stratum_below_its_minimum_is_a_clear_message(scheme_engine, admin):
    with session_scope(scheme_engine) as s:
        campaign = get_campaign(s, 2017)
        group = reviewer_groups(s, campaign.id)[0]
        s.add(Reviewer(campaign_id=campaign.id, group_id=group.id, person_key="only", name="唯一"))
    with pytest.raises(UserError, match="a draw of 2 is not possible"):
        draw_2017(scheme_engine, admin, n=2)


def test_replacement_comes_from_the_same_group_in_seeded_order(pooled, admin):
    stored = draw_2017(pooled, admin)
    with session_scope(pooled) as s:
        first = members(s, actor=admin, draw_id=stored.id)[0]
    with session_scope(pooled) as s:
        new = replace_member(s, actor=admin, draw_id=stored.id, reviewer_id=first.reviewer_id, reason="declined",
                             note="在外地")
    pool = pool_frame_of(pooled, stored.campaign_id)
    expected = sampling.reserve_order(pool, draw_ids(pooled, stored.id, original=True), seed=stored.seed)
    expected_first = expected[expected["group"] == first.group_code].iloc[0]["id"]
    assert str(new.reviewer_id) == expected_first
    with session_scope(pooled) as s:
        rows = {r.reviewer_id: r for r in members(s, actor=admin, draw_id=stored.id)}
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "draw.replace")).one()
    assert rows[first.reviewer_id].status == "declined" and rows[new.reviewer_id].replaces == first.member_id
    assert rows[new.reviewer_id].group_code == first.group_code
    assert event.after["reason"] == "declined"
    with pytest.raises(UserError, match="not a current member"), session_scope(pooled) as s:
        replace_member(s, actor=admin, draw_id=stored.id, reviewer_id=first.reviewer_id, reason="declined")


def pool_frame_of(engine, campaign_id):
    with session_scope(engine) as s:
        return pool_frame(s, campaign_id=campaign_id)


def draw_ids(engine, draw_id, *, original=False):
    with session_scope(engine) as s:
        query = select(DrawMember.reviewer_id).where(DrawMember.draw_id == draw_id)
        if original:
            query = query.where(DrawMember.replaces_id.is_(None))
        return [str(i) for i in s.exec(query)]


def test_replacements_run_out_with_a_clear_message(scheme_engine, admin):
    with session_scope(scheme_engine) as s:
        campaign = get_campaign(s, 2017)
        for g in reviewer_groups(s, campaign.id):
            for i in range(2):
                s.add(Reviewer(campaign_id=campaign.id, group_id=g.id, person_key=f"{g.code}{i}", name=f"{g.code}{i}"))
    stored = draw_2017(scheme_engine, admin, n=12)
    with session_scope(scheme_engine) as s:
        someone = members(s, actor=admin, draw_id=stored.id)[0]
    with pytest.raises(UserError, match="no one is left"), session_scope(scheme_engine) as s:
        replace_member(s, actor=admin, draw_id=stored.id, reviewer_id=someone.reviewer_id, reason="unreachable")


def test_invitations_store_only_hashes_and_expire_with_the_panel(pooled, admin):
    stored = draw_2017(pooled, admin)
    with session_scope(pooled) as s:
        issued = issue_invitations(s, actor=admin, draw_id=stored.id, base_url="https://review.example/")
    assert len(issued) == 200 and len({i.token for i in issued}) == 200
    assert issued[0].link == f"https://review.example/questionnaire?token={issued[0].token}"
    assert all(len(i.token) >= 32 for i in issued)  # 192 random bits
    with session_scope(pooled) as s:
        stored_rows = s.exec(select(Invitation)).all()
        campaign = get_campaign(s, 2017)
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "invitation.issue")).one()
    hashes = {r.token_hash for r in stored_rows}
    assert all(i.token not in hashes for i in issued)
    assert {hashlib.sha256(i.token.encode()).hexdigest() for i in issued} == hashes
    assert all(r.expires_at == campaign.panel_closes_at for r in stored_rows)
    assert issued[0].token not in str(audit.after)
    with session_scope(pooled) as s:
        assert issue_invitations(s, actor=admin, draw_id=stored.id, base_url="x") == []
        again = issue_invitations(s, actor=admin, draw_id=stored.id, base_url="x", reissue=True)
    assert len(again) == 200
    with session_scope(pooled) as s:
        statuses = [r.status for r in s.exec(select(Invitation))]
    assert statuses.count("revoked") == 200 and statuses.count("issued") == 200


def test_only_admins_draw(pooled):
    for role in ("inspector", "leader", "analyst", "liaison"):
        with pytest.raises(Forbidden):
            draw_2017(pooled, Actor("x", role))


def test_only_admins_read_who_was_drawn(pooled, admin):
    stored = draw_2017(pooled, admin)
    for role in ("inspector", "leader", "analyst", "liaison", "visitor"):
        with pytest.raises(Forbidden), session_scope(pooled) as s:
            members(s, actor=Actor("x", role, "es01" if role == "liaison" else None), draw_id=stored.id)
