"""What the app process does on its own clock, whether or not anyone opens a page.

One daemon thread per process (`start`, called by the launcher, ui/serve.py): at start and then every
hour it erases the complaints' call-back numbers that are due (db.complaints.handling.erase_phones:
`complaints.phone_erase_days` after a complaint is finished, `complaints.phone_max_days` after it was
filed whatever its state), and lets the ballot box release what is due (db.ballot_box: after a panel
window closes, its last ballots and the final shuffle; a week later, the cut of unsubmitted drafts).
A job is harmless to run twice: the erasure is an UPDATE … WHERE, a release takes the campaign's row
first and finds nothing left to do, so every replica runs its own thread and each thing happens once.
A failed run (the database restarting, a migration not yet applied) is logged in one line and tried
again at the next tick; it never stops the thread or the server. On a server,
`python -m db erase-complaint-phones` from cron or a systemd timer does the erasure (README,
"Complaints"); scoring releases the ballot box too (db.scoring.load_inputs).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from db import ballot_box
from db.complaints.handling import erase_phones
from db.engine import store_error, transaction

INTERVAL_S = 3600.0
log = logging.getLogger(__name__)
Job = Callable[[Engine | None], object]


def erase_due_phones(engine: Engine | None = None) -> int:
    """One run of the erasure in its own transaction, run again after a transient store error (a lock
    held by another replica's erasure, a PostgreSQL restart)."""
    erased = transaction(erase_phones, engine=engine)
    if erased:
        log.info("housekeeping: %d call-back numbers erased", erased)
    return erased


def release_ballots(engine: Engine | None = None) -> int:
    """One pass of the ballot box over every campaign, in its own transaction."""
    released = transaction(ballot_box.release_all_due, engine=engine)
    if released:
        log.info("housekeeping: %d sealed ballots released", released)
    return released


JOBS: tuple[Job, ...] = (erase_due_phones, release_ballots)


class Housekeeping:
    """A daemon thread running `jobs` now and then every `interval_s` seconds until `stop`."""

    def __init__(self, *, interval_s: float, jobs: Sequence[Job], engine: Engine | None) -> None:
        self.interval_s, self.jobs, self.engine = interval_s, tuple(jobs), engine
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="review-housekeeping", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            for job in self.jobs:
                try:
                    job(self.engine)
                except DBAPIError as error:  # one line: never a statement, its values or a password
                    log.warning("housekeeping: %s failed (%s); next try in %g s", job.__name__,
                                store_error(error).key, self.interval_s)
                except Exception as error:
                    log.warning("housekeeping: %s failed (%s); next try in %g s", job.__name__,
                                type(error).__name__, self.interval_s)
            self._stopping.wait(self.interval_s)

    def start(self) -> Housekeeping:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)


_lock = threading.Lock()
_process: dict[str, Housekeeping] = {}  # "running": this process's thread


def start(*, interval_s: float = INTERVAL_S, jobs: Sequence[Job] = JOBS,
          engine: Engine | None = None) -> Housekeeping:
    """Start the process's housekeeping thread, once: a second call returns the running one. `engine`
    defaults to the configured database (DATABASE_URL); tests pass theirs and a short interval."""
    with _lock:
        running = _process.get("running")
        if running is None or not running.alive:
            running = _process["running"] = Housekeeping(interval_s=interval_s, jobs=jobs, engine=engine).start()
        return running


def stop() -> None:
    """Stop the process's housekeeping thread, if any (tests; a server simply exits)."""
    with _lock:
        running = _process.pop("running", None)
    if running is not None:
        running.stop()
