"""Campaign settings: calendar and sizes, weights, option scores, grade rules; start the next year."""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime, time

import streamlit as st

from core.clock import from_office, to_office
from core.complaints import DAY_RANGES as COMPLAINT_DAYS
from core.complaints import DEFAULT_WEIGHTS as COMPLAINT_WEIGHTS
from core.complaints import DEFAULTS as COMPLAINT_DEFAULTS
from core.complaints import PARTS as COMPLAINT_PARTS
from core.errors import UserError
from core.objections import WORKING_DAYS_RANGE
from core.objections import working_days as objection_days
from core.settings import METHODS, OPTIONS, SEVERITIES
from db.campaigns import (
    START_KINDS,
    copy_moves,
    dimensions,
    list_campaigns,
    parse_scheme,
    start_campaign,
    update_calendar,
    update_settings,
)
from ui.auth import guard
from ui.campaign import YEAR_KEY, demo_notice, require_campaign
from ui.i18n import error_text, named, t
from ui.plain import plain
from ui.store import session

actor = guard("settings")
campaign = require_campaign()
year = campaign.year

st.title(t("settings.title", year=year))
demo_notice(campaign)
calendar_tab, scoring_tab, next_tab = st.tabs(
    [t("settings.calendar"), t("settings.scoring"), t("settings.next_year")], key="settings_tabs")


def moment_inputs(label: str, value: datetime, key: str) -> datetime:
    local = to_office(value)
    left, right = st.columns(2)
    day = left.date_input(label, local.date(), key=f"{key}_date")
    clock = right.time_input(t("settings.time"), local.time().replace(tzinfo=None), key=f"{key}_time")
    return from_office(datetime.combine(day, clock or time(0)))


with calendar_tab, st.form(f"calendar_{year}"):
    name_zh = st.text_input(t("settings.name_zh"), campaign.name_zh)
    name_en = st.text_input(t("settings.name_en"), campaign.name_en)
    left, right = st.columns(2)
    starts_on = left.date_input(t("settings.starts_on"), campaign.starts_on)
    ends_on = right.date_input(t("settings.ends_on"), campaign.ends_on)
    plan_due = left.date_input(t("settings.plan_due"), campaign.plan_due)
    summary_due = right.date_input(t("settings.summary_due"), campaign.summary_due)
    opens = moment_inputs(t("settings.panel_opens"), campaign.panel_opens_at, f"opens_{year}")
    closes = moment_inputs(t("settings.panel_closes"), campaign.panel_closes_at, f"closes_{year}")
    left, right = st.columns(2)
    pool_target = left.number_input(t("settings.pool_target"), min_value=1, value=campaign.pool_target, step=100)
    panel_size = right.number_input(t("settings.panel_size"), min_value=1, value=campaign.panel_size, step=10)
    if st.form_submit_button(t("common.save"), type="primary"):
        try:
            with session() as s:
                update_calendar(s, actor=actor, year=year, name_zh=name_zh, name_en=name_en, starts_on=starts_on,
                                ends_on=ends_on, plan_due=plan_due, summary_due=summary_due, panel_opens_at=opens,
                                panel_closes_at=closes, pool_target=int(pool_target), panel_size=int(panel_size))
        except UserError as error:
            st.error(error_text(error))
        else:
            st.success(t("common.saved"))


def percent_group(group: str, keys: list[str], labels: dict[str, str], values: dict) -> dict:
    st.markdown(f"**{t(f'settings.group.{group}')}**")
    cols = st.columns(len(keys))
    out = {}
    for col, key in zip(cols, keys):
        out[key] = col.number_input(plain(labels[key]), min_value=0.0, max_value=100.0, step=1.0,
                                    value=float(values.get(key, 0)), key=f"{group}_{key}_{year}")
    return out


def complaint_settings(settings: dict) -> dict:
    """The poll's complaint handling: its parts' weights, the deadlines and when call-back numbers are erased
    (days after finishing, and the longest they are kept in any state)."""
    parts = list(COMPLAINT_PARTS)
    weights = percent_group("complaint_weights", parts, {k: t(f"complaint_settings.{k}") for k in parts},
                            settings.get("complaint_weights") or COMPLAINT_WEIGHTS)
    given = {**COMPLAINT_DEFAULTS, **(settings.get("complaints") or {})}
    cols = st.columns(len(COMPLAINT_DAYS))
    days = {key: cols[i].number_input(t(f"complaint_settings.{key}"), low, high, int(given[key]),
                                      key=f"complaints_{key}_{year}", help=t(f"complaint_settings.{key}_help"))
            for i, (key, (low, high)) in enumerate(COMPLAINT_DAYS.items())}
    return {"complaint_weights": weights, "complaints": days}


with scoring_tab:
    with session() as s:
        dims = dimensions(s, campaign.id)
    settings = deepcopy(campaign.settings)
    st.caption(t("settings.scoring_help"))
    with st.form(f"scoring_{year}"):
        new = deepcopy(settings)
        new["method_weights"] = percent_group("method_weights", list(METHODS),
                                              {m: t(f"method.{m}") for m in METHODS}, settings["method_weights"])
        online_keys = ["poll", "media", "complaints"]
        new["online_weights"] = percent_group("online_weights", online_keys,
                                              {k: t(f"settings.online.{k}") for k in online_keys},
                                              settings["online_weights"])
        media_keys = ["on_time", "resolved", "satisfaction"]
        new["media_weights"] = percent_group("media_weights", media_keys,
                                             {k: t(f"settings.media.{k}") for k in media_keys},
                                             settings["media_weights"])
        new.update(complaint_settings(settings))
        new["objections"] = {"working_days": int(st.number_input(
            t("objections.working_days"), *WORKING_DAYS_RANGE, objection_days(settings), step=1,
            key=f"objections_days_{year}", help=t("objections.working_days_help")))}
        new["dimension_weights"] = percent_group("dimension_weights", [d.code for d in dims],
                                                 {d.code: named(d) for d in dims}, settings["dimension_weights"])
        new["option_scores"] = percent_group("option_scores", list(OPTIONS),
                                             {o: t(f"option.{o}") for o in OPTIONS}, settings["option_scores"])
        new["severity_deductions"] = percent_group("severity_deductions", list(SEVERITIES),
                                                   {v: t(f"severity.{v}") for v in SEVERITIES},
                                                   settings["severity_deductions"])
        st.markdown(f"**{t('settings.group.grade_rules')}**")
        rules = settings["grade_rules"]
        cols = st.columns(3)
        new["grade_rules"] = {
            "excellent_min": cols[0].number_input(t("settings.excellent_min"), 0.0, 100.0,
                                                  float(rules["excellent_min"]), key=f"exc_{year}"),
            "qualified_min": cols[1].number_input(t("settings.qualified_min"), 0.0, 100.0,
                                                  float(rules["qualified_min"]), key=f"qual_{year}"),
            "excellent_quota_pct": cols[2].number_input(t("settings.excellent_quota"), 0.0, 100.0,
                                                        float(rules["excellent_quota_pct"]), key=f"quota_{year}",
                                                        help=t("settings.excellent_quota_help")),
            "rectification_rejected_unqualified": st.toggle(t("settings.rectification_rule"),
                                                            rules["rectification_rejected_unqualified"],
                                                            key=f"rect_{year}"),
            "veto_unqualified": st.toggle(t("settings.veto_rule"), rules["veto_unqualified"], key=f"veto_{year}"),
        }
        st.markdown(f"**{t('settings.group.poll')}**")
        poll, unc = settings["poll"], settings["uncertainty"]
        cols = st.columns(3)
        new["poll"] = {
            "prior_strength": cols[0].number_input(t("settings.prior_strength"), 0, 100_000,
                                                   int(poll["prior_strength"]), key=f"prior_{year}",
                                                   help=t("settings.prior_strength_help")),
            "daily_votes_per_device": cols[1].number_input(t("settings.votes_per_device"), 1, 1, 1,
                                                           key=f"vpd_{year}", disabled=True,
                                                           help=t("settings.votes_per_device_help")),
            "media_answer_working_days": cols[2].number_input(t("settings.media_days"), 1, 365,
                                                              int(poll["media_answer_working_days"]),
                                                              key=f"mdays_{year}"),
        }
        st.markdown(f"**{t('settings.group.uncertainty')}**")
        cols = st.columns(4)
        new["uncertainty"] = {
            "bootstrap_replicates": cols[0].number_input(t("settings.bootstrap"), 0, 100_000,
                                                         int(unc["bootstrap_replicates"]), key=f"boot_{year}"),
            "weight_draws": cols[1].number_input(t("settings.weight_draws"), 0, 100_000, int(unc["weight_draws"]),
                                                 key=f"wd_{year}"),
            "weight_noise": cols[2].number_input(t("settings.weight_noise"), 0.0, 1.0, float(unc["weight_noise"]),
                                                 step=0.05, key=f"wn_{year}"),
            "seed": cols[3].number_input(t("settings.seed"), 0, 2**31 - 1, int(unc["seed"]), key=f"seed_{year}"),
        }
        if st.form_submit_button(t("common.save"), type="primary"):
            try:
                with session() as s:
                    update_settings(s, actor=actor, year=year, settings=new)
            except UserError as error:
                st.error(error_text(error))
            else:
                st.success(t("common.saved"))

with next_tab:
    with session() as s:
        years = [c.year for c in list_campaigns(s)]
    st.write(t("newyear.help"))
    kind = st.radio(t("newyear.start_from"), START_KINDS, format_func=lambda k: t(f"newyear.kind.{k}"),
                    horizontal=True, key="new_year_kind")
    st.caption(t(f"newyear.kind_help.{kind}", year=year))
    with st.form("copy_campaign"):
        target = st.number_input(t("settings.new_year"), 2000, 2100, max(years) + 1)
        source_year = scheme_file = None
        if kind == "copy":
            source_year = st.selectbox(t("newyear.copy_from"), years, index=years.index(year))
        elif kind == "scheme":
            scheme_file = st.file_uploader(t("newyear.scheme_file"), type=["toml"], key="new_year_scheme")
        if st.form_submit_button(t("settings.copy"), type="primary"):
            try:
                scheme = None
                if kind == "scheme":
                    if scheme_file is None:
                        raise UserError("newyear.no_scheme_file", "choose a scheme file (.toml) first")
                    scheme = parse_scheme(scheme_file.getvalue(), name=scheme_file.name)
                with session() as s:
                    start_campaign(s, actor=actor, year=int(target), copy_from=source_year, scheme=scheme,
                                   empty=kind == "empty")
            except UserError as error:
                st.error(error_text(error))
            else:
                st.session_state["copied_to"] = int(target)
                st.rerun()
    if "copied_to" in st.session_state:
        copied = st.session_state.pop("copied_to")
        st.success(t("settings.copied", year=copied))
        with session() as s:
            moves = copy_moves(s, year=copied)
        if moves:  # dates that fell on a weekend or holiday were moved on: said, so the office can check them
            labels = {"starts_on": "settings.starts_on", "ends_on": "settings.ends_on", "plan_due": "settings.plan_due",
                      "summary_due": "settings.summary_due", "panel_opens_at": "settings.panel_opens",
                      "panel_closes_at": "settings.panel_closes"}
            st.info(t("traps.copy.moved", year=copied) + "\n" + "\n".join(
                f"- {t(labels.get(key, key))}: {was} → {now}" for key, (was, now) in moves.items()))
        # A callback runs before the sidebar's year selector is drawn, so it may change it.
        st.button(t("settings.open_year", year=copied), on_click=st.session_state.__setitem__,
                  args=(YEAR_KEY, copied))
