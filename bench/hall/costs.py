"""What one interaction of each kind costs the server: `python -m bench.hall.costs`.

The hall's figure "CPU per answer" divides all the app's CPU by the answers stored; this says where that
CPU goes. One app process on PostgreSQL (the hall's store), one virtual person at a time, so each block's
CPU is that block's alone: the process's CPU over the block, less what the idle process uses in that time
(its timers), divided by the interactions in it. CPU time, not wall time: a busy machine inflates it a
little (caches, frequency), it does not make it meaningless as it does latencies.

The mix (`MIX`) weighs these by how often each happens per stored answer in the 400 + 400 hall of
3 minutes, so the sum reads as the hall's CPU per answer without its concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlencode

from bench.hall.client import Cookies, Tab, http, sign_in
from bench.hall.people import ANSWER_KEY, OPTION_LABELS, VOTE_OPTIONS, answer_groups, link_path
from bench.hall.run import poster_units
from bench.hall.stage import Stage, cpu_seconds, start

# Per stored answer, in the 400 + 400 hall of 3 minutes on 4 replicas (15,760 answers): 3,150 moves to
# the next unit, 789 page opens (400 tablets and 389 reloads), 801 poster votes, 57 /live refreshes.
MIX = {"answer": 1.0, "next": 3150 / 15760, "open": 789 / 15760, "vote": 801 / 15760, "live": 57 / 15760}


class Meter:
    """The app process's CPU over a block, less its idle use over the same time."""

    def __init__(self, pids: list[int], idle_per_s: float) -> None:
        self.pids, self.idle_per_s = pids, idle_per_s
        self.spent: dict[str, float] = {}
        self.count: dict[str, int] = {}

    async def block(self, kind: str, steps) -> None:
        cpu, wall = cpu_seconds(self.pids), time.monotonic()
        n = 0
        async for _ in steps:
            n += 1
        used = cpu_seconds(self.pids) - cpu - self.idle_per_s * (time.monotonic() - wall)
        self.spent[kind] = self.spent.get(kind, 0.0) + max(used, 0.0)
        self.count[kind] = self.count.get(kind, 0) + n

    def ms(self) -> dict[str, float]:
        return {k: self.spent[k] * 1000 / self.count[k] for k in self.spent if self.count[k]}


async def idle_rate(pids: list[int], seconds: float = 4.0) -> float:
    cpu = cpu_seconds(pids)
    await asyncio.sleep(seconds)
    return (cpu_seconds(pids) - cpu) / seconds


async def measure(stage: Stage, tablets: int, votes: int, refreshes: int) -> dict[str, float]:
    pids = stage.pids["app"]
    meter = Meter(pids, await idle_rate(pids))
    tabs = [Tab(stage.url, link_path(inv.link), cookies=Cookies(), forwarded_for="10.100.0.1")
            for inv in stage.invitations[:tablets]]

    async def opens(batch):
        for tab in batch:
            await tab.open()
            yield

    async def taps():
        for tab in tabs:
            for group in answer_groups(tab):
                current = next(g for g in answer_groups(tab) if g.key == group.key)
                await tab.choose(current, OPTION_LABELS[VOTE_OPTIONS[len(tab.states) % len(VOTE_OPTIONS)]])
                yield

    async def moves():
        for tab in tabs:
            unit = int(ANSWER_KEY.match(answer_groups(tab)[0].key)[2])
            await tab.click(tab.widget(prefix="q_next_", kind="button"))
            if int(ANSWER_KEY.match(answer_groups(tab)[0].key)[2]) == unit:
                raise RuntimeError("'next' did not move on (a unit left unanswered?)")
            yield

    await meter.block("open", opens(tabs))
    for _ in range(3):
        await meter.block("answer", taps())
        await meter.block("next", moves())
    reloaded = [Tab(stage.url, link_path(inv.link), cookies=tab.cookies, forwarded_for="10.100.0.1")
                for inv, tab in zip(stage.invitations, tabs)]
    for tab in tabs:
        await tab.close()
    await meter.block("open", opens(reloaded))
    tabs = reloaded

    async def ballots():
        base, units = stage.url.rstrip("/"), poster_units(stage)
        for k in range(votes):
            cookies, code = Cookies(), units[k % len(units)]
            status, headers, _ = await http(f"{base}/poll?{urlencode({'unit': code, 'src': 'HALL1'})}",
                                            {"X-Forwarded-For": f"10.7.{k // 250}.{k % 250 + 1}"})
            cookies.take(headers)
            body = urlencode({"unit": code, "src": "HALL1", "option": VOTE_OPTIONS[k % 3]}).encode()
            status, _, _ = await http(f"{base}/_review/vote", {
                "Cookie": cookies.header(), "X-Forwarded-For": f"10.7.{k // 250}.{k % 250 + 1}", "Origin": base,
                "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded"},
                method="POST", body=body)
            if status != 200:
                raise RuntimeError(f"a poster vote was answered with HTTP {status}")
            yield

    await meter.block("vote", ballots())

    live = Tab(stage.url, "/live", forwarded_for="10.99.0.1")
    await live.open()
    live = await sign_in(live, *stage.leader)
    fragment = next(iter(live.auto_reruns))

    async def refresh():
        await live.auto_rerun(fragment)
        yield

    for k in range(refreshes):  # the data changes between two refreshes, as in the hall
        await meter.block("answer", taps_of(tabs[k % len(tabs)]))
        await meter.block("live", refresh())
    for tab in (*tabs, live):
        await tab.close()
    return meter.ms()


async def taps_of(tab: Tab):
    """One more answer on this tablet: the first question of its unit, tapped to another option."""
    group = answer_groups(tab)[0]
    state = tab.states.get(group.id)
    shown = state.string_array_value.data[0] if state is not None and state.string_array_value.data else ""
    option = next(label for label in OPTION_LABELS.values() if label != shown)
    await tab.choose(group, option)
    yield


def report(costs: dict[str, float]) -> list[str]:
    lines = [f"{kind:>7}: {ms:6.1f} ms of app CPU each" for kind, ms in costs.items()]
    per_answer = sum(costs.get(k, 0.0) * weight for k, weight in MIX.items())
    lines.append(f"the 400 + 400 hall's mix: {per_answer:.1f} ms per answer ("
                 + ", ".join(f"{k} {costs.get(k, 0.0) * w:.1f}" for k, w in MIX.items()) + ")")
    return lines


def costs(*, tablets: int = 20, votes: int = 60, refreshes: int = 20, database: str = "postgresql"
          ) -> dict[str, float]:
    """Each kind's app CPU in ms, on a stage of its own (started and stopped here)."""
    stage, _ = start(reviewers=tablets, database=database, replicas=1)
    try:
        return asyncio.run(measure(stage, tablets, votes, refreshes))
    finally:
        stage.stop()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hall.costs", description=__doc__.split("\n")[0])
    p.add_argument("--tablets", type=int, default=20)
    p.add_argument("--votes", type=int, default=60)
    p.add_argument("--refreshes", type=int, default=20)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    found = costs(tablets=args.tablets, votes=args.votes, refreshes=args.refreshes)
    print(json.dumps(found) if args.json else "\n".join(report(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
