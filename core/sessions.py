"""Staff sessions and wall-screen display links: the rules, without storage or a browser.

A session id is 256 random bits, handed to the browser once in an HttpOnly cookie and stored
only as its SHA-256 (core.tokens.token_hash): a database reader cannot sign in with what it
reads. The cookie reaches the browser through a one-time sign-in ticket (also random, hashed,
single-use, valid for a minute) that the launcher's /_review/session endpoint exchanges for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from core.errors import UserError

COOKIE = "review_session"
ENDPOINT = "/_review/session"
DISPLAY_PARAM = "display"
ID_BYTES = 32  # 256 bits
TICKET_TTL = timedelta(seconds=60)
# last_seen is written at most once a minute per session: an idle timeout in hours does not
# need the second, and a write per tap would cost the store more than the rerun itself.
TOUCH_EVERY = timedelta(seconds=60)

KEEP_ENDED = timedelta(days=30)  # ended sessions are deleted after this (the audit log keeps the events)

DEFAULT_IDLE_HOURS = 8
DEFAULT_MAX_DAYS = 7
IDLE_HOURS_RANGE = (0.25, 72)
MAX_DAYS_RANGE = (1, 90)
DISPLAY_DAYS_DEFAULT = 30
DISPLAY_DAYS_RANGE = (1, 366)

END_REASONS = ("signed_out", "ended_by_admin", "password_changed", "password_reset", "deactivated",
               "role_changed", "idle", "expired")


@dataclass(frozen=True)
class Lifetimes:
    idle_hours: float = DEFAULT_IDLE_HOURS
    max_days: float = DEFAULT_MAX_DAYS

    @property
    def idle(self) -> timedelta:
        return timedelta(hours=self.idle_hours)

    @property
    def absolute(self) -> timedelta:
        return timedelta(days=self.max_days)


def check_lifetimes(idle_hours: object, max_days: object) -> Lifetimes:
    """Lifetimes an administrator may set, or UserError saying what is wrong."""
    low, high = IDLE_HOURS_RANGE
    if isinstance(idle_hours, bool) or not isinstance(idle_hours, (int, float)) or not low <= idle_hours <= high:
        raise UserError("signin.idle_range", "the idle timeout is {low} to {high} hours", low=low, high=high)
    low, high = MAX_DAYS_RANGE
    if isinstance(max_days, bool) or not isinstance(max_days, (int, float)) or not low <= max_days <= high:
        raise UserError("signin.max_range", "the absolute lifetime is {low} to {high} days", low=low, high=high)
    if timedelta(hours=idle_hours) > timedelta(days=max_days):
        raise UserError("signin.idle_longer", "the idle timeout cannot be longer than the absolute lifetime")
    return Lifetimes(float(idle_hours), float(max_days))


def end_reason(*, created_at: datetime, last_seen_at: datetime, now: datetime, lifetimes: Lifetimes) -> str | None:
    """Why a session that nobody ended is over by now ("expired", "idle"), or None while it lasts.

    Computed from the current settings, so shortening a lifetime applies to running sessions too.
    """
    if now - created_at >= lifetimes.absolute:
        return "expired"
    if now - last_seen_at >= lifetimes.idle:
        return "idle"
    return None


def needs_touch(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at >= TOUCH_EVERY


def check_display_days(days: object) -> int:
    low, high = DISPLAY_DAYS_RANGE
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        raise UserError("signin.display_days", "a display link lasts {low} to {high} days", low=low, high=high)
    return days


# A page path of this app: letters, digits, _ and - in at most a few segments. Anything else (an
# absolute URL, //host, a backslash, a query) would make the endpoint an open redirect.
_SAFE_PATH = re.compile(r"/(?:[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*)?")


def safe_next(path: str | None) -> str:
    """Where to send the browser after the cookie is set: a path of this site, else the start page."""
    return path if path and len(path) <= 100 and _SAFE_PATH.fullmatch(path) else "/"


def from_this_site(*, fetch_site: str | None, origin: str | None, referer: str | None, host: str | None) -> bool:
    """Whether a request to the session endpoint comes from this site's own page (or the address bar).

    Every current browser says where a navigation comes from (Sec-Fetch-Site): only `same-origin`
    and `none` (typed, bookmarked) pass. An older browser sends no such header; then the Origin, else
    the Referer, must name this host (as the request reached us: behind a proxy, the Host it passed
    on); a request that names no site at all is refused.
    """
    if fetch_site is not None:
        return fetch_site.strip().lower() in ("same-origin", "none")
    named = origin if origin and origin.strip().lower() != "null" else referer
    if not named or not host:
        return False
    try:
        told, ours = urlsplit(named.strip()), urlsplit(f"//{host.strip()}")
        # A proxy may pass on the Host without the port the browser used (nginx's $host): compare the
        # port only when both say one.
        same_port = told.port is None or ours.port is None or told.port == ours.port
    except ValueError:  # a port that is not a number
        return False
    return told.scheme in ("http", "https") and bool(told.hostname) and told.hostname == ours.hostname and same_port


def cookie_header(value: str, *, secure: bool, max_age_s: int) -> str:
    """Set-Cookie for the session: HttpOnly (no script reads it), SameSite=Strict (no other site sends it)."""
    parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Strict", f"Max-Age={max(0, int(max_age_s))}"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def clear_cookie_header(*, secure: bool) -> str:
    return cookie_header("", secure=secure, max_age_s=0)


def request_host(*, host: str | None, forwarded_host: str | None, trusted_proxies: int) -> str | None:
    """The host the browser asked for: the Host header, or behind a trusted proxy that says so, the
    proxy's X-Forwarded-Host (its last entry: the one the trusted proxy wrote)."""
    if trusted_proxies and forwarded_host:
        return forwarded_host.split(",")[-1].strip() or host
    return host


def is_https(*, scheme: str, forwarded_proto: str | None, trusted_proxies: int) -> bool:
    """Whether the browser speaks https: the connection's scheme, or the trusted proxy's X-Forwarded-Proto."""
    if trusted_proxies and forwarded_proto:
        # With several proxies each may append; the last one is the trusted proxy's own.
        return forwarded_proto.split(",")[-1].strip().lower() == "https"
    return scheme.lower() == "https"


_BROWSERS = (("Edg/", "Edge"), ("MicroMessenger", "WeChat"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPad", "iPad"), ("iPhone", "iPhone"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Linux", "Linux"))


def device_hint(user_agent: str | None) -> str:
    """A coarse, non-identifying hint for the session list ("Chrome · Android"); never the raw agent."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in agent), "")
    return " · ".join(part for part in (browser, system) if part) or "?"
