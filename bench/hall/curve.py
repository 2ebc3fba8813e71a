"""The knee curve: reviewers (with as many citizens) against tap latency, for the three configurations.

`python -m bench.hall --curve [--minutes M] [--points 25,50,100,200,400] [--configs replicas2,replicas4,replicas6]`
(also sqlite, postgresql: one process). Memory per replica (peak resident) is reported beside each point.
Each point is its own short run on a fresh stage (the whole curve must fit in about twenty minutes on this
2-CPU machine, so a point is --minutes long, 0.75 by default). Printed as a table, written as JSON lines and drawn
as bench/hall_knee.png (p95 against reviewers, one line per configuration; plotly + kaleido on /usr/bin/chromium).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path

from bench.hall.run import Plan, Result, plan_from, run_hall

HERE = Path(__file__).resolve().parent
PNG = HERE.parent / "hall_knee.png"
DATA = HERE.parent / "hall_knee.jsonl"  # the last curve's figures, one JSON object per point
POINTS = (25, 50, 100, 200, 400)
CONFIGS = {"sqlite": ("sqlite", 1), "postgresql": ("postgresql", 1), "replicas2": ("postgresql", 2),
           "replicas4": ("postgresql", 4), "replicas6": ("postgresql", 6)}
# The default curve: replicas per core as its dimension (1, 2 and 3 per core on a 2-CPU machine); the single
# processes (sqlite, postgresql) are measured on request (--configs), their knee being far below.
DEFAULT_CONFIGS = ("replicas2", "replicas4", "replicas6")
TARGET_P95_MS = 250


def knee(points: list[tuple[int, float, int]]) -> int:
    """The largest number of reviewers held at p95 <= 250 ms without failures, counting up from the smallest
    (a point beyond the first miss does not count: the curve is not monotone in noise)."""
    held = 0
    for reviewers, p95, failures in sorted(points):
        if p95 <= TARGET_P95_MS and failures == 0:
            held = reviewers
        else:
            break
    return held


def run_curve(base: Plan, points=POINTS, configs=DEFAULT_CONFIGS, log=print) -> dict[str, list[Result]]:
    results: dict[str, list[Result]] = {}
    for name in configs:
        database, replicas = CONFIGS[name]
        for reviewers in points:
            plan = replace(base, reviewers=reviewers, citizens=reviewers, database=database, replicas=replicas)
            try:
                result = run_hall(plan)
            except Exception as error:  # a configuration that cannot start is a row of its own, not the end
                log(f"# {name} {reviewers}: {type(error).__name__}: {error}")
                continue
            results.setdefault(name, []).append(result)
            f = result.figures()
            log(json.dumps(rows_of({name: [result]})[0]), flush=True)
            if f["tap_p95_ms"] > 4 * TARGET_P95_MS:  # far past the knee: larger points only measure a queue
                log(f"# {name}: p95 {f['tap_p95_ms']:.0f} ms at {reviewers} reviewers; larger points skipped")
                break
    return results


def table(results: dict[str, list[Result]]) -> str:
    lines = [f"{'configuration':<40} {'per core':>8} {'reviewers':>9} {'p50':>7} {'p95':>7} {'p99':>7} "
             f"{'30s p95':>7} {'loop95':>6} {'cpu/int':>8} {'int/s':>6} {'MB/rep':>6} {'fail':>5} {'lost':>5}"]
    for runs in results.values():
        for r in runs:
            f = r.figures()
            lines.append(f"{r.label:<40} {f['replicas_per_core']:>8g} {r.plan.reviewers:>9} {f['tap_p50_ms']:>7.0f} "
                         f"{f['tap_p95_ms']:>7.0f} {f['tap_p99_ms']:>7.0f} {f['burst_tap_p95_ms']:>7.0f} "
                         f"{f['server_loop_p95_ms']:>6.0f} {f['cpu_ms_per_interaction']:>8.1f} "
                         f"{f['interactions_per_s']:>6.1f} {f['memory_mb_per_replica']:>6.0f} "
                         f"{f['failures']:>5} {f['lost_or_duplicated']:>5}")
    return "\n".join(lines)


def knees(results: dict[str, list[Result]]) -> dict[str, int]:
    return {runs[0].label: knee([(r.plan.reviewers, r.figures()["tap_p95_ms"], r.figures()["failures"])
                                 for r in runs]) for runs in results.values() if runs}


def rows_of(results: dict[str, list[Result]]) -> list[dict]:
    return [{"configuration": r.label, "reviewers": r.plan.reviewers, "citizens": r.plan.citizens,
             "minutes": r.plan.minutes, "window_s": round(r.window_s),
             **{k: round(v, 1) for k, v in r.figures().items()}}
            for runs in results.values() for r in runs]


def draw(rows: list[dict], path: Path = PNG, minutes: float = 0.75) -> Path | None:
    """p95 against reviewers, one line per configuration, the 250 ms target dashed (log scales)."""
    try:
        import plotly.graph_objects as go
    except ImportError:
        return None
    fig = go.Figure()
    labels = list(dict.fromkeys(row["configuration"] for row in rows))
    highest = max([row["tap_p95_ms"] for row in rows if not math.isnan(row["tap_p95_ms"])] + [TARGET_P95_MS])
    for label in labels:
        mine = sorted((row["reviewers"], row["tap_p95_ms"]) for row in rows if row["configuration"] == label)
        fig.add_trace(go.Scatter(x=[x for x, _ in mine], y=[y for _, y in mine], mode="lines+markers", name=label))
    shown = sorted({row["reviewers"] for row in rows} | {POINTS[0], POINTS[-1]})
    fig.add_trace(go.Scatter(x=[shown[0], shown[-1]], y=[TARGET_P95_MS] * 2, mode="lines",
                             name="target p95 250 ms", line={"dash": "dash", "color": "grey"}))
    fig.update_layout(title=f"Hall day: reviewer tap p95 against reviewers (as many citizens, 3 leaders on /live), "
                            f"{minutes * 60:.0f}-second runs, shared 2-CPU machine",
                      xaxis_title="reviewers (and citizens)", yaxis_title="tap p95 (ms)", width=1100, height=600,
                      template="plotly_white", font={"family": "Noto Sans CJK SC, sans-serif"})
    fig.update_xaxes(type="log", tickvals=shown)
    fig.update_yaxes(type="log", range=[math.log10(10), math.log10(highest * 1.5)])
    try:
        fig.write_image(str(path))
    except Exception as error:  # kaleido needs Chromium; the table and the JSON lines still stand
        print(f"# no PNG: {error}", file=sys.stderr)
        return None
    return path


def main(args) -> int:
    base = plan_from(args)
    base = replace(base, minutes=args.minutes if args.minutes != 3.0 else 0.75)
    if args.redraw:  # the PNG again from the last curve's figures, without running it
        rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
        path = draw(rows, minutes=rows[0].get("minutes", base.minutes) if rows else base.minutes)
        print(f"# drawn: {path}")
        return 0
    configs = tuple(c for c in (args.configs or ",".join(DEFAULT_CONFIGS)).split(",") if c)
    try:
        points = tuple(sorted(int(n) for n in args.points.split(",") if n)) if args.points else POINTS
    except ValueError:
        print("--points takes reviewers as numbers separated by commas, e.g. 100,200,400", file=sys.stderr)
        return 2
    if not points or min(points) < 1 or max(points) > 2000:
        print("--points: between 1 and 2000 reviewers each", file=sys.stderr)
        return 2
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        print(f"unknown configuration(s) {', '.join(unknown)}; choose from {', '.join(CONFIGS)}", file=sys.stderr)
        return 2
    results = run_curve(base, points=points, configs=configs)
    print(table(results))
    for label, n in knees(results).items():
        print(f"# knee, {label}: {n} reviewers at p95 <= {TARGET_P95_MS} ms")
    rows = rows_of(results)
    if DATA.exists():  # keep the other configurations' last figures
        fresh = {row["configuration"] for row in rows}
        rows = [row for row in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()
                                if line.strip()) if row["configuration"] not in fresh] + rows
    DATA.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    path = draw(rows, minutes=base.minutes)
    if path:
        print(f"# drawn: {path}")
    return 0
