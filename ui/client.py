"""Who is asking, as far as rate limits need to know: salted hashes of the network and the browser,
never the address or the cookie itself."""

from __future__ import annotations

import os

import streamlit as st

from core.poll import client_ip, device_hash, network_hash
from db.salt import secret_salt
from ui.device import device_id


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
    return network_hash(client_address(), network_salt())


def network_salt() -> str:
    """The key of the network and device hashes of sign-ins and the questionnaire (NETWORK_SALT)."""
    return secret_salt("network")


def device_key() -> str:
    """This browser (ui.device: its cookie id, else a new one for this session), hashed like the network.

    Writes the cookie into the page the first time, so call it where the page may draw."""
    return device_hash(device_id(), network_salt())
