"""Growing waits (core.throttle), the limits the store uses, and README's arithmetic about them."""

import bisect
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core import passwords
from core.complaints import new_receipt
from core.throttle import Throttle, whole_minutes, whole_seconds
from core.tokens import BALLOT_BITS, TOKEN_BYTES
from db import wrong_codes

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_free_failures_then_doubling_up_to_the_longest():
    throttle = Throttle(free=3, first=timedelta(seconds=1), longest=timedelta(minutes=15), window=timedelta(days=1))
    assert [throttle.wait(n).total_seconds() for n in range(8)] == [0, 0, 0, 1, 2, 4, 8, 16]
    assert throttle.wait(10_000) == timedelta(minutes=15)
    assert throttle.remaining(5, T0, T0 + timedelta(seconds=3)) == timedelta(seconds=1)
    assert throttle.remaining(5, T0, T0 + timedelta(seconds=9)) == timedelta(0)
    assert throttle.remaining(0, None, T0) == timedelta(0)
    assert whole_minutes(timedelta(seconds=61)) == 2 and whole_minutes(timedelta(seconds=1)) == 1
    assert whole_seconds(timedelta(milliseconds=1200)) == 2


def test_a_network_without_failures_never_waits_for_the_account():
    everyone = {"everywhere": 500, "last_anywhere": T0}
    assert passwords.sign_in_wait(here=0, last_here=None, now=T0, **everyone) == timedelta(0)
    assert passwords.sign_in_wait(here=1, last_here=T0 - timedelta(hours=1), now=T0, **everyone) == MINUTE
    assert passwords.sign_in_wait(here=40, last_here=T0, now=T0, **everyone) == timedelta(minutes=15)


def greedy_guesser(days: int = 1) -> list[datetime]:
    """The misses of one device that tries every second, whenever it is not waiting (network below its cap)."""
    misses, now, end = [], T0, T0 + timedelta(days=days)
    while now < end:
        recent = misses[bisect.bisect_right(misses, now - wrong_codes.DEVICE.window):]
        if not wrong_codes.DEVICE.remaining(len(recent), recent[-1] if recent else None, now):
            misses.append(now)
        now += timedelta(seconds=1)
    return misses


def test_readme_says_what_the_limits_are():
    assert wrong_codes.DEVICE == Throttle(free=10, first=MINUTE, longest=10 * MINUTE, window=10 * MINUTE)
    assert wrong_codes.NETWORK_MISSES == 300
    assert "a tablet has 10 misses in\n   10 minutes, then waits 1 minute, 2, 4, 8, at most 10" in README
    assert "A network is limited only above 300\n   misses in 10 minutes" in README
    misses = greedy_guesser()
    per_window = max(bisect.bisect_left(misses, m + wrong_codes.DEVICE.window) - i for i, m in enumerate(misses))
    assert round(len(misses) / 144) == 10 and per_window == 13  # "about 10 ... never more than 13"
    assert "(about 10 misses per 10 minutes in the long\n   run, never more than 13)" in README
    assert passwords.FROM_NETWORK == Throttle(free=3, first=timedelta(seconds=1), longest=timedelta(minutes=15),
                                              window=timedelta(hours=24))
    assert passwords.ACROSS_NETWORKS == Throttle(free=10, first=timedelta(seconds=1), longest=MINUTE,
                                                 window=timedelta(hours=24))
    assert "nothing for the first 3 failures in 24 hours, then\n  1 s, doubling with each failure, at most 15 minutes" \
        in README
    assert "After 10 failures on an account from anywhere, every network that has failed on it also\n  waits up " \
           "to 1 minute between tries" in README


def scientific(value: float) -> str:
    """As README writes it: 1.2·10⁻²⁸."""
    exponent = math.floor(math.log10(value))
    mantissa = value / 10 ** exponent
    if round(mantissa, 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    digits = str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa:.1f}·10{digits}"


@pytest.mark.parametrize(("per_window", "live", "bits", "said"), [
    (wrong_codes.NETWORK_MISSES, 10_000, BALLOT_BITS, "1.2·10⁻²⁸"),
    (wrong_codes.NETWORK_MISSES, 100_000, 80, "1.3·10⁻¹²"),
    (1_000 * 600, 10_000, BALLOT_BITS, "2.3·10⁻²⁵"),
    (1_000 * 600, 100_000, 80, "2.6·10⁻⁹"),
])
def test_readme_brute_force_arithmetic(per_window, live, bits, said):
    windows = 365 * 24 * 6
    assert windows == 52_560 and "52,560 ten-minute windows" in README
    probability = per_window * windows * live / 2 ** bits
    assert scientific(probability) == said and said in README


def test_the_bits_readme_counts_on():
    assert BALLOT_BITS == 130 and TOKEN_BYTES * 8 == 192
    assert len(new_receipt().replace("-", "")) * 5 == 80  # 16 Crockford base32 characters
    assert "1.6·10⁷ guesses a year" in README and f"{300 * 52_560:.1e}".startswith("1.6")
    assert "3.2·10¹⁰" in README and f"{1_000 * 365 * 86_400:.1e}".startswith("3.2")
