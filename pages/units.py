"""Units under review: add one, add a category, import a unit list, rename, recategorise, deactivate or merge;
each change audited."""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from db.units import (
    add_category,
    add_unit,
    categories,
    check_unit_file,
    import_units,
    list_units,
    merge_units,
    suggest_code,
    update_unit,
)
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
if not units:
    st.info(t("unit_list.none_yet"))
if campaign.is_demo:
    st.info(t("unit_list.demo_year", year=campaign.year))

edit_tab, add_tab, import_tab, category_tab, merge_tab = st.tabs(
    [t("units.edit"), t("unit_list.add"), t("unit_list.import"), t("unit_list.add_category"), t("units.merge")],
    key="units_tabs")

with edit_tab:
    code = st.selectbox(t("units.choose"), [u.code for u in editable], format_func=labels.get, key="edit_unit")
    unit = next((u for u in editable if u.code == code), None)
    if unit is not None:
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

with add_tab:
    if not category_names:
        st.info(t("unit_list.no_categories"))
    else:
        new_category = st.selectbox(t("units.category"), list(category_names), format_func=category_names.get,
                                    key=f"add_unit_category_{campaign.year}")
        with session() as s:
            suggested = suggest_code(s, campaign_id=campaign.id, category_code=new_category)
        with st.form(f"add_unit_{campaign.year}", clear_on_submit=True):
            new_name = st.text_input(t("units.name"), max_chars=200)
            new_code = st.text_input(t("units.code"), suggested, max_chars=40, help=t("unit_list.code_help"))
            if st.form_submit_button(t("unit_list.add"), type="primary"):
                try:
                    with session() as s:
                        added = add_unit(s, actor=actor, campaign_id=campaign.id, code=new_code, name=new_name,
                                         category_code=new_category)
                        added_code, added_name = added.code, added.name
                except UserError as error:
                    st.error(error_text(error))
                else:
                    flash(t("unit_list.added", code=plain(added_code), name=plain(added_name)))
                    st.rerun()

with import_tab:
    st.caption(t("unit_list.import_help"))
    uploads = st.session_state.setdefault("unit_uploads", 0)
    upload = st.file_uploader(t("unit_list.file"), type=["csv", "xlsx"], key=f"unit_file_{campaign.year}_{uploads}")
    if upload is not None:
        content = upload.getvalue()
        with session() as s:
            parsed = check_unit_file(s, campaign_id=campaign.id, content=content, filename=upload.name)
        if not parsed.ok:
            st.error(t("unit_list.refused", n=len(parsed.problems)))
            st.dataframe(
                [{t("pool.row"): p.row or "", t("pool.column"): p.column or "",
                  t("pool.problem"): error_text(p.error, markdown=False)} for p in parsed.problems],
                hide_index=True, width="stretch",
            )
        else:
            known = {u.code for u in units}
            st.success(t("unit_list.checked", n=len(parsed.rows),
                         new=sum(1 for r in parsed.rows if r.code not in known), encoding=parsed.encoding))
            for warning in parsed.notices:
                st.warning(error_text(warning))
            st.dataframe(
                [{t("units.code"): r.code, t("units.name"): r.name, t("units.category"): category_names[r.category],
                  t("unit_list.state"): t("unit_list.state_update" if r.code in known else "unit_list.state_new")}
                 for r in parsed.rows],
                hide_index=True, width="stretch",
            )
            if st.button(t("unit_list.confirm_import"), type="primary"):
                try:
                    with session() as s:
                        report = import_units(s, actor=actor, campaign_id=campaign.id, content=content,
                                              filename=upload.name)
                except UserError as error:
                    st.error(error_text(error))
                else:
                    flash(t("unit_list.imported", created=report.created, updated=report.updated,
                            unchanged=report.unchanged))
                    st.session_state["unit_uploads"] = uploads + 1
                    st.rerun()

with category_tab:
    st.caption(t("unit_list.category_help"))
    with st.form(f"add_category_{campaign.year}", clear_on_submit=True):
        left, middle, right = st.columns([1, 2, 2])
        category_code = left.text_input(t("units.code"), max_chars=40, help=t("unit_list.code_help"))
        category_zh = middle.text_input(t("unit_list.name_zh"), max_chars=100)
        category_en = right.text_input(t("unit_list.name_en"), max_chars=100)
        if st.form_submit_button(t("unit_list.add_category"), type="primary"):
            try:
                with session() as s:
                    add_category(s, actor=actor, campaign_id=campaign.id, code=category_code, name_zh=category_zh,
                                 name_en=category_en)
            except UserError as error:
                st.error(error_text(error))
            else:
                flash(t("unit_list.category_added", name=plain(category_zh)))
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
