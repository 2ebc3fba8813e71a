"""Maintained tallies: the dashboards' counts, kept in step with the raw rows in the same transaction.

A dashboard over a year of voting would otherwise count hundreds of thousands of votes on every
refresh. Instead every writer of votes and submitted questionnaires adds its change to three
small tables (db/models.py: VoteTally, AnswerTally, AnswerPattern) inside its own transaction,
so a refused or failed write leaves them untouched, and the dashboards read a few thousand rows
whatever the raw volume.

- votes: `add_vote` (a new vote), `move_votes` (a status change: flag, admit, reject);
- questionnaires: `add_submission` (a submitted, non-rehearsal questionnaire; drafts and
  rehearsals are never tallied, so deleting them changes nothing);
- bulk writers (the demo loader, a unit merge, a purge) call `rebuild` for the campaigns they
  touched, an exact recount from the raw rows; `check` lists where tallies and raw rows differ
  (`python -m db check-tallies [--rebuild]`).

Upserts add to a counter (ON CONFLICT ... DO UPDATE SET n = n + excluded.n) on SQLite and
PostgreSQL alike, in a fixed key order so that concurrent voters lock tally rows in the same
order and never deadlock one another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from db.models import Answer, AnswerPattern, AnswerTally, Campaign, Dimension, PollVote, Response, VoteTally

VOTE_KEYS = ("campaign_id", "unit_id", "day", "option", "status")
ANSWER_KEYS = ("campaign_id", "unit_id", "dimension_id", "group_id", "option")
PATTERN_KEYS = ("campaign_id", "pattern")
SEPARATOR = "|"

_TABLES = {"vote": (VoteTally.__table__, VOTE_KEYS), "answer": (AnswerTally.__table__, ANSWER_KEYS),
           "pattern": (AnswerPattern.__table__, PATTERN_KEYS)}


@lru_cache(maxsize=8)
def _upsert(dialect: str, kind: str):
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET n = n + excluded.n, built once per dialect."""
    table, keys = _TABLES[kind]
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = build(table)
    return statement.on_conflict_do_update(index_elements=list(keys), set_={"n": table.c.n + statement.excluded.n})


def _apply(connection: Connection, kind: str, deltas: Mapping[tuple, int]) -> None:
    keys = _TABLES[kind][1]
    rows = [dict(zip(keys, key), n=n) for key, n in sorted(deltas.items(), key=lambda item: _order(item[0])) if n]
    if rows:  # one row (a vote) as a plain execute: the executemany path costs more for one
        connection.execute(_upsert(connection.dialect.name, kind), rows[0] if len(rows) == 1 else rows)


def _order(key: tuple) -> tuple:
    return tuple(v.isoformat() if isinstance(v, date) else v for v in key)


# ---------------------------------------------------------------------------------------
# Writers


def apply_vote_deltas(connection: Connection, deltas: Mapping[tuple, int]) -> None:
    """Add signed counts to vote tallies keyed (campaign_id, unit_id, day, option, status)."""
    _apply(connection, "vote", deltas)


def add_vote(session: Session, *, campaign_id: int, unit_id: int, day: date, option: str, status: str,
             n: int = 1) -> None:
    apply_vote_deltas(session.connection(), {(campaign_id, unit_id, day, option, status): n})


def vote_moves(rows: Iterable[tuple], to: str) -> Counter:
    """The tally changes of votes changing status: rows are (campaign_id, unit_id, day, option, old status)."""
    deltas: Counter = Counter()
    for campaign_id, unit_id, day, option, status in rows:
        deltas[(campaign_id, unit_id, day, option, status)] -= 1
        deltas[(campaign_id, unit_id, day, option, to)] += 1
    return deltas


def move_votes(session: Session, rows: Iterable[tuple], *, to: str) -> None:
    """Votes whose status changed to `to`: one row (campaign_id, unit_id, day, option, old status) each.

    Pass exactly the rows the UPDATE changed (select them first, or UPDATE ... RETURNING)."""
    apply_vote_deltas(session.connection(), vote_moves(rows, to))


def _dimension_ids(session: Session, campaign_id: int) -> list[int]:
    return list(session.execute(select(Dimension.id).where(Dimension.campaign_id == campaign_id)
                                .order_by(Dimension.position, Dimension.id)).scalars())


def pattern_of(options_by_dimension: Mapping[int, str], dimension_ids: list[int]) -> str:
    """The options of one (questionnaire, unit) across the dimensions in order; "" where none was given."""
    return SEPARATOR.join(options_by_dimension.get(d, "") for d in dimension_ids)


def add_submission(session: Session, response: Response, answers: Mapping[tuple[int, int], str]) -> None:
    """Tally a questionnaire being submitted: `answers` maps (unit_id, dimension_id) to the option,
    every answer the questionnaire holds. Rehearsals are never tallied."""
    if response.rehearsal:
        return
    per_cell: Counter = Counter()
    by_unit: dict[int, dict[int, str]] = {}
    for (unit_id, dimension_id), option in answers.items():
        per_cell[(response.campaign_id, unit_id, dimension_id, response.group_id, option)] += 1
        by_unit.setdefault(unit_id, {})[dimension_id] = option
    dimension_ids = _dimension_ids(session, response.campaign_id)
    patterns = Counter((response.campaign_id, pattern_of(options, dimension_ids)) for options in by_unit.values())
    connection = session.connection()
    _apply(connection, "answer", per_cell)
    _apply(connection, "pattern", patterns)


# ---------------------------------------------------------------------------------------
# Recounts from the raw rows


def _counted_answers():
    return and_(Response.status == "submitted", col(Response.rehearsal).is_(False))


def _campaigns(session: Session, campaign_id: int | None) -> list[int]:
    if campaign_id is not None:
        return [campaign_id]
    return list(session.execute(select(Campaign.id).order_by(Campaign.id)).scalars())


def _raw_votes(campaign_id: int):
    keys = [PollVote.campaign_id, PollVote.unit_id, PollVote.day, PollVote.option, PollVote.status]
    return select(*keys, func.count()).where(PollVote.campaign_id == campaign_id).group_by(*keys)


def _raw_answers(campaign_id: int):
    keys = [Response.campaign_id, Answer.unit_id, Answer.dimension_id, Response.group_id, Answer.option]
    return (select(*keys, func.count()).select_from(Answer).join(Response, Response.id == Answer.response_id)
            .where(Response.campaign_id == campaign_id, _counted_answers()).group_by(*keys))


def _raw_patterns(session: Session, campaign_id: int) -> Counter:
    """Patterns per (questionnaire, unit), built here: string aggregation in a fixed order differs
    between the databases, and a campaign holds only tens of thousands of answers."""
    rows = session.execute(select(Answer.response_id, Answer.unit_id, Answer.dimension_id, Answer.option)
                           .join(Response, Response.id == Answer.response_id)
                           .where(Response.campaign_id == campaign_id, _counted_answers()))
    cells: dict[tuple[int, int], dict[int, str]] = {}
    for response_id, unit_id, dimension_id, option in rows:
        cells.setdefault((response_id, unit_id), {})[dimension_id] = option
    dimension_ids = _dimension_ids(session, campaign_id)
    return Counter((campaign_id, pattern_of(options, dimension_ids)) for options in cells.values())


def forget(session: Session, campaign_ids: Iterable[int]) -> None:
    """Drop the tallies of these campaigns (before their units or the campaigns themselves go)."""
    ids = list(campaign_ids)
    if ids:
        for table in (VoteTally, AnswerTally, AnswerPattern):
            session.execute(delete(table).where(col(table.campaign_id).in_(ids)))


def rebuild(session: Session, campaign_id: int | None = None) -> None:
    """Recount the tallies of one campaign (or all) exactly from the raw rows, in the caller's transaction."""
    for cid in _campaigns(session, campaign_id):
        forget(session, [cid])
        session.execute(VoteTally.__table__.insert().from_select([*VOTE_KEYS, "n"], _raw_votes(cid)))
        _insert_answer_tallies(session, cid)


def recount_answers(session: Session, campaign_id: int) -> None:
    """Recount a campaign's answer tallies (not its votes, which keep arriving) from the submitted
    questionnaires: every row is written anew, by the ballot box's release (db.ballot_box)."""
    for table in (AnswerTally, AnswerPattern):
        session.execute(delete(table).where(table.campaign_id == campaign_id))
    _insert_answer_tallies(session, campaign_id)


def _insert_answer_tallies(session: Session, campaign_id: int) -> None:
    session.execute(AnswerTally.__table__.insert().from_select([*ANSWER_KEYS, "n"], _raw_answers(campaign_id)))
    patterns = _raw_patterns(session, campaign_id)
    if patterns:
        session.execute(AnswerPattern.__table__.insert(),
                        [dict(zip(PATTERN_KEYS, key), n=n) for key, n in sorted(patterns.items())])


@dataclass(frozen=True)
class Difference:
    table: str  # votetally, answertally, answerpattern
    key: tuple
    tally: int
    raw: int


def _stored(session: Session, table, keys: tuple[str, ...], campaign_id: int) -> Counter:
    columns = [table.__table__.c[k] for k in keys]
    rows = session.execute(select(*columns, table.__table__.c.n).where(table.__table__.c.campaign_id == campaign_id))
    return Counter({tuple(row[:-1]): row[-1] for row in rows})


def _differences(name: str, stored: Counter, raw: Counter) -> list[Difference]:
    keys = {k for k, n in stored.items() if n} | {k for k, n in raw.items() if n}
    return [Difference(name, k, stored.get(k, 0), raw.get(k, 0))
            for k in sorted(keys, key=_order) if stored.get(k, 0) != raw.get(k, 0)]


def check(session: Session, campaign_id: int) -> list[Difference]:
    """Where the tallies of a campaign differ from a GROUP BY over its raw rows (empty: all agree)."""
    raw_votes = Counter({tuple(row[:-1]): row[-1] for row in session.execute(_raw_votes(campaign_id))})
    raw_answers = Counter({tuple(row[:-1]): row[-1] for row in session.execute(_raw_answers(campaign_id))})
    return (_differences("votetally", _stored(session, VoteTally, VOTE_KEYS, campaign_id), raw_votes)
            + _differences("answertally", _stored(session, AnswerTally, ANSWER_KEYS, campaign_id), raw_answers)
            + _differences("answerpattern", _stored(session, AnswerPattern, PATTERN_KEYS, campaign_id),
                           _raw_patterns(session, campaign_id)))


def check_all(session: Session) -> dict[int, list[Difference]]:
    """Every campaign's differences (campaigns that agree are left out)."""
    found = {cid: check(session, cid) for cid in _campaigns(session, None)}
    return {cid: diffs for cid, diffs in found.items() if diffs}
