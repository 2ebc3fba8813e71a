"""`make bench`: every benchmark of the project, one JSON object per line.

Each line is {"name", "value", "unit", "target", "better"}: measured here, never
assumed; a missed target is printed like any other figure. `better` is "lower",
"higher", or "closer" (to the target: a coverage of 90 % is right, 95 % is not
better). Benchmarks run on temporary databases and leave nothing behind.

`python -m bench NAME` runs the modules whose name contains NAME; a module with a
longer study of its own (`run_full`, e.g. `python -m bench coverage`) runs that
one when named.
"""

from __future__ import annotations

import importlib
import json
import sys
import time

# bench.load runs a smaller configuration of `make load` (named in each figure's unit) to keep this short;
# bench.hall a 75-second hall of 200 reviewers + 200 citizens (`make hall` runs the full 3 minutes).
MODULES = ["bench.store", "bench.poll", "bench.questionnaire", "bench.dashboard", "bench.scoring", "bench.load",
           "bench.feedback", "bench.hall", "bench.live", "bench.ballot_box", "bench.coverage", "bench.planner",
           "bench.metrics", "bench.scan"]


def emit(name: str, value: float, unit: str, target: float | None, better: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target, "better": better},
                     ensure_ascii=False), flush=True)


def main(argv: list[str]) -> int:
    chosen = [m for m in MODULES if not argv or any(a in m for a in argv)]
    started = time.perf_counter()
    for name in chosen:
        module = importlib.import_module(name)
        (module.run_full if argv and hasattr(module, "run_full") else module.run)(emit)
    print(f"# {len(chosen)} benchmark modules in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
