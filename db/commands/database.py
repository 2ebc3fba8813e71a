"""`python -m db init|upgrade|check-tallies|create-user|display-link|stats|backup|restore|doctor`: the database
itself, and the check of a server before the hall."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from core.errors import UserError
from core.roles import ROLES
from db.access import cli_actor
from db.commands.common import EXIT_REFUSED, base_url_default
from db.doctor import ENV_FILE
from db.engine import describe, make_engine, session_scope


def cmd_init(args) -> int:
    from db.bootstrap import init_database

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
    from db.bootstrap import reachable

    engine = make_engine()
    reachable(engine)
    before = migrate.current(engine)
    migrate.upgrade(engine)
    print(f"schema: {before or 'empty'} -> {migrate.current(engine)}")
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
    from db.backup import backup, backup_into

    if (args.path is None) == (args.into is None):
        raise UserError("backup.path_or_folder", "give either a file name or --into FOLDER")
    engine = make_engine()
    if args.into is not None:
        path, removed = backup_into(engine, Path(args.into))
    else:
        path, removed = backup(engine, Path(args.path)), []
    print(f"backup of {describe(engine)} written to {path} ({path.stat().st_size:,} bytes)")
    for name in removed:
        print(f"removed {name} (older than 14 days and not the last of its month)")
    return 0


def cmd_restore(args) -> int:
    from db.backup import check_restore, latest_backup, restore
    from db.migrate import head

    engine = make_engine()
    if args.check:
        path = Path(args.path)
        if path.is_dir():
            found = latest_backup(path)
            if found is None:
                raise UserError("backup.none_in_folder", "no dated backup in {folder}", folder=str(path))
            path = found[0]
        checked = check_restore(engine, path)
        print(f"{path} restores: {checked.tables} tables, {checked.rows:,} rows, schema {checked.revision} "
              f"(into a scratch database, dropped again; {describe(engine)} was not touched)")
        return 0
    if args.force and Path(args.path).is_dir():
        raise UserError("backup.no_file", "no backup file at {path}", path=args.path)
    report = restore(engine, Path(args.path), force=args.force)
    print(f"{args.path} restored into {describe(engine)}: {report.tables} tables, "
          f"{report.rows_replaced:,} earlier rows replaced; schema {report.revision}")
    if report.revision != head():
        print("the backup has an older schema: run `python -m db upgrade` before starting the app")
    return 0


def cmd_doctor(args) -> int:
    from db.doctor import examine, from_env_file

    deployment = from_env_file(Path(args.env_file), url=args.url, backups=args.backups, invitations=args.invitations,
                               proxies=args.proxies, ca_file=args.ca_file, campaign=args.campaign)
    findings = examine(deployment)
    for finding in findings:
        print(finding.line())
    faults = sum(not finding.ok for finding in findings)
    print(f"{faults} fault(s)" if faults else "no faults: ready")
    return EXIT_REFUSED if faults else 0


def add_setup_commands(command: Callable) -> None:
    from db.campaigns import DEFAULT_SCHEME

    init = command("init", cmd_init, "create or upgrade the schema, load the scheme, create a first admin")
    init.add_argument("--scheme", default=str(DEFAULT_SCHEME), help="scheme file (TOML); default: the 2017 scheme")
    command("upgrade", cmd_upgrade, "upgrade the schema to the newest migration")


def add_upkeep_commands(command: Callable) -> None:
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
    link.add_argument("--base-url", default=base_url_default(),
                      help="the app's public address (default: APP_BASE_URL)")
    link.add_argument("--revoke", type=int, metavar="ID", help="revoke this link instead")
    link.add_argument("--list", action="store_true", help="list the links (never their tokens)")
    stats = command("stats", cmd_stats, "counts of units, reviewers, votes, responses")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.add_argument("--campaign", type=int, metavar="YEAR", help="only this campaign")
    backup = command("backup", cmd_backup, "write a consistent backup while the app runs")
    backup.add_argument("path", nargs="?", help="a new file")
    backup.add_argument("--into", metavar="FOLDER", help="a new dated file in FOLDER, then keep only the last 14 days "
                        "and the last backup of each month there (the backup timer)")
    restore = command("restore", cmd_restore, "replace the database's content with a backup (checked first; all or "
                      "nothing); stop the app first")
    restore.add_argument("path", help="a backup file (with --check also a folder: its newest backup)")
    restore.add_argument("--force", action="store_true", help="needed when the database holds data already")
    restore.add_argument("--check", action="store_true", help="only restore it into a scratch database and count "
                         "what came back; the database itself is not touched")
    doctor = command("doctor", cmd_doctor, "check a server before the hall: salts, proxy, HTTPS, database, backups, "
                     "disk, clock, campaign, invitation lists; exit 1 on any fault")
    doctor.add_argument("--env-file", default=str(ENV_FILE), help=f"the replicas' environment (default {ENV_FILE}); "
                        "replica-PORT.env files beside it are read too")
    doctor.add_argument("--url", help="the public address (default: APP_BASE_URL of the environment file)")
    doctor.add_argument("--backups", metavar="FOLDER", help="the backup folder (default: BACKUP_DIR)")
    doctor.add_argument("--invitations", metavar="PATH", action="append",
                        help="a folder or file of invitation lists (default: INVITATIONS_DIR); repeatable")
    doctor.add_argument("--proxies", type=int, default=1, help="reverse proxies in front of the replicas (default 1: "
                        "nginx)")
    doctor.add_argument("--ca-file", help="the certificate authority that signed the server's certificate (an "
                        "office's own CA; default: the system's)")
    doctor.add_argument("--campaign", type=int, metavar="YEAR", help="the campaign of the hall (default: the newest)")
