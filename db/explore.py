"""The analysts' explorer (/explore): a unit across years, against its category, by reviewer group.

Every function aggregates in SQL (GROUP BY) and returns small frames: one row per unit, year,
month, dimension, reviewer group or event. Units are followed across years by their stable code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from core.poll import COUNTED
from core.privacy import SMALL_CELL, small_cell
from core.reliability import (
    cronbach_alpha_from_moments,
    krippendorff_alpha_from_counts,
    moments_from_patterns,
)
from db.access import Actor
from db.dashboard import (
    best_results,
    campaign_years,
    check_reader,
    option_scores,
    result_units,
    score_sum,
    scored_count,
)
from db.models import (
    AccountabilityCase,
    AnswerPattern,
    AnswerTally,
    Campaign,
    Dimension,
    Finding,
    Inspection,
    MediaCase,
    Rectification,
    Response,
    ResultUnit,
    ReviewerGroup,
    Unit,
    UnitCategory,
    VoteTally,
)
from db.tallies import SEPARATOR

POLL_OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
VOTE_STATUSES = ("accepted", "admitted", "flagged", "rejected")


def _settings(session: Session, campaign_id: int) -> dict:
    campaign = session.get(Campaign, campaign_id)
    return campaign.settings if campaign else {}


def _submitted():
    """Answers that count: submitted questionnaires, rehearsals left out."""
    return and_(Response.status == "submitted", col(Response.rehearsal).is_(False))


# ---------------------------------------------------------------------------------------
# Units and their results across years


def unit_directory(session: Session, *, actor: Actor, campaign_id: int) -> pd.DataFrame:
    """The campaign's units (active, not merged) with their categories, in menu order."""
    check_reader(actor)
    rows = session.exec(
        select(Unit.code, Unit.name, UnitCategory.code, UnitCategory.name_zh, UnitCategory.name_en)
        .join(UnitCategory, UnitCategory.id == Unit.category_id)
        .where(Unit.campaign_id == campaign_id, Unit.active, col(Unit.merged_into_id).is_(None))
        .order_by(UnitCategory.position, Unit.position)).all()
    return pd.DataFrame(rows, columns=["unit_code", "unit_name", "category_code", "category_zh", "category_en"])


def score_history(session: Session, *, actor: Actor, unit_codes: list[str]) -> pd.DataFrame:
    """Total and component scores of these units in every year that has a result.

    Per year the published result speaks, else the newest provisional one (its status and
    version travel with every row, so a screen can label it).
    """
    check_reader(actor)
    years = campaign_years(session)
    chosen = best_results(session, campaign_ids=list(years))
    frame = result_units(session, result_ids=[info.id for info in chosen.values()], unit_codes=unit_codes)
    by_id = {info.id: info for info in chosen.values()}
    frame["year"] = [years[by_id[r].campaign_id] for r in frame["result_id"]]
    frame["version"] = [by_id[r].version for r in frame["result_id"]]
    frame["status"] = [by_id[r].status for r in frame["result_id"]]
    sizes = {(r, c): int(n) for r, c, n in session.exec(
        select(ResultUnit.result_id, UnitCategory.code, func.count()).join(Unit, Unit.id == ResultUnit.unit_id)
        .join(UnitCategory, UnitCategory.id == Unit.category_id)
        .where(col(ResultUnit.result_id).in_(list(by_id) or [-1]))
        .group_by(ResultUnit.result_id, UnitCategory.code)).all()}
    frame["category_size"] = [sizes.get((r, c), 0) for r, c in zip(frame["result_id"], frame["category_code"])]
    return frame.sort_values(["unit_code", "year"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# The five dimensions against the category


def _tally_cells(session: Session, campaign_id: int):
    """AnswerTally joined to its unit, category and dimension: the labels come with the counts."""
    return (select(AnswerTally.unit_id, AnswerTally.dimension_id, AnswerTally.option, Unit.code, UnitCategory.code,
                   Dimension.code, Dimension.name_zh, Dimension.name_en, Dimension.position)
            .select_from(AnswerTally)
            .join(Unit, Unit.id == AnswerTally.unit_id)
            .join(UnitCategory, UnitCategory.id == Unit.category_id)
            .join(Dimension, Dimension.id == AnswerTally.dimension_id)
            .where(AnswerTally.campaign_id == campaign_id, AnswerTally.n > 0))


def answer_counts(session: Session, *, campaign_id: int) -> pd.DataFrame:
    """How often each option was given per unit and dimension in submitted questionnaires.

    Read from the maintained tallies (db/tallies.py: a few thousand rows, not tens of thousands
    of answers), reviewer groups summed.
    """
    query = _tally_cells(session, campaign_id).add_columns(func.sum(AnswerTally.n))
    rows = session.exec(query.group_by(*query.selected_columns[:9])).all()
    frame = pd.DataFrame(rows, columns=["unit_id", "dimension_id", "option", "unit_code", "category_code",
                                        "dimension_code", "dimension_zh", "dimension_en", "dimension_position", "n"])
    return frame.astype({"n": int})


SCORE_KEYS = ["unit_code", "category_code", "dimension_code", "dimension_zh", "dimension_en", "dimension_position"]


def _unit_dimension_scores(session: Session, campaign_id: int) -> pd.DataFrame:
    """Mean panel score per unit and dimension over the campaign's submitted questionnaires, in SQL.

    One transaction shows one state of the data: views that need it twice (side by side: dimensions
    and panel means) reuse it from the session instead of grouping again.
    """
    memo = session.info.setdefault("explore_dimension_scores", {})
    if campaign_id not in memo:
        scores = option_scores(_settings(session, campaign_id))
        query = _tally_cells(session, campaign_id).where(col(AnswerTally.option).in_(list(scores)))
        query = query.with_only_columns(*query.selected_columns[3:],
                                        scored_count(AnswerTally.option, scores, AnswerTally.n),
                                        score_sum(AnswerTally.option, scores, AnswerTally.n))
        rows = session.exec(query.group_by(*query.selected_columns[:6])).all()
        frame = pd.DataFrame(rows, columns=[*SCORE_KEYS, "answers", "points"])
        frame["answers"] = frame["answers"].astype(int)
        frame["score"] = frame["points"].astype(float) / frame["answers"]
        memo[campaign_id] = frame.drop(columns="points")
    return memo[campaign_id].copy()


def dimension_profile(session: Session, *, actor: Actor, campaign_id: int, unit_codes: list[str]) -> pd.DataFrame:
    """Each unit's panel score per dimension beside the mean of its category's units."""
    check_reader(actor)
    scores = _unit_dimension_scores(session, campaign_id)
    # A few hundred rows: plain Python is quicker here than a pandas group-by and merge.
    sums: dict[tuple[str, str], list[float]] = {}
    for category, dimension, score in scores[["category_code", "dimension_code", "score"]].itertuples(index=False):
        entry = sums.setdefault((category, dimension), [0.0, 0])
        entry[0] += score
        entry[1] += 1
    mine = scores[scores["unit_code"].isin(unit_codes)].copy()
    mine["category_average"] = [sums[(c, d)][0] / sums[(c, d)][1]
                                for c, d in zip(mine["category_code"], mine["dimension_code"])]
    return mine.sort_values(["unit_code", "dimension_position"]).reset_index(drop=True)


def panel_summary(session: Session, *, campaign_id: int) -> pd.DataFrame:
    """Per unit: the mean panel score over all dimensions and the number of scored answers."""
    per_dimension = _unit_dimension_scores(session, campaign_id)
    totals: dict[str, list[float]] = {}
    for code, answers, score in per_dimension[["unit_code", "answers", "score"]].itertuples(index=False):
        entry = totals.setdefault(code, [0, 0.0])
        entry[0] += int(answers)
        entry[1] += score * answers
    return pd.DataFrame([(code, p / n, n) for code, (n, p) in totals.items()],
                        columns=["unit_code", "panel_score", "panel_answers"])


# ---------------------------------------------------------------------------------------
# The public poll over time


def _month(session: Session, day_column):
    """'YYYY-MM' of a date column, in the database: SQLite stores dates as ISO text, PostgreSQL as dates."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(day_column, "YYYY-MM")
    return func.substr(day_column, 1, 7)


def poll_trend(session: Session, *, actor: Actor, unit_codes: list[str]) -> pd.DataFrame:
    """Counted votes and satisfaction per unit and month across every year (units followed by code)."""
    check_reader(actor)
    return monthly_poll(session, unit_codes=unit_codes)


def monthly_poll(session: Session, *, unit_codes: list[str]) -> pd.DataFrame:
    """poll_trend without the role check: for callers that checked the actor and its unit themselves
    (db/feedback.py lets a liaison read their own unit)."""
    years = campaign_years(session)
    scores = {cid: option_scores(s) for cid, s in session.exec(select(Campaign.id, Campaign.settings)).all()}
    units = session.exec(select(Unit.id, Unit.code, Unit.campaign_id)
                         .where(col(Unit.code).in_(unit_codes or [""]))).all()
    codes = {unit_id: code for unit_id, code, _ in units}
    month = _month(session, VoteTally.day)
    rows = session.exec(
        select(VoteTally.campaign_id, VoteTally.unit_id, month, VoteTally.status, VoteTally.option,
               func.sum(VoteTally.n))
        .where(col(VoteTally.campaign_id).in_({c for _, _, c in units} or {-1}),
               col(VoteTally.unit_id).in_(list(codes) or [-1]), VoteTally.n > 0)
        .group_by(VoteTally.campaign_id, VoteTally.unit_id, month, VoteTally.status, VoteTally.option)).all()
    tallies: dict[tuple, list[float]] = {}
    for campaign_id, unit_id, yyyymm, status, option, n in rows:
        key = (years[campaign_id], codes[unit_id], date(int(yyyymm[:4]), int(yyyymm[5:7]), 1))
        tally = tallies.setdefault(key, [0, 0, 0, 0, 0.0])  # three options, flagged, points
        if status in COUNTED and option in POLL_OPTIONS:
            tally[POLL_OPTIONS.index(option)] += n
            tally[4] += n * scores[campaign_id][option]
        elif status == "flagged":
            tally[3] += n
    frame = pd.DataFrame([(*key, *tally) for key, tally in sorted(tallies.items())],
                         columns=["year", "unit_code", "period", *POLL_OPTIONS, "flagged", "points"])
    frame["votes"] = frame[list(POLL_OPTIONS)].sum(axis=1).astype(int)
    frame["satisfaction"] = [p / n if n else None for p, n in zip(frame["points"], frame["votes"])]
    for name in (*POLL_OPTIONS, "flagged"):
        frame[name] = frame[name].astype(int)
    return frame[["year", "unit_code", "period", "votes", *POLL_OPTIONS, "flagged", "satisfaction"]]


def poll_summary(session: Session, *, campaign_id: int) -> pd.DataFrame:
    """Per unit: counted votes and the mean option score (satisfaction, 0-100) of the campaign,
    from the maintained vote tallies."""
    scores = option_scores(_settings(session, campaign_id))
    rows = session.exec(
        select(VoteTally.status, VoteTally.unit_id, VoteTally.option, func.sum(VoteTally.n))
        .where(VoteTally.campaign_id == campaign_id, col(VoteTally.status).in_(COUNTED), VoteTally.n > 0)
        .group_by(VoteTally.status, VoteTally.unit_id, VoteTally.option)).all()
    codes = _unit_codes(session, campaign_id)
    totals: dict[str, list[float]] = {}
    for status, unit_id, option, n in rows:
        if status in COUNTED and option in POLL_OPTIONS:
            entry = totals.setdefault(codes[unit_id], [0, 0.0])
            entry[0] += n
            entry[1] += n * scores[option]
    return pd.DataFrame([(code, int(n), p / n if n else None) for code, (n, p) in totals.items()],
                        columns=["unit_code", "poll_votes", "poll_satisfaction"])


def _unit_codes(session: Session, campaign_id: int) -> dict[int, str]:
    return dict(session.exec(select(Unit.id, Unit.code).where(Unit.campaign_id == campaign_id)).all())


# ---------------------------------------------------------------------------------------
# Reviewer groups compared


@dataclass(frozen=True)
class GroupComparison:
    overall: pd.DataFrame  # group_code, name_zh, name_en, responses, score, withheld, difference (to the unit's mean)
    by_dimension: pd.DataFrame  # group_code, dimension_code, dimension_zh, dimension_en, score (None if withheld)
    unit_score: float | None  # mean over all groups


def group_comparison(session: Session, *, actor: Actor, campaign_id: int, unit_code: str) -> GroupComparison:
    """How each reviewer group rated one unit. A group with fewer than SMALL_CELL questionnaires
    for the unit is withheld (its count and score could single people out)."""
    check_reader(actor)
    return unit_groups(session, campaign_id=campaign_id, unit_code=unit_code)


def unit_groups(session: Session, *, campaign_id: int, unit_code: str) -> GroupComparison:
    """group_comparison without the role check: for callers that checked the actor and its unit themselves
    (db/feedback.py lets a liaison read their own unit)."""
    scores = option_scores(_settings(session, campaign_id))
    unit_id = session.exec(select(Unit.id).where(Unit.campaign_id == campaign_id, Unit.code == unit_code)).first()
    rows = session.exec(
        select(ReviewerGroup.code, ReviewerGroup.name_zh, ReviewerGroup.name_en, ReviewerGroup.position,
               Dimension.code, Dimension.name_zh, Dimension.name_en, Dimension.position,
               # One answer per questionnaire and cell: the answers to a cell, all options, are its questionnaires.
               func.sum(AnswerTally.n), score_sum(AnswerTally.option, scores, AnswerTally.n),
               scored_count(AnswerTally.option, scores, AnswerTally.n))
        .select_from(AnswerTally)
        .join(ReviewerGroup, ReviewerGroup.id == AnswerTally.group_id)
        .join(Dimension, Dimension.id == AnswerTally.dimension_id)
        .where(AnswerTally.unit_id == (unit_id or -1), AnswerTally.campaign_id == campaign_id, AnswerTally.n > 0)
        .group_by(ReviewerGroup.code, ReviewerGroup.name_zh, ReviewerGroup.name_en, ReviewerGroup.position,
                  Dimension.code, Dimension.name_zh, Dimension.name_en, Dimension.position)).all()
    cells = pd.DataFrame(rows, columns=["group_code", "name_zh", "name_en", "group_position", "dimension_code",
                                        "dimension_zh", "dimension_en", "dimension_position", "responses", "points",
                                        "answers"])
    groups = session.exec(select(ReviewerGroup.code, ReviewerGroup.name_zh, ReviewerGroup.name_en)
                          .where(ReviewerGroup.campaign_id == campaign_id).order_by(ReviewerGroup.position)).all()
    per_group = cells.groupby("group_code").agg(responses=("responses", "max"), points=("points", "sum"),
                                                answers=("answers", "sum"))
    unit_points, unit_answers = cells["points"].sum(), cells["answers"].sum()
    unit_score = float(unit_points / unit_answers) if unit_answers else None
    overall = []
    for code, name_zh, name_en in groups:
        n = int(per_group["responses"].get(code, 0))
        withheld = small_cell(n, SMALL_CELL)
        answers = per_group["answers"].get(code, 0)
        score = None if withheld or not answers else float(per_group["points"][code] / answers)
        overall.append((code, name_zh, name_en, None if withheld else n, score, withheld,
                        None if score is None or unit_score is None else score - unit_score))
    overall = pd.DataFrame(overall, columns=["group_code", "name_zh", "name_en", "responses", "score", "withheld",
                                             "difference"])
    hidden = set(overall.loc[overall["withheld"], "group_code"])
    cells["score"] = [None if g in hidden or not a else p / a
                      for g, p, a in zip(cells["group_code"], cells["points"], cells["answers"])]
    by_dimension = cells.sort_values(["group_position", "dimension_position"])[
        ["group_code", "dimension_code", "dimension_zh", "dimension_en", "score"]].reset_index(drop=True)
    return GroupComparison(overall, by_dimension, unit_score)


# ---------------------------------------------------------------------------------------
# Findings and cases on a timeline

TIMELINE_COLUMNS = ["day", "year", "unit_code", "kind", "severity", "state", "title"]


def timeline(session: Session, *, actor: Actor, unit_codes: list[str],
             campaign_ids: list[int] | None = None) -> pd.DataFrame:
    """Inspection findings, media cases, accountability cases and rectification notices of these units,
    one row per event, oldest first."""
    check_reader(actor)
    years = campaign_years(session)
    ids = campaign_ids if campaign_ids is not None else list(years)
    units = select(Unit.id).where(col(Unit.code).in_(unit_codes or [""]), col(Unit.campaign_id).in_(ids or [-1]))
    events: list[tuple] = []
    for row in session.exec(
            select(Inspection.visited_on, Inspection.campaign_id, Unit.code, Finding.severity, Finding.state,
                   Finding.description)
            .select_from(Finding).join(Inspection, Inspection.id == Finding.inspection_id)
            .join(Unit, Unit.id == Finding.unit_id).where(col(Finding.unit_id).in_(units))).all():
        events.append((row[0], years[row[1]], row[2], "finding", row[3], row[4], row[5]))
    for row in session.exec(
            select(MediaCase.exposed_on, MediaCase.campaign_id, Unit.code, MediaCase.status, MediaCase.title,
                   MediaCase.repeated)
            .join(Unit, Unit.id == MediaCase.unit_id).where(col(MediaCase.unit_id).in_(units))).all():
        events.append((row[0], years[row[1]], row[2], "media", "repeated" if row[5] else "", row[3], row[4]))
    for row in session.exec(
            select(AccountabilityCase.opened_on, AccountabilityCase.closed_on, AccountabilityCase.campaign_id,
                   Unit.code, AccountabilityCase.severity, AccountabilityCase.state, AccountabilityCase.title)
            .join(Unit, Unit.id == AccountabilityCase.unit_id)
            .where(col(AccountabilityCase.unit_id).in_(units))).all():
        events.append((row[0], years[row[2]], row[3], "case_opened", row[4], row[5], row[6]))
        if row[1] is not None:
            events.append((row[1], years[row[2]], row[3], "case_closed", row[4], row[5], row[6]))
    for row in session.exec(
            select(Rectification.issued_on, Rectification.closed_on, Rectification.campaign_id, Unit.code,
                   Rectification.reason, Rectification.state, Rectification.notice_no, Rectification.deadline)
            .join(Unit, Unit.id == Rectification.unit_id).where(col(Rectification.unit_id).in_(units))).all():
        label = row[6] or row[4]
        events.append((row[0], years[row[2]], row[3], "rectification_issued", row[4], row[5], label))
        if row[1] is not None:
            events.append((row[1], years[row[2]], row[3], "rectification_closed", row[4], row[5], label))
    frame = pd.DataFrame(events, columns=TIMELINE_COLUMNS)
    return frame.sort_values(["day", "kind"]).reset_index(drop=True)


def event_counts(session: Session, *, campaign_id: int) -> pd.DataFrame:
    """Per unit of a campaign: findings (serious ones apart), media cases, open cases, rectifications."""
    def per_unit(query, name):
        return pd.DataFrame(session.exec(query).all(), columns=["unit_code", name]).set_index("unit_code")[name]

    unit = Unit.code
    parts = [
        per_unit(select(unit, func.count()).select_from(Finding).join(Unit, Unit.id == Finding.unit_id)
                 .where(Unit.campaign_id == campaign_id).group_by(unit), "findings"),
        per_unit(select(unit, func.count()).select_from(Finding).join(Unit, Unit.id == Finding.unit_id)
                 .where(Unit.campaign_id == campaign_id, Finding.severity == "serious").group_by(unit),
                 "serious_findings"),
        per_unit(select(unit, func.count()).select_from(MediaCase).join(Unit, Unit.id == MediaCase.unit_id)
                 .where(MediaCase.campaign_id == campaign_id).group_by(unit), "media_cases"),
        per_unit(select(unit, func.count()).select_from(AccountabilityCase)
                 .join(Unit, Unit.id == AccountabilityCase.unit_id)
                 .where(AccountabilityCase.campaign_id == campaign_id, col(AccountabilityCase.closed_on).is_(None))
                 .group_by(unit), "open_cases"),
        per_unit(select(unit, func.count()).select_from(Rectification).join(Unit, Unit.id == Rectification.unit_id)
                 .where(Rectification.campaign_id == campaign_id).group_by(unit), "rectifications"),
    ]
    return pd.concat(parts, axis=1).fillna(0).astype(int).rename_axis("unit_code").reset_index()


# ---------------------------------------------------------------------------------------
# Units side by side


def compare_units(session: Session, *, actor: Actor, campaign_id: int, unit_codes: list[str]) -> pd.DataFrame:
    """One row per unit: result, panel and poll scores, events; in the order the codes were given."""
    check_reader(actor)
    units = unit_directory(session, actor=actor, campaign_id=campaign_id)
    units = units[units["unit_code"].isin(unit_codes)]
    chosen = best_results(session, campaign_ids=[campaign_id]).get(campaign_id)
    results = result_units(session, result_ids=[chosen.id] if chosen else [], unit_codes=unit_codes)
    results = results.drop(columns=["result_id", "unit_id", "unit_name", "unit_position", "category_code",
                                    "category_zh", "category_en", "category_position"])
    frame = (units.merge(results, on="unit_code", how="left")
             .merge(panel_summary(session, campaign_id=campaign_id), on="unit_code", how="left")
             .merge(poll_summary(session, campaign_id=campaign_id), on="unit_code", how="left")
             .merge(event_counts(session, campaign_id=campaign_id), on="unit_code", how="left"))
    for name in ("poll_votes", "findings", "serious_findings", "media_cases", "open_cases", "rectifications"):
        frame[name] = frame[name].fillna(0).astype(int)
    frame["result_status"] = chosen.status if chosen else None
    frame["result_version"] = chosen.version if chosen else None
    order = {code: k for k, code in enumerate(unit_codes)}
    return frame.sort_values("unit_code", key=lambda s: s.map(order)).reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Reliability and quality of the questionnaire


@dataclass(frozen=True)
class Reliability:
    campaign_id: int
    year: int
    questionnaires: int  # submitted, rehearsals left out
    complete_rows: int  # (questionnaire, unit) pairs with a score on every dimension
    cronbach_alpha: float | None
    krippendorff_ordinal: float | None
    krippendorff_interval: float | None
    rated_items: int  # (unit, dimension) pairs rated by at least two reviewers
    straight_lining: int
    too_fast: int
    flagged: int  # with at least one flag

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.questionnaires if self.questionnaires else None


def _patterns(session: Session, campaign_ids: list[int]) -> dict[int, list[tuple[list[str], int]]]:
    """Per campaign, the counted answer patterns of (questionnaire, unit) rows (db/tallies.py)."""
    found: dict[int, list[tuple[list[str], int]]] = {cid: [] for cid in campaign_ids}
    for campaign_id, pattern, n in session.exec(
            select(AnswerPattern.campaign_id, AnswerPattern.pattern, AnswerPattern.n)
            .where(col(AnswerPattern.campaign_id).in_(campaign_ids or [-1]), AnswerPattern.n > 0)).all():
        found[campaign_id].append((pattern.split(SEPARATOR), int(n)))
    return found


def _cell_counts(session: Session, campaign_ids: list[int]) -> dict[int, list[tuple[int, int, str, int]]]:
    """Per campaign, how often each option was given per (unit, dimension), reviewer groups summed."""
    found: dict[int, list[tuple[int, int, str, int]]] = {cid: [] for cid in campaign_ids}
    for campaign_id, unit_id, dimension_id, option, n in session.exec(
            select(AnswerTally.campaign_id, AnswerTally.unit_id, AnswerTally.dimension_id, AnswerTally.option,
                   func.sum(AnswerTally.n))
            .where(col(AnswerTally.campaign_id).in_(campaign_ids or [-1]))
            .group_by(AnswerTally.campaign_id, AnswerTally.unit_id, AnswerTally.dimension_id,
                      AnswerTally.option)).all():
        if n:
            found[campaign_id].append((unit_id, dimension_id, option, int(n)))
    return found


def _quality_counts(session: Session, campaign_ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """Per campaign: (questionnaires, straight-lining, too fast, any flag). The flags live in a small JSON
    column, one per questionnaire (a few hundred a year), read as such: portable across both databases."""
    lists: dict[int, list[set]] = {cid: [] for cid in campaign_ids}
    for campaign_id, flags in session.exec(select(Response.campaign_id, Response.flags)
                                           .where(col(Response.campaign_id).in_(campaign_ids or [-1]),
                                                  _submitted())).all():
        lists[campaign_id].append(set((flags or {}).get("flags", [])))
    return {cid: (len(f), sum("straight_lining" in x for x in f), sum("too_fast" in x for x in f),
                  sum(bool(x) for x in f)) for cid, f in lists.items()}


def _reliabilities(session: Session, campaign_ids: list[int]) -> list[Reliability]:
    """Reliability of several campaigns from a handful of grouped queries over the tallies."""
    campaigns = {cid: (year, settings) for cid, year, settings in session.exec(
        select(Campaign.id, Campaign.year, Campaign.settings).where(col(Campaign.id).in_(campaign_ids or [-1]))).all()}
    dimensions = dict(session.exec(select(Dimension.campaign_id, func.count())
                                   .where(col(Dimension.campaign_id).in_(campaign_ids or [-1]))
                                   .group_by(Dimension.campaign_id)).all())
    patterns, cells = _patterns(session, campaign_ids), _cell_counts(session, campaign_ids)
    quality = _quality_counts(session, campaign_ids)
    found = []
    for cid in campaign_ids:
        year, settings = campaigns[cid]
        scores = option_scores(settings or {})
        m = moments_from_patterns(patterns[cid], scores, int(dimensions.get(cid, 0)))
        options = list(scores)
        table: dict[tuple[int, int], list[int]] = {}
        for unit_id, dimension_id, option, n in cells[cid]:
            if option in scores:
                table.setdefault((unit_id, dimension_id), [0] * len(options))[options.index(option)] = n
        counts = list(table.values())
        values = [scores[o] for o in options]
        questionnaires, straight, fast, flagged = quality[cid]
        found.append(Reliability(
            campaign_id=cid, year=year, questionnaires=questionnaires, complete_rows=m.n,
            cronbach_alpha=cronbach_alpha_from_moments(m),
            krippendorff_ordinal=krippendorff_alpha_from_counts(counts, values, "ordinal") if counts else None,
            krippendorff_interval=krippendorff_alpha_from_counts(counts, values, "interval") if counts else None,
            rated_items=sum(1 for c in counts if sum(c) >= 2), straight_lining=straight, too_fast=fast,
            flagged=flagged))
    return found


def reliability(session: Session, *, actor: Actor, campaign_id: int) -> Reliability:
    check_reader(actor)
    return _reliabilities(session, [campaign_id])[0]


def reliability_by_year(session: Session, *, actor: Actor) -> list[Reliability]:
    check_reader(actor)
    return _reliabilities(session, list(campaign_years(session)))


def available_years(session: Session) -> dict[int, int]:
    """year -> campaign id, oldest first."""
    return {year: cid for cid, year in campaign_years(session).items()}

