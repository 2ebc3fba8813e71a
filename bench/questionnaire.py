"""The questionnaire in a real browser: tap-to-commit latency and server memory per open session."""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.support.browser import ARGS, CHROMIUM, TABLET, wait_for_app
from tests.support.panel import open_panel
from tests.support.server import AppServer

LABELS = ["满意", "基本满意", "不满意", "不了解"]
OPTIONS = ["satisfied", "basically_satisfied", "dissatisfied", "unknown"]
TAPS = 60
SESSIONS = 20


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _committed(db: Path, option: str, count: int) -> bool:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT count(*) FROM answer WHERE option = ?", (option,)).fetchone()[0] >= count


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(emit) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        server = AppServer(f"sqlite:///{db}", Path(folder) / "server.log")
        issued = open_panel(f"sqlite:///{db}", base_url=server.url, panel=SESSIONS + 4)
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                latencies = _tap_latencies(browser, issued[0].link, db)
                emit("answer_commit_median_ms", statistics.median(latencies), "ms", None, "lower")
                emit("answer_commit_p95_ms", _percentile(latencies, 0.95), "ms", 500, "lower")
                emit("server_memory_per_session_mb", _memory_per_session(browser, issued[1:], server), "MB", 10,
                     "lower")
                browser.close()
        finally:
            server.stop()


def _tap_latencies(browser, link: str, db: Path) -> list[float]:
    """From the tap to the row being readable by another connection (committed), in ms."""
    context = browser.new_context(**TABLET)
    page = context.new_page()
    page.goto(link)
    wait_for_app(page)
    latencies, counts = [], dict.fromkeys(OPTIONS, 0)
    for tap in range(TAPS):
        dim, option = tap % 5, tap // 5 % 4
        if tap and dim == 0:
            heading = page.locator("h2").first.inner_text()
            page.get_by_role("button", name="下一个单位").click()
            expect(page.locator("h2").first).not_to_have_text(heading)
            wait_for_app(page, settle_ms=0)
        radio = page.locator("[data-testid='stButtonGroup']").nth(dim).get_by_role("radio", name=LABELS[option],
                                                                                  exact=True)
        counts[OPTIONS[option]] += 1
        started = time.perf_counter()
        radio.click()
        while not _committed(db, OPTIONS[option], counts[OPTIONS[option]]):
            time.sleep(0.002)
        latencies.append((time.perf_counter() - started) * 1000)
        wait_for_app(page, settle_ms=0)
    context.close()
    return latencies


def _memory_per_session(browser, invitations, server: AppServer) -> float:
    """Growth of the server's resident memory per questionnaire held open, over SESSIONS sessions."""
    warm = browser.new_context(**TABLET)
    page = warm.new_page()
    page.goto(invitations[0].link)
    wait_for_app(page)
    time.sleep(1)
    before = _rss_mb(server.process.pid)
    contexts = []
    for invitation in invitations[1:SESSIONS + 1]:
        context = browser.new_context(**TABLET)
        page = context.new_page()
        page.goto(invitation.link)
        wait_for_app(page, settle_ms=0)
        contexts.append(context)
    time.sleep(1)
    after = _rss_mb(server.process.pid)
    for context in [warm, *contexts]:
        context.close()
    return max(after - before, 0.0) / len(contexts)
