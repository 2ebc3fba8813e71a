"""`python -m db score|publish|export-results|export-feedback|objections`: results and what is sent out from them."""

from __future__ import annotations

import json
from pathlib import Path

from db.access import cli_actor
from db.engine import make_engine, session_scope

ZIP_NAME = "评议意见反馈函-{year}.zip"
GRADE_MARKS = {"excellent": "excellent", "qualified": "qualified", "unqualified": "UNQUALIFIED"}


def _scoring_json(year: int, scoring, version: int | None) -> dict:
    return {"campaign": year, "version": version, "status": "provisional" if version else "not stored",
            "input_hash": scoring.input_hash, "notes": scoring.config["notes"],
            "config": {k: scoring.config[k] for k in ("engine", "bootstrap_replicates", "interval_method",
                                                        "weight_draws", "as_of", "population", "rules")},
            "units": [{"code": u.code, "name": u.name, "category": u.category, "total": u.total,
                       "components": u.components, "grade": u.grade, "rank": u.rank, "score_low": u.score_low,
                       "score_high": u.score_high, "rank_low": u.rank_low, "rank_high": u.rank_high,
                       "borderline": u.borderline, "notes": u.explanation["notes"]} for u in scoring.units]}


def _table(year: int, scoring, version: int | None) -> None:
    stored = f"stored as provisional version {version}" if version else "not stored (add --save to keep it)"
    print(f"campaign {year}: provisional results, {stored}")
    print(f"input SHA-256: {scoring.input_hash}")
    print(f"bootstrap replicates {scoring.config['bootstrap_replicates']} "
          f"(90 % intervals: {scoring.config['interval_method'] or 'none'}), weight draws "
          f"{scoring.config['weight_draws']}, media deadlines judged on {scoring.config['as_of']}")
    for note in scoring.notes:
        print("note: " + ", ".join(f"{k}={v}" for k, v in note.items()))
    category = None
    for unit in sorted(scoring.units, key=lambda u: (list(dict.fromkeys(x.category for x in scoring.units))
                                                     .index(u.category), u.rank)):
        if unit.category != category:
            category = unit.category
            print(f"\n[{category}]")
            print(f"{'rank':>4} {'code':<6} {'total':>7} {'90% interval':>17} {'rank 5-95%':>10}  grade")
        interval = f"{unit.score_low:.2f}-{unit.score_high:.2f}" if unit.score_low is not None else "—"
        ranks = f"{unit.rank_low}-{unit.rank_high}" if unit.rank_low is not None else "—"
        mark = " borderline" if unit.borderline else ""
        print(f"{unit.rank:>4} {unit.code:<6} {unit.total:7.2f} {interval:>17} {ranks:>10}  "
              f"{GRADE_MARKS[unit.grade]}{mark}  {unit.name}")


def cmd_score(args) -> int:
    from db.campaigns import get_campaign
    from db.scoring import compute, score_campaign

    with session_scope(make_engine()) as session:
        campaign = get_campaign(session, args.campaign)
        version = None
        if args.save:
            result = score_campaign(session, campaign.id, cli_actor(), replicates=args.replicates, draws=args.draws)
            version = result.version
        scoring = compute(session, campaign.id, replicates=args.replicates, draws=args.draws)
    if args.json:
        print(json.dumps(_scoring_json(args.campaign, scoring, version), ensure_ascii=False))
    else:
        _table(args.campaign, scoring, version)
    return 0


def cmd_publish(args) -> int:
    from core.errors import NotFound
    from db.campaigns import get_campaign
    from db.models import Result
    from db.scoring import publish

    with session_scope(make_engine()) as session:
        campaign = get_campaign(session, args.campaign)
        from sqlmodel import select

        result = session.exec(select(Result).where(Result.campaign_id == campaign.id,
                                                   Result.version == args.version)).first()
        if result is None:
            raise NotFound("scoring.no_version", "campaign {year} has no result version {version}",
                           year=args.campaign, version=args.version)
        publish(session, result.id, cli_actor(), override_reason=args.override_reason)
        print(f"campaign {args.campaign}: version {args.version} published (input SHA-256 {result.input_hash})")
    return 0


def cmd_export_results(args) -> int:
    from core.errors import NotFound
    from db.campaigns import get_campaign
    from db.scoring import latest_result, result_document
    from documents.circular import circular_bytes
    from documents.workbook import workbook_bytes

    with session_scope(make_engine()) as session:
        campaign = get_campaign(session, args.campaign)
        result = latest_result(session, campaign.id, published_only=not args.provisional)
        if result is None:
            raise NotFound("scoring.nothing_to_export", "campaign {year} has no published result "
                           "(use --provisional for the newest version)", year=args.campaign)
        document = result_document(session, result.id)
    if args.xlsx:
        Path(args.xlsx).write_bytes(workbook_bytes(document))
        print(f"workbook of version {document.version} written to {args.xlsx}")
    if args.docx:
        Path(args.docx).write_bytes(circular_bytes(document))
        print(f"circular draft of version {document.version} written to {args.docx}")
    return 0


def cmd_export_feedback(args) -> int:
    from db.campaigns import get_campaign
    from db.feedback import feedback_letters, letters_zip

    with session_scope(make_engine()) as session:
        campaign = get_campaign(session, args.campaign)
        letters = feedback_letters(session, actor=cli_actor(), campaign_id=campaign.id)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in letters:
        (out / name).write_bytes(content)
    archive = out / ZIP_NAME.format(year=args.campaign)
    archive.write_bytes(letters_zip(letters))
    print(f"{len(letters)} feedback letters of {args.campaign} written to {out}, and all of them in {archive.name}")
    return 0


def cmd_objections(args) -> int:
    from db.campaigns import get_campaign
    from db.objections import list_objections, objections_csv, periods
    from db.private_files import write_owner_only

    actor = cli_actor()
    with session_scope(make_engine()) as session:
        campaign = get_campaign(session, args.campaign)
        found = periods(session, actor=actor, campaign_id=campaign.id)
        rows = list_objections(session, actor=actor, campaign_id=campaign.id)
    if not found:
        print(f"campaign {args.campaign}: no result was posted for objections")
    for p in reversed(found):
        print(f"campaign {args.campaign}: version {p.version} posted {p.opens_on} to {p.closes_on} "
              f"({p.working_days} working days{', running' if p.running else ''}) by {p.opened_by}: "
              f"{p.received} objections, {p.upheld} upheld, {p.dismissed} dismissed, {p.unruled} awaiting a ruling")
    for r in reversed(rows):
        print(f"#{r.id} v{r.version} {r.unit_code} {r.item_kind}{' ' + r.item_ref if r.item_ref else ''} "
              f"filed {r.filed_at:%Y-%m-%d} by {r.filed_by}, {len(r.files)} files: {r.state}"
              + (f" by {r.ruled_by} on {r.ruled_at:%Y-%m-%d}: {r.ruling_reason}" if r.ruled_at else ""))
    if args.csv:
        write_owner_only(Path(args.csv), objections_csv(rows).encode("utf-8"), replace=True)
        print(f"{len(rows)} objections written to {args.csv}")
    return 0


def cmd_export_bundle(args) -> int:
    from db.bundles import bundle_for

    with session_scope(make_engine()) as session:
        download = bundle_for(session, actor=cli_actor(), year=args.campaign, version=args.version)
    Path(args.out).write_bytes(download.content)
    print(f"verification bundle of {args.campaign} version {download.version} written to {args.out} "
          f"(SHA-256 {download.sha256}); check it with: python -m core.verify {args.out}")
    return 0


def add_commands(command) -> None:
    score = command("score", cmd_score, "compute and print the provisional results of a campaign")
    score.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    score.add_argument("--json", action="store_true", help="one JSON object")
    score.add_argument("--save", action="store_true", help="also store them as a new provisional version")
    score.add_argument("--replicates", type=int, help="bootstrap replicates (default: the campaign setting)")
    score.add_argument("--draws", type=int, help="weight draws (default: the campaign setting)")
    publish = command("publish", cmd_publish, "publish a stored provisional version (frozen from then on)")
    publish.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    publish.add_argument("--version", type=int, required=True)
    publish.add_argument("--override-reason", metavar="TEXT",
                         help="publish although the objection period runs or objections await a ruling (audited)")
    export = command("export-results", cmd_export_results, "write the results workbook and/or circular draft")
    export.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    export.add_argument("--xlsx", metavar="FILE.xlsx")
    export.add_argument("--docx", metavar="FILE.docx")
    export.add_argument("--provisional", action="store_true", help="the newest version even if not published")
    feedback = command("export-feedback", cmd_export_feedback,
                     "write every unit's feedback letter (Word, one per unit) and a zip of them all")
    feedback.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    feedback.add_argument("--out", required=True, metavar="DIR", help="folder for the letters (created if missing)")
    objections = command("objections", cmd_objections,
                         "list a campaign's objection periods and objections with their rulings, for the record")
    objections.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    objections.add_argument("--csv", metavar="FILE", help="also write them to a CSV file (UTF-8, owner only)")
    bundle = command("export-bundle", cmd_export_bundle,
                     "write a result version's verification bundle (check it with python -m core.verify)")
    bundle.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    bundle.add_argument("--out", required=True, metavar="FILE.zip")
    bundle.add_argument("--version", type=int, help="default: the newest published version")
