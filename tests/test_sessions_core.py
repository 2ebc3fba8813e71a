"""The session rules without a store: lifetimes, redirects, cookie attributes, device hints, the test clock."""

from datetime import UTC, datetime, timedelta

import pytest

from core import sessions as rules
from core.clock import clock_offset
from core.errors import UserError

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


def test_end_reason_idle_then_absolute():
    limits = rules.Lifetimes(8, 7)
    assert rules.end_reason(created_at=T0, last_seen_at=T0, now=T0 + timedelta(hours=7, minutes=59),
                            lifetimes=limits) is None
    assert rules.end_reason(created_at=T0, last_seen_at=T0, now=T0 + timedelta(hours=8), lifetimes=limits) == "idle"
    seen = T0 + timedelta(days=6, hours=23)
    assert rules.end_reason(created_at=T0, last_seen_at=seen, now=seen + timedelta(hours=1),
                            lifetimes=limits) == "expired"


def test_lifetimes_are_checked():
    assert rules.check_lifetimes(8, 7) == rules.Lifetimes(8.0, 7.0)
    assert rules.check_lifetimes(0.25, 1).idle == timedelta(minutes=15)
    for idle, days in ((0.1, 7), (73, 7), (8, 0.5), (8, 91), (48, 1), (None, 7), (True, 7), ("8", "7")):
        with pytest.raises(UserError):
            rules.check_lifetimes(idle, days)


def test_touch_is_throttled_to_a_minute():
    assert not rules.needs_touch(T0, T0 + timedelta(seconds=59))
    assert rules.needs_touch(T0, T0 + timedelta(seconds=60))


@pytest.mark.parametrize(("asked", "sent"), [
    ("/users", "/users"), ("/", "/"), ("/live", "/live"), (None, "/"), ("", "/"),
    ("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil.example", "/"), ("/users?x=1", "/"),
    ("/users/../../etc", "/"), ("users", "/"), ("/" + "a" * 200, "/"), ("/home\r\nSet-Cookie: x=1", "/"),
])
def test_only_paths_of_this_site_are_redirect_targets(asked, sent):
    assert rules.safe_next(asked) == sent


def test_cookie_attributes():
    header = rules.cookie_header("abc", secure=False, max_age_s=3600)
    assert header == "review_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600"
    assert rules.cookie_header("abc", secure=True, max_age_s=-5).endswith("Max-Age=0; Secure")
    assert rules.clear_cookie_header(secure=False).startswith("review_session=; ")


def test_https_is_read_from_the_trusted_proxy_only():
    assert rules.is_https(scheme="https", forwarded_proto=None, trusted_proxies=0)
    assert not rules.is_https(scheme="http", forwarded_proto="https", trusted_proxies=0)  # anyone can send it
    assert rules.is_https(scheme="http", forwarded_proto="https", trusted_proxies=1)
    assert not rules.is_https(scheme="http", forwarded_proto="https, http", trusted_proxies=1)


def test_device_hint_is_coarse():
    android = ("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/131.0.0.0 Safari/537.36")
    assert rules.device_hint(android) == "Chrome · Android"
    assert rules.device_hint("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Version/17.0 Safari/605.1.15") == \
        "Safari · iPad"
    assert rules.device_hint(None) == "?" and rules.device_hint("curl/8.0") == "?"


def test_display_days():
    assert rules.check_display_days(30) == 30
    for days in (0, 367, 2.5, True, "3"):
        with pytest.raises(UserError):
            rules.check_display_days(days)


def test_clock_offset():
    assert clock_offset("") == timedelta(0)
    assert clock_offset("90") == timedelta(seconds=90)
    assert clock_offset("9h") == timedelta(hours=9)
    assert clock_offset("-2d") == timedelta(days=-2)
    assert clock_offset("+30m") == timedelta(minutes=30)
    with pytest.raises(ValueError):
        clock_offset("tomorrow")
