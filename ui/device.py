"""A browser's device id for the public poll: a random cookie that survives a reload.

Streamlit reads cookies only from the request that opened the page (`st.context.cookies`) and
has no call to set one, so a new id is written by a small script in the page itself (st.html
with JavaScript runs in the page's own document, not in an iframe, so `document.cookie` is this
site's). Checked in Chromium: after a reload the next session sees the same id.
"""

from __future__ import annotations

import json

import streamlit as st

from core.poll import new_device_id, valid_device_id

COOKIE = "rv_device"
MAX_AGE_S = 400 * 24 * 3600  # the longest lifetime browsers still honour
_KEY = "poll_device"


def _cookie_attributes() -> str:
    secure = (st.context.url or "").startswith("https:")
    # Embedded in the portal (another site), the cookie is a third-party one: only SameSite=None
    # (which browsers accept only with Secure) lets it travel with the page's requests.
    same_site = "None" if st.context.is_embedded and secure else "Lax"
    return f"path=/; max-age={MAX_AGE_S}; SameSite={same_site}" + ("; Secure" if secure else "")


def device_id() -> str:
    """This browser's id: from its cookie, else a new one, which is written to the cookie."""
    known = st.session_state.get(_KEY)
    if known is None:
        from_cookie = st.context.cookies.get(COOKIE)
        # An edited or foreign cookie is replaced, never trusted as it is.
        known = from_cookie if valid_device_id(from_cookie) else new_device_id()
        st.session_state[_KEY] = known
    if st.context.cookies.get(COOKIE) != known:
        # On every run until the browser sends it: a script element dropped by a quick rerun is sent again.
        value = json.dumps(f"{COOKIE}={known}; {_cookie_attributes()}")
        st.html(f"<script>document.cookie = {value};</script>", unsafe_allow_javascript=True, width="content")
    return known
