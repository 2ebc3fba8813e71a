"""Pieces of the questionnaire screen: session keys, large touch controls, a reset for kiosks, the cached structure."""

from __future__ import annotations

import functools

import streamlit as st

from db.engine import database_url
from db.questionnaire import Structure, structure
from ui.store import session

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


@functools.lru_cache(maxsize=32)  # not st.cache_resource: hashing its arguments costs more than the lookup
def _structure(campaign_id: int, version: int, url: str) -> Structure:
    with session() as s:
        return structure(s, campaign_id=campaign_id)


def structure_at(campaign_id: int, version: int) -> Structure:
    """The questionnaire's units and dimensions, read once per process and kept while nothing changed.

    Keyed by the campaign's structure version (db.questionnaire.structure_version, its newest audit
    event), which the screen reads with the answers: an administrator's rename shows at the
    reviewer's next screen. Shared by every session, never changed.
    """
    return _structure(campaign_id, version, database_url())
