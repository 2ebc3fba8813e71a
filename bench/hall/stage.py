"""The hall's own stage: a store with a campaign running today, a drawn panel with invitations, a leader
account, and the server(s): one process on SQLite or PostgreSQL, or K replicas behind nginx on PostgreSQL.

Loopback only; everything lives in a temporary folder (and a temporary PostgreSQL server) that is
removed afterwards.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from core.clock import office_today, utcnow
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import copy_campaign, get_campaign, reviewer_groups
from db.draws import create_draw, issue_invitations
from db.engine import make_engine, session_scope
from db.models import Answer, Reviewer
from db.questionnaire import open_questionnaire, save_position, structure
from db.users import create_user
from deploy.replicas import Replicas
from tests.support import postgres
from tests.support.server import AppServer

SALT = "bench-hall"  # a throw-away store's salt, not a secret
LEADER = ("hall_leader", "hall leader password 1")
PANEL_YEAR = 2017  # the scheme's campaign: its panel window is opened around now


@dataclass
class Invitation:
    token: str
    link: str


@dataclass
class Stage:
    """A running deployment to drive: its address, its store, its invitations and processes."""

    url: str
    database_url: str | None
    invitations: list[Invitation]
    leader: tuple[str, str]
    pids: dict[str, list[int]] = field(default_factory=dict)
    label: str = ""
    stop_actions: list = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    # Each app process's own address: its /_review/metrics are read, its event loop is probed.
    apps: list[str] = field(default_factory=list)

    def stop(self) -> None:
        for action in reversed(self.stop_actions):
            try:
                action()
            except Exception:  # stopping is best effort; the folder goes anyway
                pass


def build_store(url: str, *, reviewers: int, base_url: str) -> list[Invitation]:
    """Initialise the store: scheme campaign with its panel open now, a pool, a draw, invitations, a leader."""
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    panel = max(reviewers, 12)  # the draw takes at least 2 from each of the 6 groups
    with session_scope(engine) as s:
        campaign = get_campaign(s, PANEL_YEAR)
        s.bulk_insert_mappings(Reviewer, [
            dict(campaign_id=campaign.id, group_id=g.id, person_key=f"h{g.code}{i}", name=f"评议人{g.code}{i}")
            for g in reviewer_groups(s, campaign.id) for i in range(max(40, panel))])
        campaign.panel_opens_at = utcnow() - timedelta(days=1)
        campaign.panel_closes_at = utcnow() + timedelta(days=1)
        s.add(campaign)
        # This year's campaign (a copy of the scheme's) keeps the public poll open today.
        copy_campaign(s, actor=cli_actor(), from_year=PANEL_YEAR, to_year=office_today().year)
        create_user(s, actor=cli_actor(), username=LEADER[0], role="leader", password=LEADER[1],
                    must_change_password=False)
    with session_scope(engine) as s:
        draw = create_draw(s, actor=cli_actor(), year=PANEL_YEAR, seed="bench hall", n=panel)
        issued = issue_invitations(s, actor=cli_actor(), draw_id=draw.id, base_url=base_url)
    engine.dispose()
    return [Invitation(i.token, i.link) for i in issued]


def mid_hall(url: str, invitations: list[Invitation], *, seed: int, units_total: int = 37
             ) -> dict[str, dict[tuple[int, int], str]]:
    """Reviewers caught at every stage of a 20-minute hall: reviewer k has already answered a seeded number
    of units and resumes there (the draft opened as the app opens it, the answers inserted in bulk: one
    save_answer per answer takes minutes for 400 reviewers on PostgreSQL). Returns token -> answers given."""
    engine = make_engine(url)
    given: dict[str, dict[tuple[int, int], str]] = {}
    options = ["satisfied", "basically_satisfied", "dissatisfied", "unknown"]
    rows = []
    with session_scope(engine) as s:
        shape = None
        for k, invitation in enumerate(invitations):
            rng = random.Random(f"{seed}-prefill-{k}")
            ballot = open_questionnaire(s, entry=invitation.token, client="bench-hall", device=f"bench-{k}")
            shape = shape or structure(s, campaign_id=ballot.campaign_id)
            done = rng.randint(0, min(units_total, len(shape.units)) - 1)
            answers = {(unit.id, dim.id): rng.choice(options) for unit in shape.units[:done]
                       for dim in shape.dimensions}
            rows += [dict(response_id=ballot.response_id, unit_id=u, dimension_id=d, option=o)
                     for (u, d), o in answers.items()]
            save_position(s, token=ballot.token_hash, unit_code=shape.units[done].code)
            given[invitation.token] = answers
        s.bulk_insert_mappings(Answer, rows)
    engine.dispose()
    return given


def start(*, reviewers: int, database: str, replicas: int, label: str = "") -> tuple[Stage, str]:
    """Build a store and start the server(s); returns the stage and the store's URL."""
    folder = Path(tempfile.mkdtemp(prefix="bench-hall-"))
    actions = [lambda: shutil.rmtree(folder, ignore_errors=True)]
    pg = None
    try:
        if database == "postgresql" or replicas > 1:
            if not postgres.can_start():
                raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
            pg = postgres.TempServer().start()
            actions.append(pg.stop)
            url = postgres.create_database(pg.url)
        else:
            url = f"sqlite:///{folder / 'hall.db'}"
        env = {"POLL_SALT": SALT, "NETWORK_SALT": SALT}
        if replicas > 1:
            ports = [postgres.free_port() for _ in range(replicas)]
            # The generator's X-Forwarded-For plays the outer proxy (a CDN or the portal), nginx the inner one.
            group = Replicas(url, ports, f"127.0.0.1:{postgres.free_port()}", folder, TRUST_PROXY="2", **env)
            base = group.url
            invitations = build_store(url, reviewers=reviewers, base_url=base)
            actions.append(group.stop)
            group.start()
            pids = group.pids()
            logs = [folder / f"app{k}.log" for k in range(replicas)]
            apps = [f"http://127.0.0.1:{port}" for port in ports]
        else:
            server = AppServer(url, folder / "app.log", TRUST_PROXY="1", **env)
            base = server.url
            invitations = build_store(url, reviewers=reviewers, base_url=base)
            actions.append(server.stop)
            server.start(timeout=120)
            pids = {"app": [server.process.pid], "proxy": []}
            logs = [folder / "app.log"]
            apps = [server.url]
        if pg is not None:
            pids["database"] = postgres_pids(pg)
        stage = Stage(base, url, invitations, LEADER, pids, label or describe(database, replicas), actions, logs,
                      apps)
        return stage, url
    except BaseException:
        for action in reversed(actions):
            try:
                action()
            except Exception:
                pass
        raise


def postgres_pids(pg) -> list[int]:
    """The PostgreSQL server's processes (postmaster and its backends), found again at each reading."""
    pid_file = pg.folder / "data" / "postmaster.pid"
    try:
        return [int(pid_file.read_text().split()[0])]
    except (OSError, ValueError, IndexError):
        return []


def describe(database: str, replicas: int) -> str:
    if replicas > 1:
        return f"{replicas} replicas behind nginx, PostgreSQL"
    return f"1 process, {'PostgreSQL' if database == 'postgresql' else 'SQLite'}"


def cpu_seconds(pids: list[int], *, children: bool = False) -> float:
    """User + system CPU of these processes (and, for a postmaster, of its backends: they are its children)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    seen = set()
    queue = list(pids)
    while queue:
        pid = queue.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        if children:  # the CPU of children that ended (PostgreSQL backends of closed connections) too
            total += (int(fields[13]) + int(fields[14])) / tick
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    queue.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return total
