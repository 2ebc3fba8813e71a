"""Faults: a writer killed with SIGKILL loses no committed vote or answer and corrupts nothing; a
PostgreSQL restart is survived; a full disk or a read-only database gives a clear message, no trace."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
import streamlit as st
from playwright.sync_api import expect
from sqlalchemy import text
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.clock import office_today
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import copy_campaign
from db.engine import make_engine, session_scope, store_error, transaction
from db.models import Answer, AuditEvent, PollVote
from tests.conftest import unavailable
from tests.support import postgres
from tests.support.browser import PHONE, wait_for_app
from tests.support.panel import open_panel
from tests.support.server import AppServer

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
THANKS = "感谢您的评价"


# ---------------------------------------------------------------------------------------------
# kill -9 during writes


def writer(url: str, tag: str, tokens: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.support.writer", url, tag, *tokens], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))


def kill_mid_stream(process: subprocess.Popen, after_lines: int) -> list[str]:
    """Let the writer commit some writes, kill -9 it without warning, and return every line it printed."""
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if len(lines) >= after_lines:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=30)
    lines.extend(line.strip() for line in process.stdout)  # printed before the kill, still in the pipe
    assert "DONE" not in lines, "the writer finished before it could be killed"
    return [line for line in lines if line]


def integrity_ok(url: str) -> None:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_killed_writer_loses_no_committed_vote_or_answer(db_url):
    issued = open_panel(db_url, base_url="http://127.0.0.1", panel=24)
    rng = random.Random(9)
    printed = []
    for round_ in range(4):
        tokens = [issued[2 * round_].token, issued[2 * round_ + 1].token]
        printed += kill_mid_stream(writer(db_url, f"r{round_}", tokens), after_lines=rng.randrange(40, 160))
    integrity_ok(db_url)

    engine = make_engine(db_url)
    with session_scope(engine) as s:
        answers = {(a.response_id, a.unit_id, a.dimension_id): a.option for a in s.exec(select(Answer)).all()}
        comments = Counter(s.exec(select(PollVote.comment)).all())
    engine.dispose()
    promised_answers = [line.split()[1:] for line in printed if line.startswith("A ")]
    promised_votes = [line.split()[1] for line in printed if line.startswith("V ")]
    assert len(promised_answers) > 50 and len(promised_votes) > 50
    for response_id, unit_id, dim_id, option in promised_answers:
        assert answers[(int(response_id), int(unit_id), int(dim_id))] == option
    assert all(comments[comment] == 1 for comment in promised_votes)  # kept, and exactly once
    # At most the one write in flight at each kill was committed without being reported.
    assert len(answers) - len(promised_answers) <= 4 and sum(comments.values()) - len(promised_votes) <= 4


@pytest.mark.browser
def test_a_killed_app_server_keeps_every_vote_it_thanked_for(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'poll.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    server = AppServer(url, tmp_path / "server.log", POLL_SALT="fault-salt").start()
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    thanked = []
    try:
        page.goto(f"{server.url}/poll")
        wait_for_app(page)
        units = [("供电", "开发区供电公司"), ("公安", "区公安分局(区交管局)"), ("教育", "区教育局")]
        for typed, name in units[:2]:
            vote(page, typed, name)
            expect(page.get_by_text(THANKS)).to_be_visible(timeout=15_000)
            thanked.append(name)
        pick(page, *units[2])
        page.get_by_role("button", name="满意", exact=True).click()
        server.kill()  # kill -9 while the third vote may be on its way in
        integrity_ok(url)
        server.restart()
        page.goto(f"{server.url}/poll")
        wait_for_app(page)
        vote(page, "民政", "区民政局")
        expect(page.get_by_text(THANKS)).to_be_visible(timeout=15_000)
        thanked.append("区民政局")
    finally:
        context.close()
        server.stop()
    integrity_ok(url)
    with session_scope(engine) as s:
        stored = Counter(s.exec(text("SELECT unit.name FROM pollvote JOIN unit ON unit.id = pollvote.unit_id"))
                         .scalars().all())
    engine.dispose()
    assert all(stored[name] == 1 for name in thanked)
    assert set(stored) <= {*thanked, "区教育局"} and max(stored.values()) == 1


def pick(page, typed: str, name: str) -> None:
    search = page.get_by_label("输入单位名称查找")
    search.fill(typed)
    search.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name=name, exact=True).click()
    page.get_by_text("履职尽责的情况满意吗").wait_for(timeout=15_000)
    wait_for_app(page)


def vote(page, typed: str, name: str, option: str = "满意") -> None:
    if page.get_by_role("button", name="选择其他单位").count():
        page.get_by_role("button", name="选择其他单位").click()
        wait_for_app(page)
    pick(page, typed, name)
    page.get_by_role("button", name=option, exact=True).click()
    wait_for_app(page)


# ---------------------------------------------------------------------------------------------
# A PostgreSQL restart while the app is in use


@pytest.fixture
def own_postgres():
    """A PostgreSQL cluster of this test's own, so that it can be restarted without disturbing others."""
    if not postgres.can_start():
        unavailable("PostgreSQL (initdb/pg_ctl)")
    server = postgres.TempServer().start()
    url = postgres.create_database(server.url)
    yield server, url
    server.stop()


def restart(server: postgres.TempServer) -> None:
    # fast: open connections are cut, as in a failover or an administrator's restart.
    server._as_postgres(postgres._bin("pg_ctl"), "-D", str(server.folder / "data"), "-l",
                        str(server.folder / "log"), "-m", "fast", "-w", "restart")


def test_the_store_reconnects_after_a_postgresql_restart(own_postgres):
    server, url = own_postgres
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())

    def audit(s, n):
        s.add(AuditEvent(actor="test", action=f"write{n}", entity="x"))

    transaction(lambda s: audit(s, 1), engine=engine)
    restart(server)  # every pooled connection is now dead
    transaction(lambda s: audit(s, 2), engine=engine)  # pre-ping and the retry find a live one

    with pytest.raises(Exception) as cut, session_scope(engine) as s:
        audit(s, 3)
        s.flush()
        restart(server)  # the transaction's own connection dies under it
        audit(s, 4)
        s.flush()
    assert store_error(cut.value).key == "store.busy"
    transaction(lambda s: audit(s, 5), engine=engine)
    with session_scope(engine) as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.actor == "test")).all()
    engine.dispose()
    assert sorted(actions) == ["write1", "write2", "write5"]


def test_a_pooled_connection_is_pinged_only_after_lying_idle_and_a_restart_is_survived_either_way(
        own_postgres, monkeypatch):
    """No round trip before each transaction of a busy hall (issue 27); a connection that lay idle is
    pinged, and a dead one is replaced before the work starts. One used a moment ago that died with a
    restart fails as a disconnect, and the transaction runs again on a new one."""
    import db.engine
    from db import metrics

    server, url = own_postgres
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or ping(connection))

    def audit(s, n):
        s.add(AuditEvent(actor="ping-test", action=f"write{n}", entity="x"))

    for n in range(3):  # back to back: no ping
        transaction(lambda s, n=n: audit(s, n), engine=engine)
    assert pings == []

    monkeypatch.setattr(db.engine, "PING_AFTER_IDLE_S", 0.0)  # every connection counts as idle now
    restart(server)
    retries = metrics.STORE_RETRIES._value.get()
    transaction(lambda s: audit(s, 3), engine=engine)
    assert pings and metrics.STORE_RETRIES._value.get() == retries  # the ping found it dead: no retry

    monkeypatch.setattr(db.engine, "PING_AFTER_IDLE_S", 3600.0)  # no connection counts as idle
    restart(server)
    transaction(lambda s: audit(s, 4), engine=engine)  # the dead connection fails, the work runs again
    assert metrics.STORE_RETRIES._value.get() == retries + 1
    with session_scope(engine) as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.actor == "ping-test")).all()
    engine.dispose()
    assert sorted(actions) == ["write0", "write1", "write2", "write3", "write4"]


@pytest.mark.browser
def test_the_app_survives_a_postgresql_restart(browser, own_postgres, tmp_path):
    server, url = own_postgres
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    app = AppServer(url, tmp_path / "server.log", POLL_SALT="fault-salt").start()
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{app.url}/poll")
        wait_for_app(page)
        vote(page, "供电", "开发区供电公司")
        expect(page.get_by_text(THANKS)).to_be_visible(timeout=15_000)
        restart(server)
        vote(page, "公安", "区公安分局(区交管局)")  # the same browser session, on new connections
        expect(page.get_by_text(THANKS)).to_be_visible(timeout=15_000)
        assert "Traceback" not in page.content()
    finally:
        context.close()
        app.stop()
    with session_scope(engine) as s:
        assert len(s.exec(select(PollVote)).all()) == 2
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# A full disk and a read-only database


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB file system of its own (tmpfs), which the test can fill or make read-only."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        unavailable("a tmpfs mount (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(descriptor)
    return filler


def poll_app(monkeypatch, folder: Path) -> AppTest:
    # A new file name per test: the app keeps one engine per database address.
    url = f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("POLL_SALT", "fault-salt")
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    engine.dispose()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/poll.py")
    at.run()
    return at


def apptest_vote(at: AppTest, typed: str, name: str, option: str = "满意") -> str:
    for other in [b for b in at.button if b.label == "选择其他单位"]:
        other.click()
        at.run()
    at.text_input(key="poll_query").input(typed)
    at.run()
    next(b for b in at.button if b.label == name).click()
    at.run()
    next(b for b in at.get("form_submit_button") if b.label == option).click()
    at.run()
    assert not at.exception, at.exception
    return " ".join(str(e.value) for e in [*at.error, *at.success, *at.warning, *at.header, *at.markdown])


def test_a_full_disk_gives_a_clear_message_and_the_app_recovers(small_disk, monkeypatch):
    at = poll_app(monkeypatch, small_disk)
    filler = fill(small_disk)
    said = apptest_vote(at, "供电", "开发区供电公司")
    assert "服务器磁盘已满" in said and "未保存" in said and "Traceback" not in said
    filler.unlink()  # space again: the next vote goes through
    assert THANKS in apptest_vote(at, "公安", "区公安分局(区交管局)")


def test_a_read_only_database_gives_a_clear_message(small_disk, monkeypatch):
    at = poll_app(monkeypatch, small_disk)
    from ui.store import engine

    engine().dispose()  # a file system with files open for writing cannot be made read-only
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    said = apptest_vote(at, "供电", "开发区供电公司")
    assert "无法写入" in said and "Traceback" not in said
    at.switch_page("pages/home.py")  # reading still works: the sign-in screen comes up
    at.run()
    assert not at.exception


# ---------------------------------------------------------------------------------------------
# Which store errors are worth another attempt, and what a person is told


def wrapped(message: str, sqlstate: str = ""):
    from sqlalchemy.exc import OperationalError

    original = sqlite3.OperationalError(message)
    if sqlstate:
        original = type("PgError", (Exception,), {"sqlstate": sqlstate})(message)
    return OperationalError("INSERT …", {}, original)


@pytest.mark.parametrize(("message", "sqlstate", "transient", "key"), [
    ("database is locked", "", True, "store.busy"),
    ("database or disk is full", "", False, "store.full"),
    ("attempt to write a readonly database", "", False, "store.read_only"),
    ("unable to open database file", "", False, "store.read_only"),
    ("terminating connection due to administrator command", "57P01", True, "store.busy"),
    ("could not serialize access due to concurrent update", "40001", True, "store.busy"),
    ("deadlock detected", "40P01", True, "store.busy"),
    ("could not extend file: No space left on device", "53100", False, "store.full"),
    ("syntax error at or near", "42601", False, "store.failed"),
])
def test_store_errors_are_sorted_and_explained(message, sqlstate, transient, key):
    from db.engine import is_transient
    from ui.i18n import catalogue

    error = wrapped(message, sqlstate)
    assert is_transient(error) is transient
    assert store_error(error).key == key
    assert key in catalogue("zh") and key in catalogue("en")


def test_a_writer_waits_for_a_lock_instead_of_failing(tmp_path):
    import threading
    import time

    url = f"sqlite:///{tmp_path / 'lock.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    holder = sqlite3.connect(tmp_path / "lock.db", check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    threading.Timer(1.0, holder.commit).start()
    started = time.perf_counter()
    transaction(lambda s: s.add(AuditEvent(actor="test", action="after-lock", entity="x")), engine=engine)
    assert time.perf_counter() - started >= 0.9
    holder.close()
    engine.dispose()


def _fragment_app():
    import sqlite3

    import streamlit as st
    from sqlalchemy.exc import OperationalError

    from ui.store import fragment_store_errors

    @st.fragment
    @fragment_store_errors
    def part():
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database or disk is full"))

    part()
    st.write("the rest of the page")


def test_a_store_failure_inside_a_fragment_is_a_message_not_a_traceback():
    # A fragment's timed rerun runs alone, outside the page's handler: it needs its own.
    at = AppTest.from_function(_fragment_app, default_timeout=30).run()
    assert not at.exception
    assert len(at.error) == 1 and "Traceback" not in str(at.error[0].value)
    assert "the rest of the page" in " ".join(str(m.value) for m in at.markdown)
