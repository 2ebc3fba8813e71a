"""`python -m db export-feedback`: every unit's feedback letter from a terminal (registered by db.__main__)."""

from __future__ import annotations

from pathlib import Path

from db.access import cli_actor
from db.engine import make_engine, session_scope

ZIP_NAME = "评议意见反馈函-{year}.zip"


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


def add_commands(command) -> None:
    export = command("export-feedback", cmd_export_feedback,
                     "write every unit's feedback letter (Word, one per unit) and a zip of them all")
    export.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    export.add_argument("--out", required=True, metavar="DIR", help="folder for the letters (created if missing)")
