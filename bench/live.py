"""The wall screen's cost: server CPU per /live refresh, measured on a running app.

A leader signs in on /live through the hall's protocol client (bench.hall.client: no browser on
the machine under test) and the board's timed fragment is rerun as the browser's timer would,
each time after the data cache has expired (as on a wall screen refreshing every 10 s). The figure
is the app process's CPU time per refresh (/proc), less what it uses idle.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.hall.client import Tab, sign_in
from bench.load import cpu_s
from db.access import cli_actor
from db.bootstrap import init_database
from db.demo.years import load_demo
from db.engine import make_engine, session_scope
from db.users import create_user
from tests.support.server import AppServer

REFRESHES = 12
LEADER = ("bench_leader", "bench leader password 1")
TARGET_MS = 150  # one wall screen every 10 s: 1.5 % of a core
LIVE_TTL_S = 3  # ui.dashboard_data.LIVE_TTL_S (not imported: that module wants a Streamlit runtime)


def _store(url: str) -> None:
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=20_000)
    with session_scope(engine) as s:
        create_user(s, actor=cli_actor(), username=LEADER[0], role="leader", password=LEADER[1],
                    must_change_password=False)
    engine.dispose()


async def _refreshes(base_url: str, pid: int, n: int) -> tuple[float, list[float]]:
    tab = Tab(base_url, "/live?refresh=600")  # the client reruns the board itself, on its own beat
    await tab.open()
    tab = await sign_in(tab, *LEADER)
    if not tab.auto_reruns:
        raise RuntimeError("signed in, but /live set no refresh timer")
    fragment = next(iter(tab.auto_reruns))
    await tab.auto_rerun(fragment)  # first draw after sign-in: imports and first figures, not measured
    idle_started, idle_cpu = time.monotonic(), cpu_s(pid)
    await asyncio.sleep(LIVE_TTL_S + 0.5)
    idle_rate = (cpu_s(pid) - idle_cpu) / (time.monotonic() - idle_started)
    used, latencies = 0.0, []
    for _ in range(n):
        before, started = cpu_s(pid), time.monotonic()
        latencies.append(await tab.auto_rerun(fragment) * 1000)
        used += cpu_s(pid) - before - idle_rate * (time.monotonic() - started)
        await asyncio.sleep(LIVE_TTL_S + 0.2)  # the board's data cache expires between refreshes
    await tab.close()
    return used, latencies


def measure(n: int = REFRESHES) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'live.db'}"
        _store(url)
        server = AppServer(url, Path(folder) / "server.log").start()
        try:
            used, latencies = asyncio.run(_refreshes(server.url, server.process.pid, n))
        finally:
            server.stop()
    return {"cpu_ms": used * 1000 / n, "median_ms": statistics.median(latencies)}


def run(emit) -> None:
    figures = measure()
    emit("live_refresh_cpu_ms", figures["cpu_ms"], "ms (1 process, SQLite, demo year with 20,000 votes)",
         TARGET_MS, "lower")
    emit("live_refresh_median_ms", figures["median_ms"], "ms", None, "lower")


if __name__ == "__main__":
    print(measure())
