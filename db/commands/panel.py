"""`python -m db import-pool|export-pool|plan-panel|draw|verify-draw`: the reviewer pool and the panel's draw."""

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


def cmd_plan_panel(args) -> int:
    from db.planning import plan_panel

    with session_scope(make_engine()) as session:
        plan = plan_panel(session, actor=cli_actor(), year=args.campaign, from_year=args.from_year)
    for line in plan_lines(plan, args.campaign):
        print(line)
    return 0


def plan_lines(plan, year: int) -> list[str]:
    """The plan as a table in plain text: one row per size and allocation, then the notes and the advice."""
    groups = list(plan.population)
    categories = list(plan.designs[0].borderline or {})
    head = ["size", "allocation", *groups, "±panel", "±total", *[f"borderline {c}" for c in categories]]
    rows = [[str(d.size), d.allocation, *[str(d.counts[g]) for g in groups], f"{d.panel_half_width:.2f}",
             f"{d.total_half_width:.2f}", *[f"{d.borderline[c]:.1f}" for c in categories]] for d in plan.designs]
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    pool = ", ".join(f"{g} {n}" for g, n in plan.population.items())
    lines = [f"panel plan for {year}; pool: {pool}",
             "90 % half-widths of a unit's panel score and total (points, mean over units); expected borderline "
             f"units per category ({plan.simulations} simulated results)", ""]
    lines += ["  ".join(cell.rjust(w) if k != 1 else cell.ljust(w) for k, (cell, w) in enumerate(zip(row, widths)))
              for row in [head, *rows]]
    lines += ["", "neyman spreads (points): " + ", ".join(f"{g} {s:.1f}" for g, s in plan.spreads.items())]
    lines += [f"note: {_note(note)}" for note in plan.notes]
    lines.append("recommendation: " + _advice(plan))
    return lines


def _note(note: dict) -> str:
    params = {k: v for k, v in note.items() if k != "code"}
    texts = {
        "no_history": "no panel data for {year}: every group's spread assumed {spread:g} points, every reviewer "
                      "answering every unit, nothing but the panel uncertain; no borderline count expected",
        "population_previous": "this year's pool is empty: {year}'s group sizes are used",
        "population_target": "no pool yet: the pool target {target} is split evenly over the groups",
        "spread_filled": "groups with fewer than two answers for a unit last year take the other groups' spread: "
                         "{groups}",
        "new_units": "{count} units have no score from last year and are not counted as borderline",
        "scores_computed": "{year} has no published result: its scores are recomputed from its data",
        "size_impossible": "a panel of {size} is not possible from a pool of {pool}",
    }
    return texts.get(note["code"], note["code"]).format(**params)


def _advice(plan) -> str:
    best = plan.recommended
    text = f"{best.size} {best.allocation}: ±{best.total_half_width:.2f} points on a unit's total " \
           f"(±{best.panel_half_width:.2f} on its panel score)"
    if best.borderline is None:
        return text + " (the planned size; without last year's scores no borderline count can be expected)"
    text += f", {best.borderline_total:.1f} borderline units expected"
    larger = plan.larger
    if larger is not None:
        text += f"; {larger.size} would make it ±{larger.total_half_width:.2f} and {larger.borderline_total:.1f}"
    return text + "; any size can still be drawn"


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
        entries = [personal(name=i.name, group=i.group_code, group_name=i.group_name, token=i.token, link=i.link,
                            phone=i.phone) for i in issued]
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
    from db.draws import read_public_pool

    path = Path(args.pool)
    try:
        pool = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as error:
        raise UserError("draw.bad_pool_file", "cannot read the pool file {path}: {error}", path=str(path),
                        error=str(error)) from None
    pool = read_public_pool(pool)
    try:
        allocation, drawn = sampling.draw_panel(pool, args.n, seed=args.seed, method=args.method,
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
    plan = command("plan-panel", cmd_plan_panel, "before the draw: the precision and borderline units each panel "
                   "size and allocation can expect, from last year's panel and results")
    plan.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    plan.add_argument("--from", type=int, dest="from_year", metavar="YEAR",
                      help="the year whose panel and results stand for this one (default: the year before)")

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
