"""The administrator's view of sign-in: session lifetimes, active sessions, wall-screen display links.

Drawn as two tabs of /users (pages/users.py).
"""

from __future__ import annotations

import os

import streamlit as st

from core import sessions as rules
from core.clock import to_office, utcnow
from core.errors import UserError
from db.access import Actor
from db.campaigns import list_campaigns
from db.signin.display_links import create_display_link, list_display_links, revoke_display_link
from db.signin.sessions import end_session, lifetimes, list_active_sessions, set_lifetimes
from ui.i18n import error_text, t
from ui.notices import flash
from ui.store import session


def _when(moment) -> str:
    return to_office(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def sessions_section(actor: Actor) -> None:
    with session() as s:
        limits = lifetimes(s)
        active = list_active_sessions(s, actor=actor)
    with st.form("session_lifetimes"):
        st.markdown(f"**{t('signin.lifetimes')}**")
        left, right = st.columns(2)
        low, high = rules.IDLE_HOURS_RANGE
        idle = left.number_input(t("signin.idle_hours"), min_value=float(low), max_value=float(high),
                                 value=float(limits.idle_hours), step=0.5, help=t("signin.idle_help"),
                                 key="session_idle_hours")
        low, high = rules.MAX_DAYS_RANGE
        days = right.number_input(t("signin.max_days"), min_value=float(low), max_value=float(high),
                                  value=float(limits.max_days), step=1.0, help=t("signin.max_help"),
                                  key="session_max_days")
        if st.form_submit_button(t("common.save"), type="primary"):
            try:
                with session() as s:
                    set_lifetimes(s, actor=actor, idle_hours=idle, max_days=days)
            except UserError as error:
                st.error(error_text(error))
            else:
                flash(t("signin.lifetimes_saved"))
                st.rerun()
    if not active:
        st.caption(t("signin.none_active"))
        return
    st.markdown(t("signin.active", n=len(active)))
    st.dataframe(
        [{t("signin.col_user"): a.username, t("signin.col_name"): a.display_name,
          t("signin.col_role"): t(f"role.{a.role}"), t("signin.col_started"): _when(a.created_at),
          t("signin.col_seen"): _when(a.last_seen_at), t("signin.col_device"): a.device} for a in active],
        hide_index=True, width="stretch",
    )
    st.caption(t("signin.seen_help"))
    labels = {a.id: f"{a.username} · {_when(a.created_at)} · {a.device}" for a in active}
    chosen = st.selectbox(t("signin.choose_session"), list(labels), format_func=labels.get, key="end_session_choice")
    if st.button(t("signin.end"), key="end_session", icon=":material/logout:"):
        try:
            with session() as s:
                end_session(s, actor=actor, session_id=chosen)
        except UserError as error:
            st.error(error_text(error))
        else:
            flash(t("signin.ended_one"))
            st.rerun()


def _base_url() -> str:
    """The address people reach the app by: APP_BASE_URL, else the one this browser used."""
    configured = os.environ.get("APP_BASE_URL", "").strip()
    if configured:
        return configured
    url = st.context.url or "http://localhost:8501/"
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def display_links_section(actor: Actor, year: int) -> None:
    st.caption(t("signin.links_help"))
    with session() as s:
        years = [c.year for c in list_campaigns(s)]
    with st.form("create_display_link", clear_on_submit=True):
        left, middle, right = st.columns([1, 1, 2])
        chosen_year = left.selectbox(t("signin.link_year"), years, index=years.index(year) if year in years else 0)
        low, high = rules.DISPLAY_DAYS_RANGE
        days = middle.number_input(t("signin.link_days"), min_value=low, max_value=high,
                                   value=rules.DISPLAY_DAYS_DEFAULT, step=1)
        label = right.text_input(t("signin.link_label"), max_chars=100, key="display_link_label")
        submitted = st.form_submit_button(t("signin.create_link"), type="primary")
    if submitted:
        try:
            with session() as s:
                created = create_display_link(s, actor=actor, year=chosen_year, days=int(days), label=label,
                                              base_url=_base_url())
        except UserError as error:
            st.error(error_text(error))
        else:
            st.success(t("signin.link_created", until=_when(created.expires_at)))
            st.code(created.url, language=None)
            st.caption(t("signin.link_created_help"))
    with session() as s:
        links = list_display_links(s, actor=actor)
    if not links:
        st.caption(t("signin.no_links"))
        return
    now = utcnow()
    st.dataframe(
        [{t("signin.col_id"): link.id, t("signin.link_year"): link.year, t("signin.col_label"): link.label,
          t("signin.col_created_by"): link.created_by, t("signin.col_created"): _when(link.created_at),
          t("signin.col_expires"): _when(link.expires_at), t("signin.col_state"): t(f"signin.state_{link.state(now)}"),
          t("signin.col_used"): _when(link.last_used_at)} for link in links],
        hide_index=True, width="stretch",
    )
    usable = {link.id: f"{link.id} · {link.year} · {link.label}" for link in links if link.state(now) == "active"}
    if usable:
        chosen = st.selectbox(t("signin.choose_link"), list(usable), format_func=usable.get, key="revoke_choice")
        if st.button(t("signin.revoke"), key="revoke_link", icon=":material/link_off:"):
            with session() as s:
                revoke_display_link(s, actor=actor, link_id=chosen)
            flash(t("signin.revoked"))
            st.rerun()
