"""This process's counters, for the office's monitoring (GET /_review/metrics, ui/metrics.py) and the panel's
"hall now" strip (db/hall_now.py).

Every app process (every replica) keeps its own: a scrape of one replica's port sees that replica alone, and
Prometheus sums them. The counters live here, at the bottom of the store, because the store counts some of
them itself (errors, retries, transaction time); the interface counts the rest after a commit has succeeded,
so that a retried transaction is not counted twice. Counting costs a few microseconds per interaction (the
figure is in the README): a lock and an addition, nothing written anywhere.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import Engine

from core.histogram import INTERACTION_BOUNDS, TRANSACTION_BOUNDS

CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # no *_created series: a scrape is long enough with the buckets
REGISTRY = CollectorRegistry()
# process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, ... (from /proc on Linux).
ProcessCollector(registry=REGISTRY)

INTERACTIONS = Histogram(
    "review_interaction_seconds", "One interaction (a rerun of a page or of one of its fragments): from the "
    "moment the server received it to the end of the run, by page. Its _count is the number of interactions.",
    ["page"], buckets=INTERACTION_BOUNDS, registry=REGISTRY)
QUESTIONNAIRES_STARTED = Counter("review_questionnaires_started", "Questionnaires opened for the first time "
                                 "(a personal link or ballot code used once).", registry=REGISTRY)
QUESTIONNAIRES_SUBMITTED = Counter("review_questionnaires_submitted", "Questionnaires submitted.", registry=REGISTRY)
ANSWERS = Counter("review_answers_saved", "Answers stored (a changed answer counts again).", registry=REGISTRY)
VOTE_STATUSES = ("accepted", "flagged", "refused")
VOTES = Counter("review_poll_votes", "Votes in the public poll by outcome: accepted, flagged (stored and set "
                "aside for review), refused (nothing stored).", ["status"], registry=REGISTRY)
STORE_ERROR_KINDS = ("busy", "full", "read_only", "failed")
STORE_ERRORS = Counter("review_store_errors", "Store failures shown to a person as 'nothing was saved', by kind "
                       "(after any retries).", ["kind"], registry=REGISTRY)
STORE_RETRIES = Counter("review_store_retries", "Transactions run again after a transient store error (a lock, "
                        "a database restart, a serialization failure).", registry=REGISTRY)
TRANSACTIONS = Histogram("review_db_transaction_seconds", "One store transaction, from opening its session to "
                         "its commit or rollback.", buckets=TRANSACTION_BOUNDS, registry=REGISTRY)
DB_UP = Gauge("review_db_up", "1 when the database answered the last scrape's check (reachable and migrated).",
              registry=REGISTRY)
DB_PING = Gauge("review_db_ping_seconds", "Round trip of the last scrape's database check.", registry=REGISTRY)
for _status in VOTE_STATUSES:
    VOTES.labels(_status)
for _kind in STORE_ERROR_KINDS:
    STORE_ERRORS.labels(_kind)

_sessions_source: list[Callable[[], dict[str, int]]] = []


class _OpenSessions:
    """review_sessions_open{page}: read from the server's open sessions at each scrape (nothing is counted
    on the way)."""

    def collect(self):
        family = GaugeMetricFamily("review_sessions_open", "Browser sessions open, by the page they last ran "
                                   "(a tablet on /questionnaire is one).", labels=["page"])
        for source in _sessions_source[-1:]:
            for page, n in sorted(source().items()):
                family.add_metric([page], n)
        yield family

    def describe(self):
        return []


REGISTRY.register(_OpenSessions())


def count_sessions_with(source: Callable[[], dict[str, int]]) -> None:
    """Where the open sessions are counted from (the interface's server, which knows them)."""
    _sessions_source[:] = [source]


def observe_transaction(seconds: float) -> None:
    TRANSACTIONS.observe(seconds)


@functools.lru_cache(maxsize=1)
def _head() -> str:
    from db.migrate import head
    return head()


def check_database(engine: Engine) -> tuple[bool, str, float]:
    """(healthy, what was found, seconds): the database answers and its schema is the code's. Sets review_db_up
    and review_db_ping_seconds for the next scrape."""
    from db.migrate import current

    started = time.perf_counter()
    try:
        revision = current(engine)
    except Exception as error:  # any failure to reach or read it is "unhealthy", said in one line
        first = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0]
        found = f"unreachable: {type(error).__name__}: {first[:200]}"
        healthy = False
    else:
        healthy = revision == _head()
        found = "ok" if healthy else f"schema at {revision or 'nothing'}, the code needs {_head()}: run python -m " \
                                     "db upgrade"
    elapsed = time.perf_counter() - started
    DB_UP.set(1 if healthy else 0)
    DB_PING.set(elapsed)
    return healthy, found, elapsed


def exposition() -> bytes:
    return generate_latest(REGISTRY)


def reading() -> dict[str, object]:
    """The figures the panel's strip needs, as plain values: the questionnaire's interaction histogram
    (cumulative counts under INTERACTION_BOUNDS, +Inf last), answers, submissions and store errors so far."""
    questionnaire = [sample.value for metric in INTERACTIONS.collect() for sample in metric.samples
                     if sample.name.endswith("_bucket") and sample.labels.get("page") == "questionnaire"]
    return {"questionnaire": questionnaire or [0.0] * (len(INTERACTION_BOUNDS) + 1), "answers": _total(ANSWERS),
            "submitted": _total(QUESTIONNAIRES_SUBMITTED), "store_errors": _total(STORE_ERRORS)}


def _total(counter: Counter) -> float:
    return sum(s.value for metric in counter.collect() for s in metric.samples if s.name.endswith("_total"))
