"""Who is asking, as far as rate limits need to know: a salted hash of the network, never the address."""

from __future__ import annotations

import hashlib
import os

import streamlit as st

from db.salt import secret_salt


def client_address() -> str:
    """The caller's address; behind a reverse proxy (TRUST_PROXY=1) the first X-Forwarded-For entry."""
    if os.environ.get("TRUST_PROXY") == "1":
        forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return st.context.ip_address or "unknown"


def client_hash() -> str:
    return hashlib.sha256(f"{secret_salt('network')}|{client_address()}".encode()).hexdigest()
