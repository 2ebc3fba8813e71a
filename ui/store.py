"""The interface's handle on the database: one engine per process, one transaction per action."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import streamlit as st

from db.engine import database_url, make_engine, session_scope

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    # Keyed by the address so that a changed DATABASE_URL (tests, a restarted server) gets its own engine.
    return _engine(database_url())


@contextmanager
def session() -> Iterator[Session]:
    with session_scope(engine()) as s:
        yield s
