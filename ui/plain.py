"""Text a person typed, shown as the characters they typed.

Streamlit renders Markdown almost everywhere it shows text: `st.markdown`, `st.write`, captions, alerts,
headers, toasts, the labels of expanders, tabs, buttons and every widget, radio and pill options, metric
values, `help=` tooltips and the cells of `st.table`. A comment such as `![](https://x/p.png?c=1)` would
make every reader's browser fetch that address; `[here](javascript:…)`, `<https://x>`, a bare
`https://x` or `www.x.cn` (which Streamlit links by itself), HTML tags, `$…$` (KaTeX) and `:smile:`
would all become something else than text.

`plain(text)` returns Markdown that shows `text` literally, changing as little as it can (so that names and
sentences read as they were typed, also in the Markdown source): a backslash goes before every character
that starts something anywhere in a line (`` \\ ` * ~ [ ] < | $ & ``), before `_` unless it stands inside a
word (where it cannot make emphasis), and before what starts a block at the beginning of a line (`# > + - =`,
`1.`); an invisible WORD JOINER (U+2060) goes where Streamlit's renderer looks at the text once more after
parsing: after a colon before a letter (bare links `https://`, `:emoji:`, `:material/…:`, `:red[…]`), after
`@` in an e-mail address, between `www` and its dot, and inside `->`, `<-`, `--`, `>=`, `<=`, `~=`. Line
breaks stay line breaks; leading spaces stay (as no-break spaces, not an indented code block); Chinese text
and full-width punctuation are left exactly as they are.

Use it only where Markdown is rendered: in a dataframe cell, a selectbox option or a document the
backslashes would be shown. `code(text)` shows a seed or a hash in a code span, without joiners.
"""

from __future__ import annotations

import re

JOINER = "\u2060"  # WORD JOINER: no width, no line break, not a letter (`\w`) and not whitespace
ANYWHERE = frozenset("\\`*~[]<|$&")
LINE_START = frozenset("#>+-=")
_ORDERED = re.compile(r"\d{1,9}[.)](?=[ \t]|$)")  # an ordered list item: "1. " or "1)" alone
_INDENT = re.compile(r"^[ \t]+")


def _joiner_after(before: str, char: str, after: str, line: str, i: int) -> bool:
    if char == ":":  # a scheme, an emoji or icon name, a directive; not a time (12:30)
        return after.isascii() and (after.isalpha() or after in "_+-/" or (after.isdigit() and not before.isdigit()))
    if char == "@":  # an e-mail address
        return after.isascii() and (after.isalnum() or after in "-_.")
    if char in "-<>~":  # typographic arrows and dashes
        return after in "-<>="
    return char in "wW" and after == "." and line[max(0, i - 2):i + 1].lower() == "www"


def _line(line: str) -> str:
    indent = _INDENT.match(line)
    body = line[indent.end():] if indent else line
    ordered = _ORDERED.match(body)
    out = ["\u00a0" * indent.end()] if indent else []  # spaces kept, but no indented code block
    for i, char in enumerate(body):
        before = body[i - 1] if i else ""
        after = body[i + 1] if i + 1 < len(body) else ""
        if (char in ANYWHERE or (i == 0 and char in LINE_START) or (ordered and i == ordered.end() - 1)
                or (char == "_" and not (before.isalnum() and after.isalnum()))):
            out.append("\\")
        out.append(char)
        if _joiner_after(before, char, after, body, i):
            out.append(JOINER)
    return "".join(out)


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
