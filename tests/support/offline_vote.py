"""One vote on /poll over Streamlit's websocket protocol (bench.hall.client), as a citizen's phone sends it.

`python -m tests.support.offline_vote URL DATABASE_FILE`: run by tests/test_offline_bundle.py inside a network
namespace with the offline bundle's own Python, so nothing but the bundle's wheels is needed. Prints the unit
voted for and the poll votes in the database before and after; exits 1 when the vote was not thanked.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys

from bench.hall.client import Tab
from bench.hall.people import VOTE_OPTIONS, fixed_part


def votes(database: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM pollvote").fetchone()[0]


async def vote(base_url: str) -> str:
    tab = Tab(base_url, "/poll")
    await tab.open()
    try:
        picks = [w for w in tab.widgets("button") if w.key.startswith("poll_pick_")]
        if not picks:
            raise SystemExit(f"/poll shows no unit to vote for: {tab.texts()[:10]}")
        await tab.click(picks[0])
        options = {w.key.removeprefix("poll_"): w for w in tab.widgets("button")
                   if w.key.removeprefix("poll_") in VOTE_OPTIONS}
        await tab.click(options["satisfied"])
        if not tab.shows(fixed_part("poll.thanks")):
            raise SystemExit(f"the vote was not thanked: {tab.texts()[:10]}")
        return picks[0].key.removeprefix("poll_pick_")
    finally:
        await tab.close()


def main(argv: list[str]) -> int:
    url, database = argv
    before = votes(database)
    unit = asyncio.run(vote(url))
    print(f"voted for {unit}; poll votes {before} -> {votes(database)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
