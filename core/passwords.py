"""Password hashing (argon2id) and the sign-in policy."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import UserError

MAX_FAILED_ATTEMPTS = 5
LOCK_DURATION = timedelta(minutes=15)
MIN_LENGTH = 10

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


def lock_after_failure(failed_attempts: int, now: datetime) -> datetime | None:
    """When the account unlocks after `failed_attempts` consecutive failures, or None."""
    if failed_attempts >= MAX_FAILED_ATTEMPTS:
        return now + LOCK_DURATION
    return None
