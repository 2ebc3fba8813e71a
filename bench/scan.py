"""The citizen's first scan: /poll on a phone over slow 4G, as a poster's QR code opens it (issue 23).

Profile (Lighthouse's mobile one): 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, CPU slowed 4x,
set on the page through the Chrome DevTools Protocol (Network.emulateNetworkConditions,
Emulation.setCPUThrottlingRate). Each first scan is a fresh browser context with the cache off; the
repeat visit is the same context with its cache warm, a new tab. The figures:

- poll_first_scan_s: the poster's address as printed opened -> the three answer buttons can be tapped (median
  of 3); that address is the plain HTML ballot (ui/poster_poll.py), the full Streamlit poll one link away;
- poll_first_scan_kb / poll_first_scan_requests: bytes over the wire (encoded) and requests of one first scan;
- poll_foreign_requests: requests to any host but the site's own;
- poll_repeat_visit_s: the same, cache warm;
- poll_tap_to_thanks_s: a tap on 满意 -> the thanks on screen (same profile; the form's POST and its page), by the
  phone's clock: the thanks page's first paint from its navigation's start; poll_tap_to_thanks_wall_s the same by
  the driver's clock, which adds Playwright's own checks before its click on a page slowed 4x;
- questionnaire_first_load_kb: one tablet's first load of the questionnaire (x200 for the hall's 09:00 burst);
- poll_cpu_ms_per_interaction: bench.hall's citizens alone (scanning posters: the HTML ballot and its POST),
  server CPU per vote (the ballot pages' CPU included);
- poll_lighthouse_performance / _accessibility: Lighthouse's mobile run on /poll (npm package in
  bench/lighthouse: `npm install --prefix bench/lighthouse`); a missing Lighthouse is printed as such.

`python -m bench scan` runs it through the app's own server and through deploy/nginx.conf (one replica).
The machine is shared: each figure is a median, and the load average is printed beside the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from core.clock import office_today
from db.access import cli_actor
from db.campaigns import copy_campaign
from db.engine import make_engine, session_scope
from tests.support.browser import ARGS, CHROMIUM, PHONE, TABLET
from tests.support.panel import open_panel
from tests.support.postgres import free_port
from tests.support.server import AppServer

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
# The address a window poster's QR code carries (documents/posters.py): the plain HTML ballot since issue 23.
POLL = "/poll?unit=es03&src=POSTER"
# Lighthouse's mobile profile ("slow 4G"): latency in ms, throughput in bytes per second.
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
CPU_SLOWDOWN = 4
RUNS = 3
ANSWERS = ("满意", "基本满意", "不满意")
THANKS = "感谢您的评价"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


class Wire:
    """Bytes and requests a page makes, from the DevTools protocol (what went over the network)."""

    def __init__(self, page, origin: str) -> None:
        self.bytes = 0
        self.requests = 0
        self.foreign: list[str] = []
        self.sizes: dict[str, int] = {}  # address -> bytes over the wire
        self._urls: dict[str, str] = {}
        self.origin = origin
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.requestWillBeSent", self._sent)

    def _finished(self, event) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))
        url = self._urls.get(event["requestId"], "?")
        self.sizes[url] = self.sizes.get(url, 0) + int(event.get("encodedDataLength", 0))

    def largest(self, n: int = 6) -> str:
        ranked = sorted(self.sizes.items(), key=lambda item: -item[1])[:n]
        return ", ".join(f"{urlsplit(url).path.rsplit('/', 1)[-1] or '/'} {size / 1000:.0f} kB" for url, size in ranked)

    def _sent(self, event) -> None:
        url = event["request"]["url"]
        self._urls[event["requestId"]] = url
        if url.startswith(("data:", "blob:")):
            return
        self.requests += 1
        if urlsplit(url).netloc != urlsplit(self.origin).netloc:
            self.foreign.append(url)

    def throttle(self, *, cache: bool) -> None:
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": not cache})
        self.cdp.send("Network.emulateNetworkConditions", NETWORK)
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


def answers_ready(page, timeout: float = 120_000) -> None:
    """Until the three answer buttons are on screen and enabled, and, on Streamlit's page (the full poll), the
    app idle (a tap would count). The poster's address is the plain HTML ballot (ui/poster_poll.py)."""
    for label in ANSWERS:
        page.get_by_role("button", name=label, exact=True).wait_for(state="visible", timeout=timeout)
    page.wait_for_function(
        "labels => labels.every(l => [...document.querySelectorAll('button')].some("
        "b => b.innerText.trim() === l && !b.disabled))", arg=list(ANSWERS), timeout=timeout)
    if page.evaluate("document.querySelector(\"[data-testid='stApp']\") !== null"):
        page.wait_for_selector(IDLE, timeout=timeout)


def visit(context, base_url: str, *, cache: bool):
    """A new tab opens the poster's address on the slow profile: (page, its Wire, seconds until tappable)."""
    page = context.new_page()
    wire = Wire(page, base_url)
    wire.throttle(cache=cache)
    started = time.perf_counter()
    page.goto(base_url + POLL, wait_until="commit")
    answers_ready(page)
    return page, wire, time.perf_counter() - started


def scan(browser, base_url: str) -> dict:
    """One fresh phone: first scan, tap -> thanks, then a repeat visit with the cache warm."""
    context = browser.new_context(**PHONE, locale="zh-CN")
    try:
        page, wire, first = visit(context, base_url, cache=False)
        first_bytes, first_requests, foreign = wire.bytes, wire.requests, list(wire.foreign)
        print(f"# scan: first scan {first:.1f} s, {first_bytes / 1000:.0f} kB; largest: {wire.largest()}",
              file=sys.stderr)
        started = time.perf_counter()
        page.get_by_role("button", name="满意", exact=True).click()
        page.get_by_text(THANKS).first.wait_for(timeout=60_000)
        tap_wall = time.perf_counter() - started
        # The phone's own clock: the thanks page's first paint, from the moment its navigation began (the form's
        # submission). The wall time above adds the driver's own round trips to a page slowed 4x (the click's
        # checks before it clicks), which a citizen's thumb does not have.
        tap = page.evaluate("() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
                            " || null")
        tap = tap / 1000 if tap else tap_wall
        page.close()
        _, wire, repeat = visit(context, base_url, cache=True)
        return {"first_s": first, "kb": first_bytes / 1000, "requests": first_requests, "foreign": foreign,
                "tap_s": tap, "tap_wall_s": tap_wall, "repeat_s": repeat, "repeat_kb": wire.bytes / 1000}
    finally:
        context.close()


def questionnaire_kb(browser, url: str) -> float:
    """One tablet's first load of the questionnaire (cache empty, network not slowed)."""
    context = browser.new_context(**TABLET, locale="zh-CN")
    try:
        page = context.new_page()
        wire = Wire(page, url)
        wire.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=120_000)
        page.get_by_text("满意").first.wait_for(timeout=120_000)  # the first unit's questions are on screen
        page.wait_for_selector(IDLE, timeout=120_000)
        page.wait_for_timeout(1500)  # fonts and lazy chunks asked for after the first paint
        return wire.bytes / 1000
    finally:
        context.close()


def lighthouse(url: str) -> dict | None:
    """Lighthouse's mobile run (its default) on Debian's Chromium: {'performance', 'accessibility'} or None."""
    if not LIGHTHOUSE.exists() or shutil.which("node") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
                        "--only-categories=performance,accessibility",
                        "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
                       env=dict(os.environ, CHROME_PATH=CHROMIUM), timeout=300, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not out.exists():
            return None
        report = json.loads(out.read_text())
        categories = report["categories"]
        return {"performance": categories["performance"]["score"] * 100,
                "accessibility": categories["accessibility"]["score"] * 100,
                "lcp_s": report["audits"]["largest-contentful-paint"]["numericValue"] / 1000,
                "failed": [k for k, a in report["audits"].items()
                           if a.get("score") is not None and a["score"] < 1
                           and a.get("scoreDisplayMode") == "binary"]}


def prepare(folder: Path) -> tuple[str, str]:
    """A database with an open poll this year (from the 2017 scheme) and one reviewer link."""
    url = f"sqlite:///{folder / 'scan.db'}"
    invitations = open_panel(url, base_url="http://placeholder", per_group=8, panel=24)
    engine = make_engine(url)
    with session_scope(engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    engine.dispose()
    return url, f"/questionnaire?token={invitations[0].token}"


def measure(base_url: str, questionnaire: str, runs: int = RUNS) -> dict:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        for _ in range(runs):  # a fresh browser for every first scan
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                results.append(scan(browser, base_url))
            finally:
                browser.close()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            q_kb = questionnaire_kb(browser, base_url + questionnaire)
        finally:
            browser.close()
    median = {key: statistics.median(r[key] for r in results)
              for key in ("first_s", "kb", "requests", "tap_s", "tap_wall_s", "repeat_s", "repeat_kb")}
    median["foreign"] = sorted({url for r in results for url in r["foreign"]})
    median["questionnaire_kb"] = q_kb
    median["runs"] = [round(r["first_s"], 2) for r in results]
    return median


def emit_figures(emit, figures: dict, where: str) -> None:
    emit("poll_first_scan_s", figures["first_s"], f"s (median of {RUNS}, fresh browser, slow 4G, CPU/4; {where})",
         3, "lower")
    emit("poll_first_scan_kb", figures["kb"], f"kB over the wire ({figures['requests']:.0f} requests; {where})",
         500, "lower")
    emit("poll_foreign_requests", len(figures["foreign"]), f"requests to other hosts ({where})", 0, "lower")
    emit("poll_repeat_visit_s", figures["repeat_s"], f"s (cache warm, {figures['repeat_kb']:.0f} kB; {where})",
         1, "lower")
    emit("poll_tap_to_thanks_s", figures["tap_s"], f"s (slow 4G, CPU/4; {where}; the thanks page's first paint "
         "from its navigation's start)", 0.5, "lower")
    emit("poll_tap_to_thanks_wall_s", figures["tap_wall_s"], f"s (the same, by the driver's clock: click's "
         f"checks included; {where})", None, "lower")
    emit("questionnaire_first_load_kb", figures["questionnaire_kb"],
         f"kB (one tablet; the 09:00 burst is 200 x = {figures['questionnaire_kb'] * 200 / 1000:.1f} MB; {where})",
         None, "lower")


def conditions() -> str:
    load = os.getloadavg()
    return f"load average {load[0]:.1f} on {os.cpu_count()} CPUs"


def poll_cpu(emit, citizens: int = 100, minutes: float = 1.0) -> None:
    """bench.hall's citizens alone (no reviewers, no /live) on one process: the server's CPU per citizen tap."""
    from bench.hall.run import Plan, run_hall

    result = run_hall(Plan(reviewers=0, citizens=citizens, live_viewers=0, minutes=minutes, mid_hall=False,
                           reload=False, database="sqlite", replicas=1))
    for problem in result.problems:
        print(f"# scan: hall citizens: {problem[:400]}", file=sys.stderr)
    f = result.figures()
    emit("poll_cpu_ms_per_interaction", f["cpu_ms_per_interaction"],
         f"ms server CPU per citizen interaction (bench.hall, {citizens} citizens, {result.window_s:.0f} s, "
         f"{f['interactions']} interactions, page opens included; {conditions()})", 8, "lower")


def run(emit) -> None:
    from deploy.replicas import Replicas

    poll_cpu(emit)

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url, questionnaire = prepare(folder)
        server = AppServer(url, folder / "server.log", POLL_SALT="bench-scan").start()
        try:
            emit_figures(emit, measure(server.url, questionnaire), f"python -m ui.serve; {conditions()}")
            scores = lighthouse(server.url + POLL)
        finally:
            server.stop()
        if scores is None:
            print("# scan: Lighthouse is not installed (npm install --prefix bench/lighthouse): no scores",
                  file=sys.stderr)
            emit("poll_lighthouse_performance", float("nan"), "score (Lighthouse missing)", 90, "higher")
            emit("poll_lighthouse_accessibility", float("nan"), "score (Lighthouse missing)", 100, "higher")
        else:
            emit("poll_lighthouse_performance", scores["performance"],
                 f"score (mobile; LCP {scores['lcp_s']:.1f} s; {conditions()})", 90, "higher")
            emit("poll_lighthouse_accessibility", scores["accessibility"],
                 f"score (failed: {', '.join(scores['failed']) or 'none'})", 100, "higher")
        if shutil.which("nginx") is None:
            print("# scan: nginx is not installed: the figures through deploy/nginx.conf are missing", file=sys.stderr)
            return
        proxy_folder = folder / "proxy"
        proxy_folder.mkdir()
        replicas = Replicas(url, [free_port()], f"127.0.0.1:{free_port()}", proxy_folder,
                            POLL_SALT="bench-scan", NETWORK_SALT="bench-scan").start()
        try:
            figures = measure(replicas.url, questionnaire)
        finally:
            replicas.stop()
        emit_figures(lambda name, *rest: emit(f"{name}_nginx", *rest), figures,
                     f"deploy/nginx.conf + 1 replica; {conditions()}")


if __name__ == "__main__":
    from bench.__main__ import emit as print_figure

    run(print_figure)
