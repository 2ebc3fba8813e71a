"""Pieces of the questionnaire screen: session keys, large touch controls, a reset for kiosks."""

from __future__ import annotations

import streamlit as st

PREFIXES = ("q_", "a_", "c_")

# Bigger targets for fingers on a tablet: a tap on a 52-px-high option never hits its neighbour.
TOUCH_CSS = """
<style>
div[data-testid="stButtonGroup"] button { min-height: 52px; font-size: 1.05rem; flex: 1 1 0; }
div[data-testid="stButtonGroup"] > div { width: 100%; }
div[data-testid="stMainBlockContainer"] { max-width: 900px; }
</style>
"""


def touch_styles() -> None:
    st.html(TOUCH_CSS)


def reset_session(*, keep_kiosk: bool) -> None:
    """Forget the questionnaire in this browser session: nothing of the last ballot stays on screen."""
    kiosk = st.session_state.get("q_kiosk")
    for key in list(st.session_state.keys()):
        if str(key).startswith(PREFIXES):
            del st.session_state[key]
    if keep_kiosk and kiosk:
        st.session_state["q_kiosk"] = True
