"""The complaint panels of the dashboards: open and overdue complaints on /live, a unit's complaint rate
and handling time across months on /explore. Kept here so the two pages each gain one call."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from db.access import Actor
from db.complaints.handling import live_counts, unit_months
from ui import charts
from ui.downloads import show_chart, show_table
from ui.i18n import t
from ui.plain import plain
from ui.store import session

LIVE_TTL_S = 5  # shorter than the live screen's refresh
EXPLORE_TTL_S = 60


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False, max_entries=32)
def _live(campaign_id: int, today: date, role: str, _actor: Actor) -> dict:
    with session() as s:
        return live_counts(s, actor=_actor, campaign_id=campaign_id, today=today)


@st.cache_data(ttl=EXPLORE_TTL_S, show_spinner=False, max_entries=64)
def _months(unit_code: str, role: str, _actor: Actor) -> list:
    with session() as s:
        return unit_months(s, actor=_actor, unit_code=unit_code)


def live_panel(campaign_id: int, actor: Actor, today: date) -> None:
    """Open, overdue, disputed and held complaints, and the units with the most overdue ones."""
    counts = _live(campaign_id, today, actor.role, actor)
    st.subheader(t("complaint_panels.live_title"))
    cols = st.columns(4)
    cols[0].metric(t("complaint_panels.open"), counts["open"])
    cols[1].metric(t("complaint_panels.overdue"), counts["overdue"])
    cols[2].metric(t("complaint_panels.waiting"), counts["disputed"] + counts["held"],
                   help=t("complaint_panels.waiting_help"))
    cols[3].metric(t("complaint_panels.closed"), counts["closed"])
    if counts["worst"]:
        st.caption(t("complaint_panels.worst", units="、".join(f"{plain(name)} {n}" for name, n in counts["worst"])))


def explore_panel(unit_code: str, name: str, actor: Actor) -> None:
    """Complaints per month: how many, per 100 counted votes, and the median working days to close."""
    st.subheader(t("complaint_panels.explore_title"))
    months = _months(unit_code, actor.role, actor)
    if not any(m.complaints for m in months):
        st.info(t("complaint_panels.none"))
        return
    table = pd.DataFrame({
        t("dash.col.month"): [m.month for m in months],
        t("complaint_panels.votes"): [m.votes for m in months],
        t("complaint_panels.complaints"): [m.complaints for m in months],
        t("complaint_panels.rate"): [None if m.rate is None else round(m.rate, 2) for m in months],
        t("complaint_panels.median_days"): [m.median_days for m in months],
    })
    fig = charts.lines(table, x=t("dash.col.month"), series=[t("complaint_panels.rate"),
                                                              t("complaint_panels.median_days")],
                       title=t("complaint_panels.chart", unit=name))
    show_chart(fig, name=f"complaints-{unit_code}", key="ex_complaints")
    show_table(table, name=f"complaints-{unit_code}", key="ex_complaints", height=260)
    st.caption(t("complaint_panels.help"))
