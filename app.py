"""Entry point: page config, sign-in state, and the page list for the signed-in role.

Every page is registered with st.navigation so that its URL works as a bookmark;
pages the role may not open are hidden from the menu, and the page's own guard
shows "no access" if someone types the URL anyway.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import ui.speed  # noqa: F401  (Streamlit's repeated work done once, before any page runs)
from core.roles import is_public, may_open
from ui import display
from ui.auth import current_actor, restore_session, send_cookie, sign_out
from ui.campaign import campaign_selector
from ui.i18n import language, language_selector, t
from ui.plain import plain
from ui.store import store_errors

HERE = Path(__file__).resolve().parent

# (section, page key, file, url path, icon). The page key names the role rule in core.roles.
PAGES = [
    ("public", "questionnaire", "questionnaire.py", "questionnaire", ":material/edit_note:"),
    ("public", "poll", "poll.py", "poll", ":material/how_to_vote:"),
    ("public", "verify", "verify.py", "verify", ":material/verified:"),
    ("overview", "home", "home.py", "home", ":material/dashboard:"),
    ("panel", "pool", "pool.py", "pool", ":material/groups:"),
    ("panel", "draw", "draw.py", "draw", ":material/casino:"),
    ("panel", "panel", "panel.py", "panel", ":material/fact_check:"),
    ("online", "poll_admin", "poll_admin.py", "votes", ":material/ballot:"),
    ("online", "media", "media.py", "media", ":material/newspaper:"),
    ("online", "complaints", "complaints.py", "complaints", ":material/feedback:"),
    ("casework", "inspections", "inspections.py", "inspections", ":material/search_check:"),
    ("casework", "cases", "cases.py", "cases", ":material/gavel:"),
    ("casework", "rectification", "rectification.py", "rectification", ":material/assignment_late:"),
    ("casework", "reports", "reports.py", "reports", ":material/description:"),
    ("dashboards", "live", "live.py", "live", ":material/monitoring:"),
    ("dashboards", "explore", "explore.py", "explore", ":material/query_stats:"),
    ("results", "results", "results.py", "results", ":material/leaderboard:"),
    ("results", "feedback", "feedback.py", "feedback", ":material/feedback:"),
    ("admin", "settings", "settings.py", "settings", ":material/tune:"),
    ("admin", "units", "units.py", "units", ":material/account_balance:"),
    ("admin", "users", "users.py", "users", ":material/group:"),
    ("admin", "audit", "audit.py", "audit", ":material/history:"),
    ("me", "account", "account.py", "account", ":material/person:"),
]


NAV_KEY = "_nav_pages"  # this session's page list, with what it was built for


def page_sections(actor, lang: str) -> dict[str, list]:
    """The page list for this role and language, built once per session and reused on every run
    (20 st.Page objects resolve 20 paths; a reviewer's session runs hundreds of times). Not shared
    between sessions: st.navigation marks the page it is about to run on the Page object itself."""
    role = actor.role if actor else None
    built_for = (role, actor is None, lang)
    cached = st.session_state.get(NAV_KEY)
    if cached and cached[0] == built_for:
        return cached[1]
    sections: dict[str, list] = {}
    for section, key, file, url_path, icon in PAGES:
        # Public pages are reached by link (portal, QR code), never through the staff menu.
        visible = not is_public(key) and (may_open(key, role) if actor else key == "home")
        if key == "home":
            # Streamlit serves the default page at / only; a hidden twin answers /home, so a typed or
            # bookmarked /home opens the overview instead of "page not found". The default page
            # needs a path of its own for that (it is never shown: its address is /).
            sections.setdefault(t(f"nav.section.{section}"), []).append(
                st.Page(HERE / "pages" / file, title=t(f"nav.{key}"), icon=icon, url_path="start", default=True,
                        visibility="visible" if visible else "hidden"))
            visible = False
        page = st.Page(HERE / "pages" / file, title=t(f"nav.{key}"), icon=icon, url_path=url_path,
                       visibility="visible" if visible else "hidden")
        sections.setdefault(t(f"nav.section.{section}"), []).append(page)
    st.session_state[NAV_KEY] = (built_for, sections)
    return sections


def build_navigation():
    actor = current_actor()
    # expanded: an administrator has more pages than the ten Streamlit shows before "View more".
    return st.navigation(page_sections(actor, language()), position="sidebar" if actor else "hidden", expanded=True)


PUBLIC_PATHS = {url_path for _, key, _, url_path, _ in PAGES if is_public(key)}


def sidebar() -> None:
    actor = current_actor()
    with st.sidebar:
        campaign_selector()
        st.caption(t("auth.signed_in_as", name=plain(st.session_state.get("display_name", actor.username)),
                     role=t(f"role.{actor.role}")))
        if st.button(t("auth.sign_out"), icon=":material/logout:"):
            sign_out()
            st.rerun()
        language_selector()


# An emoji favicon is drawn by the browser (a data: address); a `:material/` one would be fetched from a Google
# font host, unreachable from most government networks (issue 23: no request to any other host).
st.set_page_config(page_title=t("app.title"), page_icon="📋", layout="wide")
# Streamlit lists the files of pages/ in a sidebar of its own when st.navigation hides the menu;
# people who are not signed in, and everyone on a public page, get no sidebar at all.
NO_SIDEBAR = "<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'] {display: none;}</style>"

with store_errors():
    restore_session()  # who is signed in: from this session's stored row, or from the browser's cookie
send_cookie()  # just signed in or out: the browser fetches or clears its HttpOnly cookie first
navigation = build_navigation()
# A store failure (busy, restarting, full, read-only) that a page did not handle: a clear message, no trace.
with store_errors():
    wall_screen = display.requested(navigation.url_path)  # /live?display=…: nothing but the live board
    if navigation.url_path in PUBLIC_PATHS or current_actor() is None or wall_screen:
        # Not st.html: Streamlit keeps only one style-only st.html per run, and pages add their own.
        st.markdown(NO_SIDEBAR, unsafe_allow_html=True)
    else:
        sidebar()  # public pages carry their own language switch
    if wall_screen:
        display.enter()  # the link opens /live, or the screen shows one sentence and nothing else
    navigation.run()
