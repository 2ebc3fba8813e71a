"""Who may read the monitoring endpoints (/_review/metrics, /_review/health): a rule without I/O.

They answer a caller on this machine's loopback that came straight to the app's port, or anyone presenting
the bearer token set in METRICS_TOKEN; never the public. A request that a proxy forwarded is not "on
loopback", even though the proxy itself connects from 127.0.0.1: nginx on the same machine would otherwise
hand the endpoint to the whole internet. Whatever TRUST_PROXY says, the forwarding headers only ever take
the loopback exemption away (a client can write X-Forwarded-For: 127.0.0.1 itself).
"""

from __future__ import annotations

import hmac
import ipaddress

TOKEN_VARIABLE = "METRICS_TOKEN"
MIN_TOKEN_LENGTH = 32  # e.g. `openssl rand -hex 32`; a shorter one is not accepted at all
# Headers by which a proxy says it forwarded the request (any of them, with any value).
FORWARDING_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded", "x-forwarded-host", "x-forwarded-proto",
                      "via")

ALLOWED, NO_TOKEN, WRONG_TOKEN = "allowed", "no token", "wrong token"


def is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def usable_token(configured: str | None) -> str | None:
    """The configured token, if it is long enough to be one (None: only loopback callers are answered)."""
    token = (configured or "").strip()
    return token if len(token) >= MIN_TOKEN_LENGTH else None


def verdict(*, peer: str | None, headers: dict[str, str], token: str | None) -> str:
    """ALLOWED, NO_TOKEN (nothing presented, or not a bearer token) or WRONG_TOKEN. `headers` with lower-case
    names; `token` from usable_token()."""
    authorization = headers.get("authorization", "")
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() == "bearer" and presented.strip():
        if token is not None and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return ALLOWED
        return WRONG_TOKEN
    if is_loopback(peer) and not any(name in headers for name in FORWARDING_HEADERS):
        return ALLOWED
    return NO_TOKEN
