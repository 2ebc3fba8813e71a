"""Password hashing (argon2id) and the sign-in policy.

No account is ever locked: a lock that anyone can set off by typing wrong passwords lets a stranger
lock the office out. Failures are throttled instead (OWASP's authentication guidance): each network
that keeps failing on an account waits longer before its next try, and the account as a whole slows
every network that has failed on it, but never one that has not (the rightful user elsewhere).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import UserError
from core.throttle import Throttle

MIN_LENGTH = 10
FAILURE_WINDOW = timedelta(hours=24)  # failures older than this are forgotten
# One account from one network: three tries free, then 1 s, doubling with each failure, at most 15 minutes.
FROM_NETWORK = Throttle(free=3, first=timedelta(seconds=1), longest=timedelta(minutes=15), window=FAILURE_WINDOW)
# One account from all networks together: ten free, then at most a minute between tries; only for a
# network that has failed on the account itself within the window.
ACROSS_NETWORKS = Throttle(free=10, first=timedelta(seconds=1), longest=timedelta(minutes=1), window=FAILURE_WINDOW)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def one_time_password(username: str = "") -> str:
    """A password to hand over once (printed, never stored): about 96 bits, easy to type.

    Drawn again in the rare case it contains the username, which check_new_password refuses.
    """
    while True:
        password = secrets.token_urlsafe(12)
        if not username or username.lower() not in password.lower():
            return password


def check_new_password(password: str, *, username: str) -> None:
    if len(password) < MIN_LENGTH:
        raise UserError("auth.password_short", "the password needs at least {n} characters", n=MIN_LENGTH)
    if username and username.lower() in password.lower():
        raise UserError("auth.password_username", "the password must not contain the username")


def sign_in_wait(*, here: int, last_here: datetime | None, everywhere: int, last_anywhere: datetime | None,
                 now: datetime) -> timedelta:
    """How long before this network may try the account's password again.

    `here`: the account's failures from this network within the window (and the last one's time),
    `everywhere`: from all networks. A network with no failure of its own waits for nothing, so a
    stranger's failures elsewhere never stop the rightful user.
    """
    if not here:
        return timedelta(0)
    return max(FROM_NETWORK.remaining(here, last_here, now), ACROSS_NETWORKS.remaining(everywhere, last_anywhere, now))


def starts_waiting(*, here: int, everywhere: int) -> bool:
    """Whether the failure just counted (`here`, `everywhere` include it) is the one that starts a wait."""
    return here == FROM_NETWORK.free or everywhere == ACROSS_NETWORKS.free
