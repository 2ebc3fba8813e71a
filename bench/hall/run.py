"""One hall run: the people, the measuring window, the figures, and the store checked afterwards."""

from __future__ import annotations

import asyncio
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlmodel import select

from bench.hall import people
from bench.hall.client import http_get
from bench.hall.people import Hall, Pace, Record
from bench.hall.scrape import compare, scrape
from bench.hall.stage import Invitation, Stage, cpu_seconds, mid_hall, start
from core.tokens import token_hash
from db.engine import make_engine, session_scope
from db.models import Answer, PollVote, Response, SealedBallot, Unit
from documents import invitation_list

BURST_S = 30  # the opening burst, reported on a line of its own
PROBE_EVERY = 0.25  # seconds between two probes of an app process's event loop
CORES = os.cpu_count() or 1


@dataclass
class Plan:
    reviewers: int = 200
    citizens: int = 200
    live_viewers: int = 3
    minutes: float = 3.0
    seed: int = 1
    units: int = 37
    mid_hall: bool = True  # reviewers caught at every stage of the hall (needs the store: not with --url)
    reload: bool = True
    pace: Pace = field(default_factory=Pace)
    database: str = "sqlite"
    replicas: int = 1

    def shape(self) -> str:
        return f"{self.reviewers} reviewers + {self.citizens} citizens + {self.live_viewers} live viewers"


@dataclass
class Result:
    plan: Plan
    label: str
    record: Record
    window_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds in the window: app, database, proxy, generator
    store: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    loop_lag_ms: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)  # /_review/metrics beside the generator (scrape.py)
    started: float = 0.0  # time.monotonic() when the tablets began to open
    # Each app process's own event loop, probed from outside: /_stcore/health answered on the process's loop,
    # asked every PROBE_EVERY seconds; its latency is how long anything arriving waits for the loop there.
    server_loop_ms: dict[int, list[float]] = field(default_factory=dict)
    memory_mb: dict[int, float] = field(default_factory=dict)  # each app process's peak resident memory

    def burst(self) -> dict[str, float]:
        """The first BURST_S seconds, when every tablet opens its link at once and starts answering."""
        until = self.started + BURST_S
        taps = self.record.taps(until)
        return {"burst_taps": len(taps), "burst_tap_p50_ms": percentile(taps, 0.50),
                "burst_tap_p95_ms": percentile(taps, 0.95), "burst_tap_p99_ms": percentile(taps, 0.99),
                "burst_opens": len(self.record.of("open", until)),
                "burst_open_p95_ms": percentile(self.record.of("open", until), 0.95)}

    def interactions(self) -> int:
        return sum(len(v) for k, v in self.record.latencies.items() if k not in ("open", "sign_in"))

    def figures(self) -> dict[str, float]:
        taps = self.record.taps()
        lags = [x for probes in self.server_loop_ms.values() for x in probes]
        n = max(self.interactions(), 1)
        answers = len(self.record.latencies.get("answer", []))
        return {
            "tap_p50_ms": percentile(taps, 0.50), "tap_p95_ms": percentile(taps, 0.95),
            "tap_p99_ms": percentile(taps, 0.99), "taps": len(taps),
            "poll_p95_ms": percentile(self.record.latencies.get("poll", []), 0.95),
            "live_p95_ms": percentile(self.record.latencies.get("live", []), 0.95),
            "open_p95_ms": percentile(self.record.latencies.get("open", []), 0.95),
            "generator_lag_p95_ms": percentile(self.loop_lag_ms, 0.95),
            "interactions": self.interactions(), "answers": answers,
            "interactions_per_s": self.interactions() / max(self.window_s, 1e-9),
            "cpu_ms_per_interaction": self.cpu.get("app", 0) * 1000 / n,
            "cpu_ms_per_answer": self.cpu.get("app", 0) * 1000 / max(answers, 1),
            "db_cpu_ms_per_interaction": self.cpu.get("database", 0) * 1000 / n,
            "generator_cpu_ms_per_interaction": self.cpu.get("generator", 0) * 1000 / n,
            "app_cores": self.cpu.get("app", 0) / max(self.window_s, 1e-9),
            # What the CPU cost alone allows, whatever else the machine runs: reviewers (each with a citizen and
            # this run's share of /live) that one core of app processes serves at this pace.
            "reviewers_per_app_core": self.plan.reviewers * self.window_s / max(self.cpu.get("app", 0), 1e-9),
            "failures": len(self.record.failures) + len(self.record.resume_failures),
            "lost_or_duplicated": self.store["lost"] + self.store["duplicated"],
            **self.burst(),
            "server_loop_p50_ms": percentile(lags, 0.50), "server_loop_p95_ms": percentile(lags, 0.95),
            "server_loop_p99_ms": percentile(lags, 0.99),
            "replicas": self.plan.replicas, "replicas_per_core": self.plan.replicas / CORES,
            "memory_mb_per_replica": max(self.memory_mb.values(), default=float("nan")),
            "memory_mb_all_replicas": sum(self.memory_mb.values()) if self.memory_mb else float("nan"),
        }


def plan_from(args) -> Plan:
    """The plan of the options `python -m bench.hall` parsed (also read by the knee curve)."""
    return Plan(reviewers=args.reviewers, citizens=args.citizens, live_viewers=args.live_viewers,
                minutes=args.minutes, seed=args.seed, units=args.units, mid_hall=not args.fresh_start and not args.url,
                reload=not args.no_reload, pace=Pace(tuple(args.tap), tuple(args.read), tuple(args.vote)),
                database="postgresql" if args.replicas > 1 else args.database, replicas=args.replicas)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def poster_units(stage: Stage) -> tuple[str, ...]:
    """The codes of the open poll's units, whose posters the citizens scan (none known without the store)."""
    if not stage.database_url:
        return ()
    from core.clock import office_today
    from db.poll import poll_campaign

    engine = make_engine(stage.database_url)
    try:
        with session_scope(engine) as s:
            campaign = poll_campaign(s, today=office_today())
            return () if campaign is None else tuple(s.exec(select(Unit.code).where(
                Unit.campaign_id == campaign.id, Unit.active, Unit.merged_into_id.is_(None))).all())
    finally:
        engine.dispose()


def read_invitations(path: Path) -> list[Invitation]:
    """The personal links of the list `python -m db draw --invitations` writes (documents.invitation_list)."""
    return [Invitation(e.token, e.link) for e in invitation_list.from_csv(path.read_bytes()) if e.kind == "personal"]


async def drive(plan: Plan, stage: Stage, prefilled: dict, profile: Path | None = None) -> Result:
    record = Record()
    hall = Hall(stage.url, plan.pace, plan.seed, deadline=float("inf"), record=record, units=plan.units,
                reload=plan.reload)
    rng = random.Random(f"{plan.seed}-arrivals")
    window = plan.minutes * 60
    tasks = [people.reviewer(hall, k, inv.token, inv.link, already=prefilled.get(inv.token))
             for k, inv in enumerate(stage.invitations[:plan.reviewers])]
    # Citizens arrive over the first 80 % of the window, each from its own network.
    hall.posters = poster_units(stage)
    citizen = people.poster_citizen if hall.posters else people.citizen
    tasks += [citizen(hall, k, rng.uniform(0, window * 0.8),
                             f"10.{1 + k // 62500}.{(k // 250) % 250}.{k % 250 + 1}")
              for k in range(plan.citizens)]
    tasks += [people.viewer(hall, k, *stage.leader) for k in range(plan.live_viewers)]
    result = Result(plan, stage.label, record)
    # The window opens with the hall: every tablet opens its link at once (as many at a time as
    # hall.opening lets the generator load) and answers as soon as its page shows; the first BURST_S
    # seconds are reported on a line of their own as well.
    counted = await asyncio.to_thread(scrape, stage.apps) if stage.apps else None  # before the tablets open
    before = read_cpu(stage)
    started = result.started = time.monotonic()
    hall.deadline = started + window
    hall.go.set()
    running = [asyncio.create_task(t) for t in tasks]
    lag = asyncio.create_task(loop_lag(result.loop_lag_ms))
    probes = [asyncio.create_task(server_loop(url, result.server_loop_ms.setdefault(k, []), hall))
              for k, url in enumerate(stage.apps)]
    profiler = start_profiles(stage, window, profile) if profile else []
    await asyncio.gather(*running)
    for task in (lag, *probes):
        task.cancel()
    result.window_s = time.monotonic() - started
    after = read_cpu(stage)
    result.cpu = {k: after[k] - before.get(k, 0.0) for k in after}
    if counted is not None:
        result.metrics, problems = compare(counted, await asyncio.to_thread(scrape, stage.apps), record)
        if stage.database_url:
            result.problems += problems
        else:  # a deployment whose links were used before: a re-tapped answer already stored is not stored again
            result.notes += [f"{p} (links used in an earlier run re-tap answers that are already stored)"
                             for p in problems]
    result.memory_mb = {k: peak_memory_mb(pid) for k, pid in enumerate(stage.pids.get("app", []))}
    for process in profiler:
        process.wait()
    return result


async def server_loop(url: str, found: list[float], hall: Hall) -> None:
    """How long an app process's event loop takes to answer /_stcore/health (straight to the process, not
    through nginx): the health handler does nothing, so the time is the wait for that process's loop, which
    every websocket message and every script run's output passes through, plus a loopback round trip."""
    while not hall.over():
        asked = time.perf_counter()
        try:
            await http_get(f"{url}/_stcore/health", {}, 30)
        except (TimeoutError, OSError):
            pass  # a process that does not answer is a failed session elsewhere, not a loop figure
        else:
            found.append((time.perf_counter() - asked) * 1000)
        await asyncio.sleep(PROBE_EVERY)


def start_profiles(stage: Stage, window: float, folder: Path) -> list:
    """py-spy on every app process for the window, GIL-holding samples only: where each process's Python time
    goes (`py-spy record --gil`, raw collapsed stacks, one file per process, for flamegraph.pl or grep)."""
    import shutil
    import subprocess

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    folder.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(int(window)), "-r", "100", "--gil",
                              "-f", "raw", "-o", str(folder / f"app{k}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for k, pid in enumerate(stage.pids.get("app", []))]


def peak_memory_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM) in MB, nan once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def loop_lag(found: list[float], every: float = 0.05) -> None:
    """How late the generator's own event loop wakes up: a late loop reads the server's answers late, and
    its lateness would count as the server's. Reported beside the latencies so that a starved generator shows."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(every)
        found.append((time.perf_counter() - asked - every) * 1000)


def read_cpu(stage: Stage) -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"app": cpu_seconds(stage.pids.get("app", [])),
            "database": cpu_seconds(stage.pids.get("database", []), children=True),
            "proxy": cpu_seconds(stage.pids.get("proxy", [])),
            "generator": usage.ru_utime + usage.ru_stime}


def check_store(url: str, record: Record, prefilled: dict, tokens: list[str]) -> tuple[Counter, list[str]]:
    """Every acknowledged answer and vote stored exactly once; one submitted questionnaire per reviewer that
    finished, released or still sealed in the ballot box (matched by its answers, since a submitted one keeps no
    token); nothing linked to a token after submission."""
    found: Counter = Counter()
    problems: list[str] = []
    expected: dict[tuple[str, int, int], str] = {}
    for token, answers in prefilled.items():
        for (unit, dim), option in answers.items():
            expected[(token, unit, dim)] = option
    expected.update(record.answers)
    by_hash = {token_hash(t): t for t in tokens}
    engine = make_engine(url)
    with session_scope(engine) as s:
        rows = s.exec(select(Response.id, Response.token_hash, Response.status, Answer.unit_id, Answer.dimension_id,
                             Answer.option).join(Answer, Answer.response_id == Response.id)).all()
        drafts: dict[tuple[str, int, int], list[str]] = {}
        submitted: dict[int, dict[tuple[int, int], str]] = {}
        for response_id, hashed, status, unit, dim, option in rows:
            if status == "submitted":
                submitted.setdefault(response_id, {})[(unit, dim)] = option
                if hashed is not None:
                    found["linked_after_submit"] += 1
            elif hashed in by_hash:
                drafts.setdefault((by_hash[hashed], unit, dim), []).append(option)
        # Submitted questionnaires still in the ballot box (db.ballot_box) wait to be released with others.
        for sealed_id, content in s.exec(select(SealedBallot.id, SealedBallot.content)).all():
            submitted[-sealed_id] = {(u, d): o for u, d, o in content.get("answers", [])}
        finished = set(record.finished)
        for key, option in expected.items():
            if key[0] in finished:
                continue
            stored = drafts.get(key, [])
            found["lost"] += option not in stored or len(stored) == 0
            found["duplicated"] += max(len(stored) - 1, 0)
        # A submitted questionnaire is matched by its whole set of answers (its token is gone).
        want = Counter(frozenset(answers.items()) for answers in record.finished.values())
        have = Counter(frozenset(answers.items()) for answers in submitted.values())
        found["lost"] += sum((want - have).values())
        found["duplicated"] += sum((have - want).values())
        still_linked = s.exec(select(Response.token_hash).where(Response.status == "draft")).all()
        found["linked_after_submit"] += sum(1 for h in still_linked if by_hash.get(h) in finished)
        # Votes: one row per acknowledged vote, with its unit, option and comment.
        units = {u.id: u.code for u in s.exec(select(Unit)).all()}
        stored_votes = Counter((units[v.unit_id], v.option, v.comment) for v in s.exec(select(PollVote)).all())
        statuses = Counter(v.status for v in s.exec(select(PollVote)).all())
        acknowledged = Counter((unit, option, comment) for _, unit, option, comment in record.votes)
        found["lost"] += sum((acknowledged - stored_votes).values())
        found["duplicated"] += sum((stored_votes - acknowledged).values())
    engine.dispose()
    if found["lost"] or found["duplicated"]:
        problems.append(f"{found['lost']} acknowledged writes lost, {found['duplicated']} stored that were not "
                        "acknowledged or stored twice")
    if found["linked_after_submit"]:
        problems.append(f"{found['linked_after_submit']} submitted responses still linked to a token")
    found.update({f"votes_{k}": n for k, n in statuses.items()})
    return found, problems


def _can_watch_live(stage: Stage) -> bool:
    """The leader account checked once before a remote run; an unreachable server stops it in one line too."""
    try:
        return asyncio.run(people.can_watch_live(stage.url, *stage.leader))
    except (OSError, TimeoutError, people.ProtocolError) as error:
        raise SystemExit(f"{stage.url}: cannot open /live there ({type(error).__name__}: {str(error)[:200]}): "
                         "nothing was run") from None


def run_hall(plan: Plan, *, url: str | None = None, invitations: Path | None = None,
             leader: tuple[str, str] | None = None, metrics: list[str] | None = None,
             profile: Path | None = None) -> Result:
    """Build the stage (or use the given deployment), drive it, check the store, stop."""
    notes: list[str] = []
    if url:
        from bench.hall.stage import LEADER
        stage = Stage(url.rstrip("/"), None, read_invitations(invitations) if invitations else [],
                      leader or LEADER, {}, f"{url} (remote)", apps=[m.rstrip("/") for m in metrics or []])
        if plan.reviewers > len(stage.invitations):
            raise SystemExit(f"{plan.reviewers} reviewers asked for, {len(stage.invitations)} invitations given")
        prefilled: dict = {}
        database_url = None
        if leader is None and plan.live_viewers:
            plan = replace(plan, live_viewers=0)
            notes.append("no /live viewers: --leader USERNAME PASSWORD names the account they sign in with")
        elif plan.live_viewers and not _can_watch_live(stage):
            raise SystemExit(f"{url}/live: {stage.leader[0]!r} cannot sign in as a leader there (wrong user name or "
                             "password, or not a leader or admin account): nothing was run")
    else:
        stage, database_url = start(reviewers=plan.reviewers, database=plan.database, replicas=plan.replicas)
        prefilled = {}
        if plan.mid_hall:
            prefilled = mid_hall(database_url, stage.invitations[:plan.reviewers], seed=plan.seed)
    try:
        result = asyncio.run(drive(plan, stage, prefilled, profile))
        result.label = stage.label
        result.notes += notes
        if database_url:
            result.store, problems = check_store(database_url, result.record, prefilled,
                                                 [i.token for i in stage.invitations])
            result.problems += problems
        else:
            result.notes.append("store not checked: a remote deployment's database is not reachable from here")
        if result.record.failures or result.record.resume_failures:
            tail = ""
            for log in stage.logs:
                if log.exists():
                    tail += log.read_text(errors="replace")[-1500:]
            result.problems.append("sessions that failed: " + "; ".join(
                (result.record.failures + result.record.resume_failures)[:5]) + (f"\nserver log tail:\n{tail}"
                                                                                  if tail else ""))
    finally:
        stage.stop()
    return result


def summary(result: Result) -> str:
    f, r = result.figures(), result.record
    median = statistics.median(r.taps()) if r.taps() else float("nan")
    lines = [
        f"# hall: {result.plan.shape()} for {result.window_s:.0f} s on {result.label}",
        f"#   reviewer taps {f['taps']}: p50 {median:.0f} ms, p95 {f['tap_p95_ms']:.0f} ms, "
        f"p99 {f['tap_p99_ms']:.0f} ms; poll p95 {f['poll_p95_ms']:.0f} ms; live refresh p95 {f['live_p95_ms']:.0f} ms",
        f"#   {f['interactions']} interactions ({f['interactions_per_s']:.1f}/s); server CPU "
        f"{f['cpu_ms_per_interaction']:.1f} ms per interaction, {f['cpu_ms_per_answer']:.1f} ms per answer "
        f"(app processes, {f['app_cores']:.2f} cores: {f['reviewers_per_app_core']:.0f} reviewers per core); "
        f"database {f['db_cpu_ms_per_interaction']:.1f} ms; "
        f"generator {f['generator_cpu_ms_per_interaction']:.1f} ms per interaction (its loop wakes "
        f"{f['generator_lag_p95_ms']:.0f} ms late at p95)",
        f"#   {len(r.answers)} answers acknowledged, {len(r.finished)} questionnaires submitted, "
        f"{r.resumed} reloads resumed ({len(r.resume_failures)} not); votes acknowledged {len(r.votes)} "
        f"(stored accepted {result.store.get('votes_accepted', 0)}, flagged {result.store.get('votes_flagged', 0)}), "
        f"refused {r.refused}; unknown screens {r.unknown_screens}; 'next' tapped again {r.retaps}",
        f"#   failures {f['failures']}; writes lost or duplicated {f['lost_or_duplicated']}",
        f"#   first {BURST_S} s (every tablet opening at once): {f['burst_opens']} pages opened, p95 "
        f"{f['burst_open_p95_ms']:.0f} ms; reviewer taps {f['burst_taps']}: p50 {f['burst_tap_p50_ms']:.0f} ms, "
        f"p95 {f['burst_tap_p95_ms']:.0f} ms, p99 {f['burst_tap_p99_ms']:.0f} ms",
    ]
    m = result.metrics
    if m:
        lines.append(
            f"#   /_review/metrics over the window: {m['server_answers']:.0f} answers, {m['server_submitted']:.0f} "
            f"submitted, votes {m['server_votes_accepted']:.0f} accepted / {m['server_votes_flagged']:.0f} flagged / "
            f"{m['server_votes_refused']:.0f} refused, {m['server_store_errors']:.0f} store errors; questionnaire "
            f"p50 {m['server_p50_ms']:.0f} ms (generator {m['generator_p50_ms']:.0f}), p95 {m['server_p95_ms']:.0f} ms "
            f"(generator {m['generator_p95_ms']:.0f}), {m['server_questionnaire_interactions']:.0f} interactions "
            f"(generator {m['generator_questionnaire_interactions']:.0f})")
    if result.server_loop_ms:
        lines.append(
            f"#   app processes' event loops (/_stcore/health straight to each, every {PROBE_EVERY} s): p50 "
            f"{f['server_loop_p50_ms']:.0f} ms, p95 {f['server_loop_p95_ms']:.0f} ms, "
            f"p99 {f['server_loop_p99_ms']:.0f} ms"
            + "; per process p95 " + ", ".join(f"{percentile(v, 0.95):.0f}" for v in result.server_loop_ms.values())
            + " ms")
    if result.memory_mb:
        lines.append(f"#   memory: {result.plan.replicas} app process(es) on {CORES} cores "
                     f"({f['replicas_per_core']:g} per core), peak resident "
                     + ", ".join(f"{m:.0f}" for m in result.memory_mb.values())
                     + f" MB ({f['memory_mb_all_replicas']:.0f} MB together)")
    return "\n".join(lines)
