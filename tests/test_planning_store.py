"""The precision planner in the store (SQLite and PostgreSQL): what it reads of last year, what it assumes
without one, who may ask, and `python -m db plan-panel`."""

from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import select, update

from core import planner
from core.errors import Forbidden, UserError
from core.sampling import allocate
from db.access import Actor, cli_actor
from db.campaigns import get_campaign
from db.demo.years import load_demo
from db.engine import session_scope
from db.models import Reviewer, Unit
from db.planning import plan_panel, previous_history
from db.reviewer_pool import pool_counts
from db.scoring import latest_result, load_inputs, result_rows

ADMIN = cli_actor()


@pytest.fixture
def two_years(scheme_engine):
    """2017 scored and published, 2018 with its own pool (demo, few votes)."""
    load_demo(scheme_engine, actor=ADMIN, years=(2017, 2018), votes_per_year=2000)
    return scheme_engine


def test_the_plan_reads_last_years_panel_and_published_scores(two_years):
    with session_scope(two_years) as s:
        plan = plan_panel(s, actor=ADMIN, year=2018)
        pool = pool_counts(s, campaign_id=get_campaign(s, 2018).id)
        published = latest_result(s, get_campaign(s, 2017).id, published_only=True)
        rows = result_rows(s, published.id)
        inputs = load_inputs(s, get_campaign(s, 2017).id)
    assert plan.notes == () and plan.population == pool
    designs = [(n, a) for n in planner.SIZES for a in planner.ALLOCATIONS]
    assert [(d.size, d.allocation) for d in plan.designs] == designs
    for design in plan.designs:
        assert design.counts == allocate(pool, design.size, method=design.allocation, sd=plan.spreads)
        assert set(design.borderline) == {"economic_social", "urban_enforcement", "public_service"}
        assert 0 < design.total_half_width < design.panel_half_width
    proportional = [d for d in plan.designs if d.allocation == "proportional"]
    widths = [d.panel_half_width for d in proportional]
    assert widths == sorted(widths, reverse=True)
    assert plan.recommended in plan.designs and all(5 < s < 40 for s in plan.spreads.values())
    # Last year's own panel, planned with last year's data, expects the half-widths its result then showed.
    counts = np.bincount(inputs.respondent_groups, minlength=len(inputs.groups))
    with session_scope(two_years) as s:
        past, _ = previous_history(s, get_campaign(s, 2017), inputs, groups=list(inputs.groups),
                           codes=[u.code for u in inputs.units])
    population = np.array([inputs.population[g] for g in inputs.groups], dtype=float)
    expected = planner.Z * np.sqrt(planner.panel_variance(counts, population, past))
    shown = np.array([(r.explanation["panel"]["interval"][1] - r.explanation["panel"]["interval"][0]) / 2
                      for r in rows])
    assert np.mean(shown) == pytest.approx(np.mean(expected), rel=0.15)
    assert past.total.tolist() == pytest.approx([r.total for r in sorted(rows, key=lambda r: [
        u.code for u in inputs.units].index(r.unit_code))])


def test_without_a_previous_year_the_plan_says_what_it_assumed(two_years):
    with session_scope(two_years) as s:
        plan = plan_panel(s, actor=ADMIN, year=2017)
    assert plan.notes[0] == {"code": "no_history", "year": 2016, "spread": planner.ASSUMED_SPREAD}
    assert all(d.borderline is None for d in plan.designs)
    assert plan.recommended.size == 200 and set(plan.spreads.values()) == {planner.ASSUMED_SPREAD}


def test_an_empty_pool_takes_last_years_group_sizes_and_new_units_are_named(two_years):
    with session_scope(two_years) as s:
        campaign = get_campaign(s, 2018)
        s.exec(update(Reviewer).where(Reviewer.campaign_id == campaign.id).values(active=False))
        unit = s.exec(select(Unit).where(Unit.campaign_id == campaign.id, Unit.code == "es01")).one()
        unit.code = "es99"  # a unit last year did not have
        s.add(unit)
        s.flush()
        plan = plan_panel(s, actor=ADMIN, year=2018, from_year=2017)
        previous = load_inputs(s, get_campaign(s, 2017).id).population
    assert {"code": "population_previous", "year": 2017} in plan.notes
    assert {"code": "new_units", "count": 1} in plan.notes
    assert plan.population == {g: previous[g] for g in plan.population}


def test_only_the_office_plans_and_a_wrong_year_is_refused(two_years):
    with session_scope(two_years) as s:
        with pytest.raises(Forbidden):
            plan_panel(s, actor=Actor("wang", "leader"), year=2018)
        for year, key in ((2018, "plan.not_earlier"), (2010, "plan.no_campaign")):
            with pytest.raises(UserError) as caught:
                plan_panel(s, actor=ADMIN, year=2018, from_year=year)
            assert caught.value.key == key


def test_the_command_prints_the_table_and_the_recommendation(two_years, monkeypatch, capsys):
    from db.commands import main

    monkeypatch.setenv("DATABASE_URL", two_years.url.render_as_string(hide_password=False))
    assert main(["plan-panel", "--campaign", "2018"]) == 0
    out = capsys.readouterr().out
    assert "service_recipient" in out and "±total" in out and "recommendation: " in out
    assert len([line for line in out.splitlines() if line.strip().startswith(("100 ", "400 "))]) == 4
    assert main(["plan-panel", "--campaign", "2017"]) == 0
    assert "no panel data for 2016" in capsys.readouterr().out
    assert main(["plan-panel", "--campaign", "2018", "--from", "2030"]) == 1
    assert "plan from an earlier year" in capsys.readouterr().err
