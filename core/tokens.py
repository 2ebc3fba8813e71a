"""Reviewer tokens and ballot codes: high entropy, shown once, stored only as SHA-256.

A plain SHA-256 suffices (no salt, no slow hash) because the tokens are random
with at least 128 bits: there is nothing to guess from a dictionary.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 24  # 192 bits; URL-safe base64 makes 32 characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


# Crockford's base32: no I, L, O, U, so a code read aloud or typed from paper survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
BALLOT_BITS = 130  # 26 characters, at least 128 random bits


def new_ballot_code() -> str:
    """A one-time venue ballot code, grouped for typing: XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX."""
    value = secrets.randbits(BALLOT_BITS)
    chars = []
    for _ in range(BALLOT_BITS // 5):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    code = "".join(chars)
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_ballot_code(text: str) -> str:
    """What a person typed, as the canonical code: case, spaces, hyphens and look-alikes forgiven."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    return "-".join(cleaned[i:i + 4] for i in range(0, len(cleaned), 4))


def entry_hashes(text: str) -> list[str]:
    """The hashes a typed or linked entry may match: a personal token as given, or a ballot code."""
    raw = text.strip()
    hashes = [token_hash(raw)] if raw else []
    code = normalise_ballot_code(raw)
    if code and token_hash(code) not in hashes:
        hashes.append(token_hash(code))
    return hashes
