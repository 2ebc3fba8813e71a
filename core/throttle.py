"""Growing waits after failures: wrong ballot codes and receipts, wrong passwords.

Pure: counts and times in, a wait out. The store counts the failures (table `attempt`) and asks
here how long the one who failed must wait. A wait slows whoever keeps failing; it never stops
anyone else, and it ends by itself (OWASP's authentication guidance: throttle with growing
delays rather than lock accounts, which lets anybody lock anybody out).

No rate-limiting library fits: they keep their counters in memory or Redis, while these counts
must be shared by every replica through the database, and the rule itself is a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_NO_WAIT = timedelta(0)


@dataclass(frozen=True)
class Throttle:
    """`free` failures within `window` cost nothing; then each one makes the next try wait: `first`,
    doubling with every further failure, at most `longest`, counted from the last failure."""

    free: int
    first: timedelta
    longest: timedelta
    window: timedelta

    def wait(self, failures: int) -> timedelta:
        """The wait after the last of `failures` failures within the window."""
        if failures < self.free:
            return _NO_WAIT
        return min(self.longest, self.first * 2 ** min(failures - self.free, 40))

    def remaining(self, failures: int, last: datetime | None, now: datetime) -> timedelta:
        """How much of that wait is left at `now` (nothing when there was no failure)."""
        if last is None or failures <= 0:
            return _NO_WAIT
        return max(_NO_WAIT, last + self.wait(failures) - now)


def whole_minutes(wait: timedelta) -> int:
    """A wait as a person is told it: whole minutes, rounded up (at least 1)."""
    return max(1, -(-int(wait.total_seconds()) // 60))


def whole_seconds(wait: timedelta) -> int:
    return max(1, -(-int(wait.total_seconds() * 1000) // 1000))
