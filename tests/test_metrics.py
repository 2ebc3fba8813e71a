"""Seeing the hall while it happens (issue 24 §3): /_review/metrics and /_review/health, and /panel's strip.

- who may read the endpoints: loopback straight to the app, or the bearer token; no token, a wrong token, a
  short configured token, and forwarded headers (nginx on the same machine connects from 127.0.0.1, with or
  without TRUST_PROXY) are refused; the shipped nginx config answers 404 for them whatever the request looks
  like, and never passes them on;
- health: ok on a migrated database, 503 with the reason on an unmigrated or unreachable one;
- the store's own counters (errors by kind, retries, transaction time) and the panel's "hall now" sums over
  replicas through the database.
The counts and latencies against the hall generator's are in tests/test_hall.py.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
import urllib.request
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from starlette.requests import Request

from core import monitoring
from core.clock import utcnow
from core.histogram import INTERACTION_BOUNDS, difference, quantile
from db import hall_now, metrics
from db.access import Actor, cli_actor
from db.bootstrap import init_database
from db.engine import StoreError, as_user_errors, make_engine, session_scope, transaction
from db.models import AppSetting, Campaign
from tests.conftest import unavailable
from tests.support.apptest import app_database, open_app
from tests.support.postgres import free_port
from tests.support.run_async import run_async
from ui import metrics as endpoints

TOKEN = "k" * 40
LOOPBACK, PUBLIC = ("127.0.0.1", 41000), ("203.0.113.9", 41000)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One initialised store for the module (each test starts from the environment it sets)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('metrics') / 'metrics.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    yield url, engine
    engine.dispose()


@pytest.fixture
def database(migrated, monkeypatch):
    url, engine = migrated
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv(monitoring.TOKEN_VARIABLE, raising=False)
    with session_scope(engine) as s:  # no hall-now rows left by another test
        for row in s.exec(select(AppSetting).where(AppSetting.key.startswith(hall_now.PREFIX))).all():
            s.delete(row)
    return engine


class Answer:
    def __init__(self, response) -> None:
        self.status_code, self.headers = response.status_code, response.headers
        self.text = response.body.decode()

    def json(self) -> dict:
        return json.loads(self.text)


class client:  # reads like a test client: client(peer).get(path, headers=...)
    """The app's monitoring routes called as Starlette calls them, from `peer`."""

    def __init__(self, peer=LOOPBACK) -> None:
        self.peer = peer

    def get(self, path: str, headers: dict | None = None) -> Answer:
        route = next(r for r in endpoints.routes() if r.path == path.split("?", maxsplit=1)[0])
        request = Request({"type": "http", "method": "GET", "path": path, "query_string": b"", "client": self.peer,
                           "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
                           "server": ("127.0.0.1", 8501), "scheme": "http"})
        return Answer(run_async(route.endpoint(request)))


# ---------------------------------------------------------------------------------------------
# Who may read them


def test_loopback_straight_to_the_app_reads_metrics_and_health(database):
    answer = client().get("/_review/metrics")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    text = answer.text
    for name in ("review_sessions_open", "review_interaction_seconds", "review_questionnaires_started_total",
                 "review_questionnaires_submitted_total", "review_answers_saved_total",
                 'review_poll_votes_total{status="flagged"}', 'review_store_errors_total{kind="busy"}',
                 "review_store_retries_total", "review_db_transaction_seconds_bucket", "review_db_ping_seconds",
                 "review_db_up 1.0", "process_cpu_seconds_total", "process_resident_memory_bytes"):
        assert name in text, name
    health = client().get("/_review/health")
    assert health.status_code == 200 and health.json()["status"] == "ok" and health.json()["database"] == "ok"


@pytest.mark.parametrize("path", ["/_review/metrics", "/_review/health"])
def test_the_public_gets_nothing_without_a_token(database, path):
    answer = client(PUBLIC).get(path)
    assert answer.status_code == 403 and "review_" not in answer.text and "database" not in answer.text


@pytest.mark.parametrize("headers", [
    {"X-Forwarded-For": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9, 127.0.0.1"},
    {"X-Real-IP": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"}, {"X-Forwarded-Proto": "https"}, {"Via": "1.1 x"},
])
@pytest.mark.parametrize("trust_proxy", ["", "1", "2"])
def test_a_request_forwarded_by_a_proxy_on_this_machine_is_not_local(database, monkeypatch, headers, trust_proxy):
    """nginx connects to the app from 127.0.0.1: whatever it forwarded, and whatever TRUST_PROXY says, the
    loopback exemption does not apply (else the proxy would publish the endpoint)."""
    monkeypatch.setenv("TRUST_PROXY", trust_proxy)
    for path in ("/_review/metrics", "/_review/health"):
        assert client().get(path, headers=headers).status_code == 403


def test_with_a_token_configured_only_that_token_opens_them(database, monkeypatch):
    monkeypatch.setenv(monitoring.TOKEN_VARIABLE, TOKEN)
    public = client(PUBLIC)
    assert public.get("/_review/metrics").status_code == 401  # no token
    assert public.get("/_review/metrics").headers["www-authenticate"].startswith("Bearer")
    for wrong in ("Bearer " + "k" * 39, "Bearer " + TOKEN + "x", "Bearer " + "K" * 40, "Basic " + TOKEN, TOKEN,
                  "Bearer "):
        answer = public.get("/_review/metrics", headers={"Authorization": wrong})
        assert answer.status_code == 401 and "review_" not in answer.text, wrong
    assert public.get("/_review/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert public.get("/_review/health", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200
    # Forwarded by a proxy, the token still works (a scrape through an internal proxy of the office's own).
    forwarded = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "10.0.0.5"}
    assert client().get("/_review/metrics", headers=forwarded).status_code == 200
    # A wrong token on loopback is refused too: presenting one is asking to be checked.
    assert client().get("/_review/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_short_configured_token_is_no_token(database, monkeypatch):
    monkeypatch.setenv(monitoring.TOKEN_VARIABLE, "secret")
    answer = client(PUBLIC).get("/_review/metrics", headers={"Authorization": "Bearer secret"})
    assert answer.status_code == 403
    assert client().get("/_review/metrics").status_code == 200  # loopback still answered


def test_the_loopback_rule_reads_addresses_strictly():
    assert monitoring.is_loopback("127.0.0.1") and monitoring.is_loopback("127.8.9.10")
    assert monitoring.is_loopback("::1") and not monitoring.is_loopback("::ffff:203.0.113.9")
    assert not monitoring.is_loopback("localhost") and not monitoring.is_loopback(None)
    assert not monitoring.is_loopback("10.0.0.1") and not monitoring.is_loopback("testclient")


class Upstream(http.server.BaseHTTPRequestHandler):
    """An app stand-in behind nginx: answers 200 to every path and remembers each one."""

    seen: ClassVar[list[str]] = []

    def do_GET(self):
        Upstream.seen.append(self.path)
        body = b"review_db_up 1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_shipped_nginx_config_never_passes_them_on(tmp_path):
    from deploy.replicas import proxy_config, wait_healthy

    if shutil.which("nginx") is None:
        unavailable("nginx (Debian package nginx-light)")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    folder = tmp_path / "nginx"
    folder.mkdir()
    os.chmod(tmp_path, 0o755)
    listen = free_port()
    conf = proxy_config(folder, f"127.0.0.1:{listen}", [upstream.server_address[1]])
    proxy = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                             stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{listen}"
    try:
        wait_healthy(base, 20)  # the stand-in answers /_stcore/health through nginx
        Upstream.seen.clear()
        attempts = ["/_review/metrics", "/_review/health", "/_review/metrics/", "//_review/metrics",
                    "/_review/%6Detrics", "/_review/./metrics", "/x/../_review/metrics", "/_review/metrics?x=1",
                    "/_review/health/"]
        headers = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "127.0.0.1"}
        for path in attempts:
            request = urllib.request.Request(base + path, headers=headers)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=5)
            assert refused.value.code == 404, path
        assert Upstream.seen == []  # none reached the app
        with urllib.request.urlopen(f"{base}/_review/session", timeout=5) as answer:  # the app's other route
            assert answer.status == 200
        assert Upstream.seen == ["/_review/session"]
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        upstream.shutdown()


# ---------------------------------------------------------------------------------------------
# Health


def test_health_says_what_is_wrong_with_the_database(tmp_path, monkeypatch):
    monkeypatch.delenv(monitoring.TOKEN_VARIABLE, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    answer = client().get("/_review/health")
    assert answer.status_code == 503 and answer.json()["status"] == "fail"
    assert "python -m db upgrade" in answer.json()["database"]
    assert "review_db_up 0.0" in client().get("/_review/metrics").text
    monkeypatch.setenv("DATABASE_URL", f"postgresql://nobody@127.0.0.1:{free_port()}/review")  # nothing listens
    answer = client().get("/_review/health")
    assert answer.status_code == 503 and answer.json()["database"].startswith("unreachable")
    monkeypatch.setenv("DATABASE_URL", "mysql://x@y/z")
    answer = client().get("/_review/health")
    assert answer.status_code == 503 and "DATABASE_URL" in answer.json()["database"]


# ---------------------------------------------------------------------------------------------
# The store's own counters


def _sample(name: str, labels: dict | None = None) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_retries_store_errors_and_transaction_time_are_counted(database):
    retries, busy = _sample("review_store_retries_total"), _sample("review_store_errors_total", {"kind": "busy"})
    transactions = _sample("review_db_transaction_seconds_count")
    calls = []

    def locked(session):
        calls.append(1)
        raise OperationalError("UPDATE x", {}, Exception("database is locked"))

    with pytest.raises(StoreError), as_user_errors():
        transaction(locked, engine=database, attempts=3)
    assert len(calls) == 3
    assert _sample("review_store_retries_total") == retries + 2
    assert _sample("review_store_errors_total", {"kind": "busy"}) == busy + 1
    assert _sample("review_db_transaction_seconds_count") == transactions + 3


# ---------------------------------------------------------------------------------------------
# Quantiles from the buckets, and the hall-now strip


def test_a_quantile_read_from_the_buckets_is_within_a_bucket_of_the_truth():
    import random

    rng = random.Random(5)
    values = sorted(rng.lognormvariate(-3.5, 0.8) for _ in range(5000))
    counts = [sum(v <= b for v in values) for b in INTERACTION_BOUNDS] + [len(values)]
    for share in (0.5, 0.95, 0.99):
        true = values[round(share * (len(values) - 1))]
        assert abs(quantile(INTERACTION_BOUNDS, counts, share) - true) <= 0.19 * true
    assert quantile(INTERACTION_BOUNDS, [0] * len(counts), 0.5) != quantile(INTERACTION_BOUNDS, counts, 0.5)
    assert difference([3, 5], [1, 2]) == [2, 3] and difference([1, 1], [1, 2]) == [1, 1]  # a restart between


def _figures(tablets, answers, seconds, fast, slow, errors):  # noqa: PLR0917
    histogram = [0.0] * (len(INTERACTION_BOUNDS) + 1)
    for k, bound in enumerate(INTERACTION_BOUNDS):
        histogram[k] = fast * (bound >= 0.02) + slow * (bound >= 0.5)
    histogram[-1] = fast + slow
    return {"tablets": tablets, "answers": answers, "seconds": seconds, "histogram": histogram, "store_errors": errors}


def test_hall_now_adds_up_the_replicas_that_published_lately(database):
    admin = Actor("admin", "admin")
    now = utcnow()
    with session_scope(database) as s:
        hall_now.publish(s, replica="a:1", figures=_figures(90, 300, 60, 95, 5, 0), now=now)
        hall_now.publish(s, replica="b:2", figures=_figures(110, 150, 30, 100, 0, 2), now=now - timedelta(seconds=5))
        hall_now.publish(s, replica="c:3", figures=_figures(50, 999, 60, 0, 50, 9), now=now - timedelta(minutes=5))
        s.add(AppSetting(key="hall_now:gone:4", value={}, updated_at=now - timedelta(hours=2)))
    with session_scope(database) as s:
        hall_now.publish(s, replica="a:1", figures=_figures(100, 300, 60, 95, 5, 0), now=now)  # replaced, and
        found = hall_now.read(s, actor=admin, now=now)
        keys = set(s.exec(select(AppSetting.key)).all())
    assert "hall_now:gone:4" not in keys and "hall_now:c:3" in keys  # an hour gone: removed
    assert found.replicas == 2 and found.tablets == 210 and found.store_errors == 2
    assert found.answers_per_minute == pytest.approx(300 + 300)  # 150 in 30 s is 300 a minute
    assert found.interactions == 200 and 20 <= found.p95_ms <= 500  # 5 slow of 200: p95 among the fast ones
    with session_scope(database) as s, pytest.raises(Exception, match="admin"):
        hall_now.read(s, actor=Actor("leader", "leader"), now=now)
    with session_scope(database) as s:
        assert hall_now.read(s, actor=admin, now=now + timedelta(minutes=1)) is None  # nobody published lately


def test_a_process_window_gives_its_last_minute():
    from ui.hall_now import Window

    window = Window(0.0)
    zero = [0.0] * (len(INTERACTION_BOUNDS) + 1)
    window.add(10.0, {"questionnaire": zero, "answers": 5.0, "store_errors": 1.0})
    for t in range(20, 130, 10):
        window.add(float(t), {"questionnaire": [float(t)] * len(zero), "answers": float(t), "store_errors": 1.0})
    figures = window.figures(tablets=7)
    assert figures["tablets"] == 7 and figures["seconds"] == 60
    assert figures["answers"] == 120 - 60 and figures["histogram"][-1] == 60
    assert figures["store_errors"] == 1  # the one error 110 s ago is within 15 minutes
    early = Window(0.0)
    early.add(10.0, {"questionnaire": [2.0] * len(zero), "answers": 4.0, "store_errors": 0.0})
    assert early.figures(tablets=1)["answers"] == 4.0 and early.figures(tablets=1)["seconds"] == 10


def test_the_panel_shows_the_hall_now_during_the_window(tmp_path, monkeypatch):
    engine = app_database(tmp_path, monkeypatch)
    with session_scope(engine) as s:
        for campaign in s.exec(select(Campaign)).all():
            campaign.panel_opens_at, campaign.panel_closes_at = utcnow() - timedelta(hours=1), utcnow() + \
                timedelta(hours=1)
            s.add(campaign)
        hall_now.publish(s, replica="a:1", figures=_figures(123, 456, 60, 40, 0, 3))
    at = open_app("panel", Actor("admin", "admin"))
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["在线平板"] == "123" and shown["每分钟作答"] == "456" and shown["存储错误(最近 15 分钟)"] == "3"
    with session_scope(engine) as s:
        for campaign in s.exec(select(Campaign)).all():
            campaign.panel_opens_at, campaign.panel_closes_at = utcnow() + timedelta(days=1), utcnow() + \
                timedelta(days=2)
            s.add(campaign)
    at = open_app("panel", Actor("admin", "admin"))
    assert "在线平板" not in {m.label for m in at.metric}  # outside the window: no strip
    engine.dispose()
