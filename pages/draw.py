"""The draw of the panel: fix the seed in public, draw, verify, replace, issue invitations."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import streamlit as st

from core import sampling
from core.clock import to_office
from core.errors import UserError
from db.campaigns import reviewer_groups
from db.draws import (
    REPLACEMENT_REASONS,
    active_draw,
    create_draw,
    issue_invitations,
    list_draws,
    members,
    preview,
    public_pool_csv,
    replace_member,
    verify,
)
from documents import invitation_list
from documents.invitation_sheets import Invitation, invitation_sheet_pdf
from ui.auth import guard
from ui.campaign import demo_notice, require_campaign
from ui.i18n import error_text, named, t
from ui.notices import flash, show_flash
from ui.panel_plan import planner
from ui.plain import code, plain
from ui.store import session

actor = guard("draw")
campaign = require_campaign()
st.title(t("draw.title", year=campaign.year))
demo_notice(campaign)
show_flash()

with session() as s:
    groups = reviewer_groups(s, campaign.id)
    current = active_draw(s, campaign_id=campaign.id)
    history = list_draws(s, campaign_id=campaign.id)
    pool_file = public_pool_csv(s, campaign_id=campaign.id)
group_names = {g.code: named(g) for g in groups}

st.download_button(t("draw.export_pool"), pool_file, file_name=f"pool-{campaign.year}.csv", mime="text/csv",
                   help=t("draw.export_pool_help"))


def base_url() -> str:
    configured = os.environ.get("APP_BASE_URL", "").strip()
    if configured:
        return configured
    parts = urlsplit(st.context.url or "http://localhost:8501")
    return f"{parts.scheme}://{parts.netloc}"


def show_stored(draw) -> list:
    with session() as s:
        check = verify(s, draw_id=draw.id)
        rows = members(s, actor=actor, draw_id=draw.id)
    if check["verified"]:
        st.success(t("draw.verified"), icon=":material/verified:")
    else:
        st.error(t("draw.not_verified", missing=plain(", ".join(check["missing"]) or "—"),
                   extra=plain(", ".join(check["extra"]) or "—")))
    cols = st.columns(2)
    cols[0].markdown(f"**{t('draw.seed')}** {code(draw.seed)}  \n**{t('draw.seed_sha256')}** {code(draw.seed_sha256)}")
    allocation = t(f"draw.methods.{draw.method}")
    cols[1].markdown(f"**{t('draw.pool_hash')}** {code(draw.pool_hash)}  \n"
                     f"**{t('draw.algorithm')}** {code(draw.algorithm_version)} · {allocation} · n = {draw.n}")
    st.caption(t("draw.made_by", operator=plain(draw.operator),
                 at=to_office(draw.created_at).strftime("%Y-%m-%d %H:%M"), source=plain(draw.seed_source or "—")))
    st.dataframe(
        [{t("pool.number"): r.reviewer_id, t("pool.name"): r.name, t("pool.organisation"): r.organisation,
          t("pool.group"): group_names.get(r.group_code, r.group_code), t("draw.order"): r.draw_order,
          t("draw.weight"): round(r.design_weight, 3), t("draw.status"): t(f"draw.state.{r.status}"),
          t("draw.replaces"): r.replaces or "", t("draw.reason"): r.reason} for r in rows],
        hide_index=True, width="stretch",
    )
    return rows


if current is not None:
    st.subheader(t("draw.current"))
    rows = show_stored(current)
    replace_tab, invite_tab = st.tabs([t("draw.replace"), t("draw.invitations")], key="draw_tabs")
    with replace_tab, st.form("replace"):
        drawn = [r for r in rows if r.status == "drawn"]
        labels = {r.reviewer_id: f"{r.reviewer_id} · {r.name} · {group_names.get(r.group_code)}" for r in drawn}
        who = st.selectbox(t("draw.replace_who"), list(labels), format_func=labels.get)
        reason = st.selectbox(t("draw.reason"), REPLACEMENT_REASONS, format_func=lambda r: t(f"draw.state.{r}"))
        note = st.text_input(t("draw.note"), max_chars=200)
        if st.form_submit_button(t("draw.replace"), type="primary"):
            try:
                with session() as s:
                    new = replace_member(s, actor=actor, draw_id=current.id, reviewer_id=who, reason=reason, note=note)
            except UserError as error:
                st.error(error_text(error))
            else:
                flash(t("draw.replaced", old=who, new=new.reviewer_id))
                st.rerun()
    with invite_tab:
        st.caption(t("draw.invitations_help"))
        reissue = st.checkbox(t("draw.reissue"), help=t("draw.reissue_help"))
        if st.button(t("draw.issue"), type="primary"):
            try:
                with session() as s:
                    issued = issue_invitations(s, actor=actor, draw_id=current.id, base_url=base_url(),
                                               reissue=reissue)
            except UserError as error:
                st.error(error_text(error))
            else:
                # Held only in this browser session: the tokens exist nowhere else in plain text.
                st.session_state["issued"] = issued
        issued = st.session_state.get("issued") or []
        if issued:
            st.success(t("draw.issued", n=len(issued)))
            sheet = invitation_sheet_pdf(
                [Invitation(i.name, i.group_name, i.link, "") for i in issued],
                campaign_name=campaign.name_zh, office=t("draw.office"),
                window=tuple(to_office(at).strftime("%Y-%m-%d %H:%M")
                             for at in (campaign.panel_opens_at, campaign.panel_closes_at)))
            st.download_button(t("draw.sheet"), sheet, file_name=f"invitations-{campaign.year}.pdf",
                               mime="application/pdf")
            contacts = invitation_list.to_csv([invitation_list.personal(name=i.name, group=i.group_code,
                                                                        group_name=i.group_name, token=i.token,
                                                                        link=i.link, phone=i.phone)
                                                    for i in issued])
            st.download_button(t("draw.contacts"), contacts, file_name=f"invitations-{campaign.year}.csv",
                               mime="text/csv")
        elif "issued" in st.session_state:
            st.info(t("draw.none_issued"))

st.subheader(t("draw.new") if current is None else t("draw.redraw"))
if current is not None:
    st.warning(t("draw.redraw_warning"))
with st.expander(t("plan.title"), icon=":material/straighten:"):
    planner(campaign, actor, group_names)
# The form's widgets are keyed by the draw they would follow: once a draw is made they start empty and
# unticked, so a redraw never comes pre-filled with the seed just used and its confirmation already given.
form = f"after_{current.id}" if current is not None else "first"
with st.container(border=True):
    mode = st.radio(t("draw.seed_mode"), ["typed", "public"], format_func=lambda m: t(f"draw.mode.{m}"),
                    horizontal=True, key=f"draw_mode_{form}")
    if mode == "typed":
        seed = st.text_input(t("draw.seed"), max_chars=200, key=f"draw_seed_{form}").strip()
        source = st.text_input(t("draw.seed_source"), max_chars=200, key=f"draw_source_{form}")
    else:
        cols = st.columns(2)
        value = cols[0].text_input(t("draw.public_value"), max_chars=100, key=f"draw_value_{form}")
        day = cols[1].date_input(t("draw.public_date"), value=None, key=f"draw_day_{form}")
        seed, source = "", ""
        if value.strip() and day:
            try:
                seed = sampling.seed_from_public_value(value, day.isoformat())
                source = t("draw.public_source", value=value.strip(), date=day.isoformat())
            except ValueError:
                st.error(t("traps.draw.bad_public_value"))
    cols = st.columns(3)
    method = cols[0].selectbox(t("draw.method"), sampling.METHODS, format_func=lambda m: t(f"draw.methods.{m}"))
    n = cols[1].number_input(t("draw.n"), min_value=1, value=campaign.panel_size)
    minimum = cols[2].number_input(t("draw.minimum"), min_value=0, value=2)
    sd = None
    if method == "neyman":
        st.caption(t("draw.sd_help"))
        sd_cols = st.columns(len(groups))
        sd = {g.code: sd_cols[k].number_input(plain(named(g)), min_value=0.0, value=20.0, key=f"sd_{g.code}")
              for k, g in enumerate(groups)}
    if seed:
        try:
            with session() as s:
                plan, _ = preview(s, year=campaign.year, seed=seed, n=int(n), method=method, minimum=int(minimum),
                                  sd=sd)
        except UserError as error:
            st.error(error_text(error))
            plan = None
        if plan is not None:
            st.markdown(f"**{t('draw.seed_sha256')}** {code(plan.seed_sha256)}  \n**{t('draw.pool_hash')}** "
                        f"{code(plan.pool_hash)}")
            st.dataframe(
                [{t("pool.group"): group_names[c], t("draw.population"): plan.sizes[c],
                  t("draw.allocated"): plan.allocation[c],
                  t("draw.weight"): round(plan.sizes[c] / plan.allocation[c], 3) if plan.allocation[c] else "—"}
                 for c in plan.sizes],
                hide_index=True, width="content",
            )
            if current is not None and seed == current.seed:
                st.warning(t("traps.draw.same_seed"))
            reason = (st.text_input(t("draw.supersede_reason"), max_chars=300, key=f"draw_reason_{form}")
                      if current is not None else "")
            confirmed = st.checkbox(t("draw.confirm"), value=False, key=f"draw_confirm_{form}")
            ready = confirmed and (current is None or bool(reason.strip()))
            if st.button(t("draw.perform"), type="primary", disabled=not ready, key=f"draw_perform_{form}"):
                try:
                    with session() as s:
                        create_draw(s, actor=actor, year=campaign.year, seed=seed, n=int(n), method=method,
                                    minimum=int(minimum), sd=sd, seed_source=source, supersede_reason=reason)
                except UserError as error:
                    st.error(error_text(error))
                else:
                    st.session_state.pop("issued", None)
                    flash(t("draw.done"))
                    st.rerun()
    else:
        st.info(t("draw.fix_seed_first"))

earlier = [d for d in history if d.status != "active"]
if earlier:
    with st.expander(t("draw.history", n=len(earlier))):
        st.dataframe(
            [{t("draw.number"): d.id, t("draw.when"): to_office(d.created_at).strftime("%Y-%m-%d %H:%M"),
              t("draw.seed"): d.seed, t("draw.pool_hash"): d.pool_hash[:16] + "…", t("draw.operator"): d.operator,
              t("draw.superseded_reason"): d.superseded_reason} for d in earlier],
            hide_index=True, width="stretch",
        )
