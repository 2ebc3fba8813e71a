"""What every poll visitor sees alike, read once for all of them: the open campaign, its categories and units."""

from __future__ import annotations

from datetime import date

import streamlit as st

from db.poll import poll_campaign
from db.units import categories, list_units
from ui.store import session

STRUCTURE_TTL_S = 60  # an administrator's rename reaches the poll within a minute


# Here, not in pages/poll.py: a page file runs again on every interaction, and a cache decorator run again
# reads the function's source to name it (inspect.getsource and tokenize on every vote, py-spy).
@st.cache_data(ttl=STRUCTURE_TTL_S, show_spinner=False, max_entries=4)
def poll_structure(today: date) -> tuple[int | None, tuple[str, str], tuple, tuple]:
    """The open campaign (id, names), its categories and active units."""
    with session() as s:
        campaign = poll_campaign(s, today=today)
        if campaign is None:
            return None, ("", ""), (), ()
        cats = tuple((c.code, c.name_zh, c.name_en) for c in categories(s, campaign_id=campaign.id))
        units = tuple(list_units(s, campaign_id=campaign.id, include_inactive=False))
        return campaign.id, (campaign.name_zh, campaign.name_en), cats, units
