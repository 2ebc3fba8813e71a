"""Overview: the chosen campaign at a glance, for every signed-in role."""

from __future__ import annotations

import streamlit as st

from core.clock import office_today, to_office
from core.roles import may_open
from db.stats import stats
from db.units import categories, list_units
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.i18n import language, t
from ui.notices import repeated_names_notice
from ui.plain import plain
from ui.store import session

actor = guard("home")
campaign = require_campaign()

if actor.role == "liaison":
    # A liaison's work is their own unit: the landing page says which, and leads to what they answer.
    with session() as s:
        mine = next((u for u in list_units(s, campaign_id=campaign.id) if u.code == actor.unit_code), None)
    st.title(plain(mine.name) if mine else t("traps.home.no_unit"))
    st.caption(t("traps.home.liaison_caption", year=campaign.year))
    demo_notice(campaign)
    for key, icon in (("complaints", ":material/feedback:"), ("rectification", ":material/assignment_late:"),
                      ("inspections", ":material/search_check:"), ("cases", ":material/gavel:"),
                      ("media", ":material/newspaper:"), ("reports", ":material/description:"),
                      ("feedback", ":material/feedback:")):
        if may_open(key, actor.role):
            st.page_link(f"pages/{key}.py", label=t(f"nav.{key}"), icon=icon)
            st.caption(t(f"traps.home.about.{key}"))
    st.stop()

st.title(plain(campaign.name_en if language() == "en" else campaign.name_zh))
st.caption(t("home.source", source=plain(campaign.source)))
demo_notice(campaign)
if actor.role == "admin":
    repeated_names_notice(campaign)

with session() as s:
    figures = stats(s, year=campaign.year)
    category_rows = categories(s, campaign_id=campaign.id)

cols = st.columns(4)
cols[0].metric(t("home.units"), figures["units"])
cols[1].metric(t("home.reviewers"), f"{figures['reviewers']:,}", help=t("home.pool_target", n=campaign.pool_target))
cols[2].metric(t("home.responses"), f"{figures['responses']:,}", help=t("home.panel_size", n=campaign.panel_size))
cols[3].metric(t("home.poll_votes"), f"{figures['poll_votes']:,}")

st.subheader(t("home.categories"))
st.dataframe(
    [{t("home.category"): (c.name_en if language() == "en" else c.name_zh),
      t("home.unit_count"): figures["units_by_category"].get(c.code, 0)} for c in category_rows],
    hide_index=True, width="content",
)

st.subheader(t("home.calendar"))
today = office_today()
rows = [
    (t("home.plan_due"), campaign.plan_due),
    (t("home.summary_due"), campaign.summary_due),
    (t("home.panel_opens"), to_office(campaign.panel_opens_at).date()),
    (t("home.panel_closes"), to_office(campaign.panel_closes_at).date()),
]
st.dataframe(
    [{t("home.milestone"): name, t("home.date"): day.isoformat(),
      t("home.days_left"): (day - today).days if day >= today else t("home.past")} for name, day in rows],
    hide_index=True, width="content",
)
