"""Entry point: page config, sign-in state, and the page list for the signed-in role.

Every page is registered with st.navigation so that its URL works as a bookmark;
pages the role may not open are hidden from the menu, and the page's own guard
shows "no access" if someone types the URL anyway.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.roles import may_open
from ui.auth import current_actor, sign_out
from ui.campaign import campaign_selector
from ui.i18n import language_selector, t

HERE = Path(__file__).resolve().parent

# (section, page key, file, url path, icon). The page key names the role rule in core.roles.
PAGES = [
    ("overview", "home", "home.py", "home", ":material/dashboard:"),
    ("panel", "pool", "pool.py", "pool", ":material/groups:"),
    ("panel", "draw", "draw.py", "draw", ":material/casino:"),
    ("admin", "settings", "settings.py", "settings", ":material/tune:"),
    ("admin", "units", "units.py", "units", ":material/account_balance:"),
    ("admin", "users", "users.py", "users", ":material/group:"),
    ("admin", "audit", "audit.py", "audit", ":material/history:"),
    ("me", "account", "account.py", "account", ":material/person:"),
]


def build_navigation():
    actor = current_actor()
    role = actor.role if actor else None
    sections: dict[str, list] = {}
    for section, key, file, url_path, icon in PAGES:
        visible = may_open(key, role) if actor else key == "home"
        page = st.Page(HERE / "pages" / file, title=t(f"nav.{key}"), icon=icon, url_path=url_path,
                       default=key == "home", visibility="visible" if visible else "hidden")
        sections.setdefault(t(f"nav.section.{section}"), []).append(page)
    return st.navigation(sections, position="sidebar" if actor else "hidden")


def sidebar() -> None:
    actor = current_actor()
    with st.sidebar:
        if actor is not None:
            campaign_selector()
            st.caption(t("auth.signed_in_as", name=st.session_state.get("display_name", actor.username),
                         role=t(f"role.{actor.role}")))
            if st.button(t("auth.sign_out"), icon=":material/logout:"):
                sign_out()
                st.rerun()
        language_selector()


st.set_page_config(page_title=t("app.title"), page_icon=":material/fact_check:", layout="wide")
navigation = build_navigation()
sidebar()
navigation.run()
