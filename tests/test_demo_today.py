"""The demo as a campaign running on the day it is loaded (db.demo, core.demo_calendar, db.demo).

Loaded "today" and with the clock set to 15 March and 20 December of this year: earlier years
published, the running year's poll open with votes up to now, its panel window open for weeks,
part of the panel in, questionnaires half done, casework under way; links and codes only as
hashes in the database and in plain text only in the owner-only list.
"""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from core import clock, demo_calendar
from core.errors import UserError
from core.tokens import token_hash
from db import tallies
from db.access import cli_actor
from db.bootstrap import init_database
from db.commands import main
from db.demo import info, invitations, purge, traffic
from db.demo import years as demo
from db.engine import make_engine, session_scope
from db.models import (
    AccountabilityCase,
    Answer,
    Campaign,
    CaseEvent,
    Finding,
    Inspection,
    Invitation,
    MediaCase,
    PollVote,
    Rectification,
    Response,
    Result,
    UnitReport,
)
from db.poll import poll_campaign
from db.questionnaire import open_questionnaire

VOTES = 2_000
THIS_YEAR = clock.office_today().year
DAYS = {"today": None, "15 March": date(THIS_YEAR, 3, 15), "20 December": date(THIS_YEAR, 12, 20)}


@pytest.fixture
def fixed_day():
    """Set the clock for one test, and always put back what was there (a module's load may have set it)."""
    before = clock.fixed_today()
    yield clock.set_today
    clock.set_today(before)


def count(session, table, *where) -> int:
    return session.exec(select(func.count()).select_from(table).where(*where)).one()


@pytest.fixture(scope="module", params=list(DAYS), ids=list(DAYS))
def loaded(request, tmp_path_factory):
    """A fresh store as `make run` leaves it, with the demo loaded on the day (clock set for the load)."""
    folder = tmp_path_factory.mktemp("today")
    clock.set_today(DAYS[request.param])
    engine = make_engine(f"sqlite:///{folder}/review.db")
    init_database(engine, actor=cli_actor())
    path = folder / "invitations.csv"
    summary = demo.load_demo(engine, actor=cli_actor(), votes_per_year=VOTES, invitations_path=path)
    today = clock.office_today()
    yield engine, summary, path, today
    clock.set_today(None)
    engine.dispose()


def test_the_years_end_in_todays_and_2017_stays_as_it_is(loaded):
    engine, summary, _, today = loaded
    years = list(demo_calendar.demo_years(today))
    assert summary["years"] == years == [today.year - 2, today.year - 1, today.year]
    with session_scope(engine) as s:
        campaigns = {c.year: c for c in s.exec(select(Campaign)).all()}
        assert sorted(campaigns) == [2017, *years]
        scheme = campaigns[2017]
        assert not scheme.is_demo and "演示" not in scheme.name_zh and scheme.panel_opens_at.year == 2017
        assert count(s, PollVote, PollVote.campaign_id == scheme.id) == 0
        assert all(campaigns[y].is_demo and "演示" in campaigns[y].name_zh for y in years)
        results = {y: s.exec(select(Result.status).where(Result.campaign_id == campaigns[y].id)).all()
                   for y in years}
    assert results[years[0]] == results[years[1]] == ["published"]
    assert results[years[2]] == ["provisional"]


def test_the_poll_is_open_with_votes_up_to_now(loaded):
    engine, _, _, today = loaded
    now = clock.utcnow()
    with session_scope(engine) as s:
        campaign = poll_campaign(s, today=today)
        assert campaign is not None and campaign.year == today.year and campaign.is_demo
        days = s.exec(select(func.min(PollVote.day), func.max(PollVote.day), func.max(PollVote.created_at))
                      .where(PollVote.campaign_id == campaign.id)).one()
        on_today = count(s, PollVote, PollVote.campaign_id == campaign.id, PollVote.day == today)
        total = count(s, PollVote, PollVote.campaign_id == campaign.id)
    assert days[0] == date(today.year, 1, 1) and days[1] == today
    assert days[2].replace(tzinfo=days[2].tzinfo or clock.UTC) <= now
    assert on_today > 0
    assert total == demo_calendar.running_year(today, now).scaled(VOTES, least=200)


def test_the_panel_window_is_open_for_the_coming_weeks_and_part_of_the_panel_is_in(loaded):
    engine, _, path, today = loaded
    now = clock.utcnow()
    with session_scope(engine) as s:
        campaign = s.exec(select(Campaign).where(Campaign.year == today.year)).one()
        opens, closes = (m.replace(tzinfo=m.tzinfo or clock.UTC) for m in (campaign.panel_opens_at,
                                                                            campaign.panel_closes_at))
        statuses = dict(s.exec(select(Invitation.status, func.count()).where(Invitation.campaign_id == campaign.id)
                               .group_by(Invitation.status)).all())
        submitted = s.exec(select(Response.id).where(Response.campaign_id == campaign.id,
                                                     Response.status == "submitted")).all()
        drafts = s.exec(select(Response).where(Response.campaign_id == campaign.id, Response.status == "draft")).all()
        draft_answers = count(s, Answer, Answer.response_id.in_([r.id for r in drafts]))
        started = set(s.exec(select(Invitation.token_hash).where(Invitation.status == "started")).all())
    assert opens <= now < closes and closes - now >= timedelta(days=14)
    assert 60 <= len(submitted) <= 140  # a ballot keeps no day (db.ballot_box)
    assert statuses["used"] == len(submitted) and statuses["started"] == len(drafts) >= 3
    assert statuses["issued"] >= 3 + 50  # links waiting (incl. the three venue codes)
    assert {r.token_hash for r in drafts} == started
    assert 0 < draft_answers < len(drafts) * 37 * 5  # half done: some units answered, not all
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_casework_is_under_way_and_nothing_lies_after_now(loaded):
    engine, _, _, today = loaded
    now = clock.utcnow()
    with session_scope(engine) as s:
        campaign = s.exec(select(Campaign).where(Campaign.year == today.year)).one()
        cid = campaign.id
        open_cases = s.exec(select(AccountabilityCase).where(AccountabilityCase.campaign_id == cid,
                                                             AccountabilityCase.closed_on.is_(None))).all()
        notices = s.exec(select(Rectification).where(Rectification.campaign_id == cid)).all()
        latest = {
            "exposed": s.exec(select(func.max(MediaCase.exposed_on)).where(MediaCase.campaign_id == cid)).one(),
            "visited": s.exec(select(func.max(Inspection.visited_on)).where(Inspection.campaign_id == cid)).one(),
            "opened": s.exec(select(func.max(AccountabilityCase.opened_on))
                             .where(AccountabilityCase.campaign_id == cid)).one(),
        }
        event_at = s.exec(select(func.max(CaseEvent.at)).join(AccountabilityCase)
                          .where(AccountabilityCase.campaign_id == cid)).one()
        report_at = s.exec(select(func.max(UnitReport.submitted_at)).where(UnitReport.campaign_id == cid)).one()
        finding_states = set(s.exec(select(Finding.state).join(Inspection).where(Inspection.campaign_id == cid)).all())
        reports = count(s, UnitReport, UnitReport.campaign_id == cid)
    assert open_cases and any(c.opened_on <= today for c in open_cases)
    assert notices and all(n.issued_on <= today < n.deadline and n.state != "verified" for n in notices)
    assert all(day is None or day <= today for day in latest.values())
    for moment in (event_at, report_at):
        assert moment is None or moment.replace(tzinfo=moment.tzinfo or clock.UTC) <= now
    assert "recorded" in finding_states or "handed_over" in finding_states
    # Reports due or late: on 15 March both deadlines lie ahead (none in yet); by 20 December some are late.
    if today < campaign.plan_due:
        assert reports == 0
    else:
        assert 0 < reports < 2 * 37


def test_no_plain_token_in_the_database_and_every_listed_one_works(loaded):
    engine, _, path, today = loaded
    entries = invitations.read(path)
    kinds = {(e.kind, e.state) for e in entries}
    assert {("personal", "not_started"), ("personal", "half_done"), ("ballot", "not_started")} <= kinds
    with engine.connect() as connection:
        dump = "\n".join(connection.connection.driver_connection.iterdump())
    assert all(e.token not in dump for e in entries)
    with session_scope(engine) as s:
        hashes = set(s.exec(select(Invitation.token_hash)).all())
    assert all(token_hash(e.token) in hashes for e in entries)
    ballot = next(e for e in entries if e.kind == "ballot")
    with session_scope(engine) as s:  # a venue code opens a questionnaire of the running year, today
        opened = open_questionnaire(s, entry=ballot.token, client="test", device="test")
    assert opened.year == today.year


def test_purge_removes_exactly_the_demo(loaded):
    engine, _, _, _ = loaded
    purge.purge_demo(engine, actor=cli_actor())
    with session_scope(engine) as s:
        assert [c.year for c in s.exec(select(Campaign)).all()] == [2017]
        for table in (PollVote, Response, Invitation, Inspection, AccountabilityCase, Rectification, UnitReport):
            assert count(s, table) == 0, table.__name__


# ------------------------------------------------------------------------- calendar


@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 3, 15), date(2026, 12, 20), date(2028, 2, 29)])
def test_running_year_window(today):
    now = clock.from_office(datetime.combine(today, datetime.min.time()) + timedelta(hours=7))
    running = demo_calendar.running_year(today, now)
    assert running.panel_opens_at <= now < running.panel_closes_at
    assert running.panel_closes_at - now >= timedelta(days=20)
    assert clock.to_office(running.panel_opens_at).date() >= date(today.year, 1, 1)
    assert 0 < running.elapsed <= 1 and running.scaled(365) == (today - date(today.year, 1, 1)).days + 1


def test_the_clock_can_be_set_for_tests_and_demonstrations(fixed_day):
    assert clock.set_today_from({"REVIEW_TODAY": "2026-03-15"}) == date(2026, 3, 15)
    assert clock.office_today() == date(2026, 3, 15)
    assert clock.to_office(clock.utcnow()).date() == date(2026, 3, 15)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        clock.set_today_from({"REVIEW_TODAY": "15.3.2026"})
    clock.set_today_from({})
    assert clock.fixed_today() is None


def test_the_demo_refuses_years_after_today(tmp_path, fixed_day):
    engine = make_engine(f"sqlite:///{tmp_path}/r.db")
    init_database(engine, actor=cli_actor())
    with pytest.raises(UserError) as refused:
        demo.load_demo(engine, actor=cli_actor(), years=(2024, 2025), votes_per_year=10, today=date(2024, 5, 1))
    assert refused.value.key == "demo.future"


# ---------------------------------------------------------------------- make run


def run_cli(capsys, monkeypatch, url, day, *argv):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REVIEW_TODAY", day.isoformat())
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def row_counts(url) -> dict:
    engine = make_engine(url)
    with session_scope(engine) as s:
        figures = {t.__name__: count(s, t) for t in (Campaign, PollVote, Response, Answer, Invitation, Result)}
    engine.dispose()
    return figures


def test_make_run_says_what_to_try_and_a_later_day_changes_nothing(tmp_path, capsys, monkeypatch, fixed_day):
    url = f"sqlite:///{tmp_path}/review.db"
    first = date(THIS_YEAR, 3, 15)
    code, said = run_cli(capsys, monkeypatch, url, first, "init")
    assert code == 0 and "one-time password" in said
    code, said = run_cli(capsys, monkeypatch, url, first, "demo", "--if-empty", "--votes-per-year", "500",
                         "--base-url", "http://localhost:8599")
    path = invitations.default_path(url)
    assert code == 0 and "demo data loaded" in said and str(path) in said
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    code, said = run_cli(capsys, monkeypatch, url, first, "demo-info", "--base-url", "http://localhost:8599")
    entries = invitations.read(path)
    links = [e for e in entries if e.kind == "personal" and e.state == "not_started"][:3]
    codes = [e for e in entries if e.kind == "ballot"]
    assert code == 0 and "http://localhost:8599/poll" in said
    assert all(f"http://localhost:8599/questionnaire?token={e.token}" in said for e in links)
    assert all(e.token in said for e in codes) and len(codes) == 3
    assert "http://localhost:8599/live" in said and "http://localhost:8599/explore" in said
    assert "not running" not in said

    # A link somebody opened is no longer offered.
    engine = make_engine(url)
    with session_scope(engine) as s:
        open_questionnaire(s, entry=links[0].token, client="t", device="t")
    engine.dispose()
    _, said = run_cli(capsys, monkeypatch, url, first, "demo-info", "--base-url", "http://localhost:8599")
    assert links[0].token not in said and links[1].token in said

    # demo-traffic from the command line: a few events, then it stops by itself and says what it did.
    monkeypatch.setenv("POLL_SALT", "cli-test-salt")
    counted = row_counts(url)
    moved_before = counted["PollVote"] + counted["Answer"]
    code, said = run_cli(capsys, monkeypatch, url, first, "demo-traffic", "--minutes", "0.05", "--rate", "60")
    assert code == 0 and f"done: campaign {THIS_YEAR}, 3 events" in said
    counted = row_counts(url)
    assert counted["PollVote"] + counted["Answer"] > moved_before  # votes or answers (chosen at random)
    code, said = run_cli(capsys, monkeypatch, url, first, "demo-traffic", "--minutes", "0")
    assert code == 1 and "--minutes must be more than 0" in said

    # Next month, next year: `make run` again keeps everything and says so.
    before = row_counts(url)
    for later in (first + timedelta(days=31), date(THIS_YEAR + 1, 1, 20)):
        code, said = run_cli(capsys, monkeypatch, url, later, "demo", "--if-empty")
        assert code == 0 and f"demo data from {first.isoformat()} kept" in said
        assert "python -m db purge-demo && python -m db demo" in said
        assert row_counts(url) == before
    assert "is over" in said
    _, said = run_cli(capsys, monkeypatch, url, date(THIS_YEAR + 1, 1, 20), "demo-info")
    assert "Renew with" in said

    # Renewing: purge (the list goes with it), then a new demo running on the new day.
    code, said = run_cli(capsys, monkeypatch, url, date(THIS_YEAR + 1, 1, 20), "purge-demo")
    assert code == 0 and not path.exists()
    code, said = run_cli(capsys, monkeypatch, url, date(THIS_YEAR + 1, 1, 20), "demo", "--votes-per-year", "300")
    assert code == 0 and f"{THIS_YEAR - 1}, {THIS_YEAR}, {THIS_YEAR + 1}" in said and path.exists()


# --------------------------------------------------------------------- demo-traffic


def test_demo_traffic_goes_through_the_visitors_functions_and_purge_removes_it(engine, fixed_day):
    """On SQLite and PostgreSQL."""
    fixed_day(date(THIS_YEAR, 6, 10))
    init_database(engine, actor=cli_actor())
    demo.load_demo(engine, actor=cli_actor(), votes_per_year=300)
    with session_scope(engine) as s:
        votes_before = count(s, PollVote)
        responses_before = count(s, Response)
    pauses = []
    report = traffic.run_traffic(engine, actor=cli_actor(), salt="test-salt", minutes=2, rate=60, seed=3,
                                 sleep=pauses.append)
    assert report.events == 120 and pauses == [1.0] * 119  # bounded: stops by itself
    assert report.votes.get("accepted", 0) > 50 and report.answers > 0 and report.submitted >= 1
    with session_scope(engine) as s:
        running = s.exec(select(Campaign).where(Campaign.year == THIS_YEAR)).one()
        new_votes = s.exec(select(PollVote).where(PollVote.id > votes_before)).all()
        new_responses = s.exec(select(Response).where(Response.id > responses_before)).all()
        ballots = s.exec(select(Invitation).where(Invitation.batch == traffic.BATCH)).all()
        assert tallies.check_all(s) == {}  # the tallies moved with every vote and submission
    assert len(new_votes) == sum(n for status, n in report.votes.items() if status != "refused")
    assert all(v.is_demo and v.campaign_id == running.id and v.day == date(THIS_YEAR, 6, 10) for v in new_votes)
    assert {r.status for r in new_responses} >= {"submitted"} and all(r.is_demo for r in new_responses)
    assert len(ballots) == report.ballots and all(b.is_demo and b.kind == "ballot" for b in ballots)
    purge.purge_demo(engine, actor=cli_actor())
    with session_scope(engine) as s:
        assert count(s, PollVote) == count(s, Response) == count(s, Invitation) == 0


def test_demo_traffic_needs_a_demo_running_today(scheme_engine, fixed_day):
    fixed_day(date(THIS_YEAR, 6, 10))
    with pytest.raises(UserError) as refused:
        traffic.run_traffic(scheme_engine, actor=cli_actor(), salt="s", minutes=1, rate=10, sleep=lambda _: None)
    assert refused.value.key == "demo.not_running"
    for minutes, rate in ((0, 10), (1, 0), (10_000, 10), (1, 10_000)):
        with pytest.raises(UserError):
            traffic.run_traffic(scheme_engine, actor=cli_actor(), salt="s", minutes=minutes, rate=rate)


def test_the_invitation_list_is_owner_only_even_with_a_lax_umask(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "list.csv"
        invitations.write(path, [invitations.Entry("ballot", "not_started", "g", "组", "", "CODE", "")])
        invitations.write(path, [invitations.Entry("ballot", "not_started", "g", "组", "", "CODE2", "")])
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [e.token for e in invitations.read(path)] == ["CODE2"]
    assert invitations.default_path("sqlite:////x/y/review.db").as_posix() == "/x/y/review-demo-invitations.csv"
    assert info.RENEW == "python -m db purge-demo && python -m db demo"
