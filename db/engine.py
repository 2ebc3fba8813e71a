"""The database connection: SQLite file by default, PostgreSQL through DATABASE_URL.

SQLite runs in WAL mode with a generous busy timeout so that the many short
writes of a voting day wait for each other instead of failing with
"database is locked". What still goes wrong in the store (a lock held past the
timeout, a PostgreSQL restart or failover, a full disk, a read-only file) is
sorted here into transient errors, which `transaction` retries, and lasting
ones, which `store_error` turns into a message a person can act on.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlmodel import Session

from core.errors import UserError
from db import metrics

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "review.db"
BUSY_TIMEOUT_MS = 30_000
RETRIES = 4  # attempts of one transaction before the person is told to try again
T = TypeVar("T")
log = logging.getLogger(__name__)


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
    # Deleted rows are overwritten with zeros, not left in free pages: a sealed ballot or a draft that
    # the ballot box (db.ballot_box) rewrote leaves nothing behind in the file for a reader of its bytes.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    url = normalise_url(url or database_url())
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    _ping_when_idle(engine)
    return engine


# A connection back from the pool is pinged only when it lay idle this long. SQLAlchemy's pool_pre_ping pings
# on every checkout: one more round trip per transaction, about a tenth of a hall tap's server CPU (issue 27).
# In a busy hall each connection comes back within a fraction of a second and is not pinged; after a
# PostgreSQL restart mid-hall, the first statement on a dead connection fails as a disconnect, SQLAlchemy
# then discards every connection older than that failure, and `transaction` runs the work again.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def taken(dbapi_connection, record, proxy) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_S:
            return  # a new connection, or one used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool discards this one and checks out another (up to three times)
            raise DisconnectionError(str(error)) from error


@lru_cache(maxsize=8)
def _cached_engine(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return _cached_engine(database_url())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error (its time counted: db.metrics)."""
    started = time.perf_counter()
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            metrics.observe_transaction(time.perf_counter() - started)


def describe(engine: Engine) -> str:
    """The address without its password, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


class StoreError(UserError):
    """The store cannot do its work right now (busy, unreachable, full, read-only): nothing was saved."""


# SQLSTATE classes and codes worth another attempt: the connection went away (08, 57P01-03: the
# server shut down or restarts), or PostgreSQL chose this transaction to give way (40001, 40P01).
_TRANSIENT_STATES = ("08", "57P01", "57P02", "57P03", "40001", "40P01")
_SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked")


def _sqlstate(error: DBAPIError) -> str:
    return str(getattr(error.orig, "sqlstate", "") or "")


def _message(error: DBAPIError) -> str:
    # Only the first line: PostgreSQL's DETAIL lines can quote the values of a row.
    return str(error.orig).strip().splitlines()[0].lower() if str(error.orig).strip() else ""


def is_transient(error: BaseException) -> bool:
    """Whether the same transaction, run again, may well succeed."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = _sqlstate(error)
    if state and state.startswith(_TRANSIENT_STATES):
        return True
    message = _message(error)
    return any(text in message for text in _SQLITE_BUSY) or "server closed the connection" in message \
        or "connection is closed" in message or "terminating connection" in message


def store_error(error: DBAPIError) -> StoreError:
    """A clear message for a store failure; the details go to the server log, never to the screen (and the
    failure to review_store_errors_total{kind})."""
    state, message = _sqlstate(error), _message(error)
    log.warning("store error: %s %s %s", type(error.orig).__name__, state, message[:200])
    found = _classify(error, state, message)
    metrics.STORE_ERRORS.labels(found.key.removeprefix("store.")).inc()
    return found


def _classify(error: DBAPIError, state: str, message: str) -> StoreError:
    if state == "53100" or "disk is full" in message or "no space left" in message:
        return StoreError("store.full", "the server's disk is full: nothing was saved; please tell the office")
    # SQLite cannot open its file or journal for writing: a read-only file system, file or folder.
    if state == "25006" or "readonly" in message or "read-only" in message or "unable to open database" in message:
        return StoreError("store.read_only", "the database cannot be written at the moment (read-only or cannot be "
                          "opened): nothing was saved; please tell the office")
    if is_transient(error):
        return StoreError("store.busy", "the database is busy or restarting: nothing was saved; please try again "
                          "in a moment")
    return StoreError("store.failed", "the database could not complete this action: nothing was saved; please try "
                      "again, and tell the office if it happens again")


@contextmanager
def as_user_errors() -> Iterator[None]:
    """Turn a store failure inside the block into a `StoreError` (the interface shows it as a message)."""
    try:
        yield
    except DBAPIError as error:
        raise store_error(error) from None


def transaction(work: Callable[[Session], T], *, engine: Engine | None = None, attempts: int = RETRIES) -> T:
    """`work(session)` in one transaction, run again after a transient store error.

    Each attempt is a fresh transaction (the failed one is rolled back whole), so `work` must not
    have effects outside the database. Waits grow from 50 ms with jitter, so that processes that
    collided do not collide again in step.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except DBAPIError as error:
            if attempt == attempts or not is_transient(error):
                raise
            log.info("transient store error, attempt %d of %d: %s", attempt, attempts, _message(error)[:200])
            metrics.STORE_RETRIES.inc()
            time.sleep(0.05 * 2 ** (attempt - 1) * (1 + random.random()))
    raise AssertionError("unreachable")
