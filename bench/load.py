"""Load test: tablets filling questionnaires and phones voting, at once, in a real browser engine.

`make load` (30 tablets + 30 phones) or `python -m bench.load --tablets N --phones N`. Loopback only,
bounded in sessions and in time (`--budget` seconds). Every session is its own browser context
(its own cookies and Streamlit session), spread over a few Chromium processes and driven at the
same time from one asyncio loop. Afterwards the database is compared with what the browsers were
told: every answer shown as chosen and every vote thanked for must be stored exactly once, and
nothing else. Interaction latency is the time from a tap to the app being idle again (the
script run that the tap started has finished and its result is on screen).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright
from sqlmodel import select

from core.clock import office_today
from core.tokens import token_hash
from db.access import cli_actor
from db.campaigns import copy_campaign
from db.engine import make_engine, session_scope
from db.models import Answer, Dimension, PollVote, Response, Unit
from tests.support.browser import ARGS, ARTIFACTS, CHROMIUM, PHONE, TABLET
from tests.support.panel import open_panel
from tests.support.server import AppServer

LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意", "unknown": "不了解"}
ANSWERS = list(LABELS)
VOTES = ["satisfied", "basically_satisfied", "dissatisfied"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
THANKS = "感谢您的评价"
SALT = "bench-load"  # a throw-away database's salt, not a secret
# The browsers share the machine with the server under test: pixel density 1 (a tablet's layout, a
# ninth of a phone's pixels at density 3) changes nothing the server does, and frees the CPU for it.
TABLET_1X = dict(TABLET, device_scale_factor=1)
PHONE_1X = dict(PHONE, device_scale_factor=1)

@dataclass
class Config:
    tablets: int = 30
    phones: int = 30
    units_per_tablet: int = 4  # five taps each, and "next unit" between them
    votes_per_phone: int = 3
    browsers: int = 3
    budget_s: float = 300
    # A person reads the question before tapping: a pause drawn from this range (seconds) precedes every
    # tap. Zero makes a stress test of it instead (every session tapping as fast as the server answers).
    think_s: tuple[float, float] = (1.0, 4.0)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    answers: dict = field(default_factory=dict)  # (token, unit name, dimension position) -> option shown as chosen
    votes: list = field(default_factory=list)  # (comment, unit name, option) thanked for
    lost_taps: int = 0  # taps that showed no effect in time (tapped again, as a person would)
    failures: list = field(default_factory=list)
    server_cpu_s: float = 0.0  # the server's CPU time while the sessions were driven
    rss_before_mb: float = 0.0
    rss_open_mb: float = 0.0
    sessions_open: int = 0
    elapsed_s: float = 0.0


def cpu_s(pid: int) -> float:
    """User and system CPU time the process has used so far (seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def idle(page, timeout: float = 30_000) -> None:
    await page.wait_for_selector(IDLE, timeout=timeout)
    await page.wait_for_function("() => !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=timeout)


async def snapshot(page, name: str) -> None:
    """What the person would have seen when a session got stuck (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, timeout=10_000)
    except Exception:  # a screenshot is a help, never a second failure
        pass


async def timed_tap(page, locator, outcome: Outcome, done, *, patience: float = 15, think=(0.0, 0.0)) -> bool:
    """After a pause to think, tap, and time until `done()` holds and the app is idle again; a tap that
    shows no effect within `patience` seconds is tapped again, as a person would. Returns whether the
    effect was seen."""
    await asyncio.sleep(random.uniform(*think))
    for _ in range(3):
        started = time.perf_counter()
        await locator.click(timeout=30_000)
        while time.perf_counter() - started < patience:
            if await done():
                await idle(page)
                outcome.latencies.append((time.perf_counter() - started) * 1000)
                return True
            await asyncio.sleep(0.02)
        outcome.lost_taps += 1
        await idle(page)
        if await done():  # it did arrive, late: counted at the full wait
            outcome.latencies.append((time.perf_counter() - started) * 1000)
            return True
    return False


class Store:
    """What the database holds, read every 20 ms by one task while the test runs (one query for all
    sessions, so that watching does not itself load the machine)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        with session_scope(self.engine) as s:
            self.units = {u.name: u.id for u in s.exec(Unit.__table__.select().where(Unit.campaign_id == 1)).all()}
            self.dimensions = {d.position: d.id for d in s.exec(Dimension.__table__.select()
                                                                 .where(Dimension.campaign_id == 1)).all()}
        self.answers: dict[tuple[str, int, int], str] = {}

    def _read(self) -> dict[tuple[str, int, int], str]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(Response.token_hash, Answer.unit_id, Answer.dimension_id, Answer.option)
                                      .join(Response, Response.id == Answer.response_id)).all()
        return {(h, unit, dim): option for h, unit, dim, option in rows}

    async def watch(self) -> None:
        while True:
            self.answers = await asyncio.to_thread(self._read)
            await asyncio.sleep(0.02)

    def committed(self, token: str, unit: str, position: int, option: str) -> bool:
        return self.answers.get((token_hash(token), self.units[unit], self.dimensions[position])) == option


@dataclass
class Shared:
    """What every session of one run shares: the plan, the record, the start signal, the deadline, the store."""

    config: Config
    outcome: Outcome
    ready: object  # called once a session's first screen is drawn
    go: asyncio.Event
    deadline: float
    store: Store
    # Sessions open a few at a time (a ramp), as a venue's tablets and a day's phones do; 60 pages
    # loading at the same moment measure the machine's start-up, not the app in use.
    opening: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))


async def tablet(browser, shared: Shared, index: int, invitation) -> None:
    config, outcome, go, deadline = shared.config, shared.outcome, shared.go, shared.deadline
    context = await browser.new_context(**TABLET_1X, locale="zh-CN")
    page = await context.new_page()
    try:
        async with shared.opening:
            await page.goto(invitation.link, timeout=120_000, wait_until="domcontentloaded")
            await idle(page, 120_000)
        shared.ready()
        await go.wait()
        for unit in range(config.units_per_tablet):
            if time.monotonic() > deadline:
                break
            heading = (await page.locator("h2").first.inner_text()).strip()
            groups = page.locator("[data-testid='stButtonGroup']")
            for dim in range(5):
                option = ANSWERS[(index + unit + dim) % 4]
                radio = groups.nth(dim).get_by_role("radio", name=LABELS[option], exact=True)

                async def stored(radio=radio, dim=dim, option=option, heading=heading) -> bool:
                    # Accepted: shown as chosen, and committed (readable by another connection).
                    return shared.store.committed(invitation.token, heading, dim, option) and \
                        await radio.get_attribute("aria-checked") == "true"

                # A tap the server has not run yet is stored by the next run of the page (the questionnaire
                # saves every choice on screen that the database lacks): the next tap, or "next unit".
                if await timed_tap(page, radio, outcome, stored, patience=10, think=config.think_s) or \
                        await radio.get_attribute("aria-checked") == "true":
                    outcome.answers[(invitation.token, heading, dim)] = option
                else:
                    raise RuntimeError(f"tablet {index}: {heading} dimension {dim} not taken")

            async def moved_on(heading=heading) -> bool:
                return (await page.locator("h2").first.inner_text()).strip() != heading

            # Always once more "next unit", also after the last unit: its run stores anything still on screen only.
            if not await timed_tap(page, page.get_by_role("button", name="下一个单位"), outcome, moved_on,
                                   think=config.think_s):
                raise RuntimeError(f"tablet {index}: 'next unit' did not leave {heading}")
    except Exception as error:  # recorded and reported: one stuck session must not hide the others' figures
        outcome.failures.append(f"tablet {index}: {type(error).__name__}: {str(error)[:200]}")
        await snapshot(page, f"load-failure-tablet-{index}")
    finally:
        await context.close()


async def phone(browser, shared: Shared, index: int, base_url: str, units: list[tuple[str, str]]) -> None:
    config, outcome, go, deadline = shared.config, shared.outcome, shared.go, shared.deadline
    # Each phone on its own network, as citizens are (the app trusts one proxy hop in this test).
    context = await browser.new_context(**PHONE_1X, locale="zh-CN",
                                        extra_http_headers={"X-Forwarded-For": f"10.77.{index}.1"})
    page = await context.new_page()
    search = page.get_by_label("输入单位名称查找")
    question = page.get_by_text("履职尽责的情况满意吗")
    try:
        async with shared.opening:
            await page.goto(f"{base_url}/poll", timeout=120_000, wait_until="domcontentloaded")
            await idle(page, 120_000)
        shared.ready()
        await go.wait()
        for k in range(config.votes_per_phone):
            if time.monotonic() > deadline:
                break
            code, name = units[(index * config.votes_per_phone + k) % len(units)]
            button = page.get_by_role("button", name=name, exact=True)
            for attempt in range(3):  # typed, then Enter; pressed again if the list did not narrow down
                if attempt == 0:
                    await search.fill(code)
                await search.press("Enter")
                try:
                    await page.wait_for_function(
                        "() => document.querySelectorAll('.st-key-poll_units button').length === 1", timeout=15_000)
                    break
                except PlaywrightTimeout:
                    outcome.lost_taps += 1
            else:
                raise RuntimeError(f"phone {index}: typing {code} did not narrow the list down")
            await idle(page)
            if not await timed_tap(page, button, outcome, question.is_visible, think=config.think_s):
                raise RuntimeError(f"phone {index}: {name} did not open")
            comment = f"load-{index}-{k}"
            await page.get_by_label("留言", exact=False).fill(comment)
            option = VOTES[(index + k) % 3]
            thanks = page.get_by_text(THANKS)
            if not await timed_tap(page, page.get_by_role("button", name=LABELS[option], exact=True), outcome,
                                   thanks.is_visible, think=config.think_s):
                raise RuntimeError(f"phone {index}: no thanks for the vote on {name}")
            outcome.votes.append((comment, name, option))
    except Exception as error:
        outcome.failures.append(f"phone {index}: {type(error).__name__}: {str(error)[:200]}")
        await snapshot(page, f"load-failure-phone-{index}")
    finally:
        await context.close()


async def drive(config: Config, server: AppServer, invitations, units, outcome: Outcome) -> None:

    async with async_playwright() as playwright:
        browsers = [await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                    for _ in range(config.browsers)]
        # One session first, so that the memory growth measured is per session, not the first import.
        for address in (f"{server.url}/poll", invitations[-1].link):
            warm = await browsers[0].new_context(**PHONE_1X)
            page = await warm.new_page()
            await page.goto(address, timeout=60_000)
            await idle(page, 60_000)
            await warm.close()
        await asyncio.sleep(1)
        outcome.rss_before_mb = rss_mb(server.process.pid)

        total = config.tablets + config.phones
        go = asyncio.Event()
        opened = []

        def ready() -> None:
            opened.append(1)
            if len(opened) == total:
                outcome.rss_open_mb = rss_mb(server.process.pid)
                outcome.sessions_open = total
                outcome.server_cpu_s = -cpu_s(server.process.pid)
                go.set()

        shared = Shared(config, outcome, ready, go, time.monotonic() + config.budget_s, Store(server.database_url))
        tasks = [tablet(browsers[k % config.browsers], shared, k, invitations[k]) for k in range(config.tablets)]
        tasks += [phone(browsers[(config.tablets + k) % config.browsers], shared, k, server.url, units)
                  for k in range(config.phones)]

        async def release_anyway() -> None:  # a session that never opened must not hold the others back
            await asyncio.sleep(min(240, config.budget_s))
            if not go.is_set():
                outcome.rss_open_mb = rss_mb(server.process.pid)
                outcome.sessions_open = len(opened)
                outcome.server_cpu_s = -cpu_s(server.process.pid)
                go.set()

        waiter = asyncio.create_task(release_anyway())
        watcher = asyncio.create_task(shared.store.watch())
        await asyncio.gather(*tasks)
        outcome.server_cpu_s += cpu_s(server.process.pid)
        waiter.cancel()
        watcher.cancel()
        shared.store.engine.dispose()
        for browser in browsers:
            await browser.close()


def check_store(url: str, outcome: Outcome) -> Counter:
    """Compare the database with what the browsers were told.

    lost: accepted but not stored (or stored with another option); duplicated: stored twice;
    unconfirmed: stored though the browser never saw it accepted, which only a session that
    failed mid-tap may leave behind (its last tap reached the server, the confirmation did not).
    """
    found: Counter = Counter()
    engine = make_engine(url)
    with session_scope(engine) as s:
        units = {u.id: u.name for u in s.exec(Unit.__table__.select()).all()}
        positions = {d.id: d.position for d in s.exec(Dimension.__table__.select()).all()}
        by_hash = {token_hash(token): token for token, _, _ in outcome.answers}
        stored: dict = {}
        rows = s.exec(select(Response.token_hash, Answer.unit_id, Answer.dimension_id, Answer.option)
                      .join(Response, Response.id == Answer.response_id)).all()
        for hashed, unit_id, dimension_id, option in rows:
            key = (by_hash.get(hashed, hashed), units[unit_id], positions[dimension_id])
            found["duplicated"] += key in stored
            stored[key] = option
        for key, option in outcome.answers.items():
            found["lost"] += stored.get(key) != option
        found["unconfirmed"] += len(set(stored) - set(outcome.answers))
        votes = Counter((v.comment, units[v.unit_id], v.option) for v in s.exec(PollVote.__table__.select()).all())
        accepted = Counter(outcome.votes)
        found["lost"] += sum((accepted - votes).values())
        found["duplicated"] += sum(n - 1 for key, n in votes.items() if n > 1)
        found["unconfirmed"] += sum(1 for key in votes if key not in accepted)
    engine.dispose()
    return found


def verdict(found: Counter, outcome: Outcome) -> list[str]:
    problems = []
    if found["lost"] or found["duplicated"]:
        problems.append(f"{found['lost']} accepted writes lost, {found['duplicated']} stored twice")
    if found["unconfirmed"] > len(outcome.failures):
        problems.append(f"{found['unconfirmed']} writes stored that no browser was told were accepted")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def run_load(config: Config, database_url: str | None = None) -> tuple[Outcome, Counter, list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'load.db'}"
        server = AppServer(url, Path(folder) / "server.log", POLL_SALT=SALT, TRUST_PROXY="1")
        invitations = open_panel(url, base_url=server.url, per_group=max(40, config.tablets),
                                 panel=max(config.tablets + 4, 24))
        engine = make_engine(url)
        with session_scope(engine) as s:
            campaign = copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
            units = [(u.code, u.name) for u in s.exec(Unit.__table__.select()
                                                       .where(Unit.campaign_id == campaign.id)).all()]
        engine.dispose()
        outcome = Outcome()
        server.start()
        started = time.perf_counter()
        try:
            asyncio.run(drive(config, server, invitations, units, outcome))
        finally:
            outcome.elapsed_s = time.perf_counter() - started
            server.stop()
        found = check_store(url, outcome)
        problems = verdict(found, outcome)
        if outcome.failures:
            log = (Path(folder) / "server.log").read_text(errors="replace")[-2000:]
            problems.append("sessions that failed: " + "; ".join(outcome.failures[:5]) + f"\nserver log tail:\n{log}")
        return outcome, found, problems


def figures(outcome: Outcome, config: Config) -> dict[str, float]:
    sessions = max(outcome.sessions_open, 1)
    return {
        "median": statistics.median(outcome.latencies) if outcome.latencies else float("nan"),
        "p95": percentile(outcome.latencies, 0.95),
        "memory": max(outcome.rss_open_mb - outcome.rss_before_mb, 0.0) / sessions,
        "cpu_ms": outcome.server_cpu_s * 1000 / max(len(outcome.latencies), 1),
    }


def run(emit) -> None:
    """For `make bench`: the same test, smaller (20 tablets + 20 phones, named in each unit), so that the
    whole bench stays under ten minutes. Failures are figures too: a missed target is shown, not hidden."""
    config = Config(tablets=20, phones=20, units_per_tablet=2, votes_per_phone=2, browsers=2, budget_s=150)
    outcome, found, problems = run_load(config)
    for problem in problems:
        print(f"# load: {problem[:500]}", file=sys.stderr)
    for name, value, unit, target in rows(outcome, found, config):
        emit(name, value, unit, target, "lower")


def rows(outcome: Outcome, found: Counter, config: Config) -> list[tuple[str, float, str, float | None]]:
    shape = f"{config.tablets} tablets + {config.phones} phones"
    result = figures(outcome, config)
    return [
        ("load_interaction_median_ms", result["median"], f"ms ({shape})", None),
        ("load_interaction_p95_ms", result["p95"], f"ms ({shape})", 1000),
        ("load_server_memory_per_session_mb", result["memory"], f"MB ({shape})", 10),
        # What one tap costs the server: the capacity of one process per CPU core is about 1000 / this.
        ("load_server_cpu_ms_per_interaction", result["cpu_ms"], f"ms ({shape})", None),
        ("load_writes_lost_or_duplicated", found["lost"] + found["duplicated"], f"writes ({shape})", 0),
        ("load_sessions_failed", len(outcome.failures), f"sessions ({shape})", 0),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--tablets", type=int, default=30)
    parser.add_argument("--phones", type=int, default=30)
    parser.add_argument("--units-per-tablet", type=int, default=4)
    parser.add_argument("--votes-per-phone", type=int, default=3)
    parser.add_argument("--browsers", type=int, default=3)
    parser.add_argument("--budget", type=float, default=300, help="seconds of driving at most")
    parser.add_argument("--think", type=float, nargs=2, default=[1.0, 4.0], metavar=("MIN", "MAX"),
                        help="seconds a person pauses before each tap (0 0: a stress test)")
    args = parser.parse_args(argv)
    config = Config(args.tablets, args.phones, args.units_per_tablet, args.votes_per_phone, args.browsers, args.budget,
                    tuple(args.think))
    outcome, found, problems = run_load(config, os.environ.get("LOAD_DATABASE_URL") or None)
    for name, value, unit, target in rows(outcome, found, config):
        print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target, "better": "lower"}))
    print(f"# {outcome.sessions_open} sessions open at once; {len(outcome.latencies)} taps timed, "
          f"{outcome.lost_taps} tapped again; {len(outcome.answers)} answers and {len(outcome.votes)} votes accepted; "
          f"server RSS {outcome.rss_before_mb:.0f} -> {outcome.rss_open_mb:.0f} MB; {outcome.elapsed_s:.0f} s",
          file=sys.stderr)
    if problems:
        print("FAILED: " + "\n".join(problems), file=sys.stderr)
        return 1
    print("# every accepted answer and vote is stored exactly once", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
