"""Sign-in, sign-out, the session kept in the database, and the guard every page calls first.

Who is signed in is decided at the top of every full run (`restore_session`, called by app.py):
a Streamlit session that signed in keeps its session's row id in its state and is checked
against the database on each run (ended elsewhere, expired, deactivated: signed out at the next
tap); a new Streamlit session (reload, reconnect, another replica, a restarted server) finds
its session from the HttpOnly cookie that /_review/session set (ui/session_endpoint.py).
A fragment's rerun (a `run_every` timer, a tap inside it) skips app.py: every page's fragments are
made with `fragment` below, which checks the session first.

The guard reads the same role table as the navigation (core.roles), so a page
reached by its URL without the role shows "no access" and nothing else.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from html import escape
from urllib.parse import urlencode, urlparse

import streamlit as st

from core import sessions as rules
from core.casework import DEFAULT_OFFICE
from core.errors import UserError
from core.roles import may_open
from db.access import Actor
from db.signin.sessions import Resumed, SessionEnded, resume
from db.signin.sessions import sign_in as start_session
from db.signin.sessions import sign_out as end_own_session
from db.users import SignInError, change_password
from ui.campaign import selected_campaign
from ui.client import client_address, network_salt
from ui.delivery import GO_ATTRIBUTE, GO_SCRIPT
from ui.i18n import error_text, language, language_selector, t
from ui.plain import plain
from ui.store import fragment_store_errors, session

ACTOR_KEY = "actor"
SESSION_KEY = "signin_session"  # the session's row id: server-side state, never sent to the browser
TICKET_KEY = "signin_ticket"  # the one-time ticket, until the browser has been sent to exchange it
CLEAR_KEY = "signin_clear_cookie"
ENDED_KEY = "signin_ended"  # why the last session ended, shown once above the sign-in form
CHECKED_KEY = "signin_checked_at"  # when this session was last found open in the database (time.monotonic)
RECHECK_SECONDS = 3.0  # a fragment's rerun this soon after a check (a tap right after a full run) reuses it


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def _forget() -> None:
    for key in list(st.session_state.keys()):
        if key != "lang":
            del st.session_state[key]


def _resume(**where) -> Resumed | None:
    """Who this session is (db.signin.sessions.resume); None when nobody: this Streamlit session is then
    forgotten, and why its session ended kept for the sign-in form."""
    try:
        with session() as s:
            resumed = resume(s, **where)
    except SessionEnded as ended:
        _forget()
        st.session_state[ENDED_KEY] = error_text(ended)
        return None
    if resumed is None and st.session_state.get(SESSION_KEY) is not None:
        _forget()
    return resumed


def restore_session() -> None:
    """Who is signed in, from the database, at the top of every full run of app.py."""
    row_id = st.session_state.get(SESSION_KEY)
    if row_id is None and current_actor() is not None:
        # Set by a test harness (AppTest): the app itself never signs in without a stored session.
        return
    cookie = None
    if row_id is None and not st.session_state.get(CLEAR_KEY):
        cookie = st.context.cookies.get(rules.COOKIE)
        if not isinstance(cookie, str) or not cookie:  # (AppTest has no browser: no cookies either)
            return
    resumed = _resume(session_id=row_id, cookie=cookie)
    if resumed is None:
        return
    st.session_state[ACTOR_KEY] = resumed.actor
    st.session_state[SESSION_KEY] = resumed.session_id
    st.session_state["display_name"] = resumed.display_name
    st.session_state["must_change_password"] = resumed.must_change_password
    st.session_state[CHECKED_KEY] = time.monotonic()


def recheck_session() -> None:
    """In a fragment's rerun: is the signed-in session still open? If not, the whole app reruns (and shows
    the sign-in form with the reason); the fragment draws nothing more.

    Read-only: a timer is not activity, so a screen left open is still signed out when idle too long.
    """
    row_id = st.session_state.get(SESSION_KEY)
    if row_id is None:
        return  # nobody signed in here (a reviewer, a citizen, a wall screen's link): nothing to end
    now = time.monotonic()
    if now - st.session_state.get(CHECKED_KEY, -math.inf) < RECHECK_SECONDS:
        return
    resumed = _resume(session_id=row_id, touch=False)
    if resumed is None:
        st.rerun()
    if resumed.actor != current_actor():  # role or unit changed: the app's run takes the new one
        st.rerun()
    st.session_state[CHECKED_KEY] = now


def fragment(function: Callable[..., None] | None = None, *, run_every: float | None = None):
    """`st.fragment` for every page: the session is checked before the body, and a store failure in the
    body is a message (`ui.store.fragment_store_errors`). `@fragment` or `@fragment(run_every=10)`."""
    def decorate(body: Callable[..., None]):
        @functools.wraps(body)
        def checked(*args, **kwargs) -> None:
            recheck_session()
            body(*args, **kwargs)

        return st.fragment(fragment_store_errors(checked), run_every=run_every)

    return decorate(function) if function is not None else decorate


def _go(query: dict[str, str]) -> None:
    """Send the browser to /_review/session (which answers with the cookie and a redirect back)."""
    url = escape(f"{rules.ENDPOINT}?{urlencode(query)}", quote=True)
    # replace(): the URL with the ticket does not stay in the tab's history. The script's text is constant
    # (the Content-Security-Policy allows it by its hash, ui/delivery.py); the address is in the element.
    page = f'<span {GO_ATTRIBUTE}="{url}"></span><script>{GO_SCRIPT}</script>'
    st.html(page, unsafe_allow_javascript=True, width="content")


def send_cookie() -> None:
    """Right after a sign-in or a sign-out (app.py, before anything is drawn): the browser goes to the
    endpoint for its cookie (or to have it cleared) and comes back to the page; this run draws nothing else."""
    ticket = st.session_state.pop(TICKET_KEY, None)
    if ticket:
        url = st.context.url
        path = urlparse(url).path if isinstance(url, str) else "/"
        _go({"ticket": ticket, "next": rules.safe_next(path)})
        st.stop()
    if st.session_state.pop(CLEAR_KEY, None):
        _go({"end": "1", "next": "/"})
        st.stop()


def sign_out() -> None:
    """End this session in the database first: the cookie is then worthless even if it is never cleared."""
    actor, row_id = current_actor(), st.session_state.get(SESSION_KEY)
    if actor is not None and row_id is not None:
        with session() as s:
            end_own_session(s, actor=actor, session_id=row_id)
    _forget()
    st.session_state[CLEAR_KEY] = True


def _device() -> str:
    agent = st.context.headers.get("User-Agent")
    return rules.device_hint(agent if isinstance(agent, str) else None)


def sign_in_header() -> None:
    """What this is, as a government service's sign-in page says it: office, platform, current campaign."""
    try:
        campaign = selected_campaign()
    except UserError:  # a store that cannot be read now: the form still comes up, without the campaign line
        campaign = None
    st.markdown(f"**{DEFAULT_OFFICE}**")
    st.markdown(f"## {t('app.title')}")
    if campaign is not None:
        name = campaign.name_en if language() == "en" else campaign.name_zh
        st.markdown(t("signin.campaign", name=plain(name), start=campaign.starts_on, end=campaign.ends_on))
        if campaign.source:
            st.markdown(f":gray[{t('signin.source', source=plain(campaign.source))}]")


def sign_in_form() -> None:
    language_selector(inline=True)
    sign_in_header()
    ended = st.session_state.pop(ENDED_KEY, None)
    if ended:
        st.info(ended, icon=":material/lock_clock:")
    st.subheader(t("auth.sign_in"))
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input(t("auth.username"), autocomplete="username")
        password = st.text_input(t("auth.password"), type="password", autocomplete="current-password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if submitted:
        try:
            with session() as s:
                started = start_session(s, username=username, password=password, ip=client_address(),
                                        salt=network_salt(), device=_device())
        except SignInError as error:
            st.error(error_text(error))
            return
        signed_in = started.signed_in
        st.session_state[ACTOR_KEY] = signed_in.actor
        st.session_state[SESSION_KEY] = started.session_id
        st.session_state[TICKET_KEY] = started.ticket
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
                change_password(s, actor=actor, current=current, new=new,
                                keep_session=st.session_state.get(SESSION_KEY))
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
