"""The reviewer pool: counts by group against the target, import, search, edit, deactivate."""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from db.campaigns import reviewer_groups
from db.reviewer_pool import check_pool_file, get_member, import_pool, list_pool, pool_counts, update_member
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.i18n import error_text, named, t
from ui.notices import flash, show_flash
from ui.store import session
from ui.uploads import file_uploader, problems_table

actor = guard("pool")
campaign = require_campaign()
st.title(t("pool.title", year=campaign.year))
demo_notice(campaign)
show_flash()

with session() as s:
    counts = pool_counts(s, campaign_id=campaign.id)
    groups = reviewer_groups(s, campaign.id)
group_names = {g.code: named(g) for g in groups}
total = sum(counts.values())

st.progress(min(total / campaign.pool_target, 1.0),
            text=t("pool.progress", total=f"{total:,}", target=f"{campaign.pool_target:,}"))
st.dataframe(
    [{t("pool.group"): group_names[code], t("pool.count"): n,
      t("pool.share"): f"{n / total:.1%}" if total else "—"} for code, n in counts.items()],
    hide_index=True, width="content",
)

import_tab, list_tab, edit_tab = st.tabs([t("pool.import"), t("pool.members"), t("pool.edit")], key="pool_tabs")

with import_tab:
    st.caption(t("pool.import_help"))
    # A new key after each import empties the uploader, so the same file is not imported twice by accident.
    uploads = st.session_state.setdefault("pool_uploads", 0)
    upload = file_uploader(t("pool.file"), types=["csv", "xlsx"], key=f"pool_file_{campaign.year}_{uploads}")
    if upload is not None:
        content = upload.getvalue()
        with session() as s:
            try:
                parsed = check_pool_file(s, year=campaign.year, content=content, filename=upload.name)
            except UserError as error:
                parsed = None
                st.error(error_text(error))
        if parsed is not None and not parsed.ok:
            st.error(t("pool.refused", n=len(parsed.problems)))
            problems_table(parsed.problems)
        elif parsed is not None:
            st.success(t("pool.checked", n=len(parsed.rows), encoding=parsed.encoding))
            for warning in parsed.notices:
                st.warning(error_text(warning))
            if st.button(t("pool.confirm_import"), type="primary"):
                try:
                    with session() as s:
                        report = import_pool(s, actor=actor, year=campaign.year, content=content,
                                             filename=upload.name)
                except UserError as error:
                    st.error(error_text(error))
                else:
                    flash(t("pool.imported", created=report.created, updated=report.updated,
                            unchanged=report.unchanged))
                    st.session_state["pool_uploads"] = uploads + 1
                    st.rerun()

with list_tab:
    cols = st.columns([3, 2, 1, 1])
    search = cols[0].text_input(t("pool.search"), max_chars=50)
    group = cols[1].selectbox(t("pool.group"), ["", *group_names],
                              format_func=lambda c: group_names.get(c, t("common.all")))
    inactive = cols[2].toggle(t("pool.include_inactive"))
    reveal = cols[3].toggle(t("pool.reveal"), help=t("pool.reveal_help"))
    with session() as s:
        rows, matched = list_pool(s, actor=actor, campaign_id=campaign.id, search=search, group_code=group or None,
                                  include_inactive=inactive, reveal=reveal)
    st.caption(t("pool.matched", shown=len(rows), total=matched))
    st.dataframe(
        [{t("pool.number"): r.id, t("pool.name"): r.name, t("pool.group"): group_names[r.group_code],
          t("pool.organisation"): r.organisation, t("pool.phone"): r.phone, t("pool.id_number"): r.id_number,
          t("pool.notes"): r.notes, t("pool.active"): r.active} for r in rows],
        hide_index=True, width="stretch",
    )

with edit_tab:
    number = st.number_input(t("pool.number"), min_value=1, step=1, value=None, key="edit_member_id")
    if number:
        with session() as s:
            member = get_member(s, actor=actor, campaign_id=campaign.id, reviewer_id=int(number))
        if member is None:
            st.warning(t("pool.no_member", id=int(number)))
        else:
            with st.form(f"member_{member.id}"):
                name = st.text_input(t("pool.name"), member.name, max_chars=50)
                codes = list(group_names)
                group_code = st.selectbox(t("pool.group"), codes, index=codes.index(member.group_code),
                                          format_func=group_names.get)
                organisation = st.text_input(t("pool.organisation"), member.organisation, max_chars=100)
                phone = st.text_input(t("pool.phone"), "", placeholder=member.phone or "—",
                                      help=t("pool.keep_blank_help"))
                id_number = st.text_input(t("pool.id_number"), "", placeholder=member.id_number or "—",
                                          help=t("pool.keep_blank_help"))
                clear = st.checkbox(t("pool.clear_personal"))
                notes = st.text_area(t("pool.notes"), member.notes, max_chars=500)
                active = st.toggle(t("pool.active"), member.active)
                if st.form_submit_button(t("common.save"), type="primary"):
                    try:
                        with session() as s:
                            update_member(s, actor=actor, campaign_id=campaign.id, reviewer_id=member.id, name=name,
                                          group_code=group_code, organisation=organisation,
                                          phone="" if clear else (phone or None),
                                          id_number="" if clear else (id_number or None), notes=notes,
                                          active=active)
                    except UserError as error:
                        st.error(error_text(error))
                    else:
                        st.success(t("common.saved"))
