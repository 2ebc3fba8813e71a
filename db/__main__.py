"""`python -m db COMMAND`: set up and look after the database from a terminal.

Every refusal prints one clear line (or a list of problems) on stderr and exits
non-zero; nothing is half-written, since each command runs in one transaction.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from core.errors import UserError
from core.roles import ROLES
from db.access import cli_actor
from db.engine import describe, make_engine, session_scope

EXIT_REFUSED = 1


def cmd_init(args) -> int:
    from db.setup import init_database

    engine = make_engine()
    report = init_database(engine, actor=cli_actor(), scheme_path=Path(args.scheme))
    print(f"database: {report.database}")
    print(f"schema: {report.revision_before or 'empty'} -> {report.revision_after}")
    if report.campaign_created:
        print(f"campaign {report.campaign_year}: created from {args.scheme}")
    else:
        print(f"campaign {report.campaign_year}: present already, left as it is (edits made in the app are kept)")
    if report.admin_password:
        print("\nNo administrator existed, so one was created. Sign in once with this password;")
        print("you will be asked to choose your own. It is shown only now and stored only as a hash.")
        print(f"  username: admin\n  one-time password: {report.admin_password}\n")
    if report.already_initialised and not report.admin_password:
        print("The database was initialised already: nothing changed.")
    return 0


def cmd_upgrade(args) -> int:
    from db import migrate
    from db.setup import reachable

    engine = make_engine()
    reachable(engine)
    before = migrate.current(engine)
    migrate.upgrade(engine)
    print(f"schema: {before or 'empty'} -> {migrate.current(engine)}")
    return 0


def cmd_demo(args) -> int:
    from db.demo import load_demo
    from db.stats import stats

    engine = make_engine()
    if args.if_empty:
        with session_scope(engine) as session:
            figures = stats(session)
        if figures["demo_rows"] or figures["reviewers"] or figures["poll_votes"] or figures["responses"]:
            print("the database holds data already: no demo data loaded")
            return 0
    summary = load_demo(engine, actor=cli_actor(), years=tuple(args.years), votes_per_year=args.votes_per_year,
                        seed=args.seed)
    print("demo data loaded (every row is marked as demo; `python -m db purge-demo` removes exactly these):")
    print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_purge_demo(args) -> int:
    from db.demo import purge_demo

    counts = purge_demo(make_engine(), actor=cli_actor())
    print("demo rows removed:")
    print(json.dumps(counts, ensure_ascii=False, indent=2))
    return 0


def cmd_create_user(args) -> int:
    from core import passwords
    from db.users import create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        one_time = False
    else:
        password = passwords.one_time_password()
        one_time = True
    with session_scope(make_engine()) as session:
        user = create_user(session, actor=cli_actor(), username=args.username, role=args.role, password=password,
                           display_name=args.display_name, unit_code=args.unit, must_change_password=one_time)
    unit = f" for unit {user.unit_code}" if user.unit_code else ""
    print(f"user {user.username!r} created with role {user.role}{unit}")
    if one_time:
        print(f"one-time password (shown only now; a new one is asked at first sign-in): {password}")
    return 0


def cmd_stats(args) -> int:
    from db.campaigns import get_campaign
    from db.stats import stats

    with session_scope(make_engine()) as session:
        if args.campaign is not None:
            get_campaign(session, args.campaign)
        figures = stats(session, year=args.campaign)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0


def cmd_backup(args) -> int:
    from db.backup import backup

    engine = make_engine()
    path = backup(engine, Path(args.path))
    print(f"backup of {describe(engine)} written to {path} ({path.stat().st_size:,} bytes)")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m db", description="Set up and look after the review database. "
                                  "The database is DATABASE_URL, or data/review.db when it is not set.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    from db.campaigns import DEFAULT_SCHEME

    init = command("init", cmd_init, "create or upgrade the schema, load the scheme, create a first admin")
    init.add_argument("--scheme", default=str(DEFAULT_SCHEME), help="scheme file (TOML); default: the 2017 scheme")
    command("upgrade", cmd_upgrade, "upgrade the schema to the newest migration")
    demo = command("demo", cmd_demo, "load a labelled demo dataset (several years)")
    demo.add_argument("--years", type=int, nargs="+", default=[2017, 2018, 2019])
    demo.add_argument("--votes-per-year", type=int, default=100_000)
    demo.add_argument("--seed", type=int, default=20171215)
    demo.add_argument("--if-empty", action="store_true",
                      help="load only when the database holds no reviewers, votes or responses yet")
    command("purge-demo", cmd_purge_demo, "remove exactly the demo rows")
    user = command("create-user", cmd_create_user, "create a staff account")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, help=f"one of: {', '.join(ROLES)}")
    user.add_argument("--unit", help="unit code, for a liaison (e.g. es01)")
    user.add_argument("--display-name", default="")
    user.add_argument("--password-stdin", action="store_true",
                      help="read the password from standard input instead of generating a one-time one")
    stats = command("stats", cmd_stats, "counts of units, reviewers, votes, responses")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.add_argument("--campaign", type=int, metavar="YEAR", help="only this campaign")
    backup = command("backup", cmd_backup, "write a consistent backup while the app runs")
    backup.add_argument("path")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserError as error:
        print(f"error: {error.english()}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
