"""The precision planner's data: this year's pool, groups and units, and last year's panel and results.

core.planner does the arithmetic; this module only gathers. Last year's questionnaires come
through `db.scoring.load_inputs` (the answers as codes, the votes counted in SQL), its totals
from its published result (else they are recomputed from its data with its settings: the note
says so), and this year's group sizes from the active pool.
"""

from __future__ import annotations

import numpy as np
from sqlmodel import Session, col, func, select

from core import planner
from core import scoring as rules
from core.errors import UserError
from db.access import Actor, require
from db.campaigns import get_campaign, get_campaign_or_none, reviewer_groups
from db.models import Campaign, Response
from db.reviewer_pool import pool_counts
from db.scoring import latest_result, load_inputs, result_rows, scored_units


def _submitted(session: Session, campaign_id: int) -> int:
    return session.exec(select(func.count()).select_from(Response).where(
        Response.campaign_id == campaign_id, Response.status == "submitted", ~col(Response.rehearsal))).one()


def _previous(session: Session, year: int, from_year: int | None) -> Campaign | None:
    if from_year is None:
        return get_campaign_or_none(session, year - 1)
    if from_year >= year:
        raise UserError("plan.not_earlier", "plan from an earlier year than {year}, not {from_year}", year=year,
                        from_year=from_year)
    found = get_campaign_or_none(session, from_year)
    if found is None:
        raise UserError("plan.no_campaign", "there is no campaign {year} to plan from", year=from_year)
    return found


def plan_panel(session: Session, *, actor: Actor, year: int, from_year: int | None = None) -> planner.Plan:
    """Every panel size and allocation with its expected precision and borderline count (core.planner).

    `from_year` is the year whose panel and results stand for this one (default: the year before);
    without one, or without its questionnaires, the plan says what it assumed. Office only.
    """
    require(actor, "admin")
    campaign = get_campaign(session, year)
    groups = [g.code for g in reviewer_groups(session, campaign.id)]
    units = scored_units(session, campaign.id)
    settings = campaign.settings
    panel = rules.panel_settings(settings)
    shares = (np.array([float(panel["group_weights"].get(g, 0)) for g in groups])
              if panel["weighting"] == "policy" else None)
    notes: list[dict] = []
    previous = _previous(session, year, from_year)
    inputs = None
    if previous is not None and _submitted(session, previous.id):
        inputs = load_inputs(session, previous.id)
        past, found = previous_history(session, previous, inputs, groups=groups, codes=[u.code for u in units])
        notes += found
    else:
        notes.append({"code": "no_history", "year": previous.year if previous else year - 1,
                      "spread": planner.ASSUMED_SPREAD})
        past = planner.assumed_history(len(groups), len(units), planner.panel_share(settings["method_weights"]))
    population = pool_counts(session, campaign_id=campaign.id)
    if not sum(population.values()):
        if inputs is not None and sum(inputs.population.values()):
            population = {g: int(inputs.population.get(g, 0)) for g in groups}
            notes.append({"code": "population_previous", "year": previous.year})
        else:
            each, extra = divmod(campaign.pool_target, len(groups))
            population = {g: each + (k < extra) for k, g in enumerate(groups)}
            notes.append({"code": "population_target", "target": campaign.pool_target})
    try:
        return planner.plan(population=population, categories=[u.category_code for u in units], past=past,
                            rules=settings["grade_rules"], shares=shares, planned=campaign.panel_size,
                            seed=int(settings["uncertainty"]["seed"]), notes=notes, scores_known=inputs is not None)
    except ValueError as error:
        raise UserError("plan.impossible", "no panel can be planned: {reason}", reason=str(error)) from None


def previous_history(session: Session, previous: Campaign, inputs: rules.ScoringInputs, *, groups: list[str],
             codes: list[str]) -> tuple[planner.History, list[dict]]:
    """Last year's reviewer scores, totals and slopes, on this year's units (by code) and groups."""
    settings = previous.settings
    facts = rules.sensitivity(inputs, settings)
    scores = planner.reviewer_scores(rules.panel_values(inputs.answers, settings), len(inputs.units),
                                     np.array([float(settings["dimension_weights"][d]) for d in inputs.dimensions]))
    where = {u.code: k for k, u in enumerate(inputs.units)}
    index = np.array([where.get(code, -1) for code in codes])
    known = index >= 0

    def on_this_year(values: np.ndarray) -> np.ndarray:
        return np.where(known, np.asarray(values, dtype=float)[..., np.maximum(index, 0)], np.nan)

    notes = []
    published = latest_result(session, previous.id, published_only=True)
    if published is not None:
        stored = {row.unit_code: row.total for row in result_rows(session, published.id)}
        total = np.array([np.nan if stored.get(code) is None else float(stored[code]) for code in codes])
    else:
        total = on_this_year(facts["total"])
        notes.append({"code": "scores_computed", "year": previous.year})
    past, found = planner.history(on_this_year(scores), inputs.respondent_groups, groups=groups,
                                  previous_groups=inputs.groups, total=total,
                                  panel_slope=on_this_year(facts["panel_slope"]),
                                  other_variance=np.nan_to_num(on_this_year(facts["other_variance"])))
    return past, notes + found
