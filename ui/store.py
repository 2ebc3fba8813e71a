"""The interface's handle on the database: one engine per process, one transaction per action.

A store failure never reaches a person as a stack trace: `session()` turns it into a
`StoreError` (a `UserError`, so a page that shows refusals shows this one too), `transact()`
also retries transient failures (a lock, a PostgreSQL restart), and `store_errors()` around
the whole page catches whatever a page did not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import streamlit as st

from db.engine import StoreError, as_user_errors, database_url, make_engine, session_scope, transaction
from ui.i18n import error_text

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

T = TypeVar("T")


@functools.lru_cache(maxsize=8)  # not st.cache_resource: hashing its argument on every call costs more
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    # Keyed by the address so that a changed DATABASE_URL (tests, a restarted server) gets its own engine.
    return _engine(database_url())


@contextmanager
def session() -> Iterator[Session]:
    with as_user_errors(), session_scope(engine()) as s:
        yield s


def transact(work: Callable[[Session], T]) -> T:
    """`work(session)` in one transaction, retried after a transient store error (for the writes
    people make in numbers: votes and answers)."""
    with as_user_errors():
        return transaction(work, engine=engine())


@contextmanager
def store_errors() -> Iterator[None]:
    """Show a store failure that a page did not handle as a message in the interface language."""
    try:
        with as_user_errors():
            yield
    except StoreError as error:
        st.error(error_text(error), icon=":material/cloud_off:")


def fragment_store_errors(function: Callable[..., T]) -> Callable[..., T | None]:
    """The same for an `st.fragment` body: its timed reruns run alone, outside the page's `store_errors()`.

    Pages do not use it directly: `ui.auth.fragment` wraps every fragment with it (and the session check).
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with store_errors():
            return function(*args, **kwargs)
        return None

    return wrapper
