"""Each unit's feedback (/feedback and the 评议意见反馈函): what the review found, in a form the unit can act on.

Nothing is shown before the campaign's result is published: every function here raises
`feedback.not_published` until then, with one exception: while a provisional result is posted for
objections (公示, db/objections.py) the office and each unit's liaison see it, marked as posted;
leaders and analysts still see nothing until publication, and letters wait for it. Who sees what:
- a liaison reads only their own unit (db/scope.py, as for casework): another unit is "not found";
- the office (admin), leaders and analysts open any unit;
- comments (reviewers' and the poll's) are masked (core.deidentify) and merged before anything
  leaves this module; a reviewer's comment never carries its reviewer group;
- a source (panel or poll) with fewer than SMALL_CELL comments on a unit is shown only to the office:
  a handful of comments can point to the people who wrote them. Leaders and analysts are treated like
  the unit here (they need the themes, not the few sentences), and so is every letter, since the
  letter goes to the unit.

Figures come from the published result (scores, intervals, ranks, the panel's per-dimension
estimates with standard errors), the explorer's reviewer-group comparison and monthly poll
(db/explore.py, small cells withheld there), and the casework registers read through their own
scoped list functions.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlmodel import Session, col, select

from core import comment_themes as themes_rules
from core.casework import VISIBLE_TO_UNIT
from core.deidentify import mask_text
from core.errors import NotFound, UserError
from core.poll import COUNTED
from core.privacy import SMALL_CELL, small_cell
from db import explore
from db.access import Actor, require
from db.audit import record
from db.cases import list_cases
from db.dashboard import ResultInfo, newest_published
from db.inspections import list_findings
from db.media import list_cases as list_media_cases
from db.models import AnswerComment, Campaign, Dimension, PollVote, Response, Result, ResultUnit, Unit, UnitCategory
from db.objections import PeriodInfo, posted_result
from db.rectifications import list_rectifications
from db.scope import visible_unit
from documents.feedback_data import CommentDigest, SourceCount, UnitFeedback

READERS = ("admin", "leader", "analyst", "liaison")
OFFICE = ("admin",)
SOURCES = ("panel", "poll")
Z90 = 1.6448536269514722  # two-sided 90 % normal interval, as the result's score intervals


def _not_published() -> UserError:
    return UserError("feedback.not_published_yet", "the results of this campaign are not published yet")


def _unit_not_found(code: str) -> NotFound:
    return NotFound("feedback.unit_not_found", "no unit {code} in this campaign", code=code)


@dataclass(frozen=True)
class UnitChoice:
    code: str
    name: str
    category_code: str
    category_zh: str
    category_en: str


# ---------------------------------------------------------------------------------------
# Who may open what


def _published(session: Session, campaign_id: int) -> ResultInfo:
    info = newest_published(session, campaign_id=campaign_id)
    if info is None:
        raise _not_published()
    return info


def is_published(session: Session, *, actor: Actor, campaign_id: int) -> bool:
    require(actor, *READERS)
    return newest_published(session, campaign_id=campaign_id) is not None


def shown_result(session: Session, *, actor: Actor, campaign_id: int,
                 today: date | None = None) -> tuple[ResultInfo, PeriodInfo | None] | None:
    """The result /feedback shows this actor: the posted one (公示) with its period for the office and the
    liaisons while there is one, else the newest published; None when there is nothing for them yet."""
    require(actor, *READERS)
    posted = posted_result(session, actor=actor, campaign_id=campaign_id, today=today)
    if posted is not None:
        return posted
    published = newest_published(session, campaign_id=campaign_id)
    return (published, None) if published is not None else None


def years_with_results(session: Session, *, actor: Actor, today: date | None = None) -> list[int]:
    """The years, newest first, for which /feedback has something to show this actor (published, or posted
    for objections to the office and the liaisons): the year box opens on the first of them."""
    require(actor, *READERS)
    campaigns = session.exec(select(Campaign.id, Campaign.year).order_by(col(Campaign.year).desc())).all()
    return [year for campaign_id, year in campaigns
            if shown_result(session, actor=actor, campaign_id=campaign_id, today=today) is not None]


def _shown(session: Session, actor: Actor, campaign_id: int, today: date | None) -> ResultInfo:
    shown = shown_result(session, actor=actor, campaign_id=campaign_id, today=today)
    if shown is None:
        raise _not_published()
    return shown[0]


def feedback_units(session: Session, *, actor: Actor, campaign_id: int) -> list[UnitChoice]:
    """The units whose feedback the actor may open: a liaison's own, everyone's for the others."""
    visible = visible_unit(session, actor, campaign_id, *READERS)
    query = (select(Unit.code, Unit.name, UnitCategory.code, UnitCategory.name_zh, UnitCategory.name_en)
             .join(UnitCategory, UnitCategory.id == Unit.category_id)
             .where(Unit.campaign_id == campaign_id, Unit.active, col(Unit.merged_into_id).is_(None))
             .order_by(UnitCategory.position, Unit.position))
    if visible is not None:
        query = query.where(Unit.id == visible)
    return [UnitChoice(*row) for row in session.exec(query).all()]


def _checked_unit(session: Session, actor: Actor, campaign_id: int, unit_code: str) -> Unit:
    visible = visible_unit(session, actor, campaign_id, *READERS)
    unit = session.exec(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit_code)).first()
    if unit is None or (visible is not None and unit.id != visible):
        raise _unit_not_found(unit_code)  # never "forbidden": that would confirm the unit exists
    return unit


# ---------------------------------------------------------------------------------------
# Results


def _result_dimensions(session: Session, result_id: int) -> dict[int, tuple[int, dict]]:
    """unit id -> (category id, the panel's per-dimension cells) of a stored result, read once per transaction
    (the explanations are large JSON; a run of 37 letters needs them all)."""
    memo = session.info.setdefault("feedback_dimensions", {})
    if result_id not in memo:
        rows = session.exec(select(ResultUnit.unit_id, Unit.category_id, ResultUnit.explanation)
                            .join(Unit, Unit.id == ResultUnit.unit_id).where(ResultUnit.result_id == result_id)).all()
        memo[result_id] = {unit_id: (category_id, ((explanation or {}).get("panel") or {}).get("dimensions") or {})
                           for unit_id, category_id, explanation in rows}
    return memo[result_id]


def _dimension_rows(session: Session, campaign_id: int, result_id: int, unit: Unit) -> pd.DataFrame:
    """The unit's panel estimate per dimension with its 90 % interval, beside its category's mean estimate."""
    dims = session.exec(select(Dimension.code, Dimension.name_zh, Dimension.name_en)
                        .where(Dimension.campaign_id == campaign_id).order_by(Dimension.position)).all()
    by_unit = {unit_id: cells for unit_id, (category_id, cells) in _result_dimensions(session, result_id).items()
               if category_id == unit.category_id}
    mine = by_unit.get(unit.id, {})
    table = []
    for code, name_zh, name_en in dims:
        cell = mine.get(code) or {}
        estimate, se = _number(cell.get("estimate")), _number(cell.get("se"))
        others = [_number((cells.get(code) or {}).get("estimate")) for cells in by_unit.values()]
        others = [v for v in others if v is not None]
        mean = sum(others) / len(others) if others else None
        low = high = None
        if estimate is not None and se is not None:
            low, high = max(0.0, estimate - Z90 * se), min(100.0, estimate + Z90 * se)
        table.append((code, name_zh, name_en, estimate, low, high, se, int(cell.get("valid") or 0), mean,
                      None if estimate is None or mean is None else estimate - mean))
    return pd.DataFrame(table, columns=["dimension_code", "dimension_zh", "dimension_en", "estimate", "low", "high",
                                        "se", "valid", "category_mean", "difference"])


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


POLL_COLUMNS = ["period", "votes", "satisfied", "basically_satisfied", "dissatisfied", "satisfaction"]


def _poll_months(session: Session, campaign: Campaign, unit_codes: list[str]) -> dict[str, pd.DataFrame]:
    """Per unit, the campaign's months of the poll (one query for all the units asked)."""
    trend = explore.monthly_poll(session, unit_codes=unit_codes)
    trend = trend[trend["year"] == campaign.year]
    return {code: trend[trend["unit_code"] == code][POLL_COLUMNS].reset_index(drop=True) for code in unit_codes}


def _feedback(session: Session, campaign: Campaign, result: ResultInfo, unit: Unit, *, registers: dict,
              demo: bool, poll: pd.DataFrame) -> UnitFeedback:
    row = session.exec(select(ResultUnit).where(ResultUnit.result_id == result.id,
                                                ResultUnit.unit_id == unit.id)).first()
    if row is None:
        raise _unit_not_found(unit.code)  # not scored in the published result (added or merged since)
    category = session.get(UnitCategory, unit.category_id)
    size = len(session.exec(select(ResultUnit.id).join(Unit, Unit.id == ResultUnit.unit_id)
                            .where(ResultUnit.result_id == result.id, Unit.category_id == unit.category_id)).all())
    components = {m: _number((row.components or {}).get(m)) for m in ("panel", "online", "inspection", "daily")}
    uncertainty = (row.explanation or {}).get("uncertainty") or {}
    sampling = uncertainty.get("bootstrap_rank") or [None, None]
    return UnitFeedback(
        campaign_id=campaign.id, year=campaign.year, campaign_name=campaign.name_zh, demo=demo,
        result=result, unit_code=unit.code, unit_name=unit.name, category_code=category.code,
        category_zh=category.name_zh, category_en=category.name_en, category_size=size, total=row.total,
        score_low=row.score_low, score_high=row.score_high, grade=row.grade, rank=row.rank, rank_low=row.rank_low,
        rank_high=row.rank_high, borderline=row.borderline, components=components,
        dimensions=_dimension_rows(session, campaign.id, result.id, unit),
        groups=explore.unit_groups(session, campaign_id=campaign.id, unit_code=unit.code),
        poll=poll,
        findings=[f for f in registers["findings"] if f.unit_code == unit.code and f.state in VISIBLE_TO_UNIT],
        media=[m for m in registers["media"] if m.unit_code == unit.code],
        cases=[c for c in registers["cases"] if c.unit_code == unit.code],
        rectifications=[r for r in registers["rectifications"] if r.unit_code == unit.code],
        borderline_why=tuple(uncertainty.get("borderline") or ()),
        sampling_rank=None if None in sampling else (int(sampling[0]), int(sampling[1])),
        quota_limit=(((row.explanation or {}).get("grade") or {}).get("quota") or {}).get("limit"),
        grade_lines=((session.get(Result, result.id).config or {}).get("settings") or {}).get("grade_rules") or {})


def _registers(session: Session, actor: Actor, campaign_id: int, unit_code: str | None, today: date | None) -> dict:
    """Findings, media cases, accountability cases and notices, read through their own scoped functions."""
    return {
        "findings": list_findings(session, actor=actor, campaign_id=campaign_id, unit_code=unit_code),
        "media": list_media_cases(session, actor=actor, campaign_id=campaign_id, unit_code=unit_code, today=today,
                                  limit=100_000),
        "cases": list_cases(session, actor=actor, campaign_id=campaign_id, unit_code=unit_code, today=today,
                            limit=100_000),
        "rectifications": list_rectifications(session, actor=actor, campaign_id=campaign_id, unit_code=unit_code,
                                              today=today),
    }


def _is_demo(session: Session, campaign: Campaign, result: ResultInfo) -> bool:
    """Whether the figures come from demo data (the campaign, its result or any of its votes or questionnaires)."""
    if campaign.is_demo or session.get(Result, result.id).is_demo:
        return True
    return any(session.exec(select(table.id).where(table.campaign_id == campaign.id, table.is_demo).limit(1)).first()
               for table in (PollVote, Response))


def unit_feedback(session: Session, *, actor: Actor, campaign_id: int, unit_code: str,
                  today: date | None = None, published_only: bool = False) -> UnitFeedback:
    """What the review found about one unit: the published result, or for the office and the unit the
    posted one during its objection period (see the module doc for who may read it)."""
    unit = _checked_unit(session, actor, campaign_id, unit_code)
    result = _published(session, campaign_id) if published_only else _shown(session, actor, campaign_id, today)
    campaign = session.get(Campaign, campaign_id)
    registers = _registers(session, actor, campaign_id, unit_code, today)
    return _feedback(session, campaign, result, unit, registers=registers, demo=_is_demo(session, campaign, result),
                     poll=_poll_months(session, campaign, [unit_code])[unit_code])


# ---------------------------------------------------------------------------------------
# Comments


def raw_comments(session: Session, campaign_id: int) -> dict[str, dict[str, list[str]]]:
    """unit code -> source -> the comments as written, MASKED here (no caller ever gets the raw text).

    Reviewers' comments of submitted, non-rehearsal questionnaires, without their reviewer group;
    poll comments of counted votes (a rejected vote's comment is not the public's voice).
    """
    memo = session.info.setdefault("feedback_comments", {})
    if campaign_id in memo:
        return memo[campaign_id]
    found: dict[str, dict[str, list[str]]] = {}
    for code, text in session.exec(
            select(Unit.code, AnswerComment.text).join(Response, Response.id == AnswerComment.response_id)
            .join(Unit, Unit.id == AnswerComment.unit_id)
            .where(Response.campaign_id == campaign_id, Response.status == "submitted",
                   col(Response.rehearsal).is_(False), AnswerComment.text != "")
            .order_by(AnswerComment.id)).all():
        found.setdefault(code, {}).setdefault("panel", []).append(mask_text(text))
    for code, text in session.exec(
            select(Unit.code, PollVote.comment).join(Unit, Unit.id == PollVote.unit_id)
            .where(PollVote.campaign_id == campaign_id, col(PollVote.status).in_(COUNTED), PollVote.comment != "")
            .order_by(PollVote.id)).all():
        found.setdefault(code, {}).setdefault("poll", []).append(mask_text(text))
    memo[campaign_id] = found
    return found


def _sources(by_source: dict[str, list[str]], office: bool) -> tuple[SourceCount, ...]:
    counts = (SourceCount(s, len(by_source.get(s, [])), False) for s in SOURCES)
    return tuple(SourceCount(c.source, c.comments, not office and small_cell(c.comments, SMALL_CELL))
                 for c in counts)


def _digests(session: Session, campaign_id: int, unit_codes: Sequence[str], *, office: bool) -> dict[str,
                                                                                                      CommentDigest]:
    """Themes of these units, weighed against every unit of the campaign (their shown comments)."""
    comments = raw_comments(session, campaign_id)
    sources = {code: _sources(by_source, office) for code, by_source in comments.items()}
    corpus = {}
    for code, by_source in comments.items():
        shown = [text for s in sources[code] if not s.withheld for text in by_source.get(s.source, [])]
        if shown:
            corpus[code] = themes_rules.merge_duplicates(shown)
    found = themes_rules.unit_themes(corpus, show=unit_codes) if corpus else {}
    empty = _sources({}, office)
    return {code: CommentDigest(code, sources.get(code, empty), tuple(found.get(code, ()))) for code in unit_codes}


def unit_comments(session: Session, *, actor: Actor, campaign_id: int, unit_code: str) -> CommentDigest:
    """What reviewers and the public said about the unit: masked, merged, grouped by theme."""
    _checked_unit(session, actor, campaign_id, unit_code)
    _shown(session, actor, campaign_id, None)
    return _digests(session, campaign_id, [unit_code], office=actor.role in OFFICE)[unit_code]


# ---------------------------------------------------------------------------------------
# Letters


def _letter(feedback: UnitFeedback, digest: CommentDigest, office_name: str,
            names: Sequence[str]) -> tuple[str, bytes]:
    from documents.feedback_letter import letter_docx, letter_name

    others = [n for n in names if n != feedback.unit_name]
    return letter_name(feedback), letter_docx(feedback, digest, office=office_name, other_units=others)


def _all_names(session: Session, campaign_id: int) -> list[str]:
    """Every unit name of the campaign, inactive and merged ones included: a letter names none but its own."""
    return list(session.exec(select(Unit.name).where(Unit.campaign_id == campaign_id)).all())


def _office_name(campaign: Campaign) -> str:
    return (campaign.settings or {}).get("issuing_office") or "区治庸问责办、纠风办"


def feedback_letter(session: Session, *, actor: Actor, campaign_id: int, unit_code: str,
                    today: date | None = None) -> tuple[str, bytes]:
    """One unit's 评议意见反馈函 (Word). A liaison downloads their own; the comments in it follow the
    unit's rule (a small source is left out) whoever downloads it, so every copy is the same letter."""
    feedback = unit_feedback(session, actor=actor, campaign_id=campaign_id, unit_code=unit_code, today=today,
                             published_only=True)
    digest = _digests(session, campaign_id, [unit_code], office=False)[unit_code]
    return _letter(feedback, digest, _office_name(session.get(Campaign, campaign_id)), _all_names(session, campaign_id))


def feedback_letters(session: Session, *, actor: Actor, campaign_id: int,
                     today: date | None = None) -> list[tuple[str, bytes]]:
    """Every unit's letter, in menu order: the office's one action (page button, export-feedback)."""
    require(actor, *OFFICE)
    result = _published(session, campaign_id)
    campaign = session.get(Campaign, campaign_id)
    units = feedback_units(session, actor=actor, campaign_id=campaign_id)
    scored = set(session.exec(select(Unit.code).join(ResultUnit, ResultUnit.unit_id == Unit.id)
                              .where(ResultUnit.result_id == result.id)).all())
    codes = [u.code for u in units if u.code in scored]
    registers = _registers(session, actor, campaign_id, None, today)
    digests = _digests(session, campaign_id, codes, office=False)
    office_name = _office_name(campaign)
    names = _all_names(session, campaign_id)
    by_code = {u.code: u for u in session.exec(select(Unit).where(Unit.campaign_id == campaign_id,
                                                                  col(Unit.code).in_(codes or [""]))).all()}
    demo = _is_demo(session, campaign, result)
    polls = _poll_months(session, campaign, codes)
    letters = [_letter(_feedback(session, campaign, result, by_code[code], registers=registers, demo=demo,
                                 poll=polls[code]),
                       digests[code], office_name, names) for code in codes]
    record(session, actor=actor, action="feedback.letters", entity="campaign", entity_id=str(campaign.year),
           campaign_id=campaign_id, after={"letters": len(letters), "result_version": result.version})
    return letters


def letters_zip(letters: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in letters:
            archive.writestr(name, content)
    return buffer.getvalue()
