"""The precision planner on /draw: choose the earlier year, estimate on request, show the table and the advice.

The figures come from db.planning (core.planner computes them); this module only lays them out.
Estimating takes a second or two, so it runs when asked and the plan is kept in the session:
typing the seed below reruns the page without recomputing it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import UserError
from core.planner import Plan
from db.campaigns import list_campaigns
from db.planning import plan_panel
from db.units import categories as unit_categories
from ui.i18n import error_text, named, t
from ui.plain import plain
from ui.store import session

RECOMMENDED_STYLE = "background-color: #e2f0d9"


def planner(campaign, actor, group_names: dict[str, str]) -> None:
    st.caption(t("plan.help"))
    with session() as s:
        earlier = [c.year for c in list_campaigns(s) if c.year < campaign.year]
        category_names = {c.code: named(c) for c in unit_categories(s, campaign_id=campaign.id)}
    source = st.selectbox(t("plan.from"), earlier or [None], key=f"plan_from_{campaign.year}",
                          format_func=lambda year: t("plan.none_before") if year is None else str(year))
    key = f"plan_{campaign.year}_{source}"
    if st.button(t("plan.compute"), key=f"plan_compute_{campaign.year}", icon=":material/query_stats:"):
        try:
            with st.spinner(t("plan.computing")), session() as s:
                st.session_state[key] = plan_panel(s, actor=actor, year=campaign.year, from_year=source)
        except UserError as error:
            st.error(error_text(error))
    plan: Plan | None = st.session_state.get(key)
    if plan is not None:
        show(plan, group_names, category_names)


def _note(note: dict, group_names: dict[str, str]) -> str:
    params = {k: v for k, v in note.items() if k != "code"}
    if "groups" in params:
        params["groups"] = "、".join(plain(group_names.get(g.strip(), g.strip()))
                                    for g in str(params["groups"]).split(","))
    return t(f"plan.note.{note['code']}", **params)


def advice(plan: Plan) -> str:
    best, larger = plan.recommended, plan.larger
    figures = {"size": best.size, "allocation": t(f"draw.methods.{best.allocation}"),
               "total": f"{best.total_half_width:.2f}", "panel": f"{best.panel_half_width:.2f}"}
    if best.borderline is None:
        return t("plan.recommend_unscored", **figures)
    figures["borderline"] = f"{best.borderline_total:.1f}"
    if larger is None:
        return t("plan.recommend_largest", **figures)
    return t("plan.recommend", **figures, larger=larger.size, larger_total=f"{larger.total_half_width:.2f}",
             larger_borderline=f"{larger.borderline_total:.1f}")


def show(plan: Plan, group_names: dict[str, str], category_names: dict[str, str]) -> None:
    for note in plan.notes:
        st.info(_note(note, group_names), icon=":material/info:")
    st.success(advice(plan), icon=":material/recommend:")
    # What decides first (precision, borderline units), then the draw's numbers per group: on a tablet the
    # group columns are the ones that scroll out of sight.
    counts = [t("plan.col.borderline", category=category_names.get(c, c)) for c in plan.designs[0].borderline or {}]
    if counts:
        counts.insert(0, t("plan.col.borderline_total"))
    rows = [{t("plan.col.size"): d.size, t("plan.col.allocation"): t(f"draw.methods.{d.allocation}"),
             t("plan.col.panel"): d.panel_half_width, t("plan.col.total"): d.total_half_width,
             **dict(zip(counts, [d.borderline_total, *(d.borderline or {}).values()])),
             **{group_names.get(g, g): n for g, n in d.counts.items()}} for d in plan.designs]
    chosen = [d == plan.recommended for d in plan.designs]
    styled = (pd.DataFrame(rows).style
              .apply(lambda r: [RECOMMENDED_STYLE if chosen[r.name] else ""] * len(r), axis=1)
              .format(precision=2, subset=[t("plan.col.panel"), t("plan.col.total")])
              .format(precision=1, subset=counts))
    st.dataframe(styled, hide_index=True, width="stretch")
    st.caption(t("plan.method_line", simulations=plan.simulations))
    spreads = "、".join(f"{plain(group_names.get(g, g))} {value:.1f}" for g, value in plan.spreads.items())
    st.caption(t("plan.spreads", spreads=spreads))
