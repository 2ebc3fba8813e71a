"""The questionnaire screen without a browser: entry errors, window, used codes, kiosk reset."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from core.clock import utcnow
from db.access import cli_actor
from db.campaigns import get_campaign
from db.engine import session_scope
from db.models import Answer, Campaign, Response, SealedBallot
from db.questionnaire import issue_ballots
from tests.support.apptest import app_database, open_app
from tests.support.apptest import shown as everything_shown


@pytest.fixture
def engine(tmp_path, monkeypatch):
    engine = app_database(tmp_path, monkeypatch, NETWORK_SALT="test salt")
    with session_scope(engine) as s:
        campaign = get_campaign(s, 2017)
        campaign.panel_opens_at, campaign.panel_closes_at = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
        s.add(campaign)
    return engine


def ballots(engine, n=2):
    with session_scope(engine) as s:
        return issue_ballots(s, actor=cli_actor(), year=2017, group_code="cppcc_member", count=n)


def questionnaire(kiosk=False):
    at = open_app("questionnaire", state={"q_kiosk": True} if kiosk else None)
    assert not at.exception, at.exception
    return at


def type_code(at, code):
    at.text_input[0].input(code)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at):
    return everything_shown(at)


def test_an_unknown_code_gets_a_clear_message_and_nothing_else(engine):
    at = type_code(questionnaire(), "NOPE-NOPE")
    assert "评议码无效" in shown(at)
    assert not at.header and not at.get("segmented_control")


def test_a_ballot_opens_the_first_unit_with_five_questions(engine):
    at = type_code(questionnaire(), ballots(engine)[0])
    assert at.header[0].value == "区发改局(区统计局)"
    assert len(at.get("button_group")) == 5


def test_a_closed_window_is_explained(engine):
    code = ballots(engine)[0]
    with session_scope(engine) as s:
        campaign = s.exec(select(Campaign)).one()
        campaign.panel_closes_at = utcnow() - timedelta(minutes=5)
        s.add(campaign)
    at = type_code(questionnaire(), code)
    assert "结束" in shown(at) or "过期" in shown(at)
    assert not at.get("button_group")


def test_a_window_not_yet_open_is_explained(engine):
    code = ballots(engine)[0]
    with session_scope(engine) as s:
        campaign = s.exec(select(Campaign)).one()
        campaign.panel_opens_at = utcnow() + timedelta(days=2)
        campaign.panel_closes_at = utcnow() + timedelta(days=3)
        s.add(campaign)
    at = type_code(questionnaire(), code)
    assert "开始" in shown(at) and not at.get("button_group")


def submit_all(at, engine):
    """Answer everything through the store (the screen's own taps are covered in the browser tests)."""
    from db.questionnaire import save_answer, structure

    ballot = at.session_state["q_ballot"]
    with session_scope(engine) as s:
        shape = structure(s, campaign_id=ballot.campaign_id)
    for unit in shape.units:
        for dim in shape.dimensions:
            with session_scope(engine) as s:
                save_answer(s, token=ballot.token_hash, unit_id=unit.id, dimension_id=dim.id,
                            option="basically_satisfied")
    at.session_state["q_review"] = True
    at.run()
    at.checkbox(key="q_confirm").check()
    at.run()
    next(b for b in at.button if b.label == "提交问卷").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_kiosk_returns_to_the_code_screen_showing_nothing_of_the_last_ballot(engine):
    first, second = ballots(engine)
    at = type_code(questionnaire(kiosk=True), first)
    at = submit_all(at, engine)
    assert "问卷已提交" in shown(at)
    assert at.text_input[0].label == "评议码" and not at.header
    assert "q_ballot" not in at.session_state and "q_unit" not in at.session_state
    with session_scope(engine) as s:  # in the ballot box, whole; no draft or answer row is left behind
        [sealed] = s.exec(select(SealedBallot)).all()
        assert len(sealed.content["answers"]) == 185
        assert s.exec(select(func.count()).select_from(Response)).one() == 0
        assert s.exec(select(func.count()).select_from(Answer)).one() == 0
    at = type_code(at, second)
    assert at.header[0].value == "区发改局(区统计局)"
    assert all(group.value is None for group in at.get("button_group"))


def test_a_used_code_is_refused(engine):
    code = ballots(engine)[0]
    submit_all(type_code(questionnaire(), code), engine)
    at = type_code(questionnaire(), code)
    assert "已经提交" in shown(at) and not at.get("button_group")


def test_review_lists_what_is_missing_and_offers_no_submit(engine):
    at = type_code(questionnaire(), ballots(engine)[0])
    at.session_state["q_review"] = True
    at.run()
    assert "185 项未作答" in shown(at) or "共 185 项" in shown(at)
    assert not [b for b in at.button if b.label == "提交问卷"]


def test_a_unit_renamed_by_the_office_shows_at_the_next_screen(engine):
    from db.units import update_unit

    at = type_code(questionnaire(), ballots(engine)[0])
    assert at.header[0].value == "区发改局(区统计局)"
    with session_scope(engine) as s:
        campaign = get_campaign(s, 2017)
        update_unit(s, actor=cli_actor(), campaign_id=campaign.id, code="es01", name="区发展和改革局",
                    category_code="economic_social", active=True)
    at.run()  # the structure is kept in memory, keyed by the campaign's audit version
    assert not at.exception, at.exception
    assert at.header[0].value == "区发展和改革局"


def test_a_comment_is_stored_when_typed_and_shown_again_after_a_reload(engine):
    from db.questionnaire import load_state

    at = type_code(questionnaire(), ballots(engine)[0])
    ballot = at.session_state["q_ballot"]
    at.text_area[0].input("  窗口排队太久  ").run()
    assert not at.exception, at.exception
    with session_scope(engine) as s:
        comments = load_state(s, token=ballot.token_hash).comments
    assert list(comments.values()) == ["窗口排队太久"]
    fresh = questionnaire()
    fresh.session_state["q_ballot"] = ballot  # a new browser session on the same ballot
    fresh.run()
    assert fresh.text_area[0].value == "窗口排队太久"
