"""`python -m bench.hall`: the hall day without browsers (see bench/hall/__init__.py); `--curve` for the knee."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.hall.run import plan_from, run_hall, summary


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.hall", description=(
        "Virtual reviewers, citizens and leaders speaking Streamlit's websocket protocol to the app: latency per "
        "interaction, server CPU per interaction, and the store checked afterwards."))
    p.add_argument("--reviewers", type=int, default=200)
    p.add_argument("--citizens", type=int, default=200)
    p.add_argument("--live-viewers", type=int, default=3)
    p.add_argument("--minutes", type=float, default=3.0, help="length of the measuring window (default 3)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--units", type=int, default=37, help="units each reviewer answers (37: all, then submit)")
    p.add_argument("--fresh-start", action="store_true",
                   help="every reviewer starts at unit 1 (default: caught at a seeded stage of the hall)")
    p.add_argument("--no-reload", action="store_true", help="no reload midway")
    p.add_argument("--tap", type=float, nargs=2, default=[2.0, 4.0], metavar=("MIN", "MAX"),
                   help="seconds between two answers (0 0: as fast as the server answers)")
    p.add_argument("--read", type=float, nargs=2, default=[3.0, 8.0], metavar=("MIN", "MAX"),
                   help="seconds before 'next unit'")
    p.add_argument("--vote", type=float, nargs=2, default=[2.0, 6.0], metavar=("MIN", "MAX"),
                   help="seconds between a citizen's taps")
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--replicas", type=int, default=1, help="app processes behind nginx (PostgreSQL when > 1)")
    p.add_argument("--url", help="drive this running deployment instead of starting one")
    p.add_argument("--invitations", type=Path, help="with --url: the invitation list `python -m db draw` wrote")
    p.add_argument("--leader", nargs=2, metavar=("USERNAME", "PASSWORD"),
                   help="with --url: the account the live viewers sign in with")
    p.add_argument("--metrics", nargs="+", metavar="URL",
                   help="with --url: each app process's own address (http://127.0.0.1:8501 ...), whose "
                        "/_review/metrics is read before and after the window and compared with the generator's "
                        "counts (METRICS_TOKEN from the environment is sent as the bearer token)")
    p.add_argument("--curve", action="store_true", help="the knee curve (bench/hall/curve.py) instead of one run")
    p.add_argument("--configs", help="with --curve: some of sqlite,postgresql,replicas2 (default all three)")
    p.add_argument("--redraw", action="store_true", help="with --curve: draw the PNG again from bench/hall_knee.jsonl")
    p.add_argument("--points", help="with --curve: reviewers per point, e.g. 100,200,400 (default 25,50,100,200,400)")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="py-spy every app process over the window (GIL samples, raw stacks: DIR/app0.txt ...)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.url and not args.url.startswith(("http://", "https://")):
        print("--url takes http(s)://host[:port]", file=sys.stderr)
        return 2
    if args.url and args.reviewers and not args.invitations:
        print("--url with reviewers needs --invitations FILE.csv (written by python -m db draw)", file=sys.stderr)
        return 2
    if args.curve:
        from bench.hall.curve import main as curve_main
        return curve_main(args)
    for name, limit in (("reviewers", 2000), ("citizens", 5000), ("live_viewers", 50)):
        if getattr(args, name) > limit:
            print(f"--{name.replace('_', '-')} is bounded at {limit}", file=sys.stderr)
            return 2
    if args.minutes > 60:
        print("--minutes is bounded at 60", file=sys.stderr)
        return 2
    result = run_hall(plan_from(args), url=args.url, invitations=args.invitations,
                      leader=tuple(args.leader) if args.leader else None, metrics=args.metrics,
                      profile=args.profile)
    print(summary(result), file=sys.stderr)
    figures = result.figures()
    if args.json:
        print(json.dumps({"configuration": result.label, "window_s": round(result.window_s, 1),
                          **{k: round(v, 2) for k, v in figures.items()}}))
    for note in result.notes:
        print(f"# {note}", file=sys.stderr)
    if result.problems:
        print("FAILED: " + "\n".join(result.problems), file=sys.stderr)
        return 1
    if not result.notes:
        print("# every acknowledged answer and vote is stored exactly once", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
