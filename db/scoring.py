"""Results: gather a campaign's inputs (in SQL), score them (core.scoring), keep versions, publish.

A `Result` is one scoring run, numbered per campaign. Scoring again always makes a new
provisional version; `publish` freezes one: its configuration, the SHA-256 of every input,
scores, grades and intervals are stored rows that no later edit of the data touches, and no
function here changes a published result. Publishing refuses a version whose inputs have
changed since it was computed (score again instead). Every run and publication is audited.

Votes are counted in SQL (GROUP BY unit, option, status), never loaded one by one; the
panel's answers (200 questionnaires x 185 cells) are small and loaded as codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from core import complaints as complaint_rules
from core import scoring as rules
from core import settings as settings_rules
from core.bundle import sha256
from core.clock import office_today, utcnow
from core.deidentify import mask_text
from core.errors import NotFound, UserError, ValidationError
from core.poll import COUNTED, OPTIONS
from db import ballot_box
from db.access import Actor, require
from db.audit import record
from db.campaigns import dimensions as campaign_dimensions
from db.campaigns import get_campaign, reviewer_groups, update_settings
from db.demo_rows import holds_demo
from db.models import (
    AccountabilityCase,
    Answer,
    Campaign,
    Complaint,
    DailyScore,
    Dimension,
    Draw,
    Finding,
    Inspection,
    MediaCase,
    Objection,
    ObjectionPeriod,
    PollVote,
    Rectification,
    Response,
    Result,
    ResultBundle,
    ResultUnit,
    Reviewer,
    ReviewerGroup,
    Unit,
    UnitCategory,
)
from db.release import code_version
from db.units import UnitRow, list_units
from documents.bundle import bundle_bytes
from documents.results import ResultDocument

OFFICE = ("admin",)
READERS = ("admin", "leader", "analyst")


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("scoring.no_campaign", "there is no campaign with id {id}", id=campaign_id)
    return campaign


# ------------------------------------------------------------------------------ inputs


def _population(session: Session, campaign_id: int, groups: list[ReviewerGroup]) -> tuple[dict[str, int], dict]:
    """N_h: the pool the active draw was made from (its snapshot), else today's active pool."""
    codes = {g.id: g.code for g in groups}
    draw = session.exec(select(Draw).where(Draw.campaign_id == campaign_id, Draw.status == "active")
                        .order_by(col(Draw.id).desc())).first()
    if draw is not None and draw.pool_snapshot:
        counts: dict[str, int] = {g.code: 0 for g in groups}
        for group in draw.pool_snapshot.values():
            counts[str(group)] = counts.get(str(group), 0) + 1
        return counts, {"population": "draw", "draw_id": draw.id, "draw_seed_sha256": draw.seed_sha256}
    rows = session.exec(select(Reviewer.group_id, func.count()).where(Reviewer.campaign_id == campaign_id,
                                                                       Reviewer.active)
                        .group_by(Reviewer.group_id)).all()
    counts = {g.code: 0 for g in groups}
    counts.update({codes[group_id]: int(n) for group_id, n in rows if group_id in codes})
    return counts, {"population": "pool"}


def as_of_day(campaign: Campaign, today: date | None = None) -> date:
    """Media deadlines are judged on the campaign's last day, or today while it runs."""
    today = today or office_today()
    return min(today, campaign.ends_on)


def scored_units(session: Session, campaign_id: int) -> list[UnitRow]:
    """The units a result covers: active and not merged into another, in the campaign's order."""
    return [u for u in list_units(session, campaign_id=campaign_id, include_inactive=False) if u.merged_into is None]


def load_inputs(session: Session, campaign_id: int, *, today: date | None = None) -> rules.ScoringInputs:
    """Everything a campaign's result depends on, read with aggregate queries where volumes are large.

    The ballot box releases what is due first (after the window's close: every ballot). Questionnaires are
    then taken in an order of their own content (group, then answers), never of their ids: the ids are
    shuffled at each release, and the result, its digest and its bootstrap must not move with them."""
    ballot_box.release_due(session, campaign_id=campaign_id)
    campaign = _campaign(session, campaign_id)
    units = scored_units(session, campaign_id)
    unit_index = {u.id: k for k, u in enumerate(units)}
    dims = campaign_dimensions(session, campaign_id)
    dim_index = {d.id: k for k, d in enumerate(dims)}
    groups = reviewer_groups(session, campaign_id)
    group_index = {g.id: k for k, g in enumerate(groups)}
    population, sources = _population(session, campaign_id, groups)
    n_units, n_dims = len(units), len(dims)

    responses = session.exec(select(Response.id, Response.group_id).where(
        Response.campaign_id == campaign_id, Response.status == "submitted", ~col(Response.rehearsal))
        .order_by(Response.id)).all()
    response_index = {rid: k for k, (rid, _) in enumerate(responses)}
    answers = np.full((len(responses), n_units, n_dims), rules.NO_ANSWER, dtype=np.int8)
    codes = {o: rules.option_code(o) for o in rules.PANEL_OPTIONS}
    rows = session.exec(select(Answer.response_id, Answer.unit_id, Answer.dimension_id, Answer.option)
                        .join(Response, Response.id == Answer.response_id)
                        .where(Response.campaign_id == campaign_id, Response.status == "submitted",
                               ~col(Response.rehearsal))).all()
    for response_id, unit_id, dimension_id, option in rows:
        if unit_id in unit_index and dimension_id in dim_index and option in codes:
            answers[response_index[response_id], unit_index[unit_id], dim_index[dimension_id]] = codes[option]
    canonical = sorted(range(len(responses)), key=lambda k: (group_index.get(responses[k][1], -1),
                                                              answers[k].tobytes()))
    answers = answers[canonical]
    responses = [responses[k] for k in canonical]

    votes = np.zeros((n_units, len(OPTIONS)), dtype=np.int64)
    set_aside = np.zeros(n_units, dtype=np.int64)
    for unit_id, option, status, n in session.exec(
            select(PollVote.unit_id, PollVote.option, PollVote.status, func.count())
            .where(PollVote.campaign_id == campaign_id)
            .group_by(PollVote.unit_id, PollVote.option, PollVote.status)).all():
        if unit_id not in unit_index:
            continue
        if status in COUNTED and option in OPTIONS:
            votes[unit_index[unit_id], OPTIONS.index(option)] += n
        else:
            set_aside[unit_index[unit_id]] += n

    media: list[list[rules.MediaFacts]] = [[] for _ in units]
    for ref, unit_id, exposed, answered, status, satisfaction in session.exec(
            select(MediaCase.external_ref, MediaCase.unit_id, MediaCase.exposed_on, MediaCase.answered_on,
                   MediaCase.status, MediaCase.public_satisfaction)
            .where(MediaCase.campaign_id == campaign_id).order_by(MediaCase.id)).all():
        if unit_id in unit_index:
            media[unit_index[unit_id]].append(rules.MediaFacts(ref, exposed, answered, status, satisfaction))

    visits = np.zeros(n_units, dtype=np.int64)
    for unit_id, n in session.exec(select(Inspection.unit_id, func.count()).where(
            Inspection.campaign_id == campaign_id).group_by(Inspection.unit_id)).all():
        if unit_id in unit_index:
            visits[unit_index[unit_id]] = n
    findings: list[list[rules.FindingFacts]] = [[] for _ in units]
    for finding_id, unit_id, severity, dimension, description in session.exec(
            select(Finding.id, Finding.unit_id, Finding.severity, Dimension.code, Finding.description)
            .join(Inspection, Inspection.id == Finding.inspection_id)
            .join(Dimension, Dimension.id == Finding.dimension_id)
            .where(Inspection.campaign_id == campaign_id).order_by(Finding.id)).all():
        if unit_id in unit_index:
            findings[unit_index[unit_id]].append(rules.FindingFacts(finding_id, severity, dimension, description))

    daily = np.full(n_units, np.nan)
    for unit_id, value in session.exec(select(DailyScore.unit_id, DailyScore.score)
                                       .where(DailyScore.campaign_id == campaign_id)).all():
        if unit_id in unit_index and value is not None:
            daily[unit_index[unit_id]] = float(value)
    vetoes: list[list[str]] = [[] for _ in units]
    for unit_id, title in session.exec(select(AccountabilityCase.unit_id, AccountabilityCase.title).where(
            AccountabilityCase.campaign_id == campaign_id, AccountabilityCase.veto)
            .order_by(AccountabilityCase.id)).all():
        if unit_id in unit_index:
            vetoes[unit_index[unit_id]].append(title)
    rejections: list[list[str]] = [[] for _ in units]
    for unit_id, notice_no, rect_id in session.exec(
            select(Rectification.unit_id, Rectification.notice_no, Rectification.id).where(
            Rectification.campaign_id == campaign_id, Rectification.public_satisfaction == "dissatisfied")
            .order_by(Rectification.id)).all():
        if unit_id in unit_index:
            rejections[unit_index[unit_id]].append(notice_no or f"#{rect_id}")

    return rules.ScoringInputs(
        complaints=_complaints(session, campaign_id, unit_index),
        units=tuple(rules.UnitRef(u.code, u.name, u.category_code) for u in units),
        dimensions=tuple(d.code for d in dims), groups=tuple(g.code for g in groups), population=population,
        respondent_groups=np.array([group_index[g] for _, g in responses], dtype=np.int64),
        answers=answers, votes=votes, votes_set_aside=set_aside,
        media=tuple(tuple(m) for m in media), visits=visits, findings=tuple(tuple(f) for f in findings),
        daily=daily, vetoes=tuple(tuple(v) for v in vetoes), rejections=tuple(tuple(r) for r in rejections),
        as_of=as_of_day(campaign, today), sources=sources)


def _complaints(session: Session, campaign_id: int, unit_index: dict[int, int]) -> tuple:
    """Per unit, the poll's counted complaints (their vote counted, reached the unit, not taken out of the
    count): part of the input hash, so a result whose complaints changed is not published."""
    facts: list[list[complaint_rules.Facts]] = [[] for _ in unit_index]
    for unit_id, received, acknowledged, closed, state, follow_up in session.exec(
            select(Complaint.unit_id, Complaint.received_on, Complaint.acknowledged_on, Complaint.closed_on,
                   Complaint.state, Complaint.follow_up)
            .join(PollVote, PollVote.id == Complaint.vote_id)
            .where(Complaint.campaign_id == campaign_id, col(PollVote.status).in_(COUNTED),
                   col(Complaint.state).in_(complaint_rules.COUNTED_STATES), col(Complaint.received_on).is_not(None))
            .order_by(Complaint.id)).all():
        if unit_id in unit_index:
            facts[unit_index[unit_id]].append(complaint_rules.Facts(
                received, acknowledged, closed if state == "closed" else None, follow_up))
    return tuple(tuple(f) for f in facts)


# ------------------------------------------------------------------------------ scoring


def compute(
    session: Session,
    campaign_id: int,
    *,
    settings: dict | None = None,
    replicates: int | None = None,
    draws: int | None = None,
    today: date | None = None,
) -> rules.Scoring:
    """Score a campaign without writing anything (the CLI's preview, and the first step of a run)."""
    return _scored(session, campaign_id, settings=settings, replicates=replicates, draws=draws, today=today)[1]


def _scored(session: Session, campaign_id: int, *, settings: dict | None, replicates: int | None, draws: int | None,
            today: date | None) -> tuple[rules.ScoringInputs, rules.Scoring]:
    """The inputs and their scoring under the campaign's settings (or `settings`)."""
    campaign = _campaign(session, campaign_id)
    inputs = load_inputs(session, campaign_id, today=today)
    scoring = rules.score(inputs, campaign.settings if settings is None else settings, replicates=replicates,
                          draws=draws)
    # The data alone (no settings): a comparison says "the inputs differ" only when the data do.
    scoring.config["data_hash"] = inputs.digest({})
    return inputs, scoring


def score_campaign(
    session: Session,
    campaign_id: int,
    actor: Actor,
    *,
    replicates: int | None = None,
    draws: int | None = None,
    today: date | None = None,
    is_demo: bool = False,
) -> Result:
    """Score the campaign and keep it as the next provisional version; audited."""
    require(actor, *OFFICE)
    campaign = _campaign(session, campaign_id)
    inputs, scoring = _scored(session, campaign_id, settings=None, replicates=replicates, draws=draws, today=today)
    version = (session.exec(select(func.max(Result.version)).where(Result.campaign_id == campaign_id)).one() or 0) + 1
    result = Result(campaign_id=campaign_id, version=version, status="provisional", config=scoring.config,
                    input_hash=scoring.input_hash, created_at=utcnow(), is_demo=is_demo or campaign.is_demo)
    session.add(result)
    session.flush()
    unit_ids = {u.code: u.id for u in list_units(session, campaign_id=campaign_id, include_inactive=False)}
    for unit in scoring.units:
        session.add(ResultUnit(
            result_id=result.id, unit_id=unit_ids[unit.code], total=unit.total, components=unit.components,
            grade=unit.grade, rank=unit.rank, score_low=unit.score_low, score_high=unit.score_high,
            rank_low=unit.rank_low, rank_high=unit.rank_high, borderline=unit.borderline,
            explanation=unit.explanation))
    session.flush()
    store_bundle(session, result, inputs)
    grades = {g: sum(u.grade == g for u in scoring.units) for g in ("excellent", "qualified", "unqualified")}
    record(session, actor=actor, action="result.score", entity="result", entity_id=result.id,
           campaign_id=campaign_id, after={"version": version, "input_hash": scoring.input_hash, "grades": grades,
                                           "bootstrap_replicates": scoring.config["bootstrap_replicates"],
                                           "weight_draws": scoring.config["weight_draws"]})
    return result


def store_bundle(session: Session, result: Result, inputs: rules.ScoringInputs) -> ResultBundle:
    """Build and keep the verification bundle of `result` from the inputs it was scored from (db.bundles)."""
    campaign = _campaign(session, result.campaign_id)
    categories = {u.code: u.category for u in inputs.units}
    rows = session.exec(select(ResultUnit, Unit.code).join(Unit, Unit.id == ResultUnit.unit_id)
                        .where(ResultUnit.result_id == result.id)).all()
    units = [{"code": code, "category": categories.get(code, ""), "components": dict(ru.components),
              "total": ru.total, "grade": ru.grade, "rank": ru.rank, "rank_low": ru.rank_low,
              "rank_high": ru.rank_high, "score_low": ru.score_low, "score_high": ru.score_high,
              "borderline": ru.borderline} for ru, code in rows]
    data = bundle_bytes(year=campaign.year, version=result.version, input_hash=result.input_hash, inputs=inputs,
                        config=result.config, units=units, code_version=code_version())
    bundle = ResultBundle(result_id=result.id, sha256=sha256(data), code_version=code_version(), content=data)
    session.add(bundle)
    session.flush()
    return bundle


def _result(session: Session, result_id: int) -> Result:
    result = session.get(Result, result_id)
    if result is None:
        raise NotFound("scoring.no_result", "there is no result with id {id}", id=result_id)
    return result


def current_hash(session: Session, campaign_id: int, *, today: date | None = None) -> str:
    campaign = _campaign(session, campaign_id)
    return load_inputs(session, campaign_id, today=today).digest(campaign.settings)


def running_period(session: Session, campaign_id: int, today: date) -> ObjectionPeriod | None:
    """The objection period (公示, db.objections) that takes objections today, if one does."""
    return session.exec(select(ObjectionPeriod).where(
        ObjectionPeriod.campaign_id == campaign_id, ObjectionPeriod.opens_on <= today,
        ObjectionPeriod.closes_on >= today).order_by(col(ObjectionPeriod.id).desc())).first()


def publication_blockers(session: Session, campaign_id: int, *, today: date | None = None) -> list[UserError]:
    """Why the campaign should not be published now: an objection period runs, objections await a ruling."""
    today = today or office_today()
    found: list[UserError] = []
    running = running_period(session, campaign_id, today)
    if running is not None:
        found.append(UserError("objections.block_running", "the objection period runs until {day}",
                               day=running.closes_on.isoformat()))
    unruled = session.exec(select(func.count()).select_from(Objection).where(
        Objection.campaign_id == campaign_id, Objection.state == "open")).one()
    if unruled:
        found.append(UserError("objections.block_unruled", "{n} objections have no ruling yet", n=unruled))
    return found


OVERRIDE_MIN = 10  # an override reason says why the office publishes anyway: more than a word


def publish(session: Session, result_id: int, actor: Actor, *, today: date | None = None,
            override_reason: str | None = None) -> Result:
    """Freeze a provisional version: it becomes the published result of its campaign; audited.

    Refused when the data or the settings changed after the version was computed: the published
    figures must be the ones today's inputs give. Refused while an objection period runs or an
    objection awaits its ruling, unless `override_reason` says why (kept in the audit event).
    """
    require(actor, *OFFICE)
    result = _result(session, result_id)
    if result.status == "published":
        raise UserError("scoring.already_published", "version {version} is published already",
                        version=result.version)
    if current_hash(session, result.campaign_id, today=today) != result.input_hash:
        raise UserError("scoring.stale", "the data or settings changed after version {version} was computed; "
                        "score again and publish the new version", version=result.version)
    blockers = publication_blockers(session, result.campaign_id, today=today)
    override = (override_reason or "").strip()
    if blockers and len(override) < OVERRIDE_MIN:
        raise ValidationError("objections.publish_blocked", "version {version} cannot be published yet; give a reason "
                              "of at least {n} characters to publish anyway", version=result.version, n=OVERRIDE_MIN,
                              problems=blockers)
    previous = latest_result(session, result.campaign_id, published_only=True)
    result.status = "published"
    result.published_at = utcnow()
    result.published_by = actor.username
    session.add(result)
    session.flush()
    record(session, actor=actor, action="result.publish", entity="result", entity_id=result.id,
           campaign_id=result.campaign_id,
           before={"status": "provisional", "published_version": previous.version if previous else None},
           after={"status": "published", "version": result.version, "input_hash": result.input_hash,
                  "published_at": result.published_at.isoformat()})
    if blockers:
        record(session, actor=actor, action="result.publish_override", entity="result", entity_id=result.id,
               campaign_id=result.campaign_id,
               after={"version": result.version, "reason": mask_text(override), "blockers": [b.key for b in blockers],
                      "blocker_texts": [b.english() for b in blockers]})
    return result


# ------------------------------------------------------------------------------ reading


def list_results(session: Session, campaign_id: int, *, actor: Actor | None = None) -> list[Result]:
    """Versions newest first; people outside the office see published versions only."""
    query = select(Result).where(Result.campaign_id == campaign_id).order_by(col(Result.version).desc())
    if actor is not None:
        require(actor, *READERS)
        if actor.role not in OFFICE:
            query = query.where(Result.status == "published")
    return list(session.exec(query).all())


def latest_result(session: Session, campaign_id: int, *, published_only: bool = False) -> Result | None:
    query = select(Result).where(Result.campaign_id == campaign_id)
    if published_only:
        query = query.where(Result.status == "published")
    return session.exec(query.order_by(col(Result.version).desc())).first()


def get_result(session: Session, result_id: int, *, actor: Actor) -> Result:
    require(actor, *READERS)
    result = _result(session, result_id)
    if result.status != "published" and actor.role not in OFFICE:
        raise NotFound("scoring.no_result", "there is no result with id {id}", id=result_id)
    return result


@dataclass(frozen=True)
class ResultRow:
    """One unit of a stored result, with its names, for pages and exports."""

    unit_code: str
    unit_name: str
    category_code: str
    category_zh: str
    category_en: str
    category_position: int
    total: float | None
    components: dict
    grade: str
    rank: int
    score_low: float | None
    score_high: float | None
    rank_low: int | None
    rank_high: int | None
    borderline: bool
    explanation: dict


def result_rows(session: Session, result_id: int, *, actor: Actor | None = None) -> list[ResultRow]:
    """The units of a result by category and rank (units keep their names as stored for the campaign)."""
    if actor is not None:
        get_result(session, result_id, actor=actor)
    rows = session.exec(
        select(ResultUnit, Unit, UnitCategory).join(Unit, Unit.id == ResultUnit.unit_id)
        .join(UnitCategory, UnitCategory.id == Unit.category_id).where(ResultUnit.result_id == result_id)
        .order_by(UnitCategory.position, ResultUnit.rank, Unit.position)).all()
    return [ResultRow(unit.code, unit.name, cat.code, cat.name_zh, cat.name_en, cat.position, ru.total,
                      dict(ru.components), ru.grade, ru.rank, ru.score_low, ru.score_high, ru.rank_low, ru.rank_high,
                      ru.borderline, dict(ru.explanation)) for ru, unit, cat in rows]


def compare(session: Session, result_a: int, result_b: int, *, actor: Actor | None = None) -> dict:
    """What changed from version a to version b: per unit total, grade and rank; settings; inputs."""
    a = get_result(session, result_a, actor=actor) if actor else _result(session, result_a)
    b = get_result(session, result_b, actor=actor) if actor else _result(session, result_b)
    rows_a = {r.unit_code: r for r in result_rows(session, a.id)}
    rows_b = {r.unit_code: r for r in result_rows(session, b.id)}
    units = []
    for code in list(dict.fromkeys([*rows_a, *rows_b])):
        ra, rb = rows_a.get(code), rows_b.get(code)
        total_a = ra.total if ra else None
        total_b = rb.total if rb else None
        units.append({
            "unit_code": code, "unit_name": (rb or ra).unit_name, "category_code": (rb or ra).category_code,
            "total_a": total_a, "total_b": total_b,
            "delta": None if total_a is None or total_b is None else total_b - total_a,
            "grade_a": ra.grade if ra else None, "grade_b": rb.grade if rb else None,
            "rank_a": ra.rank if ra else None, "rank_b": rb.rank if rb else None,
            "changed": ra is None or rb is None or ra.grade != rb.grade or ra.rank != rb.rank
            or abs((total_a or 0) - (total_b or 0)) > 1e-9,
        })
    return {"a": {"id": a.id, "version": a.version, "status": a.status, "input_hash": a.input_hash},
            "b": {"id": b.id, "version": b.version, "status": b.status, "input_hash": b.input_hash},
            "same_inputs": a.input_hash == b.input_hash,
            # True or False when both versions kept their data's checksum; None for older versions that did not.
            "same_data": (True if a.input_hash == b.input_hash else
                          None if not (a.config.get("data_hash") and b.config.get("data_hash")) else
                          a.config["data_hash"] == b.config["data_hash"]),
            "settings": _differences(a.config.get("settings", {}), b.config.get("settings", {})),
            "units": units}


def _differences(a: object, b: object, path: str = "") -> list[dict]:
    """Settings that differ, as dotted paths."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            out += _differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        return out
    return [] if a == b else [{"setting": path, "a": a, "b": b}]


def set_panel_rules(session: Session, *, actor: Actor, year: int, weighting: str, group_weights: dict[str, float],
                    lonely_group: str) -> Campaign:
    """Change the panel's group weighting and lone-group rule (validated with the other settings; audited)."""
    require(actor, *OFFICE)
    campaign = get_campaign(session, year)
    settings = dict(campaign.settings)
    settings["panel"] = {"weighting": weighting, "group_weights": dict(group_weights) if weighting == "policy" else {},
                         "lonely_group": lonely_group}
    groups = [g.code for g in reviewer_groups(session, campaign.id)]
    problems = settings_rules.validate(settings, dimensions=[d.code for d in campaign_dimensions(session, campaign.id)],
                                       groups=groups)
    if problems:
        raise ValidationError("settings.invalid", "the settings cannot be saved", problems=problems)
    return update_settings(session, actor=actor, year=year, settings=settings)


def result_document(session: Session, result_id: int, *, actor: Actor | None = None) -> ResultDocument:
    """A stored result with its names, ready for the workbook and the circular."""
    result = get_result(session, result_id, actor=actor) if actor else _result(session, result_id)
    campaign = _campaign(session, result.campaign_id)
    return ResultDocument(
        year=campaign.year, campaign_name=campaign.name_zh, version=result.version, status=result.status,
        input_hash=result.input_hash, created_at=result.created_at, published_at=result.published_at,
        published_by=result.published_by, config=dict(result.config), rows=result_rows(session, result.id),
        dimension_names={d.code: d.name_zh for d in campaign_dimensions(session, campaign.id)},
        group_names={g.code: g.name_zh for g in reviewer_groups(session, campaign.id)},
        is_demo=result.is_demo or holds_demo(session, campaign.id), objections=objection_summary(session, campaign.id),
        bundle_sha256=session.exec(select(ResultBundle.sha256).where(ResultBundle.result_id == result.id)).first())


def objection_summary(session: Session, campaign_id: int) -> dict | None:
    """For the 通报: the campaign's objection periods (first day to last) and the objections they brought."""
    bounds = session.exec(select(func.min(ObjectionPeriod.opens_on), func.max(ObjectionPeriod.closes_on),
                                 func.count(ObjectionPeriod.id))
                          .where(ObjectionPeriod.campaign_id == campaign_id)).one()
    if not bounds[2]:
        return None
    newest = session.exec(select(ObjectionPeriod.working_days).where(ObjectionPeriod.campaign_id == campaign_id)
                          .order_by(col(ObjectionPeriod.id).desc())).first()
    counts = dict(session.exec(select(Objection.state, func.count()).where(Objection.campaign_id == campaign_id)
                               .group_by(Objection.state)).all())
    return {"opens_on": bounds[0], "closes_on": bounds[1], "working_days": newest, "periods": bounds[2],
            "received": sum(counts.values()), "upheld": counts.get("upheld", 0),
            "dismissed": counts.get("dismissed", 0), "open": counts.get("open", 0)}
