"""Sign-in, sign-out and the guard every page calls first.

The guard reads the same role table as the navigation (core.roles), so a page
reached by its URL without the role shows "no access" and nothing else.
"""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from core.roles import may_open
from db.access import Actor
from db.users import SignInError, authenticate, change_password
from ui.i18n import error_text, language_selector, t
from ui.store import session

ACTOR_KEY = "actor"


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]


def sign_in_form() -> None:
    language_selector(inline=True)
    st.subheader(t("auth.sign_in"))
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input(t("auth.username"), autocomplete="username")
        password = st.text_input(t("auth.password"), type="password", autocomplete="current-password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if submitted:
        try:
            with session() as s:
                signed_in = authenticate(s, username=username, password=password)
        except SignInError as error:
            st.error(error_text(error))
            return
        st.session_state[ACTOR_KEY] = signed_in.actor
        st.session_state["display_name"] = signed_in.display_name
        st.session_state["must_change_password"] = signed_in.must_change_password
        st.rerun()


def password_change_form(actor: Actor, *, forced: bool) -> None:
    if forced:
        st.warning(t("auth.must_change"))
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input(t("auth.current_password"), type="password", autocomplete="current-password")
        new = st.text_input(t("auth.new_password"), type="password", autocomplete="new-password")
        again = st.text_input(t("auth.repeat_password"), type="password", autocomplete="new-password")
        submitted = st.form_submit_button(t("auth.change_password"), type="primary")
    if submitted:
        if new != again:
            st.error(t("auth.passwords_differ"))
            return
        try:
            with session() as s:
                change_password(s, actor=actor, current=current, new=new)
        except UserError as error:
            st.error(error_text(error))
            return
        st.session_state["must_change_password"] = False
        st.success(t("auth.password_changed"))
        if forced:
            st.rerun()


def guard(page: str) -> Actor | None:
    """Stop the page unless the signed-in role may open it; return the actor."""
    actor = current_actor()
    if may_open(page, actor.role if actor else None):
        if actor is not None and st.session_state.get("must_change_password"):
            password_change_form(actor, forced=True)
            st.stop()
        return actor
    if actor is None:
        sign_in_form()
    else:
        st.error(t("auth.no_access"))
    st.stop()
    return None  # unreachable: st.stop() raises
