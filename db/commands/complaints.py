"""`python -m db posters` and `python -m db erase-complaint-phones` (the complaint loop's commands)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from db.access import cli_actor
from db.engine import make_engine, session_scope


def cmd_posters(args) -> int:
    from db.complaints.posters import posters_pdf, unit_posters

    with session_scope(make_engine()) as s:
        content = posters_pdf(s, actor=cli_actor(), year=args.campaign, base_url=args.base_url, place=args.place,
                              source=args.src, lang=args.lang)
        count = len(unit_posters(s, actor=cli_actor(), year=args.campaign, base_url=args.base_url, source=args.src))
    Path(args.out).write_bytes(content)
    print(f"{count} posters written to {args.out} ({len(content):,} bytes); they link to "
          f"{args.base_url.rstrip('/')}/poll?unit=…&src={args.src.upper()}")
    return 0


def cmd_erase_phones(args) -> int:
    """Run from cron or a systemd timer too: a database that cannot be reached is one line on stderr, exit 1."""
    from db.complaints.handling import erase_phones
    from db.engine import as_user_errors

    with as_user_errors(), session_scope(make_engine()) as s:
        erased = erase_phones(s, actor=cli_actor())
    print(f"{erased} call-back numbers erased")
    return 0


def add_commands(command: Callable) -> None:
    posters = command("posters", cmd_posters, "print every unit's window QR poster (A4 PDF, one page per unit)")
    posters.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    posters.add_argument("--out", required=True, metavar="FILE.pdf")
    posters.add_argument("--place", default="",
                         help="a place label printed on every poster, e.g. 政务服务大厅 3 号窗口")
    posters.add_argument("--src", default="POSTER", help="the poster code stored with each vote (letters, digits, "
                         "- or _), e.g. HALL3; default POSTER")
    posters.add_argument("--base-url", default=os.environ.get("APP_BASE_URL", "http://localhost:8501"),
                         help="the app's public address, for the QR codes (default: APP_BASE_URL)")
    posters.add_argument("--lang", choices=["zh", "en"], default="zh")
    command("erase-complaint-phones", cmd_erase_phones,
            "erase the call-back numbers that are due: complaints.phone_erase_days after a complaint is finished, "
            "complaints.phone_max_days after it was filed in any state (audited; safe to run twice or from cron)")
