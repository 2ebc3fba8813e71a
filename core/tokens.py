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
