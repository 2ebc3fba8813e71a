"""`python -m tests.support.writer URL TAG TOKEN...`: write votes and answers until killed.

Each write is one transaction through the real store functions (as the app makes them), and
is printed only after its commit returned: every printed line is a write the store promised
to keep. The fault tests kill this process with SIGKILL mid-stream and then check the store.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from functools import partial

from core.poll import OPTIONS as VOTE_OPTIONS
from core.poll import new_device_id
from db.engine import make_engine, transaction
from db.questionnaire import OPTIONS as ANSWER_OPTIONS
from db.questionnaire import open_questionnaire, save_answer, structure
from db.units import list_units

POLL_DAY = datetime(2017, 6, 1, 2, 0, tzinfo=UTC)  # inside the 2017 campaign's poll period
SALT = "fault-test-salt"


def _answer(session, *, ballot, unit_id: int, dim_id: int, option: str) -> None:
    save_answer(session, token=ballot.token_hash, unit_id=unit_id, dimension_id=dim_id, option=option)


def _vote(session, *, k: int, unit_id: int, comment: str):
    from db.poll import record_vote

    return record_vote(session, campaign_id=1, unit_id=unit_id, option=VOTE_OPTIONS[k % 3],
                       device_id=new_device_id(), ip=f"10.{k // 62500 % 250}.{k // 250 % 250}.{k % 250}",
                       comment=comment, now=POLL_DAY + timedelta(seconds=k), salt=SALT)


def main(url: str, tag: str, tokens: list[str]) -> None:
    engine = make_engine(url)
    ballots = [transaction(partial(_open, entry=token), engine=engine) for token in tokens]
    shape = transaction(lambda s: structure(s, campaign_id=ballots[0].campaign_id), engine=engine)
    cells = [(u.id, d.id) for u in shape.units for d in shape.dimensions]
    units = transaction(lambda s: [u.id for u in list_units(s, campaign_id=1, include_inactive=False)], engine=engine)
    for k in range(len(cells) * len(ballots)):
        ballot, (unit_id, dim_id) = ballots[k // len(cells)], cells[k % len(cells)]
        option = ANSWER_OPTIONS[k % 4]
        transaction(partial(_answer, ballot=ballot, unit_id=unit_id, dim_id=dim_id, option=option), engine=engine)
        print(f"A {ballot.response_id} {unit_id} {dim_id} {option}", flush=True)
        comment = f"{tag}-{k}"
        result = transaction(partial(_vote, k=k, unit_id=units[k % len(units)], comment=comment), engine=engine)
        if result.recorded:
            print(f"V {comment}", flush=True)
    print("DONE", flush=True)


def _open(session, *, entry: str):
    return open_questionnaire(session, entry=entry, client="writer", device="writer")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
