"""`python -m db new-campaign|import-units`: the office's own years and units, as on the screens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.errors import UserError
from db.access import cli_actor
from db.engine import make_engine, session_scope


def cmd_new_campaign(args) -> int:
    from db.campaigns import read_scheme, start_campaign
    from db.units import list_units

    scheme = read_scheme(Path(args.scheme)) if args.scheme else None
    with session_scope(make_engine()) as session:
        campaign = start_campaign(session, actor=cli_actor(), year=args.year, copy_from=args.copy_from,
                                  scheme=scheme, empty=args.empty)
        units = len(list_units(session, campaign_id=campaign.id))
        name = campaign.name_zh
    origin = (f"a copy of {args.copy_from}" if args.copy_from else f"the scheme {args.scheme}" if args.scheme
              else "empty (no categories, no units)")
    print(f"campaign {args.year} created from {origin}: {name}, {units} units")
    if not units:
        print(f"next: add categories and units on /units, or `python -m db import-units FILE --campaign {args.year}`")
    return 0


def cmd_import_units(args) -> int:
    from db.campaigns import get_campaign
    from db.units import import_units

    path = Path(args.file)
    if not path.is_file():
        raise UserError("pool.no_file", "no file at {path}", path=str(path))
    with session_scope(make_engine()) as session:
        campaign = get_campaign(session, args.campaign)
        report = import_units(session, actor=cli_actor(), campaign_id=campaign.id, content=path.read_bytes(),
                              filename=path.name)
    print(f"imported {path.name} ({report.encoding}): {report.created} new, {report.updated} updated, "
          f"{report.unchanged} unchanged")
    return 0


def add_commands(command: Callable) -> None:
    new = command("new-campaign", cmd_new_campaign,
                  "start a review year from a copy of a year, a scheme file, or empty (never demo data)")
    new.add_argument("--year", type=int, required=True, metavar="YEAR")
    origin = new.add_mutually_exclusive_group(required=True)
    origin.add_argument("--copy-from", type=int, metavar="YEAR", help="copy this year's structure and settings")
    origin.add_argument("--scheme", metavar="FILE", help="a scheme file (TOML, like db/schemes/2017.toml)")
    origin.add_argument("--empty", action="store_true",
                        help="default dimensions, reviewer groups and settings; no categories, no units")
    units = command("import-units", cmd_import_units,
                    "import a unit list (.xlsx or .csv: code, name, category), all or nothing")
    units.add_argument("file")
    units.add_argument("--campaign", type=int, required=True, metavar="YEAR")
