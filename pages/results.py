"""Results: the office scores and publishes; leadership and analysts read the published versions.

Every figure comes from a stored `Result` (db.scoring): this page computes nothing itself. A
provisional version is visible to the office only; db.scoring enforces that, not this page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.clock import to_office
from core.errors import UserError
from core.scoring import interval_method_of
from core.settings import LONELY_GROUP_RULES, METHODS, PANEL_WEIGHTINGS
from db.bundles import is_public, set_public
from db.campaigns import dimensions, reviewer_groups
from db.scoring import (
    compare,
    list_results,
    publish,
    result_document,
    result_rows,
    score_campaign,
    set_panel_rules,
)
from documents.circular import circular_bytes
from documents.workbook import workbook_bytes
from ui.auth import guard
from ui.bundle import bundle_download
from ui.campaign import demo_notice, require_campaign
from ui.i18n import error_text, joined, named, t
from ui.notices import flash, show_flash
from ui.objections import blockers, office_panel, posted_version
from ui.plain import plain
from ui.setting_labels import setting_label, setting_value
from ui.store import session

BORDERLINE_STYLE = "background-color: #fff2cc"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

actor = guard("results")
campaign = require_campaign()
office = actor.role == "admin"
st.title(t("results.title", year=campaign.year))
demo_notice(campaign)
show_flash()

with session() as s:
    dims = {d.code: named(d) for d in dimensions(s, campaign.id)}
    groups = {g.code: named(g) for g in reviewer_groups(s, campaign.id)}


def full_height(rows: int) -> int:
    """A table's height in pixels showing all its rows (35 px a row and the header, 3 px of border)."""
    return 35 * (rows + 1) + 3


def number(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def span(pair) -> str:
    """An interval as "low – high", or — when there is none."""
    return "—" if not pair or None in pair else f"{number(pair[0])} – {number(pair[1])}"


def note_text(note: dict, *, markdown: bool = True) -> str:
    """A note stored with a result, in the interface language (codes in parameters translated too); as
    Markdown with its names escaped, or as plain text for a table cell (`markdown=False`)."""
    params = {k: v for k, v in note.items() if k != "code"}
    if "method" in params:
        params["method"] = t(f"method.{params['method']}")
    if "missing" in params:
        params["missing"] = t(f"results.half.{params['missing']}")
    if "rule" in params:
        params["rule"] = t(f"results.lonely.{params['rule']}")
    if "groups" in params:
        params["groups"] = joined(groups.get(g.strip(), g.strip()) for g in str(params["groups"]).split(","))
    if "dimensions" in params:
        params["dimensions"] = joined(dims.get(d.strip(), d.strip()) for d in str(params["dimensions"]).split(","))
    if markdown:
        params = {k: plain(v) for k, v in params.items()}
    return t(f"results.note.{note.get('code')}", **params)


def moment(value) -> str:
    return to_office(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def version_label(result) -> str:
    return t("results.version_label", version=result.version, status=t(f"results.status.{result.status}"),
             at=moment(result.created_at))


# ------------------------------------------------------------------------------ scoring (office)

if office:
    with st.expander(t("results.compute"), expanded=False):
        st.caption(t("results.compute_help"))
        if st.button(t("results.compute_button"), type="primary", key="results_compute"):
            try:
                with st.spinner(t("results.computing")), session() as s:
                    created = score_campaign(s, campaign.id, actor)
            except UserError as error:
                st.error(error_text(error))
            else:
                st.session_state["results_version"] = created.id
                flash(t("results.computed", version=created.version))
                st.rerun()

with session() as s:
    versions = list_results(s, campaign.id, actor=actor)
if not versions:
    st.info(t("results.none_office" if office else "results.none_published"))
    st.stop()

ids = [v.id for v in versions]
if st.session_state.get("results_version") not in ids:
    st.session_state["results_version"] = ids[0]
chosen_id = st.selectbox(t("results.version"), ids, key="results_version",
                         format_func=lambda i: version_label(next(v for v in versions if v.id == i)))
result = next(v for v in versions if v.id == chosen_id)
if result.status == "published":
    st.success(t("results.published_banner", version=result.version, by=plain(result.published_by or "—"),
                 at=moment(result.published_at)), icon=":material/verified:")
elif office and posted_version(actor, campaign.id) == result.version:
    st.warning(t("objections.posted_office", version=result.version), icon=":material/campaign:")
else:
    st.warning(t("results.provisional_banner", version=result.version), icon=":material/pending:")
st.caption(t("results.hash", hash=result.input_hash))
bundle_download(actor, campaign.year, version=result.version, key=f"results_bundle_{result.id}")

if office:
    office_panel(actor, campaign, result)  # the objection period (公示) and the units' objections

if office and result.status == "provisional":
    waiting = blockers(campaign.id)
    with st.form(f"publish_{result.id}"):
        st.write(t("results.publish_help"))
        for blocker in waiting:
            st.warning(error_text(blocker), icon=":material/front_hand:")
        override = ""
        if waiting:
            override = st.text_area(t("objections.override_reason"), max_chars=1000,
                                    key=f"publish_override_{result.id}", help=t("objections.override_help"))
        sure = st.checkbox(t("results.publish_confirm", version=result.version))
        if st.form_submit_button(t("results.publish_button"), type="primary"):
            if not sure:
                st.error(t("results.publish_unconfirmed"))
            else:
                try:
                    with session() as s:
                        publish(s, result.id, actor, override_reason=override or None)
                except UserError as error:
                    st.error(error_text(error))
                else:
                    flash(t("results.published", version=result.version))
                    st.rerun()

with session() as s:
    rows = result_rows(s, result.id, actor=actor)
notes = result.config.get("notes", [])
for note in notes:
    st.info(note_text(note), icon=":material/info:")

ranking_tab, unit_tab, compare_tab, rules_tab, export_tab = st.tabs(
    [t("results.tab.ranking"), t("results.tab.unit"), t("results.tab.compare"), t("results.tab.rules"),
     t("results.tab.export")], key="results_tabs")


def category_name(row) -> str:
    return row.category_en if st.session_state.get("lang") == "en" else row.category_zh


interval_method = t(f"results.interval.{interval_method_of(result.config)}")

with ranking_tab:
    st.caption(t("results.ranking_help"))
    st.caption(t("results.interval_line", method=interval_method, replicates=result.config.get("bootstrap_replicates"),
                 draws=result.config.get("weight_draws")))
    categories: dict[str, list] = {}
    for row in rows:
        categories.setdefault(category_name(row), []).append(row)
    for name, members in categories.items():
        quota = result.config.get("quotas", {}).get(members[0].category_code, {})
        st.subheader(plain(name))
        if quota.get("limit") is not None:
            st.caption(t("results.quota_line", limit=quota["limit"], size=quota.get("size", len(members)),
                         candidates=quota.get("candidates", 0)))
        frame = pd.DataFrame([{
            t("results.col.rank"): row.rank, t("results.col.unit"): row.unit_name,
            t("results.col.grade"): t(f"results.grade.{row.grade}"), t("results.col.total"): row.total,
            **{t(f"method.{m}"): row.components.get(m) for m in METHODS},
            t("results.col.interval"): f"{number(row.score_low)} – {number(row.score_high)}",
            t("results.col.rank_range"): "—" if row.rank_low is None else f"{row.rank_low} – {row.rank_high}",
            t("results.col.borderline"): t("results.borderline") if row.borderline else "",
            t("results.col.notes"): "；".join(note_text(n, markdown=False) for n in row.explanation.get("notes", [])),
        } for row in members])
        marked = [row.borderline for row in members]
        styled = frame.style.apply(lambda r, marked=marked: [BORDERLINE_STYLE if marked[r.name] else ""] * len(r),
                                   axis=1).format(precision=2, na_rep="—")
        # Every unit of the category at once (no scrolling inside ten rows) and the unit's name whole.
        st.dataframe(styled, hide_index=True, width="stretch", height=full_height(len(members)),
                     column_config={t("results.col.unit"): st.column_config.TextColumn(width="large", pinned=True)})


def unit_detail(row) -> None:
    e = row.explanation
    cols = st.columns(4)
    cols[0].metric(t("results.col.total"), number(row.total))
    cols[1].metric(t("results.col.grade"), t(f"results.grade.{row.grade}"))
    cols[2].metric(t("results.col.rank"), row.rank)
    cols[3].metric(t("results.col.interval"), f"{number(row.score_low)} – {number(row.score_high)}")
    for note in e.get("notes", []):
        st.warning(note_text(note))
    st.markdown(f"**{t('results.breakdown')}**")
    st.dataframe(pd.DataFrame([{
        t("results.col.method"): t(f"method.{m}"), t("results.col.score"): row.components.get(m),
        t("results.col.weight"): e["weights"].get(m), t("results.col.weight_used"): e["weights_used"].get(m),
        t("results.col.contribution"): e["contributions"].get(m)} for m in METHODS]).style.format(
        precision=2, na_rep="—"), hide_index=True, width="stretch")
    panel = e.get("panel", {})
    panel_line = [t("method.panel"), t("results.respondents", n=panel.get("respondents", 0)),
                  t("results.weighting." + panel.get("weighting", "design"))]
    if panel.get("interval") and None not in panel["interval"]:  # none before scoring-v2, or without a panel
        low, high = panel["interval"]
        panel_line.append(t("results.panel_interval", score=number(panel.get("score")), low=number(low),
                            high=number(high)))
    st.markdown(f"**{panel_line[0]}** · " + " · ".join(panel_line[1:]))
    st.dataframe(pd.DataFrame([{
        t("results.col.dimension"): dims.get(code, code), t("results.col.estimate"): cell.get("estimate"),
        t("results.col.cell_interval"): span(cell.get("interval")),
        t("results.col.se"): cell.get("se"), t("results.col.valid"): cell.get("valid"),
        t("option.unknown"): cell.get("unknown"),
        t("results.col.lonely"): joined(groups.get(g, g) for g in cell.get("lonely_groups", []))}
        for code, cell in panel.get("dimensions", {}).items()]), hide_index=True, width="stretch")
    st.dataframe(pd.DataFrame([{
        t("results.col.group"): groups.get(code, code), t("results.col.group_mean"): value.get("mean"),
        t("results.col.valid"): value.get("valid")} for code, value in panel.get("groups", {}).items()]),
        hide_index=True, width="stretch")
    lower = panel.get("lower_groups", [])
    st.caption(t("results.lower_groups", groups=joined(plain(groups.get(g, g)) for g in lower)) if lower
               else t("results.no_lower_groups"))
    online = e.get("online", {})
    poll, media = online.get("poll", {}), online.get("media", {})
    votes = poll.get("votes", {})
    st.markdown(f"**{t('method.online')}** · {number(online.get('score'))}")
    wilson = poll.get("wilson95")
    st.write(t("results.poll_line", satisfied=votes.get("satisfied", 0),
               basically=votes.get("basically_satisfied", 0), dissatisfied=votes.get("dissatisfied", 0),
               set_aside=poll.get("set_aside", 0), raw=number(poll.get("raw")),
               mean=number(poll.get("category_mean")), prior=poll.get("prior_strength"),
               index=number(poll.get("index")),
               share=number(None if poll.get("satisfied_share") is None else 100 * poll["satisfied_share"], 1),
               low=number(None if not wilson else 100 * wilson[0], 1),
               high=number(None if not wilson else 100 * wilson[1], 1)))
    st.write(t("results.media_line", cases=media.get("cases", 0),
               on_time=f"{media.get('on_time', {}).get('count', 0)}/{media.get('on_time', {}).get('of', 0)}",
               resolved=f"{media.get('resolved', {}).get('count', 0)}/{media.get('resolved', {}).get('of', 0)}",
               satisfaction=number((media.get("satisfaction") or {}).get("score")), score=number(media.get("score"))))
    complaints = online.get("complaints")
    if complaints:  # results computed before complaints counted have none
        st.write(t("results.complaints_line", n=complaints.get("complaints", 0),
                   ack=f"{complaints['ack_on_time']['count']}/{complaints['ack_on_time']['of']}",
                   closed=f"{complaints['closed_on_time']['count']}/{complaints['closed_on_time']['of']}",
                   satisfaction=number(complaints["satisfaction"]["score"]), score=number(complaints.get("score"))))
    inspection = e.get("inspection", {})
    st.markdown(f"**{t('method.inspection')}** · {number(inspection.get('score'))} · "
                f"{t('results.visits', n=inspection.get('visits', 0), deducted=inspection.get('deducted', 0))}")
    if inspection.get("findings"):
        st.dataframe(pd.DataFrame([{
            t("results.col.severity"): t(f"severity.{f['severity']}"),
            t("results.col.dimension"): dims.get(f["dimension"], f["dimension"]),
            t("results.col.description"): f["description"], t("results.col.deduction"): f["deduction"]}
            for f in inspection["findings"]]), hide_index=True, width="stretch")
    st.markdown(f"**{t('method.daily')}** · {number(e.get('daily', {}).get('score'))}")
    overrides = e.get("overrides", {})
    for title in overrides.get("vetoes", []):
        st.error(t("results.veto_line", title=plain(title)))
    for notice in overrides.get("rejections", []):
        st.error(t("results.rejection_line", notice=plain(notice)))
    uncertainty = e.get("uncertainty", {})
    boot = uncertainty.get("bootstrap_rank") or [None, None]
    mc = uncertainty.get("weights_rank") or [None, None]
    st.caption(interval_method)
    st.caption(t("results.uncertainty_line", replicates=uncertainty.get("bootstrap_replicates", 0),
                 boot_low=number(boot[0], 0), boot_high=number(boot[1], 0),
                 draws=uncertainty.get("weight_draws", 0), median=number(uncertainty.get("weights_rank_median"), 0),
                 mc_low=number(mc[0], 0), mc_high=number(mc[1], 0)))


with unit_tab:
    labels = {row.unit_code: f"{row.unit_name} ({category_name(row)})" for row in rows}
    code = st.selectbox(t("results.col.unit"), list(labels), format_func=labels.get, key="results_unit")
    unit_detail(next(row for row in rows if row.unit_code == code))

with compare_tab:
    if len(versions) < 2:
        st.info(t("results.one_version"))
    else:
        cols = st.columns(2)
        older = cols[0].selectbox(t("results.compare_a"), ids, index=min(1, len(ids) - 1), key="results_cmp_a",
                                  format_func=lambda i: version_label(next(v for v in versions if v.id == i)))
        newer = cols[1].selectbox(t("results.compare_b"), ids, index=0, key="results_cmp_b",
                                  format_func=lambda i: version_label(next(v for v in versions if v.id == i)))
        with session() as s:
            diff = compare(s, older, newer, actor=actor)
        st.write(t("traps.setting.same_all") if diff["same_inputs"] else
                 t("traps.setting.other_data") if diff["same_data"] is False else
                 t("traps.setting.same_data") if diff["same_data"] else t("traps.setting.unknown_data"))
        if diff["settings"]:
            with session() as s:
                names = {x.code: named(x) for x in [*dimensions(s, campaign.id), *reviewer_groups(s, campaign.id)]}
            st.dataframe(pd.DataFrame([{t("results.col.setting"): setting_label(d["setting"], names),
                                        t("traps.setting.setting_a"): setting_value(d["a"]),
                                        t("traps.setting.setting_b"): setting_value(d["b"])}
                                       for d in diff["settings"]]), hide_index=True, width="stretch")
        elif not diff["same_inputs"]:
            st.caption(t("results.same_settings"))
        changed = [u for u in diff["units"] if u["changed"]]
        st.write(t("results.changed_units", n=len(changed), total=len(diff["units"])))
        show_all = st.toggle(t("results.show_all_units"), key="results_cmp_all")
        shown_units = diff["units"] if show_all else changed
        if shown_units:  # an empty table would only say "empty"
            # Scores with two decimals, a change with its sign, ranks as whole numbers: one format per column.
            st.dataframe(pd.DataFrame([{
                t("results.col.unit"): u["unit_name"], t("results.col.total") + " A": number(u["total_a"]),
                t("results.col.total") + " B": number(u["total_b"]),
                t("results.col.delta"): "—" if u["delta"] is None else f"{u['delta']:+.2f}",
                t("results.col.grade") + " A": t(f"results.grade.{u['grade_a']}") if u["grade_a"] else "—",
                t("results.col.grade") + " B": t(f"results.grade.{u['grade_b']}") if u["grade_b"] else "—",
                t("results.col.rank") + " A": str(u["rank_a"] or "—"),
                t("results.col.rank") + " B": str(u["rank_b"] or "—")}
                for u in shown_units]), hide_index=True, width="stretch",
                height=full_height(len(shown_units)))

with rules_tab:
    settings = result.config.get("settings", {})
    weights = settings.get("method_weights", {})
    rules = settings.get("grade_rules", {})
    panel_rules = result.config.get("panel", {})
    st.markdown(t("results.rules_text", panel=weights.get("panel"), online=weights.get("online"),
                  inspection=weights.get("inspection"), daily=weights.get("daily"),
                  excellent=rules.get("excellent_min"), qualified=rules.get("qualified_min"),
                  quota=rules.get("excellent_quota_pct"), replicates=result.config.get("bootstrap_replicates"),
                  method=interval_method,
                  draws=result.config.get("weight_draws"), noise=settings.get("uncertainty", {}).get("weight_noise"),
                  seed=settings.get("uncertainty", {}).get("seed"),
                  prior=settings.get("poll", {}).get("prior_strength"),
                  lonely=t(f"results.lonely.{panel_rules.get('lonely_group', 'adjust')}"),
                  weighting=t(f"results.weighting.{panel_rules.get('weighting', 'design')}")))
    population = result.config.get("population", {})
    st.dataframe(pd.DataFrame([{t("results.col.group"): groups.get(g, g), "N_h": n} for g, n in population.items()]),
                 hide_index=True)
    if office:
        st.markdown(f"**{t('results.panel_rules')}**")
        current = {**{"weighting": "design", "group_weights": {}, "lonely_group": "adjust"},
                   **(campaign.settings.get("panel") or {})}
        with st.form(f"panel_rules_{campaign.year}"):
            weighting = st.radio(t("results.weighting_label"), PANEL_WEIGHTINGS,
                                 index=PANEL_WEIGHTINGS.index(current["weighting"]),
                                 format_func=lambda w: t(f"results.weighting.{w}"), horizontal=True)
            shares = {}
            share_cols = st.columns(len(groups) or 1)
            for col, (code_, name_) in zip(share_cols, groups.items()):
                shares[code_] = col.number_input(plain(name_), 0.0, 100.0,
                                                 float(current["group_weights"].get(code_, 0)),
                                                 step=5.0, key=f"share_{code_}_{campaign.year}")
            st.caption(t("results.policy_help"))
            lonely = st.radio(t("results.lonely_label"), LONELY_GROUP_RULES,
                              index=LONELY_GROUP_RULES.index(current["lonely_group"]),
                              format_func=lambda r: t(f"results.lonely.{r}"))
            if st.form_submit_button(t("common.save"), type="primary"):
                try:
                    with session() as s:
                        set_panel_rules(s, actor=actor, year=campaign.year, weighting=weighting, group_weights=shares,
                                        lonely_group=lonely)
                except UserError as error:
                    st.error(error_text(error))
                else:
                    flash(t("results.panel_rules_saved"))
                    st.rerun()

with export_tab:
    st.caption(t("results.export_help"))
    with session() as s:
        document = result_document(s, result.id, actor=actor)
    cols = st.columns(2)
    cols[0].download_button(t("results.download_xlsx"), workbook_bytes(document),
                            file_name=f"results-{campaign.year}-v{result.version}.xlsx", mime=XLSX,
                            icon=":material/table:", key="results_xlsx")
    cols[1].download_button(t("results.download_docx"), circular_bytes(document),
                            file_name=f"circular-{campaign.year}-v{result.version}.docx", mime=DOCX,
                            icon=":material/description:", key="results_docx")
    if office:
        public = st.toggle(t("bundle.public_toggle"), value=is_public(campaign), key=f"bundle_public_{campaign.year}")
        if public != is_public(campaign):
            try:
                with session() as s:
                    set_public(s, actor=actor, year=campaign.year, public=public)
            except UserError as error:
                st.error(error_text(error))
            else:
                flash(t("bundle.public_saved", state=t("bundle.public_on" if public else "bundle.public_off")))
                st.rerun()
