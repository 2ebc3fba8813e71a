"""Interface language: Simplified Chinese by default, English selectable.

Every visible string comes from `ui/locales/<lang>.toml` (and `<feature>.<lang>.toml`); `tests/test_locales.py`
fails when a key used in the code is missing from either catalogue.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import streamlit as st

from core.errors import UserError, ValidationError
from ui.plain import plain

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def _read(path: Path) -> dict[str, str]:
    with open(path, "rb") as handle:
        return _flatten(tomllib.load(handle))


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """`<lang>.toml`, completed by any `<feature>.<lang>.toml` beside it.

    A feature can bring its strings in a file of its own and be merged into the main catalogue
    later; the main catalogue wins where both have a key, so a merge changes nothing on screen.
    """
    merged: dict[str, str] = {}
    for fragment in sorted(LOCALES.glob(f"*.{lang}.toml")):
        merged.update(_read(fragment))
    merged.update(_read(LOCALES / f"{lang}.toml"))
    return merged


def language() -> str:
    lang = st.session_state.get("lang")
    if lang not in LANGUAGES:
        # A portal can link to ?lang=en; otherwise Chinese.
        lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        st.session_state["lang"] = lang
    return lang


def t(key: str, **params: object) -> str:
    text = catalogue(language()).get(key)
    if text is None:
        # Visible rather than a crash: the locale test catches it before release.
        return f"⟨{key}⟩"
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return text


def error_text(error: UserError, *, markdown: bool = True) -> str:
    """A refusal in the interface language, with every listed problem.

    As Markdown (for st.error and the like) that shows the message as written, since a refusal can quote
    what someone typed (a name, a cell of an imported file); `markdown=False` for a table cell.
    """
    show = plain if markdown else str
    head = t(error.key, **error.params) if error.key in catalogue(language()) else error.english()
    if isinstance(error, ValidationError) and error.problems:
        return show(head) + "\n" + "\n".join(f"- {error_text(p, markdown=markdown)}" for p in error.problems)
    return show(head)


def named(row: object) -> str:
    """The name of a category, dimension or group in the interface language."""
    return getattr(row, "name_en" if language() == "en" else "name_zh")


LANG_PARAM = "lang"


def _choose_language() -> None:
    st.session_state["lang"] = st.session_state["language_choice"]


def _keep_language_in_url(lang: str) -> None:
    """A chosen language survives a reload: the address carries `?lang=en` (nothing for the default)."""
    if lang == DEFAULT_LANGUAGE:
        if LANG_PARAM in st.query_params:
            del st.query_params[LANG_PARAM]
    elif st.query_params.get(LANG_PARAM) != lang:
        st.query_params[LANG_PARAM] = lang


def language_selector(*, inline: bool = False) -> None:
    """The language switch: in the staff sidebar, or at the top of a public page (`inline`)."""
    # A callback runs before the next script run, so the whole page redraws in the new language.
    _keep_language_in_url(language())
    place = st.columns([4, 1])[1] if inline else st
    place.selectbox(t("common.language"), list(LANGUAGES), index=list(LANGUAGES).index(language()),
                    format_func=LANGUAGES.get, key="language_choice", on_change=_choose_language,
                    label_visibility="collapsed" if inline else "visible")


def joined(items) -> str:
    """A list in the interface language: 甲、乙 in Chinese, "a, b" in English."""
    return t("traps.joiner").join(str(item) for item in items)
