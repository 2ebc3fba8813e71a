"""Fixtures shared by the suite.

Store tests take `db_url`, which runs them once on SQLite and once on PostgreSQL.
Under CI=true a missing PostgreSQL or browser fails the run instead of skipping.
"""

from __future__ import annotations

import os

import pytest

from tests.support import postgres

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str) -> None:
    """Skip on a developer's machine; fail in CI, where everything must be there."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true", pytrace=False)
    pytest.skip(f"{what} is not available here")


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("TEST_PG_URL")
    if url:
        yield url
        return
    if not postgres.can_start():
        unavailable("PostgreSQL (initdb/pg_ctl)")
    server = postgres.TempServer().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The URL of a fresh, empty database on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'review.db'}"
        return
    server = request.getfixturevalue("pg_server")
    url = postgres.create_database(server)
    try:
        yield url
    finally:
        postgres.drop_database(server, url)


@pytest.fixture
def engine(db_url):
    """A migrated, empty database."""
    from db import migrate
    from db.engine import make_engine

    engine = make_engine(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def admin():
    from db.access import Actor

    return Actor("admin", "admin")


@pytest.fixture
def scheme_engine(engine):
    """A migrated database with the 2017 scheme loaded (as `python -m db init` does)."""
    from db.access import cli_actor
    from db.bootstrap import init_database

    init_database(engine, actor=cli_actor())
    return engine


@pytest.fixture(scope="session")
def browser():
    from tests.support.browser import ARGS, CHROMIUM, chromium_available

    if not chromium_available():
        unavailable("Chromium (/usr/bin/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright (pip package playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_app(tmp_path):
    """The app served from a fresh, initialised SQLite database, with one account per role."""
    from db.access import cli_actor
    from db.bootstrap import init_database
    from db.engine import make_engine, session_scope
    from db.users import create_user
    from tests.support.server import AppServer

    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        for role in ("admin", "inspector", "leader", "analyst", "liaison"):
            create_user(s, actor=cli_actor(), username=f"{role}1", role=role, password=f"{role} password 1",
                        unit_code="es01" if role == "liaison" else None, must_change_password=False)
    engine.dispose()
    server = AppServer(url, tmp_path / "server.log").start()
    yield server
    server.stop()
