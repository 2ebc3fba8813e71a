"""The demo dataset: `load_demo` fills clearly labelled made-up years (db.demo.purge removes them).

Every row the demo writes carries `is_demo=True`, and the later years it creates are demo
campaigns, so that `purge_demo` can delete exactly the demo and nothing an office entered.
By default the demo covers the two years before the day it is loaded and that day's year,
which runs "today" (core.demo_calendar): poll votes up to now, the panel window open for the
coming weeks, part of the panel in, casework under way. Its personal links and venue codes are
issued as a real draw's are (db.draws, db.questionnaire: hashes only in the database); their
plain text goes to an owner-only file (db.demo.invitations). The 2017 campaign of the
scheme is left as it is: the first demo year is copied from it. Loaded with explicit years that
name an existing campaign (`years=(2017,)`), the demo only adds rows to that campaign.

Comments and complaints are written by their own modules (db.demo.comments, db.demo.complaints),
called from `_fill_year` in the year's transaction; `purge_demo` is in db.demo.purge.

What the rows say comes from `core.demo_model` (a seeded, pure model of units, reviewers
and citizens); this module maps the model's indexes to ids and writes in bulk. Each year
is one transaction, so a failure never leaves a year half-written; if a later year fails,
the years already written are purged again, so a failed load leaves no demo rows at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, update
from sqlmodel import Session, col, select

from core import demo_calendar, sampling
from core import demo_model as model
from core.clock import from_office, office_now, office_today, to_office
from core.errors import UserError
from db import tallies
from db.access import Actor, require
from db.audit import record
from db.campaigns import DEMO_LABELS, copy_campaign, get_campaign_or_none
from db.demo.comments import add_demo_comments
from db.demo.complaints import add_demo_complaints
from db.demo.purge import delete_demo_rows
from db.engine import session_scope
from db.media import ensure_channels
from db.models import (
    AccountabilityCase,
    Answer,
    AnswerComment,
    Campaign,
    CaseEvent,
    DailyScore,
    Dimension,
    Draw,
    DrawMember,
    Finding,
    Inspection,
    Invitation,
    MediaCase,
    PollVote,
    Rectification,
    ResponsiblePerson,
    Result,
    Reviewer,
    ReviewerGroup,
    Talk,
    Unit,
    UnitCategory,
    UnitReport,
)
from db.models import Response as PanelResponse

# Tables with an `is_demo` column: a demo row in any of them means the demo is loaded.
DEMO_FLAGGED = (Campaign, Reviewer, Draw, Invitation, PanelResponse, PollVote, MediaCase, Inspection, Finding,
                AccountabilityCase, DailyScore, Rectification, UnitReport, Result)
CHUNK = 10_000  # rows per executemany: bounded memory, few round trips
OPERATOR = "demo"
LABEL = "演示数据"
TARGETS = dict(media=60, inspections=80, cases=12)  # rows per year
DEMO_REPLY = "已对照问题逐项整改，相关人员已批评教育（演示数据）"
ISSUING_OFFICE = "区治庸问责办、纠风办"


@dataclass(frozen=True)
class Structure:
    """A campaign's review structure, in position order, as the model needs it."""

    unit_ids: list[int]
    unit_codes: list[str]
    unit_names: list[str]
    categories: list[str]
    dimension_ids: list[int]
    dimension_codes: list[str]
    group_ids: list[int]
    group_codes: list[str]

    @property
    def group_id(self) -> dict[str, int]:
        return dict(zip(self.group_codes, self.group_ids))


@dataclass(frozen=True)
class Plan:
    """What stays the same across the years of one load."""

    seed: int
    years: tuple[int, ...]
    votes_per_year: int
    quality: dict[str, np.ndarray]  # unit code -> latent quality per year
    obscurity: dict[str, float]
    group_codes: list[str]  # the order of `Person.group`
    pools: list[list[model.Person]]
    today: date
    running: demo_calendar.RunningYear | None  # the last year, when it is today's year
    invitations_path: Path | None = None
    base_url: str = "http://localhost:8501"

    def until(self, year: int) -> date | None:
        """The last day with data in `year`: today in the running year, else none (the whole year)."""
        return self.today if self.running is not None and year == self.running.year else None

    def cap(self, year: int, moment: datetime) -> datetime:
        """Nothing in the running year happens after now."""
        return min(moment, self.running.now) if self.until(year) is not None else moment


# ------------------------------------------------------------------------------ load


def load_demo(
    engine: Engine,
    *,
    actor: Actor,
    years: Iterable[int] | None = None,
    votes_per_year: int = 100_000,
    seed: int = 20171215,
    today: date | None = None,
    invitations_path: Path | None = None,
    base_url: str = "http://localhost:8501",
) -> dict:
    """Fill the demo dataset; returns the years, the campaigns created and row counts per year.

    `years` defaults to the two years before `today` (default: the office's today) and today's,
    the last running today. `invitations_path` receives the running year's links and venue codes
    (owner-only); without it they are issued all the same and their plain text is lost.
    """
    require(actor, "admin")
    today = today or office_today()
    years = _checked_years(demo_calendar.demo_years(today) if years is None else years)
    if years[-1] > today.year:
        raise UserError("demo.future", "demo years cannot lie after today ({today})", today=today.isoformat())
    if isinstance(votes_per_year, bool) or not isinstance(votes_per_year, int) or votes_per_year < 0:
        raise UserError("demo.votes", "votes_per_year must be a non-negative whole number")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UserError("demo.seed", "the demo seed must be a non-negative whole number")
    with session_scope(engine) as session:
        _check_can_load(session, years)
        created = list(years[1:]) if get_campaign_or_none(session, years[0]) else list(years)
        # The running year's moments stop at "now" on `today` (the real time of day).
        now = from_office(datetime.combine(today, office_now().time().replace(tzinfo=None)))
        running = demo_calendar.running_year(today, now) if years[-1] == today.year else None
        plan = _plan(session, years=years, seed=seed, votes_per_year=votes_per_year, today=today, running=running,
                     invitations_path=invitations_path, base_url=base_url)
    per_year: dict[int, dict[str, int]] = {}
    try:
        for index, year in enumerate(years):
            with session_scope(engine) as session:
                campaign = _demo_campaign(session, actor=actor, year=year, first=index == 0)
                if plan.until(year) is not None:
                    campaign.panel_opens_at = running.panel_opens_at
                    campaign.panel_closes_at = running.panel_closes_at
                    session.add(campaign)
                    session.flush()
                per_year[year] = _fill_year(session, plan=plan, campaign=campaign, index=index, actor=actor)
                # Bulk inserts bypass the per-write tallies: recount this campaign's once, in the same transaction.
                tallies.rebuild(session, campaign.id)
                # Dashboards need results: every year scored, all but the running (last) year published.
                _score_year(session, actor=actor, campaign=campaign, publish=index < len(years) - 1, today=today)
                if index == len(years) - 1:
                    record(session, actor=actor, action="demo.load", entity="demo", entity_id=",".join(map(str, years)),
                           after={"years": list(years), "seed": seed, "votes_per_year": votes_per_year,
                                  "today": today.isoformat(), "running": running is not None,
                                  "rows": _totals(per_year)})
    except BaseException as error:
        if per_year:
            _undo_partial_load(engine, actor=actor, error=error)
        raise
    return {"years": list(years), "created_campaigns": created, "per_year": per_year,
            "rows": _totals(per_year)}


def _score_year(session: Session, *, actor: Actor, campaign: Campaign, publish: bool, today: date) -> None:
    from db.scoring import publish as publish_result
    from db.scoring import score_campaign

    session.flush()
    result = score_campaign(session, campaign.id, actor, is_demo=True, today=today)
    if publish:
        publish_result(session, result.id, actor, today=today)


def _undo_partial_load(engine: Engine, *, actor: Actor, error: BaseException) -> None:
    """Earlier years are committed when a later one fails: take them out again, so that a
    retry starts clean instead of meeting "demo.exists"."""
    try:
        with session_scope(engine) as session:
            counts = delete_demo_rows(session)
            record(session, actor=actor, action="demo.purge", entity="demo",
                   after={"reason": "demo.load failed", "rows": counts})
    except Exception as cleanup:  # report the failure that started it all, not this one
        error.add_note(f"the years already loaded could not be purged ({cleanup}); run purge-demo")


def _checked_years(years: Iterable[int]) -> tuple[int, ...]:
    years = tuple(years)
    whole = all(isinstance(y, int) and not isinstance(y, bool) for y in years)
    if not years or not whole or list(years) != list(range(years[0], years[0] + len(years))):
        # Each later year is copied from the one before, so the years must follow each other.
        raise UserError("demo.years", "demo years must be consecutive, oldest first, e.g. 2017 2018 2019")
    return years


def _check_can_load(session: Session, years: tuple[int, ...]) -> None:
    if any(session.exec(select(table.id).where(table.is_demo).limit(1)).first() for table in DEMO_FLAGGED):
        raise UserError("demo.exists", "demo data is loaded already; run purge-demo first")
    if get_campaign_or_none(session, years[0]) is None and _template(session, years[0]) is None:
        raise UserError("demo.no_campaign", "there is no campaign for {year}: run `python -m db init` first",
                        year=years[0])
    for year in years[1:]:
        if get_campaign_or_none(session, year) is not None:
            raise UserError("demo.year_exists", "a campaign for {year} exists already; the demo makes its later "
                            "years itself, so load it with fewer years", year=year)


def _template(session: Session, year: int) -> Campaign | None:
    """The newest campaign before `year`: the first demo year is copied from it (the scheme's 2017)."""
    return session.exec(select(Campaign).where(Campaign.year < year).order_by(col(Campaign.year).desc())).first()


def _plan(session: Session, *, years: tuple[int, ...], seed: int, votes_per_year: int, today: date,
          running: demo_calendar.RunningYear | None, invitations_path: Path | None, base_url: str) -> Plan:
    """Traits that persist across years, keyed by the stable unit and group codes."""
    first = get_campaign_or_none(session, years[0]) or _template(session, years[0])
    structure = _structure(session, first.id)
    quality = model.unit_quality(seed, len(structure.unit_codes), len(years))
    obscurity = model.unit_obscurity(seed, len(structure.unit_codes))
    shares = [model.GROUP_SHARES[k % len(model.GROUP_SHARES)] for k in range(len(structure.group_codes))]
    sizes = model.split(first.pool_target, shares)
    return Plan(
        seed=seed, years=years, votes_per_year=votes_per_year,
        quality={code: quality[:, k] for k, code in enumerate(structure.unit_codes)},
        obscurity={code: float(obscurity[k]) for k, code in enumerate(structure.unit_codes)},
        group_codes=structure.group_codes,
        pools=model.reviewer_pools(seed, len(years), structure.group_codes, sizes),
        today=today, running=running, invitations_path=invitations_path, base_url=base_url,
    )


def _demo_campaign(session: Session, *, actor: Actor, year: int, first: bool) -> Campaign:
    campaign = get_campaign_or_none(session, year)
    if first and campaign is not None:
        return campaign  # the office's own campaign: add rows, change nothing
    source = year - 1 if not first else _template(session, year).year
    campaign = copy_campaign(session, actor=actor, from_year=source, to_year=year)
    campaign.is_demo = True
    # Shown wherever a campaign is picked, so nobody mistakes the year for real data (a copy never keeps it).
    label_zh, label_en = DEMO_LABELS
    campaign.name_zh, campaign.name_en = f"{campaign.name_zh}{label_zh}", f"{campaign.name_en}{label_en}"
    session.add(campaign)
    session.flush()
    return campaign


def _structure(session: Session, campaign_id: int) -> Structure:
    units = session.exec(
        select(Unit.id, Unit.code, Unit.name, UnitCategory.code)
        .join(UnitCategory, UnitCategory.id == Unit.category_id)
        .where(Unit.campaign_id == campaign_id, Unit.active, col(Unit.merged_into_id).is_(None))
        .order_by(Unit.position, Unit.id)
    ).all()
    dimensions = session.exec(select(Dimension.id, Dimension.code).where(Dimension.campaign_id == campaign_id)
                              .order_by(Dimension.position, Dimension.id)).all()
    groups = session.exec(select(ReviewerGroup.id, ReviewerGroup.code).where(ReviewerGroup.campaign_id == campaign_id)
                          .order_by(ReviewerGroup.position, ReviewerGroup.id)).all()
    return Structure(
        unit_ids=[u[0] for u in units], unit_codes=[u[1] for u in units], unit_names=[u[2] for u in units],
        categories=[u[3] for u in units], dimension_ids=[d[0] for d in dimensions],
        dimension_codes=[d[1] for d in dimensions], group_ids=[g[0] for g in groups],
        group_codes=[g[1] for g in groups],
    )


def _fill_year(session: Session, *, plan: Plan, campaign: Campaign, index: int, actor: Actor) -> dict[str, int]:
    structure = _structure(session, campaign.id)
    quality = np.array([plan.quality.get(code, np.zeros(len(plan.years)))[index] for code in structure.unit_codes])
    year = campaign.year
    until = plan.until(year)
    counts: dict[str, int] = {}
    people = plan.pools[index]
    reviewer_ids = _write_reviewers(session, plan=plan, campaign=campaign, structure=structure, people=people,
                                    counts=counts)
    drawn_groups, draw_id = _write_draw(session, plan=plan, campaign=campaign, structure=structure, people=people,
                                        reviewer_ids=reviewer_ids, counts=counts)
    if until is None:
        _write_panel(session, plan=plan, campaign=campaign, structure=structure, quality=quality,
                     drawn_groups=drawn_groups, counts=counts)
    else:
        _write_running_panel(session, plan=plan, campaign=campaign, structure=structure, quality=quality,
                             draw_id=draw_id, actor=actor, counts=counts)
    exposure = model.exposure(structure.categories, model.stream(plan.seed, 0, "exposure"))
    _write_poll(session, plan=plan, campaign=campaign, structure=structure, quality=quality, exposure=exposure,
                counts=counts)
    add_demo_comments(session, campaign_id=campaign.id, unit_ids=structure.unit_ids, categories=structure.categories,
                      rng=model.stream(plan.seed, year, "comments"), quality=quality, counts=counts)
    # A running year has had only part of its visits, complaints and cases so far.
    share = plan.running.elapsed if until is not None else 1.0
    counts["complaint"] = add_demo_complaints(session, campaign=campaign, today=plan.today,
                                              rng=model.stream(plan.seed, year, "complaints"))
    media = model.media_cases(model.stream(plan.seed, year, "media"), year=year, quality=quality,
                              categories=structure.categories, unit_weight=exposure,
                              n=max(4, round(TARGETS["media"] * share)), until=until)
    media_ids = _write_media(session, plan=plan, campaign=campaign, structure=structure, media=media, counts=counts)
    visits = model.inspections(model.stream(plan.seed, year, "inspections"), year=year, quality=quality,
                               categories=structure.categories, dimensions=structure.dimension_codes,
                               n=max(10, round(TARGETS["inspections"] * share)), until=until)
    finding_ids = _write_inspections(session, plan=plan, campaign=campaign, structure=structure, visits=visits,
                                     counts=counts)
    cases = model.accountability_cases(model.stream(plan.seed, year, "cases"), year=year, quality=quality,
                                       units=structure.unit_names, visits=visits, media=media,
                                       n=max(4, round(TARGETS["cases"] * share)), until=until)
    _write_cases(session, plan=plan, campaign=campaign, structure=structure, cases=cases, finding_ids=finding_ids,
                 media_ids=media_ids, counts=counts)
    _write_follow_up(session, plan=plan, campaign=campaign, structure=structure, quality=quality,
                     settled=index < len(plan.years) - 1, counts=counts)
    return counts


# ------------------------------------------------------------------------- bulk writes


def _chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(session: Session, table, rows: Iterable[dict]) -> int:
    """Core executemany in chunks, inside the session's transaction (no ORM objects)."""
    connection, count = session.connection(), 0
    for chunk in _chunks(rows):
        connection.execute(insert(table.__table__), chunk)
        count += len(chunk)
    return count


def _insert_ids(session: Session, table, rows: list[dict]) -> list[int]:
    """Bulk insert that returns the new ids in the order of `rows` (SQLite >= 3.35 and PostgreSQL)."""
    statement = insert(table.__table__).returning(table.__table__.c.id, sort_by_parameter_order=True)
    connection, ids = session.connection(), []
    for chunk in _chunks(rows):
        ids += connection.execute(statement, chunk).scalars().all()
    return ids


def _noon(day: date) -> datetime:
    return model.office_moment(day, 10 * 3600)


def _person_key(person: model.Person) -> str:
    # Like an import without an ID number: a hash of name, phone and organisation.
    return hashlib.sha256("|".join((person.name, person.phone, person.organisation)).encode()).hexdigest()


def _write_reviewers(session, *, plan: Plan, campaign: Campaign, structure: Structure,
                     people: list[model.Person], counts: dict) -> list[int]:
    group_id = structure.group_id
    moment = _noon(date(campaign.year, 11, 1))
    if plan.until(campaign.year) is not None:  # the pool was imported before the running year's draw
        moment = min(moment, campaign.panel_opens_at - timedelta(days=10))
    rows = [dict(campaign_id=campaign.id, group_id=group_id[plan.group_codes[person.group]],
                 person_key=_person_key(person), name=person.name, organisation=person.organisation,
                 phone=person.phone, id_number=None, notes=LABEL, active=True, is_demo=True,
                 created_at=moment, updated_at=moment)
            for person in people]
    ids = _insert_ids(session, Reviewer, rows)
    counts["reviewer"] = len(ids)
    return ids


def _write_draw(session, *, plan: Plan, campaign: Campaign, structure: Structure, people: list[model.Person],
                reviewer_ids: list[int], counts: dict) -> tuple[np.ndarray, int]:
    """The panel draw, made with core.sampling as a real one is; returns the drawn group indexes.

    The pool's ids are the reviewer ids and its strata the group codes.
    """
    # Ids as text, exactly as db.draws.pool_frame gives them, so the stored draw verifies in the app.
    pool = pd.DataFrame({"id": [str(i) for i in reviewer_ids], "group": [plan.group_codes[p.group] for p in people]},
                        dtype=object)
    seed = f"demo-{plan.seed}-{campaign.year}"
    allocation, drawn = sampling.draw_panel(pool, campaign.panel_size, seed=seed, strata=plan.group_codes)
    moment = _noon(date(campaign.year, 11, 25))
    if plan.until(campaign.year) is not None:  # drawn before the running year's window opened
        moment = min(moment, campaign.panel_opens_at - timedelta(days=3))
    [draw_id] = _insert_ids(session, Draw, [dict(
        campaign_id=campaign.id, seed=seed, seed_sha256=sampling.seed_digest(seed),
        pool_hash=sampling.pool_hash(pool), method="proportional", algorithm_version=sampling.ALGORITHM_VERSION,
        n=campaign.panel_size, allocation={k: int(v) for k, v in allocation.items()}, operator=OPERATOR,
        parameters={"minimum": 2, "sd": None}, pool_snapshot=dict(zip(pool["id"], pool["group"])),
        seed_source="demo", status="active", is_demo=True, created_at=moment)])
    group_id = structure.group_id
    counts["draw"] = 1
    counts["drawmember"] = _insert(session, DrawMember, (
        dict(draw_id=draw_id, reviewer_id=int(row.id), group_id=group_id[row.group], draw_order=int(row.draw_order),
             design_weight=float(row.design_weight), status="drawn", replaces_id=None, reason="", changed_at=moment)
        for row in drawn.itertuples(index=False)))
    return drawn["group"].map({code: k for k, code in enumerate(plan.group_codes)}).to_numpy(), draw_id


def _write_panel(session, *, plan: Plan, campaign: Campaign, structure: Structure, quality: np.ndarray,
                 drawn_groups: np.ndarray, counts: dict) -> None:
    """Questionnaires of the drawn reviewers, with nothing that links one back to a person."""
    rng = model.stream(plan.seed, campaign.year, "panel")
    submitted, drafts = model.panel_turnout(rng, drawn_groups)
    groups = np.concatenate([submitted, drafts]).astype(int)
    codes = [plan.group_codes[g] for g in groups]
    answers = model.panel_answers(
        rng, quality=quality, group_lean=model.lookup(codes, model.GROUP_LEAN),
        dimension_lean=model.lookup(structure.dimension_codes, model.DIMENSION_LEAN),
        obscurity=np.array([plan.obscurity.get(code, 1.0) for code in structure.unit_codes]))
    first, last = to_office(campaign.panel_opens_at).date(), to_office(campaign.panel_closes_at).date()
    _keep_the_stream(rng, len(submitted), first, last)
    tokens = model.random_hex(rng, len(drafts))
    group_id = structure.group_id
    rows = [dict(campaign_id=campaign.id, group_id=group_id[codes[k]], status="submitted", token_hash=None,
                 rehearsal=False, flags={}, is_demo=True) for k in range(len(submitted))]
    rows += [dict(campaign_id=campaign.id, group_id=group_id[codes[len(submitted) + k]], status="draft",
                  token_hash=tokens[k], rehearsal=False, flags={}, is_demo=True)
             for k in range(len(drafts))]
    response_ids = _insert_ids(session, PanelResponse, rows)
    # An interrupted reviewer got through the first few units before leaving.
    n_units = len(structure.unit_ids)
    reached = [n_units] * len(submitted) + rng.integers(3, n_units, len(drafts)).tolist()
    _write_answers(session, rng=rng, structure=structure, response_ids=response_ids, answers=answers,
                   reached=reached, n_submitted=len(submitted), counts=counts)


def _keep_the_stream(rng: np.random.Generator, n: int, first: date, last: date) -> None:
    """Draw the days and durations earlier versions stored, so that the seeded demo stays what it was: a
    ballot keeps neither (db.ballot_box), but every later draw of the stream follows these."""
    model.panel_days(rng, n, first, last)
    rng.lognormal(np.log(1500.0), 0.35, n)


def _write_answers(session, *, rng: np.random.Generator, structure: Structure, response_ids: list[int],
                   answers: np.ndarray, reached: list[int], n_submitted: int, counts: dict) -> None:
    """Each response's answers for its first `reached` units (all of them once submitted), and a few comments."""
    counts["response"] = len(response_ids)
    counts["answer"] = _insert(session, Answer, (
        dict(response_id=response_ids[r], unit_id=structure.unit_ids[u], dimension_id=structure.dimension_ids[d],
             option=model.PANEL_OPTIONS[answers[r, u, d]])
        for r in range(len(response_ids)) for u in range(reached[r]) for d in range(len(structure.dimension_ids))))
    comments = model.panel_comments(rng, answers[:n_submitted])
    counts["answercomment"] = _insert(session, AnswerComment, (
        dict(response_id=response_ids[r], unit_id=structure.unit_ids[u], text=text) for r, u, text in comments))


DEMO_BALLOTS = 3  # venue codes printed for trying the questionnaire without a personal link
DEMO_DRAFTS = 6  # questionnaires left half done


def _write_running_panel(session, *, plan: Plan, campaign: Campaign, structure: Structure, quality: np.ndarray,
                         draw_id: int, actor: Actor, counts: dict) -> None:
    """The running year's panel, issued as a real one is: a personal link per drawn reviewer and a
    few venue codes (hashes only in the database, the plain text only in the owner-only file);
    part of the panel has submitted, a few stopped half-way, the rest have not started."""
    from core.tokens import token_hash
    from db.demo import invitations as invitation_file
    from db.draws import issue_invitations
    from db.questionnaire import issue_ballots

    running = plan.running
    issued = issue_invitations(session, actor=actor, draw_id=draw_id, base_url=plan.base_url)
    ballot_groups = structure.group_codes[:DEMO_BALLOTS]
    ballots = [(code, issue_ballots(session, actor=actor, year=campaign.year, group_code=code, count=1,
                                    batch=LABEL)[0]) for code in ballot_groups]
    session.execute(update(Invitation.__table__).where(Invitation.campaign_id == campaign.id).values(is_demo=True))
    counts["invitation"] = len(issued) + len(ballots)

    rng = model.stream(plan.seed, campaign.year, "panel")
    window = (running.panel_closes_at - running.panel_opens_at).total_seconds()
    gone = min(1.0, max(0.0, (running.now - running.panel_opens_at).total_seconds() / window))
    n_submitted = round(len(issued) * (0.3 + 0.4 * gone))  # a third to two thirds of the panel is in
    n_drafts = min(DEMO_DRAFTS, max(0, len(issued) - n_submitted - 3))
    order = rng.permutation(len(issued)).tolist()
    submitted, drafts, waiting = order[:n_submitted], order[n_submitted:n_submitted + n_drafts], \
        order[n_submitted + n_drafts:]
    answered = submitted + drafts
    codes = [issued[k].group_code for k in answered]
    answers = model.panel_answers(
        rng, quality=quality, group_lean=model.lookup(codes, model.GROUP_LEAN),
        dimension_lean=model.lookup(structure.dimension_codes, model.DIMENSION_LEAN),
        obscurity=np.array([plan.obscurity.get(code, 1.0) for code in structure.unit_codes]))
    _keep_the_stream(rng, n_submitted, to_office(running.panel_opens_at).date(), plan.today)
    hashes = [token_hash(issued[k].token) for k in answered]
    n_units = len(structure.unit_ids)
    reached = [n_units] * n_submitted + rng.integers(3, n_units, n_drafts).tolist()
    started = [max(running.panel_opens_at, running.now - timedelta(hours=float(h)))
               for h in rng.uniform(0.5, 48.0, n_drafts)]
    group_id = structure.group_id
    rows = [dict(campaign_id=campaign.id, group_id=group_id[codes[k]], status="submitted", token_hash=None,
                 rehearsal=False, position="", started_at=None, flags={}, is_demo=True) for k in range(n_submitted)]
    rows += [dict(campaign_id=campaign.id, group_id=group_id[codes[n_submitted + k]], status="draft",
                  token_hash=hashes[n_submitted + k], rehearsal=False,
                  position=structure.unit_codes[reached[n_submitted + k] - 1], started_at=started[k],
                  flags={}, is_demo=True) for k in range(n_drafts)]
    response_ids = _insert_ids(session, PanelResponse, rows)
    _write_answers(session, rng=rng, structure=structure, response_ids=response_ids, answers=answers,
                   reached=reached, n_submitted=n_submitted, counts=counts)
    connection = session.connection()
    for status, chosen in (("used", hashes[:n_submitted]), ("started", hashes[n_submitted:])):
        if chosen:
            connection.execute(update(Invitation.__table__).where(Invitation.token_hash.in_(chosen))
                               .values(status=status))
    if plan.invitations_path is not None:
        group_names = {g.code: g.name_zh for g in session.exec(
            select(ReviewerGroup).where(ReviewerGroup.campaign_id == campaign.id)).all()}
        entries = [invitation_file.Entry("personal", state, issued[k].group_code, issued[k].group_name,
                                         issued[k].name, issued[k].token, issued[k].link, issued[k].phone)
                   for state, chosen in (("not_started", waiting), ("half_done", drafts)) for k in chosen]
        entries += [invitation_file.Entry("ballot", "not_started", code, group_names.get(code, code), "", ballot, "")
                    for code, ballot in ballots]
        # Written inside the year's transaction, as `python -m db draw` does: no file, no demo.
        invitation_file.write(plan.invitations_path, entries)


def _write_poll(session, *, plan: Plan, campaign: Campaign, structure: Structure, quality: np.ndarray,
                exposure: np.ndarray, counts: dict) -> None:
    rng = model.stream(plan.seed, campaign.year, "poll")
    first, last, n = campaign.starts_on, campaign.ends_on, plan.votes_per_year
    if plan.until(campaign.year) is not None:  # votes from 1 January up to now
        last, n = plan.today, plan.running.scaled(plan.votes_per_year, least=min(plan.votes_per_year, 200))
    votes = model.poll_votes(rng, n, quality=quality, unit_weight=exposure, first=first, last=last)
    if plan.until(campaign.year) is not None:
        # Today's votes all came in before now: their times of day are squeezed into the hours gone by.
        gone_by = (plan.running.now - from_office(datetime.combine(plan.today, datetime.min.time()))).total_seconds()
        on_today = votes["day"] == (last - first).days
        votes["second"] = np.where(on_today, (votes["second"] * (gone_by / 86_400)).astype(np.int64),
                                   votes["second"])
    devices = model.random_hex(rng, int(votes["device"].max(initial=-1)) + 1)
    networks = model.random_hex(rng, int(votes["network"].max(initial=-1)) + 1)
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    midnights = [from_office(datetime(d.year, d.month, d.day)) for d in days]  # the office day starts at 16:00 UTC
    columns = [votes[key].tolist() for key in ("unit", "day", "option", "device", "network", "second", "flagged")]
    counts["pollvote"] = _insert(session, PollVote, (
        dict(campaign_id=campaign.id, unit_id=structure.unit_ids[unit], option=model.POLL_OPTIONS[option],
             comment="", device_hash=devices[device], network_hash=networks[network], day=days[day],
             created_at=midnights[day] + timedelta(seconds=second), status="flagged" if flagged else "accepted",
             flag_reason="burst" if flagged else "", is_demo=True)
        for unit, day, option, device, network, second, flagged in zip(*columns)))


def _write_media(session, *, plan: Plan, campaign: Campaign, structure: Structure, media: list[dict],
                 counts: dict) -> list[int]:
    sources = ensure_channels(session)  # global, not demo rows, so purge leaves them
    ids = _insert_ids(session, MediaCase, [
        dict(campaign_id=campaign.id, unit_id=structure.unit_ids[m["unit"]], source_id=sources[m["source"]],
             external_ref=m["ref"], title=m["title"], exposed_on=m["exposed_on"], answered_on=m["answered_on"],
             status=m["status"], repeated=m["repeated"], public_satisfaction=m["public_satisfaction"],
             reply=m["reply"], is_demo=True, created_at=plan.cap(campaign.year, _noon(m["exposed_on"])))
        for m in media])
    counts["mediacase"] = len(ids)
    return ids


def _write_inspections(session, *, plan: Plan, campaign: Campaign, structure: Structure, visits: list[dict],
                       counts: dict) -> dict[tuple[int, int], int]:
    """Visits and their findings; returns finding ids by (visit index, finding index)."""
    year = campaign.year

    def at(moment: datetime) -> datetime:
        return plan.cap(year, moment)

    visit_ids = _insert_ids(session, Inspection, [
        dict(campaign_id=campaign.id, unit_id=structure.unit_ids[v["unit"]], kind=v["kind"],
             visited_on=v["visited_on"], site=v["site"], team=v["team"], recorded_by=OPERATOR, notes=v["notes"],
             is_demo=True, created_at=at(_noon(v["visited_on"])))
        for v in visits])
    keys = [(k, f) for k, v in enumerate(visits) for f in range(len(v["findings"]))]
    finding_ids = _insert_ids(session, Finding, [
        dict(inspection_id=visit_ids[k], unit_id=structure.unit_ids[visits[k]["unit"]],
             dimension_id=structure.dimension_ids[found["dimension"]], severity=found["severity"],
             description=found["description"], state=found["state"], is_demo=True,
             created_at=at(_noon(visits[k]["visited_on"])),
             # Past the team's draft: handed over two days after the visit; answered ones carry an answer.
             handed_over_at=None if found["state"] == "recorded"
             else at(_noon(visits[k]["visited_on"] + timedelta(days=2))),
             reply=DEMO_REPLY if found["state"] in ("answered", "closed") else "",
             replied_at=at(_noon(visits[k]["visited_on"] + timedelta(days=9)))
             if found["state"] in ("answered", "closed") else None)
        for k, f in keys for found in [visits[k]["findings"][f]]])
    counts["inspection"], counts["finding"] = len(visit_ids), len(finding_ids)
    return dict(zip(keys, finding_ids))


def _write_cases(session, *, plan: Plan, campaign: Campaign, structure: Structure, cases: list[dict],
                 finding_ids: dict, media_ids: list[int], counts: dict) -> None:
    case_ids = _insert_ids(session, AccountabilityCase, [
        dict(campaign_id=campaign.id, unit_id=structure.unit_ids[c["unit"]], origin=c["origin"],
             finding_id=finding_ids[(c["visit"], c["finding"])] if c["finding"] is not None else None,
             media_case_id=media_ids[c["media"]] if c["media"] is not None else None, title=c["title"],
             description=c["description"], severity=c["severity"], state=c["state"], escalated=c["escalated"],
             veto=False, opened_on=c["opened_on"], due_on=c["due_on"], closed_on=c["closed_on"], is_demo=True,
             decided_on=_decided_on(c))
        for c in cases])
    counts["accountabilitycase"] = len(case_ids)
    counts["caseevent"] = _insert(session, CaseEvent, (
        dict(case_id=case_id, at=plan.cap(campaign.year, e["at"]), from_state=e["from_state"],
             to_state=e["to_state"], note=e["note"], actor=OPERATOR)
        for case_id, c in zip(case_ids, cases) for e in c["events"]))
    counts["responsibleperson"] = _insert(session, ResponsiblePerson, (
        dict(case_id=case_id, role=p["role"], name=p["name"], measure=p["measure"])
        for case_id, c in zip(case_ids, cases) for p in c["persons"]))


def _decided_on(case: dict) -> date | None:
    """The day of the case's standing decision (none once a second handling reopened it)."""
    if case["state"] not in ("decided", "circulated"):
        return None
    moments = [e["at"] for e in case["events"] if e["to_state"] == "decided"]
    return to_office(max(moments)).date() if moments else None


def _write_follow_up(session, *, plan: Plan, campaign: Campaign, structure: Structure, quality: np.ndarray,
                     settled: bool, counts: dict) -> None:
    """Daily scores, rectification notices with their talks, and the units' plans and summaries."""
    year, units = campaign.year, structure.unit_ids
    until = plan.until(year)
    scores = model.daily_scores(model.stream(plan.seed, year, "daily"), quality)
    counts["dailyscore"] = _insert(session, DailyScore, (
        dict(campaign_id=campaign.id, unit_id=units[k], score=float(score), note=LABEL, entered_by=OPERATOR,
             entered_at=plan.cap(year, _noon(date(year, 12, 20))), is_demo=True) for k, score in enumerate(scores)))
    notices = model.rectifications(model.stream(plan.seed, year, "rectification"), year=year, quality=quality,
                                   settled=settled, until=until)
    notice_ids = _insert_ids(session, Rectification, [
        dict(campaign_id=campaign.id, unit_id=units[n["unit"]], reason=n["reason"], problems=n["problems"],
             issued_on=n["issued_on"], deadline=n["deadline"], state=n["state"], closed_on=n["closed_on"],
             public_satisfaction=n["public_satisfaction"], notice_no=n["notice_no"], is_demo=True,
             issuing_office=ISSUING_OFFICE, reply=DEMO_REPLY if n["state"] in ("submitted", "verified") else "",
             submitted_on=_submitted_on(n, until))
        for n in notices])
    counts["rectification"] = len(notice_ids)
    counts["talk"] = _insert(session, Talk, (
        dict(rectification_id=notice_id, **notice["talk"]) for notice_id, notice in zip(notice_ids, notices)))
    reports = model.unit_reports(model.stream(plan.seed, year, "reports"), quality=quality,
                                 due={"plan": campaign.plan_due, "summary": campaign.summary_due}, until=until)
    counts["unitreport"] = _insert(session, UnitReport, (
        dict(campaign_id=campaign.id, unit_id=units[r["unit"]], kind=r["kind"],
             submitted_at=plan.cap(year, r["submitted_at"]),
             filename=f"{structure.unit_codes[r['unit']]}-{year}-{r['kind']}.txt",
             content_type="text/plain; charset=utf-8", content=_report_text(structure, r, year),
             uploaded_by=OPERATOR, is_demo=True) for r in reports))


def _submitted_on(notice: dict, until: date | None = None) -> date | None:
    """The day a demo unit reported its rectification done: a week before the office closed it."""
    if notice["state"] == "verified":
        return max(notice["issued_on"], notice["closed_on"] - timedelta(days=7))
    if notice["state"] == "submitted":
        day = notice["issued_on"] + timedelta(days=30)
        return min(day, until) if until else day
    return None


def _report_text(structure: Structure, report: dict, year: int) -> bytes:
    title = "履职尽责督促检查工作实施方案" if report["kind"] == "plan" else "履职尽责工作总结"
    name = structure.unit_names[report["unit"]]
    return (f"{name}{year}年度{title}\n（{LABEL}，内容为自动生成）\n"
            "一、主要工作\n二、存在问题\n三、下一步措施\n").encode()


def _totals(per_year: dict[int, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in per_year.values():
        for table, n in counts.items():
            totals[table] = totals.get(table, 0) + n
    return totals
