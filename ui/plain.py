"""Text a person typed, shown as the characters they typed.

Streamlit renders Markdown almost everywhere it shows text: `st.markdown`, `st.write`, captions, alerts,
headers, toasts, the labels of expanders, tabs, buttons and every widget, radio and pill options, metric
values, `help=` tooltips and the cells of `st.table`. A comment such as `![](https://x/p.png?c=1)` would
make every reader's browser fetch that address; `[here](javascript:…)`, `<https://x>`, a bare
`https://x` or `www.x.cn` (which Streamlit links by itself), HTML tags, `$…$` (KaTeX) and `:smile:`
would all become something else than text.

`plain(text)` returns Markdown that shows `text` literally: every ASCII punctuation character is
backslash-escaped (CommonMark allows it for all of them), and an invisible WORD JOINER (U+2060) is put
where Streamlit's renderer looks at the text once more after parsing (GitHub-style bare links, e-mail
addresses, emoji and icon shortcodes, `->` arrows), so that nothing there matches either. Line breaks
stay line breaks; Chinese text and full-width punctuation are left exactly as they are.

Use it only where Markdown is rendered: in a dataframe cell, a selectbox option or a document the
backslashes would be shown.
"""

from __future__ import annotations

import re
import string

JOINER = "\u2060"  # WORD JOINER: no width, no line break, not a letter (`\w`) and not whitespace
_ESCAPED = str.maketrans({c: "\\" + c for c in string.punctuation})
# After escaping, where a text-node rewrite of Streamlit's renderer would still match:
# `https://`, `mailto:`, `:emoji:`, `:material/…:`, `:streamlit:` (a colon), `a@b.cn` (an at sign),
# `www.` (a bare link without a scheme), `->`, `<-`, `--`, `>=`, `<=`, `~=` (arrows and dashes).
_REWRITTEN = re.compile(r"(?<=[:@])|(?i:(?<=www)(?=\\\.))|(?<=[-<>~])(?=\\[-<>=])")
_INDENT = re.compile(r"^[ \t]+")


def _line(text: str) -> str:
    # Leading spaces would make an indented code block: keep them as no-break spaces.
    indent = _INDENT.match(text)
    head = "\u00a0" * len(indent.group(0)) if indent else ""
    return head + _REWRITTEN.sub(JOINER, text[len(head):].translate(_ESCAPED))


def plain(text: object) -> str:
    """`text` (any value; None is empty) as Markdown that shows exactly its characters."""
    if text is None:
        return ""
    lines = str(text).splitlines() or [""]
    # A backslash at the end of a line is a hard line break: the reader sees the lines as typed.
    return "\\\n".join(_line(line) for line in lines)


def code(text: object) -> str:
    """`text` as an inline code span: a fixed-width font and exactly its characters (nothing inside a code span
    is Markdown, and no invisible joiner spoils a copied seed or hash). One line; the fence is one backtick
    longer than any run of backticks inside, and the spaces around it are not shown."""
    line = " ".join(str("" if text is None else text).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", line)), default=0) + 1)
    return f"{fence} {line} {fence}"
