"""A browser's device id for the public poll: a random cookie that survives a reload.

Streamlit reads cookies only from the request that opened the page (`st.context.cookies`) and
has no call to set one, so the page's own HTTP answer sets it (ui/delivery.py, with
`set_cookie_header` here) when the browser has none or an invalid one: the websocket that
follows carries it. HttpOnly, and no inline script (the Content-Security-Policy allows none but
a few known ones). Checked in Chromium: after a reload the next session sees the same id.
"""

from __future__ import annotations

import streamlit as st

from core.poll import new_device_id, valid_device_id

COOKIE = "rv_device"
MAX_AGE_S = 400 * 24 * 3600  # the longest lifetime browsers still honour
_KEY = "poll_device"


def set_cookie_header(cookie: str | None, *, https: bool, embedded: bool) -> str | None:
    """The Set-Cookie header that gives a browser a new id, for the page's own HTTP answer (ui/delivery.py),
    or None when the browser's cookie already holds a valid one. HttpOnly: no script in the page needs it."""
    if valid_device_id(cookie):
        return None
    # Embedded in the portal (another site), the cookie is a third-party one: only SameSite=None
    # (which browsers accept only with Secure) lets it travel with the page's requests.
    same_site = "None" if embedded and https else "Lax"
    return (f"{COOKIE}={new_device_id()}; Path=/; Max-Age={MAX_AGE_S}; SameSite={same_site}; HttpOnly"
            + ("; Secure" if https else ""))


def device_id() -> str:
    """This browser's id: from its cookie (which the page's HTTP answer set), else one for this session only
    (a browser that refuses cookies)."""
    known = st.session_state.get(_KEY)
    if known is None:
        from_cookie = st.context.cookies.get(COOKIE)
        # An edited or foreign cookie is replaced (by the next page load), never trusted as it is.
        known = from_cookie if valid_device_id(from_cookie) else new_device_id()
        st.session_state[_KEY] = known
    return known
