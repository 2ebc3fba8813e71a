"""`python -m db import-pool|export-pool|draw|verify-draw`: the reviewer pool and the panel's draw."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.errors import UserError
from db.access import cli_actor
from db.commands.common import base_url_default
from db.engine import make_engine, session_scope


def cmd_import_pool(args) -> int:
    from db.campaigns import get_campaign
    from db.reviewer_pool import import_pool, pool_counts

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
    from db.draws import create_draw, issue_invitations
    from db.private_files import write_owner_only
    from documents.invitation_list import personal, to_csv

    target = Path(args.invitations)
    if target.exists():
        raise UserError("draw.invitations_exist", "{path} exists already; choose a new file name", path=str(target))
    with session_scope(make_engine()) as session:
        stored = create_draw(session, actor=cli_actor(), year=args.campaign, seed=args.seed, n=args.n,
                             method=args.method, minimum=args.minimum, sd=_parse_sd(args.sd),
                             seed_source=args.seed_source, supersede_reason=args.supersede_reason)
        issued = issue_invitations(session, actor=cli_actor(), draw_id=stored.id, base_url=args.base_url)
        entries = [personal(name=i.name, group=i.group_code, group_name=i.group_name, token=i.token, link=i.link)
                   for i in issued]
        # Written inside the transaction: if the file cannot be written, no draw is stored either. Owner-only:
        # whoever reads it can answer as these reviewers.
        write_owner_only(target, to_csv(entries))
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


def add_commands(command: Callable) -> None:
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
    draw.add_argument("--base-url", default=base_url_default(),
                      help="the app's public address, for the links (default: APP_BASE_URL)")
    draw.add_argument("--seed-source", default="", help="where the seed comes from, e.g. a lottery draw and date")
    draw.add_argument("--supersede-reason", default="", help="needed when the campaign has a draw already")
    verify = command("verify-draw", cmd_verify_draw, "reproduce a draw from a published pool file and the seed")
    verify.add_argument("--pool", required=True, metavar="FILE", help="the published pool file (id, group)")
    draw_options(verify, n_default=200)
