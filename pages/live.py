"""Leadership's live screen: progress, poll, ranking, cases and deadlines, refreshed in place.

Only the fragment reruns on its timer (no page reload), so a wall screen stays where it is.
Provisional results are labelled as such; published ones as published.
"""

from __future__ import annotations

from html import escape

import pandas as pd
import streamlit as st

from core.clock import office_today, to_office, utcnow
from core.privacy import SMALL_CELL, small_cell
from ui import charts, display
from ui.auth import fragment
from ui.campaign import demo_notice, require_campaign
from ui.complaint_panels import live_panel as complaints_panel
from ui.dashboard_data import live
from ui.downloads import show_chart, show_table
from ui.i18n import language, t

REFRESH_CHOICES = (5, 10, 30, 60)
DEFAULT_REFRESH = 10
# Sizes follow the screen: large on a 1920-pixel wall, still fitting a laptop.
STYLE = """<style>
[data-testid='stMetricValue'] {font-size: clamp(1.8rem, 2.6vw, 3.6rem); font-weight: 700;}
[data-testid='stMetricLabel'] p {font-size: clamp(0.95rem, 1.1vw, 1.5rem);}
.st-key-live_board h3 {font-size: clamp(1.2rem, 1.5vw, 2rem);}
.live-badge {display: inline-block; padding: 0.2em 0.7em; border-radius: 0.4em; font-weight: 700;
  font-size: clamp(1rem, 1.2vw, 1.6rem); color: white;}
.live-provisional {background: #c25e00;} .live-published {background: #1a7f37;}
</style>"""

actor = display.live_viewer()  # a wall screen's display link, or the signed-in person
campaign = require_campaign()
st.markdown(STYLE, unsafe_allow_html=True)
st.title(t("live.title", year=campaign.year))
demo_notice(campaign)


def refresh_seconds() -> int:
    """Every 10 s by default; ?refresh=N (5-600) for a wall screen, or the choice in the sidebar."""
    asked = st.query_params.get("refresh", "")
    if asked.isdigit() and 5 <= int(asked) <= 600:
        st.session_state.setdefault("live_refresh", int(asked))
    choices = sorted({*REFRESH_CHOICES, st.session_state.get("live_refresh", DEFAULT_REFRESH)})
    return st.sidebar.select_slider(t("live.refresh"), choices, value=st.session_state.get("live_refresh",
                                                                                           DEFAULT_REFRESH),
                                    key="live_refresh", format_func=lambda s: t("live.seconds", n=s))


refresh = refresh_seconds()
big = st.sidebar.toggle(t("live.wall_mode"), value=True, key="live_big", help=t("live.wall_help"))


def group_name(row) -> str:
    return row["name_en"] if language() == "en" else row["name_zh"]


def stamp(moment) -> str:
    return to_office(moment).strftime("%Y-%m-%d %H:%M") if moment is not None and not pd.isna(moment) else "—"


def metrics(board) -> None:
    drawn, submitted = int(board.completion["drawn"].sum()), int(board.completion["submitted"].sum())
    share = f"{submitted / drawn:.0%}" if drawn else "—"
    cols = st.columns(6)
    cols[0].metric(t("live.questionnaires"), submitted, help=t("live.questionnaires_help", drawn=drawn))
    cols[0].caption(t("live.of_drawn", drawn=drawn, share=share))
    cols[1].metric(t("live.votes_today"), board.votes.today)
    cols[1].caption(t("live.flagged_today", n=board.votes.today_flagged))
    cols[2].metric(t("live.votes_total"), board.votes.total)
    cols[2].caption(t("live.flagged_total", n=board.votes.flagged))
    cols[3].metric(t("live.open_cases"), int(board.cases_by_age["open"].sum()))
    cols[3].caption(t("live.overdue_cases", n=int(board.cases_by_age["overdue"].sum())))
    cols[4].metric(t("live.overdue_rectifications"), len(board.overdue_rectifications))
    missing = int((board.late_reports["problem"] == "missing").sum())
    cols[5].metric(t("live.report_problems"), len(board.late_reports))
    cols[5].caption(t("live.missing_late", missing=missing, late=len(board.late_reports) - missing))


def completion(board) -> None:
    frame = board.completion.copy()
    withheld = [small_cell(int(n)) for n in frame["submitted"]]
    shown = pd.DataFrame({
        t("dash.col.group"): [group_name(r) for _, r in frame.iterrows()],
        t("dash.col.drawn"): frame["drawn"],
        # A group with 1-4 questionnaires could be singled out: no count, no bar.
        t("dash.col.submitted"): [None if w else int(n) for w, n in zip(withheld, frame["submitted"])],
    })
    fig = charts.completion_bars(shown, group=t("dash.col.group"), drawn=t("dash.col.drawn"),
                                 submitted=t("dash.col.submitted"), title=t("live.completion"), big=big)
    show_chart(fig, name=f"completion-{campaign.year}", key="live_completion")
    if any(withheld):
        st.caption(t("dash.small_cell", n=SMALL_CELL))


def poll(board) -> None:
    if board.votes_by_day.empty:
        st.info(t("live.no_poll_days"))
        return
    shown = board.votes_by_day.rename(columns={"day": t("dash.col.day"), "counted": t("dash.col.counted"),
                                               "flagged": t("dash.col.flagged")})
    fig = charts.votes_by_day(shown, day=t("dash.col.day"), counted=t("dash.col.counted"),
                              flagged=t("dash.col.flagged"), title=t("live.votes_by_day"), big=big)
    show_chart(fig, name=f"votes-{campaign.year}", key="live_votes")
    st.caption(t("live.last_vote", at=stamp(board.votes.last_vote_at)))


def result_badge(board) -> None:
    result = board.result
    if result is None:
        st.info(t("dash.no_result", year=campaign.year))
        return
    if result.status == "published":
        badge = t("dash.published_badge", version=result.version, at=stamp(result.published_at))
    else:
        badge = t("dash.provisional_badge", version=result.version, at=stamp(result.created_at))
    # Catalogue text, a version number and a time; escaped all the same, and the class from a fixed pair.
    kind = "published" if result.status == "published" else "provisional"
    st.markdown(f"<span class='live-badge live-{kind}'>{escape(badge)}</span>", unsafe_allow_html=True)
    if result.status != "published":
        st.caption(t("dash.provisional_note"))
        if board.published is not None:
            st.caption(t("dash.published_exists", version=board.published.version,
                         at=stamp(board.published.published_at)))


def ranking_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("dash.col.category"): frame["category_en" if language() == "en" else "category_zh"],
        t("dash.col.rank"): frame["rank"],
        t("dash.col.unit"): frame["unit_name"],
        t("dash.col.total"): frame["total"].round(1),
        t("dash.col.interval"): [f"{lo:.1f} – {hi:.1f}" if pd.notna(lo) and pd.notna(hi) else "—"
                                 for lo, hi in zip(frame["score_low"], frame["score_high"])],
        t("dash.col.rank_range"): [f"{int(lo)} – {int(hi)}" if pd.notna(lo) and pd.notna(hi) else "—"
                                   for lo, hi in zip(frame["rank_low"], frame["rank_high"])],
        t("dash.col.grade"): [t(f"dash.grade.{g}") for g in frame["grade"]],
        t("dash.col.borderline"): [t("dash.yes") if b else "" for b in frame["borderline"]],
        **{t(f"method.{m}"): pd.to_numeric(frame[m]).round(1) for m in ("panel", "online", "inspection", "daily")},
    })


def ranking(board) -> None:
    st.subheader(t("live.ranking"))
    result_badge(board)
    frame = board.ranking
    if board.result is None or frame.empty:
        return
    status = t(f"dash.status.{board.result.status}")
    categories = frame.drop_duplicates("category_code").sort_values("category_position")
    cols = st.columns(len(categories))
    for col, (_, category) in zip(cols, categories.iterrows()):
        part = frame[frame["category_code"] == category["category_code"]].sort_values("rank")
        name = category["category_en" if language() == "en" else "category_zh"]
        shown = part.assign(grade_label=[t(f"dash.grade.{g}") for g in part["grade"]])
        fig = charts.ranking(shown, unit="unit_name", total="total", low="score_low", high="score_high",
                             grade="grade_label", grade_code="grade", borderline="borderline",
                             title=f"{name}（{status}）", big=big)
        with col:
            show_chart(fig, name=f"ranking-{campaign.year}-{category['category_code']}",
                       key=f"live_rank_{category['category_code']}")
    st.caption(t("live.ranking_help"))
    with st.expander(t("live.ranking_table")):
        show_table(ranking_table(frame), name=f"ranking-{campaign.year}-v{board.result.version}-{board.result.status}",
                   key="live_ranking")
    borderline = frame[frame["borderline"]]
    st.subheader(t("live.borderline", n=len(borderline)))
    if borderline.empty:
        st.caption(t("live.no_borderline"))
    else:
        show_table(ranking_table(borderline), name=f"borderline-{campaign.year}", key="live_borderline")


def casework(board) -> None:
    left, right = st.columns([2, 3])
    with left:
        ages = board.cases_by_age
        shown = pd.DataFrame({t("dash.col.age"): [t(f"live.band.{b}") for b in ages["band"]],
                              t("dash.col.open"): ages["open"], t("dash.col.overdue"): ages["overdue"]})
        fig = charts.bars(shown, x=t("dash.col.age"), y=t("dash.col.open"), text=t("dash.col.open"),
                          title=t("live.cases_by_age"), big=big, colour=charts.SERIES[4])
        show_chart(fig, name=f"cases-by-age-{campaign.year}", key="live_case_ages")
    with right:
        st.subheader(t("live.open_cases_list"))
        cases = board.open_cases
        if cases.empty:
            st.caption(t("live.none"))
        else:
            show_table(pd.DataFrame({
                t("dash.col.unit"): cases["unit_name"], t("dash.col.title"): cases["title"],
                t("dash.col.state"): [t(f"dash.case_state.{s}") for s in cases["state"]],
                t("dash.col.severity"): [t(f"severity.{s}") for s in cases["severity"]],
                t("dash.col.opened_on"): cases["opened_on"], t("dash.col.due_on"): cases["due_on"],
                t("dash.col.age_days"): cases["age_days"],
                t("dash.col.overdue"): [t("dash.yes") if o else "" for o in cases["overdue"]],
            }), name=f"open-cases-{campaign.year}", key="live_cases", height=320)
    left, right = st.columns(2)
    with left:
        st.subheader(t("live.overdue_rectifications"))
        rect = board.overdue_rectifications
        if rect.empty:
            st.caption(t("live.none"))
        else:
            show_table(pd.DataFrame({
                t("dash.col.unit"): rect["unit_name"], t("dash.col.notice"): rect["notice_no"],
                t("dash.col.state"): [t(f"dash.rect_state.{s}") for s in rect["state"]],
                t("dash.col.deadline"): rect["deadline"], t("dash.col.days_over"): rect["days_over"],
            }), name=f"overdue-rectifications-{campaign.year}", key="live_rect", height=320)
    with right:
        st.subheader(t("live.reports"))
        reports = board.late_reports
        st.caption(t("live.report_dues", plan=campaign.plan_due, summary=campaign.summary_due))
        if reports.empty:
            st.caption(t("live.none"))
        else:
            show_table(pd.DataFrame({
                t("dash.col.unit"): reports["unit_name"],
                t("dash.col.kind"): [t(f"dash.report.{k}") for k in reports["kind"]],
                t("dash.col.due_on"): reports["due_on"],
                t("dash.col.submitted_at"): [stamp(a) if a is not None and not pd.isna(a) else "—"
                                             for a in reports["submitted_at"]],
                t("dash.col.problem"): [t(f"dash.report_problem.{p}") for p in reports["problem"]],
            }), name=f"reports-{campaign.year}", key="live_reports", height=320)


@fragment(run_every=refresh)
def board() -> None:
    display.recheck()  # a revoked or expired display link is refused at this refresh
    today = office_today()
    data = live(campaign.id, today, actor.role, actor)
    with st.container(key="live_board"):
        st.caption(t("live.updated", at=to_office(utcnow()).strftime("%H:%M:%S"), n=refresh))
        if not data.in_period:
            st.caption(t("live.outside_period", start=campaign.starts_on, end=campaign.ends_on))
        metrics(data)
        left, right = st.columns(2)
        with left:
            completion(data)
        with right:
            poll(data)
        ranking(data)
        casework(data)
        complaints_panel(campaign.id, actor, today)  # the poll's complaints: open, overdue, waiting


board()
