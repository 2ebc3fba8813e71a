"""`python -m db COMMAND`: set up and look after the database from a terminal.

Every refusal prints one clear line (or a list of problems) on stderr and exits
non-zero; nothing is half-written, since each command runs in one transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from core.clock import TODAY_ENV, set_today_from
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


def _invitations_path(args) -> Path:
    from db.demo_today.invitations import default_path
    from db.engine import database_url

    return Path(args.invitations) if getattr(args, "invitations", None) else default_path(database_url())


def cmd_demo(args) -> int:
    from db.demo import load_demo
    from db.demo_today.info import demo_state, kept_message
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
    from db.demo_today.info import what_to_try

    with session_scope(make_engine()) as session:
        print(what_to_try(session, path=_invitations_path(args), base_url=args.base_url))
    return 0


def cmd_demo_traffic(args) -> int:
    from db.demo_today.traffic import run_traffic
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
    from db.demo import purge_demo
    from db.demo_today.invitations import remove

    counts = purge_demo(make_engine(), actor=cli_actor())
    print("demo rows removed:")
    print(json.dumps(counts, ensure_ascii=False, indent=2))
    path = _invitations_path(args)
    if remove(path):
        print(f"the demo's invitation list {path} was deleted (its links led to the purged demo)")
    return 0


def cmd_check_tallies(args) -> int:
    """Compare the dashboards' tallies with the raw rows; with --rebuild, recount the campaigns that differ."""
    from db import tallies
    from db.audit import record

    with session_scope(make_engine()) as session:
        found = tallies.check_all(session)
        for campaign_id, differences in found.items():
            print(f"campaign {campaign_id}: {len(differences)} tally rows differ from the raw rows")
            for d in differences[:20]:
                print(f"  {d.table} {d.key}: tally {d.tally}, raw {d.raw}")
        if not found:
            print("tallies agree with the raw rows")
            return 0
        if not args.rebuild:
            print("run with --rebuild to recount them")
            return EXIT_REFUSED
        for campaign_id in found:
            tallies.rebuild(session, campaign_id)
        record(session, actor=cli_actor(), action="tallies.rebuild", entity="tallies",
               after={"campaigns": sorted(found), "rows": sum(len(d) for d in found.values())})
    print(f"recounted {len(found)} campaigns")
    return 0


def cmd_create_user(args) -> int:
    from core import passwords
    from db.users import create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        one_time = False
    else:
        password = passwords.one_time_password(args.username.strip())
        one_time = True
    with session_scope(make_engine()) as session:
        user = create_user(session, actor=cli_actor(), username=args.username, role=args.role, password=password,
                           display_name=args.display_name, unit_code=args.unit, must_change_password=one_time)
    unit = f" for unit {user.unit_code}" if user.unit_code else ""
    print(f"user {user.username!r} created with role {user.role}{unit}")
    if one_time:
        print(f"one-time password (shown only now; a new one is asked at first sign-in): {password}")
    return 0


def cmd_display_link(args) -> int:
    """Create (prints the URL, once), revoke or list the read-only /live links of wall screens."""
    from core.clock import to_office, utcnow
    from db.signin import display_links

    with session_scope(make_engine()) as session:
        if args.revoke is not None:
            display_links.revoke_display_link(session, actor=cli_actor(), link_id=args.revoke)
            print(f"display link {args.revoke} revoked: its screen says so at its next refresh")
            return 0
        if args.list:
            now = utcnow()
            for link in display_links.list_display_links(session, actor=cli_actor()):
                print(f"{link.id}\t{link.year}\t{link.state(now)}\texpires {to_office(link.expires_at):%Y-%m-%d %H:%M}"
                      f"\t{link.label}")
            return 0
        if args.campaign is None:
            raise UserError("signin.display_campaign", "give --campaign YEAR to create a link (or --revoke ID, --list)")
        created = display_links.create_display_link(session, actor=cli_actor(), year=args.campaign, days=args.days,
                                                    label=args.label, base_url=args.base_url)
    print(f"display link {created.id} for /live of {created.year}, valid until "
          f"{to_office(created.expires_at):%Y-%m-%d %H:%M} (Beijing time). Shown only now; only its hash is stored:")
    print(created.url)
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


def cmd_restore(args) -> int:
    from db.backup import restore
    from db.migrate import head

    engine = make_engine()
    report = restore(engine, Path(args.path), force=args.force)
    print(f"{args.path} restored into {describe(engine)}: {report.tables} tables, "
          f"{report.rows_replaced:,} earlier rows replaced; schema {report.revision}")
    if report.revision != head():
        print("the backup has an older schema: run `python -m db upgrade` before starting the app")
    return 0


def cmd_import_pool(args) -> int:
    from db.campaigns import get_campaign
    from db.pool import import_pool, pool_counts

    path = Path(args.file)
    if not path.is_file():
        raise UserError("pool.no_file", "no file at {path}", path=str(path))
    with session_scope(make_engine()) as session:
        report = import_pool(session, actor=cli_actor(), year=args.campaign, content=path.read_bytes(),
                             filename=path.name)
        counts = pool_counts(session, campaign_id=get_campaign(session, args.campaign).id)
    print(f"imported {path.name} ({report.encoding}): {report.created} new, {report.updated} updated, "
          f"{report.unchanged} unchanged")
    for notice in report.notices:
        print(f"note: {notice.english()}")
    by_group = ", ".join(f"{code} {n}" for code, n in counts.items())
    print(f"pool by group: {by_group} (total {sum(counts.values())})")
    return 0


def cmd_export_pool(args) -> int:
    from db.campaigns import get_campaign
    from db.draws import public_pool_csv

    with session_scope(make_engine()) as session:
        content = public_pool_csv(session, campaign_id=get_campaign(session, args.campaign).id)
    Path(args.file).write_bytes(content)
    print(f"pool file for verification written to {args.file} (pool member number and group only)")
    return 0


def _parse_sd(values: list[str] | None) -> dict[str, float] | None:
    if not values:
        return None
    sd = {}
    for item in values:
        group, _, value = item.partition("=")
        try:
            sd[group.strip()] = float(value)
        except ValueError:
            raise UserError("draw.bad_sd", "--sd takes GROUP=NUMBER, not {item!r}", item=item) from None
    return sd


def cmd_draw(args) -> int:
    import csv
    import io

    from db.draws import create_draw, issue_invitations

    target = Path(args.invitations)
    if target.exists():
        raise UserError("draw.invitations_exist", "{path} exists already; choose a new file name", path=str(target))
    with session_scope(make_engine()) as session:
        stored = create_draw(session, actor=cli_actor(), year=args.campaign, seed=args.seed, n=args.n,
                             method=args.method, minimum=args.minimum, sd=_parse_sd(args.sd),
                             seed_source=args.seed_source, supersede_reason=args.supersede_reason)
        issued = issue_invitations(session, actor=cli_actor(), draw_id=stored.id, base_url=args.base_url)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["name", "group", "group_name", "link"])
        for invitation in issued:
            writer.writerow([invitation.name, invitation.group_code, invitation.group_name, invitation.link])
        # Written inside the transaction: if the file cannot be written, no draw is stored either.
        target.write_text(buffer.getvalue(), encoding="utf-8-sig")
    print(f"draw {stored.id} stored: seed SHA-256 {stored.seed_sha256}, pool hash {stored.pool_hash}")
    print("allocation: " + ", ".join(f"{code} {n}" for code, n in stored.allocation.items()) + f" (n = {stored.n})")
    print(f"{len(issued)} invitations written to {target}: the only copy of their links; keep it safe")
    return 0


def cmd_verify_draw(args) -> int:
    import pandas as pd

    from core import sampling

    path = Path(args.pool)
    try:
        pool = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as error:
        raise UserError("draw.bad_pool_file", "cannot read the pool file {path}: {error}", path=str(path),
                        error=str(error)) from None
    if not {"id", "group"} <= set(pool.columns):
        raise UserError("draw.pool_columns", "the pool file needs the columns id and group")
    try:
        allocation, drawn = sampling.draw_panel(pool[["id", "group"]], args.n, seed=args.seed, method=args.method,
                                                minimum=args.minimum, sd=_parse_sd(args.sd))
    except (ValueError, TypeError) as error:
        raise UserError("draw.impossible", "the draw cannot be made: {reason}", reason=str(error)) from None
    print(f"seed SHA-256: {sampling.seed_digest(args.seed)}")
    print(f"pool hash:   {sampling.pool_hash(pool[['id', 'group']])}  ({len(pool)} people)")
    print(f"algorithm:   {sampling.ALGORITHM_VERSION}, {args.method}, minimum {args.minimum}")
    print("allocation:  " + ", ".join(f"{code} {n}" for code, n in allocation.items()))
    print("group,draw_order,id")
    for row in drawn.itertuples():
        print(f"{row.group},{row.draw_order},{row.id}")
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
    base_url = os.environ.get("APP_BASE_URL", "http://localhost:8501")
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
    check = command("check-tallies", cmd_check_tallies,
                    "compare the dashboards' maintained tallies with the raw votes and answers")
    check.add_argument("--rebuild", action="store_true", help="recount the campaigns whose tallies differ")
    user = command("create-user", cmd_create_user, "create a staff account")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, help=f"one of: {', '.join(ROLES)}")
    user.add_argument("--unit", help="unit code, for a liaison (e.g. es01)")
    user.add_argument("--display-name", default="")
    user.add_argument("--password-stdin", action="store_true",
                      help="read the password from standard input instead of generating a one-time one")
    link = command("display-link", cmd_display_link,
                   "create a read-only /live link for a wall screen (prints the URL), or revoke or list them")
    link.add_argument("--campaign", type=int, metavar="YEAR", help="the campaign whose live screen it shows")
    link.add_argument("--days", type=int, default=30, help="how long the link is valid (default 30)")
    link.add_argument("--label", default="", help="a note, e.g. the room of the screen")
    link.add_argument("--base-url", default=os.environ.get("APP_BASE_URL", "http://localhost:8501"),
                      help="the app's public address (default: APP_BASE_URL)")
    link.add_argument("--revoke", type=int, metavar="ID", help="revoke this link instead")
    link.add_argument("--list", action="store_true", help="list the links (never their tokens)")
    stats = command("stats", cmd_stats, "counts of units, reviewers, votes, responses")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.add_argument("--campaign", type=int, metavar="YEAR", help="only this campaign")
    backup = command("backup", cmd_backup, "write a consistent backup while the app runs")
    backup.add_argument("path")
    restore = command("restore", cmd_restore, "replace the database's content with a backup (checked first; all or "
                      "nothing); stop the app first")
    restore.add_argument("path")
    restore.add_argument("--force", action="store_true", help="needed when the database holds data already")
    imp = command("import-pool", cmd_import_pool, "import the reviewer pool (.xlsx or .csv), all or nothing")
    imp.add_argument("file")
    imp.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    exp = command("export-pool", cmd_export_pool, "write the pool file to publish before a draw (number, group)")
    exp.add_argument("file")
    exp.add_argument("--campaign", type=int, required=True, metavar="YEAR")

    def draw_options(sub, *, n_default):
        sub.add_argument("--seed", required=True)
        sub.add_argument("--n", type=int, default=n_default, help="panel size")
        sub.add_argument("--method", choices=["proportional", "neyman"], default="proportional")
        sub.add_argument("--minimum", type=int, default=2, help="at least this many per group")
        sub.add_argument("--sd", nargs="+", metavar="GROUP=SD", help="standard deviations per group, for neyman")

    draw = command("draw", cmd_draw, "draw the panel, store it and write the invitation list")
    draw.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    draw_options(draw, n_default=None)
    draw.add_argument("--invitations", required=True, metavar="FILE.csv", help="where to write the personal links")
    draw.add_argument("--base-url", default=os.environ.get("APP_BASE_URL", "http://localhost:8501"),
                      help="the app's public address, for the links (default: APP_BASE_URL)")
    draw.add_argument("--seed-source", default="", help="where the seed comes from, e.g. a lottery draw and date")
    draw.add_argument("--supersede-reason", default="", help="needed when the campaign has a draw already")
    verify = command("verify-draw", cmd_verify_draw, "reproduce a draw from a published pool file and the seed")
    verify.add_argument("--pool", required=True, metavar="FILE", help="the published pool file (id, group)")
    draw_options(verify, n_default=200)
    from db.scoring_cli import add_commands as scoring_commands

    scoring_commands(command)
    from db.feedback_cli import add_commands as feedback_commands

    feedback_commands(command)

    from db.complaints.cli import add_commands as complaint_commands

    complaint_commands(command)
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


if __name__ == "__main__":
    sys.exit(main())
