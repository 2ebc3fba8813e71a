"""Several app processes on one PostgreSQL, and behind nginx with sticky sessions (deploy/nginx.conf).

Two processes writing at once lose and duplicate nothing; through the shipped nginx config every
request of a browser session (page, websocket, upload) reaches one replica, and sessions spread
over both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

from core.clock import office_today
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import copy_campaign
from db.engine import make_engine, session_scope
from db.models import Answer, PollVote, Reviewer
from db.users import create_user
from deploy import nginx
from tests.conftest import unavailable
from tests.support import postgres
from tests.support.browser import PHONE, TABLET, wait_for_app
from tests.support.panel import open_panel
from tests.support.pool_files import csv_bytes, people
from tests.support.server import AppServer
from tests.test_faults import THANKS, vote

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "nginx.conf"


@pytest.fixture
def pg_url(pg_server):
    url = postgres.create_database(pg_server)
    yield url
    postgres.drop_database(pg_server, url)


def test_two_processes_write_to_one_postgresql_without_loss_or_duplicates(pg_url):
    issued = open_panel(pg_url, base_url="http://127.0.0.1", panel=24)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writers = [subprocess.Popen([sys.executable, "-m", "tests.support.writer", pg_url, tag, issued[k].token],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
               for k, tag in enumerate(("one", "two"))]
    printed = [w.communicate(timeout=300)[0].split("\n") for w in writers]
    assert all(lines[-2] == "DONE" for lines in printed)
    promised = [line for lines in printed for line in lines if line.startswith(("A ", "V "))]
    engine = make_engine(pg_url)
    with session_scope(engine) as s:
        answers = s.exec(select(func.count()).select_from(Answer)).one()
        comments = Counter(s.exec(select(PollVote.comment)).all())
    engine.dispose()
    assert answers == sum(line.startswith("A ") for line in promised) == 2 * 185
    assert sorted(comments) == sorted(line[2:] for line in promised if line.startswith("V "))
    assert set(comments.values()) == {1} and len(comments) == 2 * 185


# ---------------------------------------------------------------------------------------------
# nginx in front of two replicas


def test_the_shipped_config_has_what_streamlit_needs(tmp_path):
    text = CONFIG.read_text(encoding="utf-8")
    upload_mb = int(re.search(r"maxUploadSize\s*=\s*(\d+)", (ROOT / ".streamlit/config.toml").read_text())[1])
    assert re.search(rf"client_max_body_size\s+{upload_mb}m;", text)
    assert re.search(r"hash\s+\$replica_key\s+consistent;", text)  # sticky
    assert "proxy_set_header Upgrade $http_upgrade;" in text and "proxy_http_version 1.1;" in text
    assert "proxy_buffering off;" in text and "X-Forwarded-For $proxy_add_x_forwarded_for" in text
    if shutil.which("nginx"):
        # Over plain HTTP (its https lines need a certificate: tests/test_deploy.py checks those).
        (tmp_path / "nginx.conf").write_text(nginx.plain(text), encoding="utf-8")
        done = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr


def proxy_config(folder: Path, listen: int, upstreams: list[int]) -> Path:
    """The shipped config over plain HTTP with this test's ports, files in `folder` and upstreams in the access log."""
    text = nginx.plain(CONFIG.read_text(encoding="utf-8"))
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in upstreams)
    text = re.sub(r"(\s+server 127\.0\.0\.1:\d+ [^\n]*\n)+", "\n" + servers + "\n", text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    text = text.replace("pid /run/nginx-review.pid;", f"pid {folder}/nginx.pid;")
    text = text.replace("/var/log/nginx/review-error.log", f"{folder}/error.log")
    text = text.replace("access_log /var/log/nginx/review-access.log review;",
                        "log_format sticky '$upstream_addr|$cookie_review_replica|$uri|$status';\n"
                        f"    access_log {folder}/access.log sticky;")
    path = folder / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def replicas(pg_url, tmp_path):
    if shutil.which("nginx") is None:
        unavailable("nginx (Debian package nginx-light)")
    engine = make_engine(pg_url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
        create_user(s, actor=cli_actor(), username="admin1", role="admin", password="admin password 1",
                    must_change_password=False)
    apps = [AppServer(pg_url, tmp_path / f"app{k}.log", POLL_SALT="replica-salt", TRUST_PROXY="1").start()
            for k in range(2)]
    folder = tmp_path / "nginx"
    folder.mkdir()
    os.chmod(tmp_path, 0o755)  # nginx's workers run as an unprivileged user
    listen = postgres.free_port()
    conf = proxy_config(folder, listen, [app.port for app in apps])
    proxy = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                             stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{listen}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                break
        except OSError:
            time.sleep(0.1)
    yield url, apps, folder / "access.log", engine
    proxy.terminate()
    proxy.wait(timeout=10)
    for app in apps:
        app.stop()
    engine.dispose()


def sessions_by_replica(log: Path) -> dict[str, set[str]]:
    """Cookie -> the replicas its requests reached (requests without the cookie left out)."""
    reached = defaultdict(set)
    for line in log.read_text().splitlines():
        upstream, cookie, _uri, _status = line.split("|")
        if cookie:
            reached[cookie].add(upstream)
    return reached


@pytest.mark.browser
def test_sessions_stick_to_one_replica_and_spread_over_both(browser, replicas):
    url, apps, log, engine = replicas
    contexts, voted = [], 0
    units = [("供电", "开发区供电公司"), ("公安", "区公安分局(区交管局)"), ("教育", "区教育局"), ("民政", "区民政局")]
    for k in range(12):
        context = browser.new_context(**PHONE, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{url}/poll")
        wait_for_app(page)
        if k < len(units):  # a vote goes over the websocket of the replica holding the session
            vote(page, *units[k])
            expect(page.get_by_text(THANKS)).to_be_visible(timeout=15_000)
            voted += 1
        contexts.append(context)
    for context in contexts:
        context.close()
    websocket_lines = []
    for _ in range(100):  # nginx writes a websocket's line when it closes
        websocket_lines = [line for line in log.read_text().splitlines() if "/_stcore/stream" in line]
        if len(websocket_lines) >= 12:
            break
        time.sleep(0.1)
    reached = sessions_by_replica(log)
    assert len(reached) >= 12 and all(len(upstreams) == 1 for upstreams in reached.values()), reached
    assert len(websocket_lines) >= 12 and all(line.split("|")[1] for line in websocket_lines)
    assert {next(iter(u)) for u in reached.values()} == {f"127.0.0.1:{app.port}" for app in apps}
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(PollVote)).one() == voted


@pytest.mark.browser
def test_an_upload_through_the_proxy_reaches_its_session(browser, replicas, tmp_path):
    from tests.test_browser_smoke import sign_in

    url, _apps, log, engine = replicas
    pool_file = tmp_path / "评议人员名单.csv"
    pool_file.write_bytes(csv_bytes(people(), encoding="gb18030"))
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    sign_in(page, url, "admin1", "admin password 1")
    page.locator("[data-testid='stSidebarNav'] a", has_text="评议人员库").click()
    wait_for_app(page)
    page.locator("input[type='file']").set_input_files(str(pool_file))
    page.get_by_text("已检查 2000 行").wait_for(timeout=30_000)
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("新增 2000 人").wait_for(timeout=30_000)
    context.close()
    assert any("/_stcore/upload_file/" in line for line in log.read_text().splitlines())
    assert all(len(upstreams) == 1 for upstreams in sessions_by_replica(log).values())
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Reviewer)).one() == 2000
