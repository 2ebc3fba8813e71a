"""Wall-screen mode: /live opened with a display link (?display=TOKEN), no sign-in, nothing else.

The token stays in the address bar, so every new Streamlit session (a reload, the reconnect after
a server restart) opens the link again from it. The live board asks `recheck()` at each timed
refresh; a revoked or expired link then reruns the app, which shows one sentence and nothing else.
"""

from __future__ import annotations

import streamlit as st

from core import sessions as rules
from db.access import Actor
from db.signin.display_links import DisplayLinkInvalid, check_display_link, open_display_link
from ui.auth import guard
from ui.campaign import YEAR_KEY
from ui.i18n import error_text
from ui.store import session

VIEW_KEY = "display_view"


def requested(url_path: str) -> bool:
    """app.py, every run: whether this run is a wall screen's (/live with ?display=…, or after one)."""
    if url_path != "live":
        st.session_state.pop(VIEW_KEY, None)  # a display link opens /live and nothing else
        return False
    return bool(st.query_params.get(rules.DISPLAY_PARAM)) or st.session_state.get(VIEW_KEY) is not None


def enter() -> None:
    """Open the wall screen's link (again), or stop the run with one sentence if it is refused."""
    token = st.query_params.get(rules.DISPLAY_PARAM)
    view = st.session_state.get(VIEW_KEY)
    try:
        with session() as s:
            view = open_display_link(s, token=token) if token else check_display_link(s, link_id=view.link_id)
    except DisplayLinkInvalid as refused:
        st.session_state.pop(VIEW_KEY, None)
        st.warning(error_text(refused), icon=":material/tv_off:")
        st.stop()
    st.session_state[VIEW_KEY] = view
    st.session_state[YEAR_KEY] = view.year


def live_viewer() -> Actor:
    """Who reads /live: the wall screen's link, else the signed-in person (the usual guard)."""
    view = st.session_state.get(VIEW_KEY)
    return view.actor if view is not None else guard("live")


def recheck() -> None:
    """At each timed refresh of a wall screen: still valid? If not, the whole app reruns and refuses it."""
    view = st.session_state.get(VIEW_KEY)
    if view is None:
        return
    try:
        with session() as s:
            check_display_link(s, link_id=view.link_id)
    except DisplayLinkInvalid:
        st.rerun()
