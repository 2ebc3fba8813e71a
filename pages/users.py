"""Staff accounts: create, change role or unit, reset a password, deactivate, see and forget failed sign-ins;
sessions and display links."""

from __future__ import annotations

import streamlit as st

from core import passwords
from core.clock import to_office
from core.errors import UserError
from core.roles import ROLES, ROLES_BOUND_TO_UNIT
from db.signin.failures import clear_failures, recent_failures
from db.units import list_units
from db.users import create_user, list_users, reset_password, update_user
from ui.auth import guard
from ui.campaign import require_campaign
from ui.i18n import error_text, t
from ui.notices import flash, show_flash
from ui.plain import plain
from ui.signin_admin import display_links_section, sessions_section
from ui.store import session

actor = guard("users")
campaign = require_campaign()
st.title(t("users.title"))
show_flash()

with session() as s:
    users = list_users(s, actor=actor)
    units = list_units(s, campaign_id=campaign.id, include_inactive=False)
    failed = recent_failures(s, actor=actor)
unit_labels = {u.code: f"{u.code} · {u.name}" for u in units}


def when(moment) -> str:
    return to_office(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def failure_columns(username: str) -> dict:
    recent = failed.get(username)
    return {t("users.failures"): recent.count if recent else 0,
            t("users.last_failure"): when(recent.last_at) if recent else "",
            t("users.failure_networks"): ", ".join(f"{net} × {n}" for net, n in recent.networks) if recent else ""}


st.dataframe(
    [{t("users.username"): u.username, t("users.display_name"): u.display_name, t("users.role"): t(f"role.{u.role}"),
      t("users.unit"): unit_labels.get(u.unit_code, u.unit_code or ""),
      t("users.status"): t("users.active") if u.active else t("users.inactive"),
      t("users.last_sign_in"): when(u.last_sign_in_at), **failure_columns(u.username)}
     for u in users],
    hide_index=True, width="stretch",
)
st.caption(t("users.failures_help"))


def show_password_once(username: str, password: str) -> None:
    st.success(t("users.one_time_password", username=plain(username)))
    st.code(password, language=None)
    st.caption(t("users.one_time_password_help"))


create_tab, edit_tab, sessions_tab, links_tab = st.tabs(
    [t("users.create"), t("users.edit"), t("signin.sessions_tab"), t("signin.links_tab")], key="users_tabs")
with sessions_tab:
    sessions_section(actor)
with links_tab:
    display_links_section(actor, campaign.year)
with create_tab:
    created = st.session_state.pop("users_created", None)
    if created:  # after the rerun that put the new account in the table above: shown this once
        show_password_once(*created)
with create_tab, st.form("create_user", clear_on_submit=True):
    username = st.text_input(t("users.username"), max_chars=64)
    display_name = st.text_input(t("users.display_name"), max_chars=100)
    # No role is chosen for the office: an account made in haste must not become an administrator.
    role = st.selectbox(t("users.role"), ROLES, format_func=lambda r: t(f"role.{r}"), key="new_role", index=None,
                        placeholder=t("traps.users.choose_role"))
    unit_code = st.selectbox(t("users.unit"), ["", *list(unit_labels)], format_func=lambda c: unit_labels.get(c, "—"),
                             help=t("users.unit_help"), key="new_unit")
    if st.form_submit_button(t("users.create"), type="primary"):
        password = passwords.one_time_password(username.strip())
        try:
            if role is None:
                raise UserError("traps.users.no_role", "choose the new account's role")
            with session() as s:
                create_user(s, actor=actor, username=username, role=role, password=password,
                            display_name=display_name, unit_code=unit_code or None)
        except UserError as error:
            st.error(error_text(error))
        else:
            st.session_state["users_created"] = (username.strip(), password)
            st.rerun()

with edit_tab:
    if users:
        chosen = st.selectbox(t("users.choose"), [u.username for u in users], key="edit_user")
        user = next(u for u in users if u.username == chosen)
        with st.form(f"edit_{chosen}"):
            display_name = st.text_input(t("users.display_name"), user.display_name, max_chars=100)
            role = st.selectbox(t("users.role"), ROLES, index=ROLES.index(user.role),
                                format_func=lambda r: t(f"role.{r}"))
            codes = ["", *list(unit_labels)]
            unit_code = st.selectbox(t("users.unit"), codes, format_func=lambda c: unit_labels.get(c, "—"),
                                     index=codes.index(user.unit_code) if user.unit_code in codes else 0,
                                     help=t("users.unit_help"))
            active = st.toggle(t("users.active"), user.active)
            if st.form_submit_button(t("common.save"), type="primary"):
                try:
                    with session() as s:
                        update_user(s, actor=actor, username=chosen, role=role, display_name=display_name,
                                    unit_code=unit_code if role in ROLES_BOUND_TO_UNIT else None, active=active)
                except UserError as error:
                    st.error(error_text(error))
                else:
                    flash(t("common.saved"))
                    st.rerun()
        left, right = st.columns(2)
        if left.button(t("users.reset_password"), key=f"reset_{chosen}"):
            with session() as s:
                password = reset_password(s, actor=actor, username=chosen)
            show_password_once(chosen, password)
        if right.button(t("users.clear_failures"), key=f"clear_failures_{chosen}", disabled=chosen not in failed):
            with session() as s:
                clear_failures(s, actor=actor, username=chosen)
            flash(t("users.failures_cleared"))
            st.rerun()
