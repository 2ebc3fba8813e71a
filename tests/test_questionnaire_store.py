"""The questionnaire store: every answer kept at once, final submission, nothing traceable."""

from datetime import timedelta

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from core.clock import utcnow
from core.errors import UserError
from db import wrong_codes
from db.campaigns import dimensions, get_campaign
from db.draws import create_draw, issue_invitations
from db.engine import session_scope
from db.models import AuditEvent, Campaign, Invitation, Response, Reviewer, SealedBallot
from db.questionnaire import (
    completion,
    issue_ballots,
    load_state,
    open_questionnaire,
    reminders,
    save_answer,
    save_comment,
    set_rehearsal,
    submit,
    wipe_rehearsal,
)
from db.units import list_units
from tests.test_draws import SIZES

CLIENT = "network-hash"
TABLET = "device-hash"


@pytest.fixture
def panel(scheme_engine, admin):
    """A pool, a draw of 200 with invitations, and the panel window open now."""
    with session_scope(scheme_engine) as s:
        campaign = get_campaign(s, 2017)
        groups = campaign.id
        from db.campaigns import reviewer_groups

        rows = [dict(campaign_id=campaign.id, group_id=g.id, person_key=f"k{g.code}{i}", name=f"人{g.code}{i}")
                for g, size in zip(reviewer_groups(s, groups), SIZES) for i in range(size)]
        s.bulk_insert_mappings(Reviewer, rows)
        campaign.panel_opens_at = utcnow() - timedelta(days=1)
        campaign.panel_closes_at = utcnow() + timedelta(days=1)
        s.add(campaign)
    with session_scope(scheme_engine) as s:
        draw = create_draw(s, actor=admin, year=2017, seed="s")
        issued = issue_invitations(s, actor=admin, draw_id=draw.id, base_url="http://x")
    return scheme_engine, issued


def cells(engine):
    with session_scope(engine) as s:
        cid = get_campaign(s, 2017).id
        units = list_units(s, campaign_id=cid, include_inactive=False)
        dims = dimensions(s, cid)
    return [(u.id, d.id) for u in units for d in dims]


def answer_all(engine, token, option="satisfied"):
    for unit_id, dim_id in cells(engine):
        with session_scope(engine) as s:
            save_answer(s, token=token, unit_id=unit_id, dimension_id=dim_id, option=option)


def open_(engine, entry, client=CLIENT, device=TABLET, now=None):
    with session_scope(engine) as s:
        return open_questionnaire(s, entry=entry, client=client, device=device, now=now)


def test_each_answer_is_stored_at_once_and_survives_a_new_session(panel):
    engine, issued = panel
    ballot = open_(engine, issued[0].token)
    (u1, d1), (u2, d2) = cells(engine)[:2]
    with session_scope(engine) as s:
        save_answer(s, token=ballot.token_hash, unit_id=u1, dimension_id=d1, option="dissatisfied")
        save_comment(s, token=ballot.token_hash, unit_id=u1, text="窗口排队太久")
    with session_scope(engine) as s:
        save_answer(s, token=ballot.token_hash, unit_id=u1, dimension_id=d1, option="basically_satisfied")
        save_answer(s, token=ballot.token_hash, unit_id=u2, dimension_id=d2, option="unknown")
    again = open_(engine, issued[0].token)  # the same link opened again: the same questionnaire
    assert again.response_id == ballot.response_id
    with session_scope(engine) as s:
        state = load_state(s, token=ballot.token_hash)
    assert state.answers == {(u1, d1): "basically_satisfied", (u2, d2): "unknown"}
    assert state.comments == {u1: "窗口排队太久"}


def test_submission_is_final_complete_and_untraceable(panel):
    engine, issued = panel
    ballot = open_(engine, issued[0].token)
    with pytest.raises(UserError, match="185 questions are still unanswered"), session_scope(engine) as s:
        submit(s, token=ballot.token_hash)
    answer_all(engine, ballot.token_hash)
    with session_scope(engine) as s:
        result = submit(s, token=ballot.token_hash)
    assert result["answers"] == 185 and "straight_lining" in result["flags"]
    with session_scope(engine) as s:
        assert s.get(Response, ballot.response_id) is None  # the draft is gone: the ballot is in the box
        [sealed] = s.exec(select(SealedBallot)).all()
        invitation = s.exec(select(Invitation).where(Invitation.token_hash == ballot.token_hash)).one()
        assert sum(p.submitted for p in completion(s, campaign_id=ballot.campaign_id)) == 1
    assert len(sealed.content["answers"]) == 185 and set(sealed.content) == {"answers", "comments", "flags"}
    assert invitation.status == "used"
    with pytest.raises(UserError, match="submitted already"):
        open_(engine, issued[0].token)
    with pytest.raises(UserError, match="submitted or is no longer open"), session_scope(engine) as s:
        save_answer(s, token=ballot.token_hash, unit_id=cells(engine)[0][0], dimension_id=cells(engine)[0][1],
                    option="dissatisfied")


def test_no_table_joins_a_submitted_response_back_to_a_reviewer(panel):
    engine, issued = panel
    ballot = open_(engine, issued[0].token)
    answer_all(engine, ballot.token_hash, "basically_satisfied")
    with session_scope(engine) as s:
        submit(s, token=ballot.token_hash)
    schema = inspect(engine)
    # No foreign key from the answer side to people, draws or invitations ...
    for table in ("response", "answer", "answercomment"):
        targets = {fk["referred_table"] for fk in schema.get_foreign_keys(table)}
        assert not targets & {"reviewer", "drawmember", "invitation", "draw"}, table
    # ... no foreign key from the people side to answers ...
    for table in ("reviewer", "drawmember", "invitation", "draw", "auditevent"):
        assert "response" not in {fk["referred_table"] for fk in schema.get_foreign_keys(table)}, table
    # ... and no value that could be matched: neither the token's hash nor the invitation's id.
    with engine.connect() as connection:
        for table in ("response", "answer", "answercomment", "auditevent"):
            dump = str(connection.execute(text(f"SELECT * FROM {table}")).fetchall())
            assert ballot.token_hash not in dump, table
            assert issued[0].token not in dump, table
        columns = {c["name"] for c in schema.get_columns("response")}
    assert not columns & {"reviewer_id", "invitation_id", "draw_member_id", "started_at_invitation"}


def test_unknown_used_expired_and_closed_codes_get_clear_messages(panel, admin):
    engine, issued = panel
    with pytest.raises(UserError, match="not valid"):
        open_(engine, "no-such-code")
    with session_scope(engine) as s:
        campaign = s.exec(select(Campaign)).one()
        campaign.panel_closes_at = utcnow() - timedelta(minutes=1)
        s.add(campaign)
    with pytest.raises(UserError) as caught:
        open_(engine, issued[1].token)
    assert caught.value.key in {"q.closed", "q.expired"}
    with session_scope(engine) as s:
        campaign = s.exec(select(Campaign)).one()
        campaign.panel_opens_at = utcnow() + timedelta(days=1)
        campaign.panel_closes_at = utcnow() + timedelta(days=2)
        s.add(campaign)
    with pytest.raises(UserError, match="opens on"):
        open_(engine, issued[1].token)


def test_a_device_that_keeps_missing_waits_longer_each_time(panel):
    engine, issued = panel
    now = utcnow()
    keys = []
    for _ in range(10):
        with pytest.raises(UserError) as caught:
            open_(engine, WRONG, now=now)
        keys.append(caught.value.key)
    assert keys == ["q.unknown"] * 9 + ["q.too_many"]  # the tenth miss in ten minutes starts a wait
    with pytest.raises(UserError, match="try again in 1 min"):
        open_(engine, issued[0].token, now=now)  # while it waits, this tablet's entries are not looked up
    assert open_(engine, issued[0].token, now=now + timedelta(minutes=1)).group_id
    with pytest.raises(UserError, match="in 2 min"):
        open_(engine, WRONG, now=now + timedelta(minutes=1))  # each further miss doubles the wait
    with session_scope(engine) as s:  # and ten minutes after the last miss, the tablet starts afresh
        assert not wrong_codes.device_wait(s, kind="ballot_code", device=TABLET, network=CLIENT,
                                           now=now + timedelta(minutes=11))


def test_a_network_full_of_misses_still_opens_every_valid_code(panel, admin):
    engine, issued = panel
    now = utcnow()
    with session_scope(engine) as s:  # a guesser opening a new browser session for every few guesses
        for k in range(wrong_codes.NETWORK_MISSES):
            wrong_codes.count_miss(s, kind="ballot_code", device=f"fresh-{k // 5}", network=HALL, now=now)
    assert open_(engine, issued[0].token, client=HALL, device="a tablet", now=now).group_id
    # Beyond the network's limit a device waits from its first miss; the valid code still opens.
    with pytest.raises(UserError, match="try again in 1 min"):
        open_(engine, WRONG, client=HALL, device="another tablet", now=now)
    assert open_(engine, issued[1].token, client=HALL, device="a third tablet", now=now).group_id


def test_venue_ballots_name_nobody_and_work_once(panel, admin):
    engine, _ = panel
    with session_scope(engine) as s:
        codes = issue_ballots(s, actor=admin, year=2017, group_code="npc_deputy", count=3, batch="会场一")
    assert len(set(codes)) == 3 and len(codes[0].replace("-", "")) == 26
    typed = codes[0].lower().replace("-", " ")  # typed from paper, in lower case with spaces
    ballot = open_(engine, typed)
    with session_scope(engine) as s:
        invitation = s.exec(select(Invitation).where(Invitation.token_hash == ballot.token_hash)).one()
    assert invitation.kind == "ballot" and invitation.draw_member_id is None
    answer_all(engine, ballot.token_hash)
    with session_scope(engine) as s:
        submit(s, token=ballot.token_hash)
    with pytest.raises(UserError, match="submitted already"):
        open_(engine, codes[0])


def test_completion_by_group_and_reminders_list_names_only(panel, admin):
    engine, issued = panel
    ballot = open_(engine, issued[0].token)
    answer_all(engine, ballot.token_hash)
    with session_scope(engine) as s:
        submit(s, token=ballot.token_hash)
    open_(engine, issued[1].token)
    with session_scope(engine) as s:
        cid = get_campaign(s, 2017).id
        progress = completion(s, campaign_id=cid)
        names = reminders(s, actor=admin, campaign_id=cid)
    assert sum(p.drawn for p in progress) == 200
    assert sum(p.submitted for p in progress) == 1 and sum(p.started for p in progress) == 1
    assert len(names) == 199 and issued[0].name not in {n for n, _, _ in names}
    assert {status for _, _, status in names} == {"issued", "started"}


def test_rehearsal_answers_are_wiped_in_one_action(panel, admin):
    engine, issued = panel
    with pytest.raises(UserError, match="turn the rehearsal on"), session_scope(engine) as s:
        issue_ballots(s, actor=admin, year=2017, group_code="cadre", count=2, rehearsal=True)
    with session_scope(engine) as s:
        set_rehearsal(s, actor=admin, year=2017, on=True)
        codes = issue_ballots(s, actor=admin, year=2017, group_code="cadre", count=2, rehearsal=True)
    ballot = open_(engine, codes[0])
    assert ballot.rehearsal
    answer_all(engine, ballot.token_hash)
    with session_scope(engine) as s:
        submit(s, token=ballot.token_hash)
        assert sum(p.submitted for p in completion(s, campaign_id=ballot.campaign_id)) == 0
    real = open_(engine, issued[0].token)
    with session_scope(engine) as s:
        counts = wipe_rehearsal(s, actor=admin, year=2017)
        set_rehearsal(s, actor=admin, year=2017, on=False)
    assert counts == {"answers": 185, "comments": 0, "responses": 1, "ballots": 2}
    with session_scope(engine) as s:
        assert s.get(Response, real.response_id) is not None
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.rehearsal_wipe")).one()
    with pytest.raises(UserError, match="not valid"):
        open_(engine, codes[1])


def test_bad_answers_are_refused_and_nothing_changes(panel):
    engine, issued = panel
    ballot = open_(engine, issued[0].token)
    unit_id, dim_id = cells(engine)[0]
    with pytest.raises(UserError, match="unknown answer"), session_scope(engine) as s:
        save_answer(s, token=ballot.token_hash, unit_id=unit_id, dimension_id=dim_id, option="very happy")
    with pytest.raises(UserError, match="does not belong"), session_scope(engine) as s:
        save_answer(s, token=ballot.token_hash, unit_id=999_999, dimension_id=dim_id, option="satisfied")
    with pytest.raises(UserError, match="at most 300"), session_scope(engine) as s:
        save_comment(s, token=ballot.token_hash, unit_id=unit_id, text="长" * 301)
    with session_scope(engine) as s:
        state = load_state(s, token=ballot.token_hash)
    assert state.answers == {} and state.comments == {}


def test_quality_flags_are_counted_for_analysts(panel):
    from db.questionnaire import quality_summary

    engine, issued = panel
    ballot = open_(engine, issued[0].token)
    answer_all(engine, ballot.token_hash, "satisfied")
    with session_scope(engine) as s:
        submit(s, token=ballot.token_hash)
        summary = quality_summary(s, campaign_id=ballot.campaign_id)
    assert summary["submitted"] == 1 and summary["straight_lining"] == 1


def test_several_answers_and_comments_are_stored_at_once_or_not_at_all(panel):
    from db.questionnaire import save_answers

    engine, issued = panel
    ballot = open_(engine, issued[0].token)
    (u1, d1), (u1b, d2) = cells(engine)[0], cells(engine)[6]  # two units
    with session_scope(engine) as s:
        save_answers(s, token=ballot.token_hash, answers={(u1, d1): "satisfied", (u1b, d2): "unknown"},
                     comments={u1: " 排队 "})
    with session_scope(engine) as s:
        state = load_state(s, token=ballot.token_hash)
    assert state.answers == {(u1, d1): "satisfied", (u1b, d2): "unknown"} and state.comments == {u1: "排队"}
    # One cell that does not belong: nothing of the batch is stored.
    with pytest.raises(UserError, match="does not belong"), session_scope(engine) as s:
        save_answers(s, token=ballot.token_hash, answers={(u1, d1): "dissatisfied", (999_999, d1): "satisfied"})
    with session_scope(engine) as s:
        assert load_state(s, token=ballot.token_hash).answers[(u1, d1)] == "satisfied"
    # An inactive unit is no longer part of the questionnaire.
    with session_scope(engine) as s:
        from db.models import Unit

        unit = s.get(Unit, u1)
        unit.active = False
        s.add(unit)
    with pytest.raises(UserError, match="does not belong"), session_scope(engine) as s:
        save_answers(s, token=ballot.token_hash, answers={(u1, d1): "dissatisfied"})
    with session_scope(engine) as s:  # an emptied comment is removed
        save_answers(s, token=ballot.token_hash, comments={u1b: ""})
        save_answers(s, token=ballot.token_hash, answers={})  # nothing to store: no query, no error


def test_saving_after_submission_or_outside_the_window_is_refused(panel):
    from db.questionnaire import save_answers

    engine, issued = panel
    ballot = open_(engine, issued[0].token)
    u, d = cells(engine)[0]
    with session_scope(engine) as s:
        campaign = get_campaign(s, 2017)
        campaign.panel_closes_at = utcnow() - timedelta(minutes=1)
        s.add(campaign)
    with pytest.raises(UserError, match="closed"), session_scope(engine) as s:
        save_answers(s, token=ballot.token_hash, answers={(u, d): "satisfied"})
    with pytest.raises(UserError, match="no longer open"), session_scope(engine) as s:
        save_answers(s, token="not a token", answers={(u, d): "satisfied"})


def test_the_structure_version_moves_with_every_audited_change(panel, admin):
    from db.questionnaire import structure, structure_version
    from db.units import update_unit

    engine, _ = panel
    with session_scope(engine) as s:
        cid = get_campaign(s, 2017).id
        before = structure_version(s, campaign_id=cid)
        first = structure(s, campaign_id=cid).units[0]
    with session_scope(engine) as s:
        update_unit(s, actor=admin, campaign_id=cid, code=first.code, name="区发改局(新名称)",
                    category_code=first.category_code, active=True)
    with session_scope(engine) as s:
        assert structure_version(s, campaign_id=cid) > before
        assert structure(s, campaign_id=cid).units[0].name == "区发改局(新名称)"
        assert structure_version(s, campaign_id=cid + 1000) == 0


HALL = "the venue's wifi"  # one network for every tablet in the hall
WRONG = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG"


def test_a_tablet_typing_wrong_codes_stops_no_other_tablet(panel, admin):
    engine, issued = panel
    with session_scope(engine) as s:
        codes = issue_ballots(s, actor=admin, year=2017, group_code="npc_deputy", count=2)
    for _ in range(30):
        with pytest.raises(UserError):
            open_(engine, WRONG, client=HALL, device="tablet 1")
    # The other tablets in the hall, on the same network: a link and a typed code open at once.
    assert open_(engine, issued[0].token, client=HALL, device="tablet 2").group_id
    assert open_(engine, codes[0].lower(), client=HALL, device="tablet 3").group_id
