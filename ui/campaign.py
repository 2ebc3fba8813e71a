"""Which review year the screens show: chosen in the sidebar, kept in the address (`?year=2026`) so that a
reload or a bookmark opens the same year; with no choice, the year people mean (db.campaigns.default_campaign:
the campaign running today, else the newest published, else the newest)."""

from __future__ import annotations

import streamlit as st

from core.clock import office_today
from db.campaigns import default_campaign, list_campaigns
from db.models import Campaign
from db.stats import stats
from ui.downloads import mark_exports_demo
from ui.i18n import t
from ui.store import session

YEAR_KEY = "campaign_year"
YEAR_REQUEST = "campaign_year_request"  # a page asks for another year; applied before the box is drawn
YEAR_PARAM = "year"


def request_year(year: int) -> None:
    """Switch the year box to `year` on the next run (a widget's value cannot change after it is drawn)."""
    st.session_state[YEAR_REQUEST] = year


def _campaigns() -> tuple[list[Campaign], Campaign | None]:
    with session() as s:
        return list_campaigns(s), default_campaign(s, office_today())


def _chosen(campaigns: list[Campaign], default: Campaign | None) -> Campaign | None:
    """A year a page asked for, else this session's choice, else the address's `?year=`, else the default year."""
    by_year = {c.year: c for c in campaigns}
    for chosen in (st.session_state.get(YEAR_REQUEST), st.session_state.get(YEAR_KEY)):
        if chosen in by_year:
            return by_year[chosen]
    asked = st.query_params.get(YEAR_PARAM, "")
    if asked.isdigit() and int(asked) in by_year:
        return by_year[int(asked)]
    return default


def campaign_selector() -> Campaign | None:
    campaigns, default = _campaigns()
    if not campaigns:
        return None
    st.session_state[YEAR_KEY] = _chosen(campaigns, default).year
    st.session_state.pop(YEAR_REQUEST, None)
    year = st.sidebar.selectbox(t("common.campaign"), [c.year for c in campaigns], key=YEAR_KEY)
    # Moving between pages clears the address's query: put the year back on every run.
    if st.query_params.get(YEAR_PARAM) != str(year):
        st.query_params[YEAR_PARAM] = str(year)
    return next(c for c in campaigns if c.year == year)


def selected_campaign() -> Campaign | None:
    """The campaign chosen in the sidebar (app.py draws the selector before any page runs), a year a page
    asked for, or the one the address names, or the default year (the sign-in page, a page without the sidebar)."""
    return _chosen(*_campaigns())


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
