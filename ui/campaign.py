"""Which review year the screens show: chosen in the sidebar, the newest by default."""

from __future__ import annotations

import streamlit as st

from db.campaigns import list_campaigns
from db.models import Campaign
from db.stats import stats
from ui.downloads import mark_exports_demo
from ui.i18n import t
from ui.store import session

YEAR_KEY = "campaign_year"


def campaign_selector() -> Campaign | None:
    with session() as s:
        campaigns = list_campaigns(s)
    if not campaigns:
        return None
    years = [c.year for c in campaigns]
    if st.session_state.get(YEAR_KEY) not in years:
        st.session_state[YEAR_KEY] = years[0]
    year = st.sidebar.selectbox(t("common.campaign"), years, key=YEAR_KEY)
    return next(c for c in campaigns if c.year == year)


def selected_campaign() -> Campaign | None:
    """The campaign chosen in the sidebar (app.py draws the selector before any page runs)."""
    year = st.session_state.get(YEAR_KEY)
    with session() as s:
        campaigns = list_campaigns(s)
    # Newest first: with no choice made yet, the newest campaign is the one people mean.
    return next((c for c in campaigns if c.year == year), campaigns[0] if campaigns else None)


def demo_notice(campaign: Campaign) -> None:
    """Label demo data wherever it is shown, so nobody mistakes it for a real review."""
    with session() as s:
        has_demo = stats(s, year=campaign.year)["demo_rows"]
    if has_demo:
        # Only an administrator can purge the demo: the others are not told to run a command.
        admin = getattr(st.session_state.get("actor"), "role", None) == "admin"
        st.info(t("common.demo_notice", year=campaign.year) if admin else
                t("traps.home.demo_notice_staff", year=campaign.year), icon=":material/science:")
    mark_exports_demo(bool(has_demo))  # this page's Excel exports say 演示数据 as well


def require_campaign() -> Campaign:
    campaign = selected_campaign()
    if campaign is None:
        st.warning(t("common.no_campaign"))
        st.stop()
    return campaign
