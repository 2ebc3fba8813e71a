"""`make bench` prints one JSON object per line with the five fields, and every figure the issue
names is produced by some benchmark module (the figures themselves are measured by `make bench`)."""

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

from bench.__main__ import MODULES, emit

BENCH = Path(__file__).resolve().parents[1] / "bench"
REQUIRED = {"vote_store_throughput", "dashboard_load_warm_ms", "dashboard_load_cold_ms", "dashboard_vs_pandas_speedup",
            "scoring_end_to_end_s", "svyby_speedup_vs_r", "answer_commit_p95_ms", "server_memory_per_session_mb",
            "load_interaction_p95_ms", "hall_cpu_ms_per_tap", "hall_tap_p95_ms", "hall_tap_p99_ms",
            "hall_reviewers_at_p95_250ms", "hall_writes_lost_or_duplicated", "hall_sessions_failed",
            "feedback_letters_all_units_s", "panel_cell_coverage_90", "panel_total_coverage_90", "plan_panel_s"}


def test_every_line_has_the_five_fields():
    out = io.StringIO()
    with redirect_stdout(out):
        emit("x_ms", 1.23456, "ms", 300, "lower")
        emit("y", 2, "votes/s", None, "higher")
        emit("z", 90.1, "% of 90 % intervals", 90, "closer")
    for line in out.getvalue().splitlines():
        record = json.loads(line)
        assert list(record) == ["name", "value", "unit", "target", "better"]
        assert record["better"] in ("lower", "higher", "closer")


def test_every_named_figure_has_a_benchmark():
    names = set()
    for module in MODULES:
        name = module.split(".")[1]
        files = [BENCH / f"{name}.py"] if (BENCH / f"{name}.py").exists() else sorted((BENCH / name).glob("*.py"))
        source = "".join(path.read_text(encoding="utf-8") for path in files)
        names |= set(re.findall(r'"([a-z0-9_]+)"', source))
    assert sorted(REQUIRED - names) == []
