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
