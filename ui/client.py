"""Who is asking, as far as rate limits need to know: a salted hash of the network, never the address."""

from __future__ import annotations

import os

import streamlit as st

from core.poll import client_ip, network_hash
from db.salt import secret_salt


def trusted_proxies() -> int:
    """TRUST_PROXY=n: the app sits behind n reverse proxies that append to X-Forwarded-For (0: none)."""
    value = os.environ.get("TRUST_PROXY", "").strip()
    return int(value) if value.isdigit() else 0


def client_address() -> str:
    """The caller's address: the connection's, or behind TRUST_PROXY=n proxies the one the last proxy saw.

    Never the first X-Forwarded-For entry: the client writes that one itself, and a flooder
    would send a new "address" with every request.
    """
    forwarded = st.context.headers.get("X-Forwarded-For") if trusted_proxies() else None
    return client_ip(st.context.ip_address, forwarded, trusted_proxies=trusted_proxies()) or "unknown"


def client_hash() -> str:
    """The caller's network as the poll hashes it (HMAC; an IPv6 /64 counts as one network)."""
    return network_hash(client_address(), secret_salt("network"))
