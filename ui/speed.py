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
