"""The database connection: SQLite file by default, PostgreSQL through DATABASE_URL.

SQLite runs in WAL mode with a generous busy timeout so that the many short
writes of a voting day wait for each other instead of failing with
"database is locked".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session

from core.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "review.db"
BUSY_TIMEOUT_MS = 30_000


class ConfigError(UserError):
    """The database address cannot be used."""


def database_url() -> str:
    """DATABASE_URL if set, else the SQLite file `data/review.db`."""
    return os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{DEFAULT_SQLITE}"


def normalise_url(raw: str) -> str:
    """Check an address and pick the driver this project ships (psycopg 3 for PostgreSQL)."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "config.bad_url",
            "DATABASE_URL is not a database address: expected sqlite:///path/to/file.db "
            "or postgresql://user:password@host:port/database",
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            return url.render_as_string(hide_password=False)
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return url.render_as_string(hide_password=False)
    if backend == "postgresql":
        if not url.database:
            raise ConfigError("config.no_database", "DATABASE_URL names no database (…/DATABASE_NAME at the end)")
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ConfigError(
        "config.backend", "DATABASE_URL uses {backend!r}; only sqlite and postgresql are supported", backend=backend
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # NORMAL is durable across application crashes in WAL mode; only an OS crash
    # or power loss can drop the last transactions.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    url = normalise_url(url or database_url())
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping lets the app survive a PostgreSQL restart: stale connections are replaced.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache(maxsize=8)
def _cached_engine(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return _cached_engine(database_url())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def describe(engine: Engine) -> str:
    """The address without its password, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)
