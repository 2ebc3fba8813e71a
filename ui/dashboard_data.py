"""Cached reads for the dashboards: a wall screen, laptops and analysts share one database read.

Keyed by campaign (and unit, year, ...) and by role, never by person: the store checks the role,
and the data do not depend on who asks. The live screen's time-to-live is shorter than its
refresh period, so a vote cast now is on the screen at the next refresh at the latest.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from db import explore
from db.access import Actor
from db.live import LiveBoard, live_board
from ui.store import session

LIVE_TTL_S = 3
EXPLORE_TTL_S = 60


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False, max_entries=32)
def live(campaign_id: int, today: date, role: str, _actor: Actor) -> LiveBoard:
    with session() as s:
        return live_board(s, actor=_actor, campaign_id=campaign_id, today=today)


@st.cache_data(ttl=EXPLORE_TTL_S, show_spinner=False, max_entries=64)
def directory(campaign_id: int, role: str, _actor: Actor):
    with session() as s:
        return explore.unit_directory(s, actor=_actor, campaign_id=campaign_id)


@st.cache_data(ttl=EXPLORE_TTL_S, show_spinner=False)
def years(role: str) -> dict[int, int]:
    with session() as s:
        return explore.available_years(s)


@st.cache_data(ttl=EXPLORE_TTL_S, show_spinner=False, max_entries=64)
def unit_profile(campaign_id: int, unit_code: str, role: str, _actor: Actor) -> dict:
    """Everything the unit view shows, read in one transaction."""
    with session() as s:
        return {
            "history": explore.score_history(s, actor=_actor, unit_codes=[unit_code]),
            "profile": explore.dimension_profile(s, actor=_actor, campaign_id=campaign_id, unit_codes=[unit_code]),
            "poll": explore.poll_trend(s, actor=_actor, unit_codes=[unit_code]),
            "groups": explore.group_comparison(s, actor=_actor, campaign_id=campaign_id, unit_code=unit_code),
            "timeline": explore.timeline(s, actor=_actor, unit_codes=[unit_code]),
        }


@st.cache_data(ttl=EXPLORE_TTL_S, show_spinner=False, max_entries=64)
def comparison(campaign_id: int, unit_codes: tuple[str, ...], role: str, _actor: Actor) -> dict:
    codes = list(unit_codes)
    with session() as s:
        return {
            "side": explore.compare_units(s, actor=_actor, campaign_id=campaign_id, unit_codes=codes),
            "history": explore.score_history(s, actor=_actor, unit_codes=codes),
            "profile": explore.dimension_profile(s, actor=_actor, campaign_id=campaign_id, unit_codes=codes),
        }


@st.cache_data(ttl=EXPLORE_TTL_S, show_spinner=False, max_entries=16)
def reliability(role: str, _actor: Actor) -> list[explore.Reliability]:
    with session() as s:
        return explore.reliability_by_year(s, actor=_actor)
