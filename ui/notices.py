"""Notices shown to administrators where a decision is pending."""

from __future__ import annotations

import streamlit as st

from db.models import Campaign
from db.units import repeated_names
from ui.i18n import t
from ui.plain import plain
from ui.store import session


def repeated_names_notice(campaign: Campaign) -> None:
    """The source lists 区财政局 and 区环保局 twice each: say so until an admin renames or merges."""
    with session() as s:
        repeated = repeated_names(s, campaign_id=campaign.id)
    for base, codes in repeated.items():
        st.warning(t("units.repeated_notice", name=plain(base), codes=", ".join(codes)), icon=":material/warning:")


FLASH_KEY = "flash"


def flash(message: str) -> None:
    """A success message that survives the st.rerun() which redraws the page with the new data."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)
