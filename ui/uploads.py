"""st.file_uploader in the interface language.

Streamlit has no locale for its uploader: the button says "Upload", the drop zone "Drag and drop files here"
and "20MB per file • CSV, XLSX" whatever the page's language, and no parameter changes them (streamlit/streamlit
issue #13500). So each uploader made here hides those texts with CSS scoped to its own key and shows ours in
their place (CSS `content`, so a screen reader still reads the widget's own label). The drop overlay has no
test id, only its emotion class (euud7oh1 in Streamlit 1.67). Checked against the Streamlit version pinned in
requirements.txt by tests/test_browser_traps.py.
"""

from __future__ import annotations

import json

import streamlit as st

from ui.i18n import error_text, joined, t
from ui.plain import plain


def _css_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a quoted CSS string; our texts hold no backslash escapes


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def file_uploader(label: str, *, types: list[str], key: str, **kwargs):
    """st.file_uploader with its button, drop text and size line in the interface language."""
    scope = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    kinds = joined(kind.upper() for kind in types)
    limit = t("traps.upload.limit", mb=upload_limit_mb(), kinds=kinds)
    st.markdown(f"""<style>
{scope} button [data-testid='stMarkdownContainer'] {{display: none;}}
{scope} button [data-has-shortcut]::after {{content: {_css_string(t("traps.upload.button"))};}}
{scope} [data-testid='stFileUploaderDropzoneInstructions'] span {{font-size: 0;}}
{scope} [data-testid='stFileUploaderDropzoneInstructions'] span::after {{
  content: {_css_string(limit)}; font-size: 0.875rem;}}
{scope} > .euud7oh1 span {{font-size: 0;}}
{scope} > .euud7oh1 span::after {{content: {_css_string(t("traps.upload.drop"))}; font-size: 0.875rem;}}
</style>""", unsafe_allow_html=True)
    return st.file_uploader(label, type=types, key=key, **kwargs)


TABLE_LIMIT = 300  # problems shown as a wrapping table; beyond that a scrolling grid keeps the page light


def problems_table(problems) -> None:
    """An import's problems by row and column, each message whole (a grid cell cuts long text at its width)."""
    # st.table renders its cells as Markdown, and a refusal can quote a cell of the imported file: escaped
    # there (plain); a grid shows text as it is.
    as_table = len(problems) <= TABLE_LIMIT
    rows = [{t("pool.row"): p.row or "", t("pool.column"): plain(p.column or "") if as_table else p.column or "",
             t("pool.problem"): error_text(p.error, markdown=as_table)} for p in problems]
    if as_table:
        st.table(rows)
    else:
        st.dataframe(rows, hide_index=True, width="stretch",
                     column_config={t("pool.problem"): st.column_config.TextColumn(width="large")})
