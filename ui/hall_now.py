"""The panel's "hall now" strip: tablets connected, answers per minute, p95 of the last minute, store errors.

Each app process keeps its own counters (db.metrics). A daemon thread per process (`start`, from the launcher
ui/serve.py) reads them every 10 seconds, works out its last minute (and its last 15 minutes of store errors)
and publishes that through the database (db.hall_now); /panel shows the sum over the processes that published
in the last 30 seconds, so with several replicas the strip is the whole hall's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque

import streamlit as st

from core.histogram import difference
from db import hall_now, metrics
from db.access import Actor
from ui.i18n import t
from ui.store import session, transact

INTERVAL_S = 10.0
MINUTE_S = 60.0
ERRORS_WINDOW_S = 900.0
log = logging.getLogger(__name__)


class Window:
    """This process's readings of db.metrics over the last 15 minutes, and what they say about the last minute."""

    def __init__(self, started: float) -> None:
        # Nothing counted before the process started: the first minute is measured from there.
        self.readings: deque[tuple[float, dict]] = deque([(started, {"questionnaire": None, "answers": 0.0,
                                                                    "store_errors": 0.0})])

    def add(self, at: float, reading: dict) -> None:
        self.readings.append((at, reading))
        while len(self.readings) > 2 and self.readings[1][0] <= at - ERRORS_WINDOW_S:
            self.readings.popleft()

    def _since(self, at: float, span: float) -> tuple[float, dict]:
        """The oldest reading not older than `span` seconds (the first one if all are younger)."""
        for when, reading in self.readings:
            if when >= at - span - 1:
                return when, reading
        return self.readings[0]

    def figures(self, *, tablets: int) -> dict:
        at, now = self.readings[-1]
        then_at, then = self._since(at, MINUTE_S)
        _, long_ago = self._since(at, ERRORS_WINDOW_S)
        return {"tablets": tablets, "seconds": round(max(at - then_at, 1.0), 1),
                "answers": now["answers"] - then["answers"],
                "histogram": difference(now["questionnaire"], then["questionnaire"]),
                "store_errors": now["store_errors"] - long_ago["store_errors"]}


def replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def publish_once(window: Window, *, replica: str) -> None:
    from ui.metrics import open_sessions

    window.add(time.monotonic(), metrics.reading())
    figures = window.figures(tablets=open_sessions().get("questionnaire", 0))
    transact(lambda s: hall_now.publish(s, replica=replica, figures=figures))


def _run(interval_s: float) -> None:
    window, replica = Window(time.monotonic()), replica_name()
    while True:
        time.sleep(interval_s)
        try:
            publish_once(window, replica=replica)
        except Exception as error:  # the database restarting: one line, and the next tick tries again
            log.warning("hall now: not published (%s)", type(error).__name__)


def start(interval_s: float = INTERVAL_S) -> threading.Thread:
    thread = threading.Thread(target=_run, args=(interval_s,), name="review-hall-now", daemon=True)
    thread.start()
    return thread


def strip(actor: Actor) -> None:
    """Four figures for the office during the panel window (drawn inside the panel's 10-second fragment)."""
    with session() as s:
        now = hall_now.read(s, actor=actor)
    st.subheader(t("hall_now.title"))
    if now is None:
        st.caption(t("hall_now.none"))
        return
    cols = st.columns(4)
    cols[0].metric(t("hall_now.tablets"), now.tablets)
    cols[1].metric(t("hall_now.answers_per_minute"), f"{now.answers_per_minute:.0f}")
    cols[2].metric(t("hall_now.p95"), "–" if now.p95_ms is None else f"{now.p95_ms:.0f} ms")
    cols[3].metric(t("hall_now.store_errors"), now.store_errors)
    st.caption(t("hall_now.caption", replicas=now.replicas, interactions=now.interactions))
