"""The live screen's and the explorer's data, on SQLite and PostgreSQL, from hand-made rows with known answers."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import select

from core.errors import Forbidden
from core.reliability import cronbach_alpha, krippendorff_alpha
from db import explore, tallies
from db.access import Actor, cli_actor
from db.campaigns import copy_campaign
from db.engine import session_scope
from db.live import live_board
from db.models import (
    AccountabilityCase,
    Answer,
    Dimension,
    Finding,
    Inspection,
    PollVote,
    Rectification,
    Response,
    ReviewerGroup,
    Unit,
    UnitReport,
)
from tests.support.dashboard import add_result

LEADER, ANALYST = Actor("wang", "leader"), Actor("zhao", "analyst")
TODAY = date(2017, 6, 1)
SCORE = {"satisfied": 100, "basically_satisfied": 70, "dissatisfied": 0}


def ids(s, table, campaign_id=1):
    return {row.code: row.id for row in s.exec(select(table).where(table.campaign_id == campaign_id)).all()}


def add_votes(engine, unit_code, day, options, *, status="accepted", campaign_id=1):
    with session_scope(engine) as s:
        unit_id = ids(s, Unit, campaign_id)[unit_code]
        for k, option in enumerate(options):
            s.add(PollVote(campaign_id=campaign_id, unit_id=unit_id, option=option, device_hash=f"{day}-{k}-{option}",
                           network_hash="n", day=day, status=status,
                           created_at=datetime(day.year, day.month, day.day, 2, tzinfo=UTC)))
            # Raw rows written by hand: the tallies move with them, as every writer in db/ does.
            tallies.add_vote(s, campaign_id=campaign_id, unit_id=unit_id, day=day, option=option, status=status)


def add_questionnaires(engine, rows, *, group="cadre", campaign_id=1, flags=None):
    """rows: one dict per questionnaire, {unit code: [option per dimension, in position order]}."""
    with session_scope(engine) as s:
        units, groups = ids(s, Unit, campaign_id), ids(s, ReviewerGroup, campaign_id)
        dimensions = list(s.exec(select(Dimension.id).where(Dimension.campaign_id == campaign_id)
                                 .order_by(Dimension.position)).all())
        for answers in rows:
            response = Response(campaign_id=campaign_id, group_id=groups[group], status="submitted",
                                flags={"flags": flags or []})
            s.add(response)
            s.flush()
            given = {}
            for code, options in answers.items():
                for dimension_id, option in zip(dimensions, options):
                    s.add(Answer(response_id=response.id, unit_id=units[code], dimension_id=dimension_id,
                                 option=option))
                    given[(units[code], dimension_id)] = option
            tallies.add_submission(s, response, given)


def board(engine, actor=LEADER, today=TODAY, campaign_id=1):
    with session_scope(engine) as s:
        return live_board(s, actor=actor, campaign_id=campaign_id, today=today)


# ---------------------------------------------------------------------------------------
# /live


def test_votes_today_and_in_total_count_only_admitted_ones(scheme_engine):
    add_votes(scheme_engine, "es01", TODAY, ["satisfied", "dissatisfied"])
    add_votes(scheme_engine, "es02", TODAY, ["satisfied"], status="flagged")
    add_votes(scheme_engine, "es02", TODAY - timedelta(days=3), ["basically_satisfied"] * 4)
    add_votes(scheme_engine, "es03", TODAY - timedelta(days=1), ["satisfied"], status="rejected")
    add_votes(scheme_engine, "es03", TODAY + timedelta(days=1), ["satisfied"], status="admitted")
    live = board(scheme_engine)
    votes = live.votes
    assert (votes.today, votes.today_flagged, votes.total, votes.flagged, votes.rejected) == (2, 1, 7, 1, 1)
    by_day = live.votes_by_day.set_index("day")
    assert len(live.votes_by_day) == 30 and by_day.index[-1] == TODAY  # quiet days shown as 0
    assert by_day.loc[TODAY, "counted"] == 2 and by_day.loc[TODAY, "flagged"] == 1
    assert by_day.loc[TODAY - timedelta(days=3), "counted"] == 4
    assert by_day.loc[TODAY - timedelta(days=2), "counted"] == 0


def test_completion_by_reviewer_group(scheme_engine):
    add_questionnaires(scheme_engine, [{"es01": ["satisfied"] * 5}] * 3, group="cadre")
    completion = board(scheme_engine).completion.set_index("code")
    assert completion.loc["cadre", "submitted"] == 3
    assert completion["submitted"].sum() == 3 and len(completion) == 6


def test_the_newest_result_is_shown_with_its_status_and_the_published_one_named(scheme_engine):
    assert board(scheme_engine).result is None and board(scheme_engine).ranking.empty
    add_result(scheme_engine, campaign_id=1, status="published", version=1)
    add_result(scheme_engine, campaign_id=1, status="provisional", version=2, seed=2)
    live = board(scheme_engine)
    assert (live.result.version, live.result.status) == (2, "provisional")
    assert (live.published.version, live.published.status) == (1, "published")
    ranking = live.ranking
    assert len(ranking) == 37
    assert ranking.groupby("category_code")["rank"].min().eq(1).all()
    assert set(ranking["grade"]) <= {"excellent", "qualified", "unqualified"}
    assert (ranking["score_low"] <= ranking["total"]).all() and (ranking["total"] <= ranking["score_high"]).all()
    assert ranking["daily"].isna().any() and ranking["panel"].notna().all()  # a missing component stays missing


def test_open_cases_by_age_overdue_rectifications_and_reports(scheme_engine):
    with session_scope(scheme_engine) as s:
        units = ids(s, Unit)
        for days, due, closed in ((5, None, None), (40, TODAY - timedelta(days=1), None), (100, None, None),
                                  (400, TODAY + timedelta(days=3), None), (50, None, TODAY - timedelta(days=2)),
                                  (-3, None, None)):
            s.add(AccountabilityCase(campaign_id=1, unit_id=units["es01"], origin="finding", title=f"案{days}",
                                     opened_on=TODAY - timedelta(days=days), due_on=due, closed_on=closed))
        for deadline, closed, state in ((TODAY - timedelta(days=10), None, "in_progress"),
                                        (TODAY - timedelta(days=10), TODAY - timedelta(days=11), "verified"),
                                        (TODAY + timedelta(days=10), None, "issued")):
            s.add(Rectification(campaign_id=1, unit_id=units["ue01"], reason="finding", problems="p",
                                issued_on=TODAY - timedelta(days=60), deadline=deadline, closed_on=closed, state=state,
                                notice_no=f"N{deadline.day}{state}"))
        # Plans are due 2017-05-15: es01 on time, es02 late (the 16th, Beijing time), the rest missing.
        s.add(UnitReport(campaign_id=1, unit_id=units["es01"], kind="plan",
                         submitted_at=datetime(2017, 5, 15, 15, 59, tzinfo=UTC)))  # 23:59 in Beijing
        s.add(UnitReport(campaign_id=1, unit_id=units["es02"], kind="plan",
                         submitted_at=datetime(2017, 5, 15, 16, 1, tzinfo=UTC)))  # 00:01 the next day
    live = board(scheme_engine)
    bands = live.cases_by_age.set_index("band")
    assert bands["open"].to_dict() == {"lt30": 1, "d30_90": 1, "d90_180": 1, "gt180": 1}
    assert bands["overdue"].to_dict() == {"lt30": 0, "d30_90": 1, "d90_180": 0, "gt180": 0}
    assert list(live.open_cases["age_days"]) == [400, 100, 40, 5]  # oldest first; a future case is not yet open
    assert list(live.open_cases["overdue"]) == [False, False, True, False]
    assert list(live.overdue_rectifications["days_over"]) == [10]
    reports = live.late_reports
    plans = reports[reports["kind"] == "plan"].set_index("unit_code")["problem"]
    assert plans["es02"] == "late" and "es01" not in plans and len(plans) == 36
    assert (plans.drop("es02") == "missing").all()
    assert reports[reports["kind"] == "summary"].empty  # due 20 October: not yet missing on 1 June


def test_liaisons_and_inspectors_are_refused(scheme_engine):
    for actor in (Actor("li", "liaison", "es01"), Actor("ins", "inspector"), None):
        with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
            live_board(s, actor=actor, campaign_id=1, today=TODAY)
        with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
            explore.dimension_profile(s, actor=actor, campaign_id=1, unit_codes=["es01"])


# ---------------------------------------------------------------------------------------
# /explore


@pytest.fixture
def two_years(scheme_engine):
    with session_scope(scheme_engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=2018)
    return scheme_engine


def test_scores_across_years_join_on_the_unit_code_and_prefer_the_published_result(two_years):
    add_result(two_years, campaign_id=1, status="published", version=1, shift=-5)
    add_result(two_years, campaign_id=1, status="provisional", version=2, shift=5)  # newer, but not published
    add_result(two_years, campaign_id=2, status="provisional", version=1)
    with session_scope(two_years) as s:
        history = explore.score_history(s, actor=ANALYST, unit_codes=["es01", "ps03"])
    assert list(zip(history["unit_code"], history["year"], history["status"], history["version"])) == [
        ("es01", 2017, "published", 1), ("es01", 2018, "provisional", 1),
        ("ps03", 2017, "published", 1), ("ps03", 2018, "provisional", 1)]
    assert set(history["category_size"]) == {18, 8}
    assert history["panel"].notna().all()


def test_dimension_profile_against_the_category_average(scheme_engine):
    add_questionnaires(scheme_engine, [
        {"es01": ["satisfied"] * 5, "es02": ["dissatisfied"] * 5, "ue01": ["dissatisfied"] * 5},
        {"es01": ["basically_satisfied", "satisfied", "unknown", "satisfied", "satisfied"],
         "es02": ["satisfied"] * 5, "ue01": ["dissatisfied"] * 5},
    ])
    with session_scope(scheme_engine) as s:
        profile = explore.dimension_profile(s, actor=ANALYST, campaign_id=1, unit_codes=["es01"])
    assert list(profile["dimension_code"]) == ["party_discipline", "rule_of_law", "serving_public", "work_style",
                                               "problem_solving"]
    first, third = profile.iloc[0], profile.iloc[2]
    assert first["score"] == pytest.approx(85) and first["answers"] == 2
    assert third["score"] == pytest.approx(100) and third["answers"] == 1  # 不了解 left out
    # The category's units (es01, es02) averaged; ue01 is in another category.
    assert first["category_average"] == pytest.approx((85 + 50) / 2)


def test_reviewer_groups_below_five_questionnaires_are_withheld(scheme_engine):
    add_questionnaires(scheme_engine, [{"es01": ["satisfied"] * 5}] * 6, group="cadre")
    add_questionnaires(scheme_engine, [{"es01": ["dissatisfied"] * 5}] * 5, group="npc_deputy")
    add_questionnaires(scheme_engine, [{"es01": ["dissatisfied"] * 5}] * 2, group="cppcc_member")
    with session_scope(scheme_engine) as s:
        groups = explore.group_comparison(s, actor=ANALYST, campaign_id=1, unit_code="es01")
    overall = groups.overall.set_index("group_code")
    assert overall.loc["cadre", "responses"] == 6 and overall.loc["cadre", "score"] == 100
    assert overall.loc["npc_deputy", "responses"] == 5 and overall.loc["npc_deputy", "score"] == 0
    assert overall.loc["cppcc_member", "withheld"]
    assert overall.loc["cppcc_member", ["responses", "score"]].isna().all()
    assert not overall.loc["industry_rep", "withheld"] and pd_isna(overall.loc["industry_rep", "score"])
    assert groups.unit_score == pytest.approx(600 / 13)  # every group counts towards the unit's own mean
    hidden = groups.by_dimension[groups.by_dimension["group_code"] == "cppcc_member"]
    assert hidden["score"].isna().all()


def pd_isna(value):
    return pd.isna(value)


def test_poll_trend_by_month_across_years(two_years):
    add_votes(two_years, "es01", date(2017, 3, 2), ["satisfied", "dissatisfied"])
    add_votes(two_years, "es01", date(2017, 3, 20), ["basically_satisfied"])
    add_votes(two_years, "es01", date(2017, 3, 21), ["satisfied"], status="flagged")
    add_votes(two_years, "es01", date(2018, 1, 5), ["satisfied"], campaign_id=2)
    add_votes(two_years, "es02", date(2017, 3, 5), ["satisfied"])
    with session_scope(two_years) as s:
        trend = explore.poll_trend(s, actor=ANALYST, unit_codes=["es01"])
    march, january = trend.iloc[0], trend.iloc[1]
    assert (march["year"], str(march["period"]), march["votes"], march["flagged"]) == (2017, "2017-03-01", 3, 1)
    assert march["satisfaction"] == pytest.approx((100 + 0 + 70) / 3)
    assert (january["year"], january["votes"], january["satisfaction"]) == (2018, 1, 100)


def test_timeline_and_units_side_by_side(scheme_engine):
    with session_scope(scheme_engine) as s:
        units = ids(s, Unit)
        dimension = s.exec(select(Dimension.id)).first()
        visit = Inspection(campaign_id=1, unit_id=units["es01"], kind="covert", visited_on=date(2017, 4, 2),
                           site="窗口")
        s.add(visit)
        s.flush()
        s.add(Finding(inspection_id=visit.id, unit_id=units["es01"], dimension_id=dimension, severity="serious",
                      description="=HYPERLINK(\"x\")"))
        s.add(AccountabilityCase(campaign_id=1, unit_id=units["es01"], origin="finding", title="追责",
                                 opened_on=date(2017, 4, 10), closed_on=date(2017, 5, 1)))
    add_result(scheme_engine, campaign_id=1)
    add_votes(scheme_engine, "es01", date(2017, 3, 2), ["satisfied", "dissatisfied"])
    with session_scope(scheme_engine) as s:
        events = explore.timeline(s, actor=ANALYST, unit_codes=["es01"])
        side = explore.compare_units(s, actor=ANALYST, campaign_id=1, unit_codes=["es03", "es01"])
    assert list(events["kind"]) == ["finding", "case_opened", "case_closed"]
    assert list(side["unit_code"]) == ["es03", "es01"]  # in the order chosen
    es01 = side.set_index("unit_code").loc["es01"]
    assert (es01["findings"], es01["serious_findings"], es01["open_cases"], es01["poll_votes"]) == (1, 1, 0, 2)
    assert es01["poll_satisfaction"] == pytest.approx(50) and es01["result_status"] == "provisional"


def test_reliability_from_sql_aggregates_equals_the_textbook_computation(scheme_engine):
    patterns = [
        {"es01": ["satisfied", "satisfied", "basically_satisfied", "satisfied", "satisfied"],
         "es02": ["dissatisfied", "basically_satisfied", "dissatisfied", "dissatisfied", "unknown"]},
        {"es01": ["satisfied", "basically_satisfied", "satisfied", "satisfied", "basically_satisfied"],
         "es02": ["basically_satisfied", "dissatisfied", "dissatisfied", "basically_satisfied", "dissatisfied"]},
        {"es01": ["basically_satisfied", "satisfied", "satisfied", "basically_satisfied", "satisfied"],
         "es02": ["dissatisfied", "dissatisfied", "basically_satisfied", "dissatisfied", "dissatisfied"]},
    ]
    add_questionnaires(scheme_engine, patterns)
    add_questionnaires(scheme_engine, [{"es01": ["satisfied"] * 5, "es02": ["satisfied"] * 5}],
                       flags=["straight_lining"])
    patterns.append({"es01": ["satisfied"] * 5, "es02": ["satisfied"] * 5})
    with session_scope(scheme_engine) as s:
        found = explore.reliability(s, actor=ANALYST, campaign_id=1)
    value = {o: float(v) for o, v in SCORE.items()} | {"unknown": None}
    rows = [[value[o] for o in q[code]] for q in patterns for code in ("es01", "es02")]
    complete = [r for r in rows if None not in r]
    assert found.questionnaires == 4 and found.complete_rows == len(complete) == 7
    assert found.cronbach_alpha == pytest.approx(cronbach_alpha(complete))
    raters = [[value[o] for code in ("es01", "es02") for o in q[code]] for q in patterns]
    assert found.krippendorff_ordinal == pytest.approx(krippendorff_alpha(raters, "ordinal"))
    assert found.krippendorff_interval == pytest.approx(krippendorff_alpha(raters, "interval"))
    assert (found.straight_lining, found.too_fast, found.flagged, found.flagged_share) == (1, 0, 1, 0.25)
    assert found.rated_items == 10
    with session_scope(scheme_engine) as s:
        assert [r.year for r in explore.reliability_by_year(s, actor=ANALYST)] == [2017]


def test_an_empty_campaign_gives_empty_frames_not_errors(scheme_engine):
    live = board(scheme_engine)
    assert live.votes.total == 0 and live.open_cases.empty and live.result is None
    with session_scope(scheme_engine) as s:
        assert explore.poll_trend(s, actor=ANALYST, unit_codes=["es01"]).empty
        assert explore.timeline(s, actor=ANALYST, unit_codes=["es01"]).empty
        assert explore.score_history(s, actor=ANALYST, unit_codes=["es01"]).empty
        rel = explore.reliability(s, actor=ANALYST, campaign_id=1)
        assert rel.cronbach_alpha is None and rel.krippendorff_ordinal is None and rel.flagged_share is None
        groups = explore.group_comparison(s, actor=ANALYST, campaign_id=1, unit_code="es01")
        assert groups.unit_score is None and len(groups.overall) == 6
