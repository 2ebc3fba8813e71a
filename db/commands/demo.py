"""`python -m db demo|demo-info|demo-traffic|purge-demo`: the demo, loaded, shown, kept moving, removed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from core.errors import UserError
from db.access import cli_actor
from db.commands.common import base_url_default
from db.engine import make_engine, session_scope


def _invitations_path(args) -> Path:
    from db.demo.invitations import default_path
    from db.engine import database_url

    return Path(args.invitations) if getattr(args, "invitations", None) else default_path(database_url())


def cmd_demo(args) -> int:
    from db.demo.info import demo_state, kept_message
    from db.demo.years import load_demo
    from db.stats import stats

    engine = make_engine()
    if args.if_empty:
        with session_scope(engine) as session:
            figures = stats(session)
            state = demo_state(session)
        if state is not None:
            print(kept_message(state))
            return 0
        if figures["demo_rows"] or figures["reviewers"] or figures["poll_votes"] or figures["responses"]:
            print("the database holds data already: no demo data loaded")
            return 0
    path = _invitations_path(args)
    try:
        summary = load_demo(engine, actor=cli_actor(), years=tuple(args.years) if args.years else None,
                            votes_per_year=args.votes_per_year, seed=args.seed, invitations_path=path,
                            base_url=args.base_url)
    except UserError as error:
        if not args.if_empty:
            raise
        # `make run` goes on without a demo (e.g. the office made this year's campaign already).
        print(f"no demo data loaded: {error.english()}")
        return 0
    rows = sum(summary["rows"].values())
    print(f"demo data loaded: years {', '.join(map(str, summary['years']))}, {rows:,} rows, every one marked "
          "as demo (`python -m db purge-demo` removes exactly these)")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    if path.exists():
        print(f"the demo draw's links and venue codes: {path} (owner-only; the database holds only hashes)")
    return 0


def cmd_demo_info(args) -> int:
    from db.demo.info import what_to_try

    with session_scope(make_engine()) as session:
        print(what_to_try(session, path=_invitations_path(args), base_url=args.base_url))
    return 0


def cmd_demo_traffic(args) -> int:
    from db.demo.traffic import run_traffic
    from db.poll import poll_salt

    def progress(report) -> None:
        if report.events % max(1, round(args.rate)) == 0:
            print(f"{report.events} events: votes {report.votes}, answers {report.answers}, "
                  f"questionnaires submitted {report.submitted}", flush=True)

    print(f"demo traffic for {args.minutes:g} minutes at {args.rate:g} events a minute (Ctrl-C stops it earlier)",
          flush=True)
    try:
        report = run_traffic(make_engine(), actor=cli_actor(), salt=poll_salt(), minutes=args.minutes,
                             rate=args.rate, progress=progress)
    except KeyboardInterrupt:
        print("stopped")
        return 0
    print(f"done: campaign {report.year}, {report.events} events; votes {report.votes}; {report.answers} answers, "
          f"{report.submitted} questionnaires submitted on {report.ballots} demo ballot codes")
    return 0


def cmd_purge_demo(args) -> int:
    from db.demo.invitations import remove
    from db.demo.purge import purge_demo

    counts = purge_demo(make_engine(), actor=cli_actor())
    print("demo rows removed:")
    print(json.dumps(counts, ensure_ascii=False, indent=2))
    path = _invitations_path(args)
    if remove(path):
        print(f"the demo's invitation list {path} was deleted (its links led to the purged demo)")
    return 0


def add_commands(command: Callable) -> None:
    base_url = base_url_default()
    demo = command("demo", cmd_demo, "load a labelled demo dataset: the two years before today (published) and "
                   "today's year, running today")
    demo.add_argument("--years", type=int, nargs="+", default=None,
                      help="consecutive years, oldest first (default: the two before today's and today's)")
    demo.add_argument("--votes-per-year", type=int, default=100_000)
    demo.add_argument("--seed", type=int, default=20171215)
    demo.add_argument("--if-empty", action="store_true",
                      help="load only when the database holds no reviewers, votes or responses yet")
    demo.add_argument("--invitations", metavar="FILE.csv",
                      help="the owner-only list of the demo's links and codes (default: beside the database)")
    demo.add_argument("--base-url", default=base_url, help="the app's address, for the links (default: APP_BASE_URL)")
    demo.add_argument("--json", action="store_true", help="also print the rows written per year")
    info = command("demo-info", cmd_demo_info, "what to try in the demo: poll, reviewer links, venue codes, /live")
    info.add_argument("--invitations", metavar="FILE.csv")
    info.add_argument("--base-url", default=base_url)
    traffic = command("demo-traffic", cmd_demo_traffic,
                      "cast demo votes and questionnaire answers through the visitors' store functions, then stop")
    traffic.add_argument("--minutes", type=float, default=5)
    traffic.add_argument("--rate", type=float, default=60, help="events a minute (a vote, or one unit answered)")
    purge = command("purge-demo", cmd_purge_demo, "remove exactly the demo rows (and the demo's invitation list)")
    purge.add_argument("--invitations", metavar="FILE.csv")
