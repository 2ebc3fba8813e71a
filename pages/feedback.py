"""Feedback to units (/feedback): what the published review found about one unit, and its letter.

A liaison sees their own unit only (db.feedback scopes it); the office, leaders and analysts pick
any unit. Before the campaign's result is published the page says so and shows nothing else.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.clock import to_office
from core.errors import UserError
from core.privacy import SMALL_CELL
from db.campaigns import list_campaigns
from db.feedback import feedback_units, shown_result, unit_comments, unit_feedback, years_with_results
from documents.word import chinese_date
from ui import charts
from ui.auth import guard
from ui.bundle import bundle_download
from ui.campaign import demo_notice, request_year, require_campaign
from ui.casework import refuse
from ui.downloads import show_chart, show_table
from ui.feedback import DOCX, ZIP, all_letters, dimension_chart, one_letter
from ui.i18n import joined, language, t
from ui.notices import show_flash
from ui.objections import posted_notice, unit_panel
from ui.plain import plain
from ui.store import session

actor = guard("feedback")
campaign = require_campaign()
st.title(t("feedback.title", year=campaign.year))
demo_notice(campaign)
english = language() == "en"

show_flash()

with session() as s:
    shown = shown_result(s, actor=actor, campaign_id=campaign.id)
    choices = feedback_units(s, actor=actor, campaign_id=campaign.id)
    with_results = years_with_results(s, actor=actor)
    running_year = list_campaigns(s)[0].year
# The year box: on the first visit, the newest year with something to show (published, or posted for
# objections); the running year, or that year, one tap away.
if not st.session_state.get("feedback_year_set"):
    st.session_state["feedback_year_set"] = True
    if shown is None and with_results and with_results[0] != campaign.year:
        request_year(with_results[0])
        st.rerun()
if campaign.year != running_year:
    if st.button(t("feedback.to_running_year", year=running_year), icon=":material/arrow_forward:",
                 key="feedback_running_year"):
        request_year(running_year)
        st.rerun()
if shown is None:
    st.info(t("feedback.not_published", year=campaign.year), icon=":material/schedule:")
    if with_results and st.button(t("feedback.to_year_with_result", year=with_results[0]), type="primary",
                                  icon=":material/arrow_back:", key="feedback_result_year"):
        request_year(with_results[0])
        st.rerun()
    st.stop()
period = shown[1]
if not choices:
    st.info(t("feedback.no_unit"))
    st.stop()

names = {c.code: c.name for c in choices}
if actor.role == "liaison":
    unit_code = choices[0].code
else:
    unit_code = st.selectbox(t("feedback.unit"), list(names), format_func=names.get, key="feedback_unit")

try:
    with session() as s:
        found = unit_feedback(s, actor=actor, campaign_id=campaign.id, unit_code=unit_code)
        digest = unit_comments(s, actor=actor, campaign_id=campaign.id, unit_code=unit_code)
except UserError as error:
    refuse(error)
    st.stop()


def fmt(value, digits: int = 1) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}f}"


st.header(plain(found.unit_name))
if period is not None:  # posted for objections (公示): provisional figures, for the office and this unit only
    posted_notice(period)
    st.caption(t("objections.caption", category=plain(found.category_en if english else found.category_zh),
                 version=found.result.version))
else:
    published_on = to_office(found.result.published_at).date() if found.result.published_at else None
    st.caption(t("feedback.caption", category=plain(found.category_en if english else found.category_zh),
                 version=found.result.version, day=published_on.isoformat() if published_on else "—"))

cols = st.columns(3)
cols[0].metric(t("dash.col.grade"), t(f"dash.grade.{found.grade}"))
cols[1].metric(t("dash.col.total"), fmt(found.total))
cols[1].caption(t("feedback.interval", low=fmt(found.score_low), high=fmt(found.score_high)))
cols[2].metric(t("feedback.rank"), t("feedback.rank_of", rank=found.rank, n=found.category_size))
if found.rank_low is not None and found.rank_high is not None:
    cols[2].caption(t("feedback.rank_range", low=found.rank_low, high=found.rank_high))
if found.borderline:
    # Say what makes the unit borderline, with the range that does: a score interval across a grade line,
    # or a rank range (under sampling uncertainty, the one the quota test uses) across the quota's last place.
    rules = found.grade_lines
    for why in found.borderline_why or ("",):
        if why in ("excellent_min", "qualified_min"):
            st.caption(t(f"traps.feedback.borderline_{why}", low=fmt(found.score_low), high=fmt(found.score_high),
                         line=fmt(rules.get(why), 0) if rules.get(why) is not None else "—"))
        elif why == "quota" and found.sampling_rank and found.quota_limit:
            st.caption(t("traps.feedback.borderline_quota", low=found.sampling_rank[0], high=found.sampling_rank[1],
                         limit=found.quota_limit))
        else:
            st.caption(t("feedback.borderline"))
bundle_download(actor, campaign.year, version=found.result.version, key="feedback_bundle")

unit_panel(actor, campaign, unit_code, period)

buttons = st.columns(2)
if period is None:  # letters go out with the published result
    buttons[0].download_button(t("feedback.letter"), one_letter(actor, campaign.id, unit_code),
                               file_name=f"feedback-{found.year}-{unit_code}.docx", mime=DOCX,
                               key="feedback_letter", icon=":material/description:", on_click="ignore",
                               width="stretch")
if actor.role == "admin" and period is None:
    buttons[1].download_button(t("feedback.all_letters"), all_letters(actor, campaign.id),
                               file_name=f"feedback-letters-{found.year}.zip", mime=ZIP, key="feedback_all",
                               icon=":material/folder_zip:", on_click="ignore", width="stretch")
    st.caption(t("feedback.letters_help"))

# ---------------------------------------------------------------------------------------
# What is required of the unit

st.subheader(t("feedback.required"))
open_notices = [r for r in found.rectifications if r.state != "verified"]
for r in found.rectifications:
    talks = joined(t(f"rectification.roles.{x}") for x in r.talked_to) or t("feedback.no_talk")
    text = t("feedback.notice", no=plain(r.notice_no or "—"), reason=t(f"rectification.reasons.{r.reason}"),
             deadline=chinese_date(r.deadline) if not english else r.deadline.isoformat(),
             state=t(f"rectification.states.{r.state}"), talks=talks)
    if r.state == "verified":
        st.success(text, icon=":material/task_alt:")
    elif r.overdue:
        st.error(text + " " + t("rectification.days_overdue", n=r.days_overdue), icon=":material/alarm:")
    else:
        st.warning(text, icon=":material/assignment_late:")
unanswered = sum(f.state == "handed_over" for f in found.findings)
open_cases = sum(c.closed_on is None for c in found.cases)
if unanswered:
    st.warning(t("feedback.unanswered_findings", n=unanswered), icon=":material/search_check:")
if open_cases:
    st.info(t("feedback.open_cases", n=open_cases), icon=":material/gavel:")
if found.grade == "unqualified" and not found.rectifications:
    st.warning(t("feedback.unqualified_pending"), icon=":material/assignment_late:")
elif not (open_notices or unanswered or open_cases):
    st.success(t("feedback.nothing_required"), icon=":material/check_circle:")

tabs = st.tabs([t("feedback.tabs.scores"), t("feedback.tabs.poll"), t("feedback.tabs.said"),
                t("feedback.tabs.casework")])

# ---------------------------------------------------------------------------------------
# Scores: methods, dimensions against the category, reviewer groups

with tabs[0]:
    methods = pd.DataFrame({t("feedback.method"): [t(f"method.{m}") for m in found.components],
                            t("dash.col.score"): [fmt(v) for v in found.components.values()]})
    st.dataframe(methods, hide_index=True, width="stretch")
    dims = found.dimensions
    st.subheader(t("feedback.dimensions"))
    if dims["estimate"].notna().any():
        label = dims["dimension_en" if english else "dimension_zh"]
        table = pd.DataFrame({
            t("dash.col.dimension"): label, t("dash.col.score"): dims["estimate"].round(1),
            t("feedback.low"): dims["low"].round(1), t("feedback.high"): dims["high"].round(1),
            t("feedback.category_mean"): dims["category_mean"].round(1),
            t("dash.col.difference"): dims["difference"].round(1), t("dash.col.answers"): dims["valid"]})
        fig = dimension_chart(table, dimension=t("dash.col.dimension"), score=t("dash.col.score"),
                              low=t("feedback.low"), high=t("feedback.high"), mean=t("feedback.category_mean"),
                              unit_label=charts.short(found.unit_name, 16), mean_label=t("feedback.category_mean"),
                              title=t("feedback.dimensions_chart"))
        show_chart(fig, name=f"feedback-dimensions-{unit_code}", key="fb_dims")
        show_table(table, name=f"feedback-dimensions-{unit_code}", key="fb_dims")
        st.caption(t("feedback.dimensions_help"))
    else:
        st.info(t("feedback.no_panel"))

    st.subheader(t("feedback.groups"))
    overall = found.groups.overall
    if found.groups.unit_score is None or overall.empty:
        st.info(t("feedback.no_panel"))
    else:
        groups = pd.DataFrame({
            t("dash.col.group"): overall["name_en" if english else "name_zh"],
            t("dash.col.responses"): [t("dash.fewer_than", n=SMALL_CELL) if w else
                                      ("0" if pd.isna(n) else str(int(n)))
                                      for w, n in zip(overall["withheld"], overall["responses"])],
            t("dash.col.score"): pd.to_numeric(overall["score"]).round(1),
            t("dash.col.difference"): pd.to_numeric(overall["difference"]).round(1)})
        show_table(groups, name=f"feedback-groups-{unit_code}", key="fb_groups")
        st.caption(t("dash.small_cell", n=SMALL_CELL))

# ---------------------------------------------------------------------------------------
# The public poll by month

with tabs[1]:
    poll = found.poll
    if poll.empty:
        st.info(t("feedback.no_votes"))
    else:
        table = pd.DataFrame({
            t("dash.col.month"): [p.strftime("%Y-%m") for p in poll["period"]], t("dash.col.votes"): poll["votes"],
            **{t(f"option.{o}"): poll[o] for o in ("satisfied", "basically_satisfied", "dissatisfied")},
            t("dash.col.satisfaction"): poll["satisfaction"].round(1)})
        fig = charts.volume_and_satisfaction(table, period=t("dash.col.month"), volume=t("dash.col.votes"),
                                             satisfaction=t("dash.col.satisfaction"),
                                             title=t("feedback.poll_chart"))
        show_chart(fig, name=f"feedback-poll-{unit_code}", key="fb_poll")
        show_table(table, name=f"feedback-poll-{unit_code}", key="fb_poll")

# ---------------------------------------------------------------------------------------
# What people said

with tabs[2]:
    counts = [t("feedback.source_count", source=t(f"feedback.sources.{c.source}"), n=c.comments)
              + (" " + t("feedback.withheld_mark") if c.small else "") for c in digest.sources]
    st.caption(" · ".join(counts))
    st.caption(t("feedback.said_help", n=SMALL_CELL))
    if any(c.withheld for c in digest.sources):
        st.info(t("feedback.withheld", n=SMALL_CELL), icon=":material/visibility_off:")
    if not digest.themes:
        st.info(t("feedback.no_comments"))
    for theme in digest.themes:
        title = (t("feedback.theme", term=plain(theme.term), n=theme.count) if theme.term
                 else t("feedback.other", n=theme.count))
        with st.expander(title, expanded=theme is digest.themes[0]):
            for comment in theme.comments:
                suffix = f" ({t('feedback.times', n=comment.count)})" if comment.count > 1 else ""
                st.text(f"· {comment.text}{suffix}")

# ---------------------------------------------------------------------------------------
# Findings, media cases and accountability cases

with tabs[3]:
    st.subheader(t("feedback.findings", n=len(found.findings)))
    if found.findings:
        st.dataframe(pd.DataFrame({
            t("dash.col.day"): [f.visited_on for f in found.findings],
            t("dash.col.dimension"): [f.dimension_en if english else f.dimension_zh for f in found.findings],
            t("dash.col.severity"): [t(f"severity.{f.severity}") for f in found.findings],
            t("dash.col.problem"): [f.description for f in found.findings],
            t("dash.col.state"): [t(f"inspections.states.{f.state}") for f in found.findings]}),
            hide_index=True, width="stretch")
    st.subheader(t("feedback.media", n=len(found.media)))
    if found.media:
        st.dataframe(pd.DataFrame({
            t("dash.col.day"): [m.exposed_on for m in found.media],
            t("feedback.channel"): [m.source_en if english else m.source_zh for m in found.media],
            t("dash.col.title"): [m.title for m in found.media],
            t("dash.col.state"): [t(f"media.statuses.{m.status}") for m in found.media],
            t("dash.col.overdue"): [t("dash.yes") if m.overdue else "" for m in found.media]}),
            hide_index=True, width="stretch")
    st.subheader(t("feedback.cases", n=len(found.cases)))
    if found.cases:
        st.dataframe(pd.DataFrame({
            t("dash.col.opened_on"): [c.opened_on for c in found.cases],
            t("dash.col.title"): [c.title for c in found.cases],
            t("dash.col.severity"): [t(f"severity.{c.severity}") for c in found.cases],
            t("dash.col.state"): [t(f"cases.states.{c.state}") for c in found.cases]}),
            hide_index=True, width="stretch")
    st.caption(t("feedback.casework_help"))
