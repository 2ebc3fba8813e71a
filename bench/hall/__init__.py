"""The hall day, measured without browsers: `python -m bench.hall` (`make hall`), `--curve` for the knee.

Two hundred reviewers answer 37 units x 5 dimensions on tablets in one hall while citizens vote in the
public poll and leaders watch /live. Browsers on the same 2-CPU machine would measure themselves, so
every tablet, phone and wall screen here is a virtual client in one asyncio process that speaks
Streamlit's own websocket protocol exactly as the frontend does (bench/hall/client.py) — checked by
tests/test_hall.py against the frames Chromium sends and the rows a browser stores.

- client.py: one browser tab (page load, XSRF cookie, websocket, BackMsg reruns with the widget
  states on screen, fragments, timers, the element tree from the ForwardMsgs).
- people.py: reviewers, citizens and live viewers, with seeded human think times.
- stage.py: the store (a campaign running today, a drawn panel with invitations) and the servers
  (one process on SQLite or PostgreSQL, or K replicas behind nginx, deploy/replicas.py).
- run.py: one run, its figures, and the store check; curve.py: the knee curve and its PNG.
- costs.py: what one interaction of each kind costs the server, one person at a time.

For `make bench` (`run(emit)`): the hall in the configuration the README recommends, shortened.
"""

from __future__ import annotations

import sys

# What the README recommends for the hall on one 2-CPU machine (measured by the knee curve over replicas per
# core): two app processes per core behind nginx, on PostgreSQL. `make serve-replicas` and `make hall` follow it.
RECOMMENDED = {"database": "postgresql", "replicas": 4}
BENCH_MINUTES = 1.25  # make bench's hall; `make hall` runs the full 3 minutes


def run(emit) -> None:
    """200 reviewers + 200 citizens + 3 leaders on /live for 75 s (the opening burst included), then one more
    point for the knee: 400 if 200 held p95 <= 250 ms, else 100. A missed target is printed like any other figure."""
    from bench.hall.curve import TARGET_P95_MS, knee
    from bench.hall.run import Plan, run_hall, summary

    plan = Plan(reviewers=200, citizens=200, live_viewers=3, minutes=BENCH_MINUTES, **RECOMMENDED)
    result = run_hall(plan)
    print(summary(result), file=sys.stderr)
    for problem in result.problems:
        print(f"# hall: {problem[:600]}", file=sys.stderr)
    f = result.figures()
    where = f"{result.label}; 200 reviewers + 200 citizens, {result.window_s:.0f} s"
    emit("hall_cpu_ms_per_tap", f["cpu_ms_per_interaction"],
         f"ms server CPU per interaction, all app processes ({where})", 6, "lower")
    emit("hall_cpu_ms_per_answer", f["cpu_ms_per_answer"],
         f"ms server CPU per stored answer, all app processes, every interaction counted ({where})", 6, "lower")
    emit("hall_tap_p95_ms", f["tap_p95_ms"], f"ms ({where})", 250, "lower")
    emit("hall_tap_p99_ms", f["tap_p99_ms"], f"ms ({where})", 1000, "lower")
    emit("hall_writes_lost_or_duplicated", f["lost_or_duplicated"], f"writes ({where})", 0, "lower")
    emit("hall_sessions_failed", f["failures"], f"sessions ({where})", 0, "lower")
    emit("hall_first_30s_tap_p95_ms", f["burst_tap_p95_ms"],
         f"ms, the first 30 s: every tablet opening its link at once ({where})", 250, "lower")
    emit("hall_server_loop_p95_ms", f["server_loop_p95_ms"],
         f"ms an app process's event loop takes to answer, p95 over every process ({where})", None, "lower")
    emit("hall_memory_mb_per_replica", f["memory_mb_per_replica"],
         f"MB peak resident, the largest app process ({where})", None, "lower")
    points = [(200, f["tap_p95_ms"], f["failures"])]
    other = 400 if f["tap_p95_ms"] <= TARGET_P95_MS and not f["failures"] else 100
    extra = run_hall(Plan(reviewers=other, citizens=other, live_viewers=3, minutes=0.75, **RECOMMENDED))
    print(summary(extra), file=sys.stderr)
    points.append((other, extra.figures()["tap_p95_ms"], extra.figures()["failures"]))
    from bench.hall.costs import costs

    alone = costs()
    for kind, ms in alone.items():
        emit(f"hall_cpu_ms_alone_{kind}", ms, f"ms app CPU for one {kind}, one person at a time on one process "
             "(python -m bench.hall.costs)", None, "lower")
    emit("hall_reviewers_at_p95_250ms", knee(points),
         f"reviewers, points {', '.join(f'{n}: p95 {p:.0f} ms' for n, p, _ in sorted(points))} ({result.label}; "
         "python -m bench.hall --curve for the whole curve)", 400, "higher")
