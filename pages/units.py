"""Units under review: rename, recategorise, deactivate or merge, each change audited."""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from db.units import categories, list_units, merge_units, update_unit
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.i18n import error_text, named, t
from ui.notices import flash, repeated_names_notice, show_flash
from ui.plain import plain
from ui.store import session

actor = guard("units")
campaign = require_campaign()

st.title(t("units.title", year=campaign.year))
demo_notice(campaign)
repeated_names_notice(campaign)
show_flash()

with session() as s:
    units = list_units(s, campaign_id=campaign.id)
    category_rows = categories(s, campaign_id=campaign.id)
category_names = {c.code: named(c) for c in category_rows}

st.dataframe(
    [{t("units.code"): u.code, t("units.name"): u.name, t("units.category"): category_names[u.category_code],
      t("units.active"): u.active, t("units.merged_into"): u.merged_into or ""} for u in units],
    hide_index=True, width="stretch",
)

editable = [u for u in units if u.merged_into is None]
labels = {u.code: f"{u.code} · {u.name}" for u in units}

edit_tab, merge_tab = st.tabs([t("units.edit"), t("units.merge")], key="units_tabs")
with edit_tab:
    code = st.selectbox(t("units.choose"), [u.code for u in editable], format_func=labels.get, key="edit_unit")
    unit = next(u for u in editable if u.code == code)
    with st.form(f"edit_{campaign.year}_{code}"):
        name = st.text_input(t("units.name"), unit.name, max_chars=200)
        category = st.selectbox(t("units.category"), list(category_names), format_func=category_names.get,
                                index=list(category_names).index(unit.category_code))
        active = st.toggle(t("units.active"), unit.active, help=t("units.active_help"))
        if st.form_submit_button(t("common.save"), type="primary"):
            try:
                with session() as s:
                    update_unit(s, actor=actor, campaign_id=campaign.id, code=code, name=name,
                                category_code=category, active=active)
            except UserError as error:
                st.error(error_text(error))
            else:
                flash(t("common.saved"))
                st.rerun()

with merge_tab:
    st.write(t("units.merge_help"))
    with st.form(f"merge_{campaign.year}"):
        source = st.selectbox(t("units.merge_source"), [u.code for u in editable], format_func=labels.get)
        target = st.selectbox(t("units.merge_target"), [u.code for u in editable], format_func=labels.get)
        confirmed = st.checkbox(t("units.merge_confirm"))
        if st.form_submit_button(t("units.merge"), type="primary"):
            if not confirmed:
                st.error(t("units.merge_unconfirmed"))
            else:
                try:
                    with session() as s:
                        merge_units(s, actor=actor, campaign_id=campaign.id, code=source, into_code=target)
                except UserError as error:
                    st.error(error_text(error))
                else:
                    st.success(t("units.merged_ok", source=plain(source), target=plain(target)))
