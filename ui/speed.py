"""Streamlit work that repeats on every run with the same answer, done once.

Imported by app.py before anything is drawn. Each change keeps Streamlit's behaviour exactly and
is checked by tests/test_speed.py; drop one when Streamlit itself stops doing the repeated work.
"""

from __future__ import annotations

import functools

from streamlit import string_util

# Every option label of a segmented control, pill or radio that is not plain ASCII (all Chinese
# labels) is searched for a leading emoji with a regular expression of every emoji there is; hashing
# that compiled expression for re's cache costs more than the search (about 60 µs a label, 20 labels
# a questionnaire tap: py-spy put it at a sixth of a tap). The answer depends only on the text.
EMOJI_CACHE = 4096


def _cache_emoji_extraction() -> None:
    original = string_util.extract_leading_emoji
    if not hasattr(original, "cache_info"):
        string_util.extract_leading_emoji = functools.lru_cache(maxsize=EMOJI_CACHE)(original)


_cache_emoji_extraction()


# Every script run (a tap included) sends the browser the theme again, reading six [theme...] config
# sections; each read walks all ~300 config options (py-spy: about a tenth of a questionnaire tap).
# The answer changes only when an option is set or the config files are parsed again (which makes a
# new option table): kept per section and table, and forgotten whenever an option is set.
_sections: dict = {}
# Options set so far (config._set_option): the new_session messages below are built again after a change.
_config_generation = [0]


def _cache_config_sections() -> None:
    from streamlit import config

    if getattr(config.get_options_for_section, "_cached", False):
        return
    read, write = config.get_options_for_section, config._set_option

    @functools.wraps(read)
    def get_options_for_section(section: str) -> dict:
        table = config._config_options
        hit = _sections.get(section)
        if hit is None or hit[0] is not table:
            hit = (config.get_config_options(), read(section))
            _sections[section] = hit
        return dict(hit[1])

    @functools.wraps(write)
    def set_option(*args, **kwargs):
        _sections.clear()
        try:
            return write(*args, **kwargs)
        finally:
            _sections.clear()
            _config_generation[0] += 1

    get_options_for_section._cached = True
    config.get_options_for_section = get_options_for_section
    config._set_option = set_option


_cache_config_sections()


# Every full run (a page opened or reloaded, a poll tap) starts with a new_session message whose six
# custom-theme parts are rebuilt from the config, option by option (py-spy, a hall of 100 + 100: a third of
# building that message, which was 6 % of a replica's CPU). Built once per section and config table, as the
# sections above, and merged into the message (a part the config leaves empty stays unset, as before).
_themes: dict = {}


def _cache_theme_messages() -> None:
    from streamlit import config
    from streamlit.runtime import app_session

    if getattr(app_session._populate_theme_msg, "_cached", False):
        return
    build = app_session._populate_theme_msg

    @functools.wraps(build)
    def populate_theme_msg(msg, section: str = "theme") -> None:
        table = config._config_options
        hit = _themes.get(section)
        if hit is None or hit[0] is not table or hit[1] is not _sections.get(section, (None, None))[1]:
            built = type(msg)()
            build(built, section)
            hit = (table, _sections.get(section, (None, None))[1], built)
            _themes[section] = hit
        if hit[2].ListFields():
            msg.MergeFrom(hit[2])

    populate_theme_msg._cached = True
    app_session._populate_theme_msg = populate_theme_msg


_cache_theme_messages()


# Then the whole new_session message: every run sends one, a fragment's rerun (a questionnaire tap) too,
# built afresh from the session's pages, the config, the theme parts, the user and environment (py-spy
# --gil, taps on one process: a tenth of a tap's server CPU, issue 27). Only the run's identity and whether
# the app is running differ from one run to the next, so each session keeps the last message it built and
# reuses it while the page, the pages and the config (its table, and the options set: _config_generation) are
# the ones it was built from.
def _cache_new_session_messages() -> None:
    from streamlit import config
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime import app_session

    session_class = app_session.AppSession
    if getattr(session_class._create_new_session_message, "_cached", False):
        return
    build = session_class._create_new_session_message

    @functools.wraps(build)
    def create_new_session_message(self, page_script_hash, run_descriptor, pages=None):
        pages = pages or self._pages_manager.get_pages()
        running = self._state == app_session.AppSessionState.APP_IS_RUNNING
        key = (page_script_hash, config._config_options, _config_generation[0], self._run_on_save)
        hit = getattr(self, "_review_new_session", None)
        if hit is None or hit[0] != key or hit[1] != pages:
            built = build(self, page_script_hash, run_descriptor, pages)
            template = ForwardMsg()
            template.CopyFrom(built)
            template.ClearField("metadata")  # the run's identity: set for each run below
            # Copies: a later change to the registry's page entries must not pass for the pages built from.
            self._review_new_session = (key, {h: dict(info) for h, info in pages.items()}, template)
            return built
        msg = ForwardMsg()
        msg.CopyFrom(hit[2])
        app_session._set_run_identity(msg, run_descriptor)
        msg.new_session.initialize.session_status.script_is_running = running
        return msg

    create_new_session_message._cached = True
    session_class._create_new_session_message = create_new_session_message


_cache_new_session_messages()


# Streamlit's runtime loop, woken by any session's new message, flushes every connected session's queue
# (and settles it), not only the ones holding messages: work that grows with the sessions on the process,
# paid several times per tap. With 150 idle reviewers open beside 20 tapping, a tap cost 0.45 ms more of
# server CPU (3.3 against 2.9 ms; issue 27). The loop is given only the sessions it has something to do
# for: a message queued, or a settle pending (what AppSession.on_flushed_messages_sent acts on). For the
# others it would flush an empty queue and change nothing. Every other caller still gets every session.
def sessions_to_flush(sessions: list) -> list:
    return [info for info in sessions
            if not info.session._browser_queue.is_empty() or info.session._settle_pending]


def _flush_only_sessions_with_messages() -> None:
    import sys

    from streamlit.runtime import runtime
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    listing = WebsocketSessionManager.list_active_sessions
    if getattr(listing, "_cached", False):
        return
    loop_code = runtime.Runtime._loop_coroutine.__code__

    @functools.wraps(listing)
    def list_active_sessions(self):
        sessions = listing(self)
        if sys._getframe(1).f_code is loop_code:  # the runtime loop's flush, and only it
            return sessions_to_flush(sessions)
        return sessions

    list_active_sessions._cached = True
    WebsocketSessionManager.list_active_sessions = list_active_sessions


_flush_only_sessions_with_messages()
