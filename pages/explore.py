"""The analysts' explorer: why a unit scores as it does, how it changes across years, how far to trust it.

Three views, each reading only its own data: one unit, units side by side, reliability. Every
table downloads as CSV and Excel, every chart as PNG.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.privacy import SMALL_CELL
from core.reliability import verdict
from ui import charts
from ui import dashboard_data as data
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.complaint_panels import explore_panel as complaints_over_time
from ui.downloads import show_chart, show_table
from ui.i18n import language, t
from ui.plain import plain

VIEWS = ("unit", "compare", "reliability")
MAX_COMPARED = 6

actor = guard("explore")
campaign = require_campaign()
st.title(t("explore.title"))
demo_notice(campaign)
english = language() == "en"

years = data.years(actor.role)  # year -> campaign id
year_list = sorted(years, reverse=True)
# Three filters on one row and the view below: four in a row left the year unreadable on a tablet.
cols = st.columns([1.3, 2, 3])
year = cols[0].selectbox(t("dash.col.year"), year_list, key="explore_year",
                         index=year_list.index(campaign.year) if campaign.year in year_list else 0)
campaign_id = years[year]
units = data.directory(campaign_id, actor.role, actor)
if units.empty:
    st.info(t("explore.no_units"))
    st.stop()
category_names = dict(zip(units["category_code"], units["category_en" if english else "category_zh"]))
category = cols[1].selectbox(t("dash.col.category"), ["", *category_names], key="explore_category",
                             format_func=lambda c: category_names.get(c, t("common.all")))
shown_units = units[units["category_code"] == category] if category else units
unit_names = dict(zip(units["unit_code"], units["unit_name"]))
unit_code = cols[2].selectbox(t("dash.col.unit"), list(shown_units["unit_code"]), key="explore_unit",
                              format_func=unit_names.get)
view = st.segmented_control(t("explore.view"), VIEWS, default="unit", key="explore_view",
                           format_func=lambda v: t(f"explore.views.{v}")) or "unit"


def yes(flag: bool) -> str:
    return t("dash.yes") if flag else ""


def status_label(status: str | None, version) -> str:
    if not status:
        return "—"
    return t("dash.status_version", status=t(f"dash.status.{status}"), version=int(version))


def fmt(value, digits: int = 1) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def category_of(code: str) -> str:
    row = units[units["unit_code"] == code]
    return category_names.get(row["category_code"].iloc[0], "") if len(row) else ""


# ---------------------------------------------------------------------------------------
# One unit


def scores_across_years(history: pd.DataFrame, name: str) -> None:
    st.subheader(t("explore.scores_years"))
    if history.empty:
        st.info(t("dash.no_result_any"))
        return
    methods = ("panel", "online", "inspection", "daily")
    table = pd.DataFrame({
        t("dash.col.year"): history["year"].astype(str),
        t("dash.col.result"): [status_label(s, v) for s, v in zip(history["status"], history["version"])],
        t("dash.col.total"): history["total"].round(1),
        **{t(f"method.{m}"): pd.to_numeric(history[m]).round(1) for m in methods},
        t("dash.col.grade"): [t(f"dash.grade.{g}") for g in history["grade"]],
        t("dash.col.rank"): [f"{r} / {n}" for r, n in zip(history["rank"], history["category_size"])],
        t("dash.col.interval"): [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(history["score_low"],
                                                                             history["score_high"])],
        t("dash.col.rank_range"): [f"{fmt(lo, 0)} – {fmt(hi, 0)}" for lo, hi in zip(history["rank_low"],
                                                                                      history["rank_high"])],
        t("dash.col.borderline"): [yes(b) for b in history["borderline"]],
    })
    series = [t("dash.col.total"), *(t(f"method.{m}") for m in methods)]
    fig = charts.lines(table, x=t("dash.col.year"), series=series, title=t("explore.scores_chart", unit=name),
                       y_title=t("dash.col.score"))
    show_chart(fig, name=f"scores-{unit_code}", key="ex_scores")
    show_table(table, name=f"scores-{unit_code}", key="ex_scores")
    if (history["status"] != "published").any():
        st.caption(t("explore.provisional_rows"))


def dimensions(profile: pd.DataFrame, name: str) -> None:
    st.subheader(t("explore.dimensions", year=year))
    if profile.empty:
        st.info(t("explore.no_panel", year=year))
        return
    label = profile["dimension_en" if english else "dimension_zh"]
    table = pd.DataFrame({
        t("dash.col.dimension"): label,
        name: profile["score"].round(1),
        t("explore.category_average"): profile["category_average"].round(1),
        t("dash.col.difference"): (profile["score"] - profile["category_average"]).round(1),
        t("dash.col.answers"): profile["answers"],
    })
    fig = charts.radar(table, axis=t("dash.col.dimension"), series=[name, t("explore.category_average")],
                       title=t("explore.dimensions_chart", unit=name, category=category_of(unit_code)))
    left, right = st.columns([3, 2])
    with left:
        show_chart(fig, name=f"dimensions-{unit_code}-{year}", key="ex_dims")
    with right:
        show_table(table, name=f"dimensions-{unit_code}-{year}", key="ex_dims")
        st.caption(t("explore.dimension_help"))


def poll_over_time(trend: pd.DataFrame, name: str) -> None:
    st.subheader(t("explore.poll"))
    if trend.empty:
        st.info(t("explore.no_votes"))
        return
    table = pd.DataFrame({
        t("dash.col.year"): trend["year"].astype(str), t("dash.col.month"): trend["period"],
        t("dash.col.votes"): trend["votes"],
        **{t(f"option.{o}"): trend[o] for o in ("satisfied", "basically_satisfied", "dissatisfied")},
        t("dash.col.satisfaction"): trend["satisfaction"].round(1),
        t("dash.col.flagged"): trend["flagged"],
    })
    fig = charts.volume_and_satisfaction(table, period=t("dash.col.month"), volume=t("dash.col.votes"),
                                         satisfaction=t("dash.col.satisfaction"), title=t("explore.poll_chart",
                                                                                            unit=name))
    show_chart(fig, name=f"poll-{unit_code}", key="ex_poll")
    show_table(table, name=f"poll-{unit_code}", key="ex_poll", height=260)
    st.caption(t("explore.poll_help"))


def reviewer_groups(groups, name: str) -> None:
    st.subheader(t("explore.groups", year=year))
    overall = groups.overall
    if groups.unit_score is None:
        st.info(t("explore.no_panel", year=year))
        return
    group = overall["name_en" if english else "name_zh"]
    table = pd.DataFrame({
        t("dash.col.group"): group,
        t("dash.col.responses"): [t("dash.fewer_than", n=SMALL_CELL) if w else ("0" if pd.isna(n) else str(int(n)))
                                  for w, n in zip(overall["withheld"], overall["responses"])],
        t("dash.col.score"): pd.to_numeric(overall["score"]).round(1),
        t("dash.col.difference"): pd.to_numeric(overall["difference"]).round(1),
    })
    fig = charts.group_scores(table, group=t("dash.col.group"), score=t("dash.col.score"),
                              reference=groups.unit_score, reference_label=t("explore.unit_mean"),
                              title=t("explore.groups_chart", unit=name))
    left, right = st.columns([3, 2])
    with left:
        show_chart(fig, name=f"groups-{unit_code}-{year}", key="ex_groups")
    with right:
        show_table(table, name=f"groups-{unit_code}-{year}", key="ex_groups")
        rated = overall.dropna(subset=["difference"])
        if len(rated):
            lowest = rated.loc[rated["difference"].idxmin()]
            st.markdown(t("explore.lowest_group", group=plain(lowest["name_en" if english else "name_zh"]),
                          diff=fmt(lowest["difference"])))
        st.caption(t("dash.small_cell", n=SMALL_CELL))
    cells = groups.by_dimension
    if not cells.empty:
        names = dict(zip(overall["group_code"], group))
        grid = cells.assign(group=cells["group_code"].map(names),
                            dimension=cells["dimension_en" if english else "dimension_zh"])
        grid = grid.pivot_table(index="group", columns="dimension", values="score", aggfunc="first", sort=False,
                                dropna=False).round(1).reset_index().rename(columns={"group": t("dash.col.group")})
        with st.expander(t("explore.groups_by_dimension")):
            show_table(grid, name=f"groups-dimensions-{unit_code}-{year}", key="ex_group_dims")


def events(timeline: pd.DataFrame, name: str) -> None:
    st.subheader(t("explore.timeline"))
    if timeline.empty:
        st.info(t("explore.no_events"))
        return
    kind = [t(f"dash.event.{k}") for k in timeline["kind"]]
    severity = [t(f"severity.{s}") if s in ("minor", "general", "serious") else
                t(f"explore.reason.{s}") if s in ("unqualified", "public_rejected", "finding") else
                (t("explore.repeated") if s == "repeated" else "") for s in timeline["severity"]]
    table = pd.DataFrame({t("dash.col.day"): timeline["day"], t("dash.col.year"): timeline["year"].astype(str),
                          t("dash.col.event"): kind, t("dash.col.severity"): severity,
                          t("dash.col.title"): timeline["title"]})
    fig = charts.timeline(table, day=t("dash.col.day"), kind=t("dash.col.event"), detail=t("dash.col.title"),
                          colour=t("dash.col.event"), title=t("explore.timeline_chart", unit=name))
    show_chart(fig, name=f"timeline-{unit_code}", key="ex_timeline")
    show_table(table, name=f"timeline-{unit_code}", key="ex_timeline", height=300)


def unit_view() -> None:
    name = unit_names[unit_code]
    st.header(plain(name))
    st.caption(t("explore.unit_caption", category=plain(category_of(unit_code)), code=unit_code))
    found = data.unit_profile(campaign_id, unit_code, actor.role, actor)
    scores_across_years(found["history"], name)
    dimensions(found["profile"], name)
    poll_over_time(found["poll"], name)
    complaints_over_time(unit_code, name, actor)  # complaint rate and handling time across months
    reviewer_groups(found["groups"], name)
    events(found["timeline"], name)


# ---------------------------------------------------------------------------------------
# Units side by side


def compare_view() -> None:
    codes = list(shown_units["unit_code"])
    start = codes.index(unit_code) if unit_code in codes else 0
    default = (codes[start:] + codes[:start])[:3]
    chosen = st.multiselect(t("explore.compare_units", n=MAX_COMPARED), list(units["unit_code"]), default=default,
                            max_selections=MAX_COMPARED, format_func=unit_names.get, key="explore_compare")
    if not chosen:
        st.info(t("explore.pick_units"))
        return
    found = data.comparison(campaign_id, tuple(chosen), actor.role, actor)
    side = found["side"]
    methods = ("panel", "online", "inspection", "daily")
    table = pd.DataFrame({
        t("dash.col.unit"): side["unit_name"],
        t("dash.col.category"): side["category_en" if english else "category_zh"],
        t("dash.col.result"): [status_label(s, v) for s, v in zip(side["result_status"], side["result_version"])],
        t("dash.col.total"): side["total"].round(1),
        **{t(f"method.{m}"): pd.to_numeric(side[m]).round(1) for m in methods},
        t("dash.col.grade"): [t(f"dash.grade.{g}") if isinstance(g, str) else "—" for g in side["grade"]],
        t("dash.col.rank"): side["rank"],
        t("dash.col.interval"): [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(side["score_low"], side["score_high"])],
        t("explore.panel_score"): side["panel_score"].round(1),
        t("dash.col.votes"): side["poll_votes"],
        t("dash.col.satisfaction"): side["poll_satisfaction"].round(1),
        t("explore.findings"): side["findings"], t("explore.serious_findings"): side["serious_findings"],
        t("explore.media_cases"): side["media_cases"], t("dash.col.open"): side["open_cases"],
        t("explore.rectifications"): side["rectifications"],
    })
    st.subheader(t("explore.side_by_side", year=year))
    show_table(table, name=f"compare-{year}", key="ex_compare")
    if side["result_status"].isna().all():
        st.caption(t("dash.no_result", year=year))
    history = found["history"]
    if not history.empty:
        wide = history.pivot_table(index="year", columns="unit_code", values="total", aggfunc="first").reset_index()
        wide = wide.rename(columns={**unit_names, "year": t("dash.col.year")})
        wide[t("dash.col.year")] = wide[t("dash.col.year")].astype(str)
        series = [unit_names[c] for c in chosen if unit_names[c] in wide.columns]
        fig = charts.lines(wide, x=t("dash.col.year"), series=series, title=t("explore.totals_chart"),
                           y_title=t("dash.col.total"))
        show_chart(fig, name="compare-totals", key="ex_compare_totals")
        show_table(wide, name="compare-totals", key="ex_compare_totals")
    profile = found["profile"]
    if not profile.empty:
        wide = profile.pivot_table(index=["dimension_position", "dimension_en" if english else "dimension_zh"],
                                   columns="unit_code", values="score", aggfunc="first").round(1)
        wide = wide.reset_index().drop(columns="dimension_position")
        wide = wide.rename(columns={**unit_names, "dimension_en": t("dash.col.dimension"),
                                    "dimension_zh": t("dash.col.dimension")})
        series = [unit_names[c] for c in chosen if unit_names[c] in wide.columns]
        fig = charts.radar(wide, axis=t("dash.col.dimension"), series=series,
                           title=t("explore.compare_dimensions", year=year))
        show_chart(fig, name=f"compare-dimensions-{year}", key="ex_compare_dims")
        show_table(wide, name=f"compare-dimensions-{year}", key="ex_compare_dims")


# ---------------------------------------------------------------------------------------
# Reliability


def reliability_view() -> None:
    found = data.reliability(actor.role, actor)
    current = next((r for r in found if r.year == year), None)
    st.subheader(t("explore.reliability", year=year))
    if current is None or not current.questionnaires:
        st.info(t("explore.no_panel", year=year))
    else:
        cols = st.columns(4)
        for col, label, value in ((cols[0], t("explore.cronbach"), current.cronbach_alpha),
                                  (cols[1], t("explore.kripp_ordinal"), current.krippendorff_ordinal),
                                  (cols[2], t("explore.kripp_interval"), current.krippendorff_interval)):
            col.metric(label, fmt(value, 3))
            col.caption(t(f"explore.verdict.{verdict(value)}"))
        share = current.flagged_share
        cols[3].metric(t("explore.flagged_share"), "—" if share is None else f"{share:.1%}")
        cols[3].caption(t("explore.flagged_detail", straight=current.straight_lining, fast=current.too_fast,
                          n=current.questionnaires))
        st.caption(t("explore.reliability_help", rows=current.complete_rows, items=current.rated_items))
    table = pd.DataFrame([{
        t("dash.col.year"): str(r.year), t("explore.questionnaires"): r.questionnaires,
        t("explore.cronbach"): None if r.cronbach_alpha is None else round(r.cronbach_alpha, 3),
        t("explore.kripp_ordinal"): None if r.krippendorff_ordinal is None else round(r.krippendorff_ordinal, 3),
        t("explore.kripp_interval"): None if r.krippendorff_interval is None else round(r.krippendorff_interval, 3),
        t("explore.straight_lining"): r.straight_lining, t("explore.too_fast"): r.too_fast,
        t("explore.flagged_share"): None if r.flagged_share is None else round(100 * r.flagged_share, 1),
    } for r in found])
    if not table.empty:
        fig = charts.lines(table, x=t("dash.col.year"), series=[t("explore.cronbach"), t("explore.kripp_ordinal"),
                                                                t("explore.kripp_interval")],
                           title=t("explore.reliability_chart"), y_title="α")
        show_chart(fig, name="reliability", key="ex_reliability")
        show_table(table, name="reliability", key="ex_reliability")
        st.caption(t("explore.flagged_note"))


{"unit": unit_view, "compare": compare_view, "reliability": reliability_view}[view]()
