"""`python -m db COMMAND`: set up and look after the database from a terminal.

One module per family of commands, each registering its own (`add_commands`) and handing the work to
one store function or the demo: `database` (init, upgrade, check-tallies, create-user, display-link,
stats, backup, restore), `campaigns` (new-campaign, import-units),
`demo`, `panel` (the pool and the draw), `results` (scores, publication,
exports, feedback letters), `complaints` (posters, phone erasure). Nothing imports this package but
`db/__main__.py` and the tests.

Every refusal prints one clear line (or a list of problems) on stderr and exits 1 (2 for a misused
command); nothing is half-written, since each command runs in one transaction.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from core.clock import TODAY_ENV, set_today_from
from core.errors import UserError
from db.commands import campaigns, complaints, database, demo, panel, results
from db.commands.common import EXIT_REFUSED


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m db", description="Set up and look after the review database. "
                                  "The database is DATABASE_URL, or data/review.db when it is not set.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    # In the order `--help` has always listed them.
    database.add_setup_commands(command)
    campaigns.add_commands(command)  # the office's own years and units, right after setting up
    demo.add_commands(command)
    database.add_upkeep_commands(command)
    panel.add_commands(command)
    results.add_commands(command)
    complaints.add_commands(command)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if TODAY_ENV in os.environ:  # tests and demonstrations only: the commands run on that day
        try:
            set_today_from(os.environ)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_REFUSED
    try:
        return args.handler(args)
    except UserError as error:
        print(f"error: {error.english()}", file=sys.stderr)
        return EXIT_REFUSED
