"""Text that people type reaches other people as text: `ui.plain.plain` on a table of payloads, and a walk
over every Streamlit call of the interface that renders Markdown, which fails when one of them receives a
value that is neither constant, catalogue text, escaped with `plain`, nor listed below as checked.

(The same payloads planted in every field and read on every page in Chromium:
tests/test_browser_plain_text.py.)
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from ui.plain import JOINER, code, plain

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------
# plain() on payloads

PAYLOADS = {
    "image": "![收据](https://anywhere.example/p.png?c=42)",
    "link": "[点这里领取补贴](https://anywhere.example/x)",
    "javascript link": "[text](javascript:alert(document.cookie))",
    "autolink": "<https://anywhere.example/auto>",
    "bare url": "详见 https://anywhere.example/bare 谢谢",
    "bare www": "详见 www.anywhere.example/page",
    "e-mail": "写信给 someone@anywhere.example",
    "html tag": '<img src="https://anywhere.example/tag.png" onerror="alert(1)">',
    "html block": "<div>\n<script>alert(1)</script>\n</div>",
    "entity": "&lt;b&gt;粗&lt;/b&gt; &amp; &#x41;",
    "reference link": "[a][1]\n[1]: https://anywhere.example/ref",
    "reference image": "![b][2]\n\n[2]: https://anywhere.example/ref.png",
    "latex": "$x^2$ 和 $$\\int_0^1 f$$ \\(y\\)",
    "emoji shortcode": ":smile: :+1: :material/home: :streamlit:",
    "directive": ":red[红字] :small[小] :blue-badge[标]",
    "markup": "**粗** _斜_ `码` ~~删~~ # 标题",
    "block markup": "# 标题\n- 列表\n1. 一\n> 引用\n---\n| a | b |\n|---|---|",
    "arrows": "a -> b <- c -- d >= e <= f ~= g <-> h",
    "backslashes": "C:\\路径\\ a\\*b",
    "chinese": "区教育局办事效率低，窗口人员态度差！（2024年3月）「材料」被退回三次；电话：027-8888-6666。",
    "lines": "第一行\n\n第三行\r\n第四行",
    "emphasis": "_斜_ *斜* __粗__ a_b_c _a b_ 138****5678",
    "lists": "* 一\n+ 二\n1) 三\n2. 四\n  - 五\n- [ ] 任务",
    "rules and setext": "***\n___\n- - -\n文字\n===\n文字\n---",
    "fences": "```\ncode\n```\n~~~\nx\n~~~\n    缩进",
    "footnote": "脚注[^1]\n\n[^1]: https://anywhere.example/fn",
    "comment and entities": "<!-- 注释 --> &copy; &#169; &#x41;",
    "schemes": "mailto:someone@anywhere.example HTTP://X.CN WWW.X.CN ftp://x.cn",
}
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# What Streamlit's renderer rewrites in text nodes after parsing (its StreamlitMarkdown bundle): GFM bare
# links and e-mail addresses (mdast-util-gfm-autolink-literal), emoji, icons and the logo, arrows.
TEXT_REWRITES = [
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE),
    re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
    re.compile(r":\+1:|:-1:|:[\w-]+:"),
    re.compile(r":material[/_][\w-]+:|:streamlit:"),
    re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)"),
]
LIVE_TAGS = re.compile(r"<(a|img|strong|em|code|pre|h\d|ul|ol|li|blockquote|table|hr|del|s|script|div)\b")


def shown_text(rendered: str) -> str:
    """What a reader sees of rendered HTML: tags dropped, entities decoded, breaks as line ends."""
    text = re.sub(r"<br />\n?", "\n", rendered)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text.strip("\n").replace(JOINER, "").replace("\u00a0", " ")


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_plain_shows_the_characters_and_makes_nothing(payload):
    escaped = plain(payload)
    rendered = MD.render(escaped)
    assert [m.group(0) for m in LIVE_TAGS.finditer(rendered)] == [], rendered  # one paragraph of text
    assert [line.strip() for line in shown_text(rendered).splitlines()] == [
        line.strip() for line in payload.splitlines()], rendered
    # Nothing left for the renderer's own rewrites, nor for Streamlit's `:material/` swap on the source.
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert [p.pattern for p in TEXT_REWRITES if p.search(text)] == []
    assert ":material/" not in escaped and "$" not in escaped.replace("\\$", "")


@pytest.mark.parametrize("payload", [*PAYLOADS.values(), "a`b``c", "`", "2024-12-01 上证指数 3401.52"],
                         ids=[*PAYLOADS.keys(), "backticks", "one backtick", "seed"])
def test_code_shows_one_line_exactly_in_a_code_span(payload):
    rendered = MD.render(code(payload))
    line = " ".join(payload.splitlines())
    assert re.fullmatch(r"<p><code>(.*)</code></p>\n", rendered, re.DOTALL), rendered
    assert html.unescape(rendered[len("<p><code>"):-len("</code></p>\n")]) == line


@pytest.mark.parametrize("text", ["区教育局办事效率低，态度差！", "区发改局(区统计局)", "li.na", "KB-9", "12:30",
                                  "2024-12-01", "当前为 105%(不是 100%)", "panel.group_weights", "12.5", "2024"])
def test_plain_leaves_ordinary_text_as_it_is(text):
    """Names, dates, times and sentences come out unchanged: only what Markdown would act on is touched."""
    assert plain(text) == text


def test_plain_of_nothing_and_of_numbers():
    assert plain("") == "" and plain(None) == "" and plain(2024) == "2024" and plain(12.5) == "12.5"


def test_charts_show_names_as_written():
    """Plotly reads <a href>, <b>, <br> and entities in every text it draws: ui.charts.as_text makes them
    entities (shown as the characters), on every remembered figure and in show_chart; numbers stay."""
    import json

    import pandas as pd

    from ui import charts

    name = '区教育局<a href="https://anywhere.example/x">链接</a> <b>粗</b> A&B'
    frame = pd.DataFrame({"unit": [name, "区民政局"], "total": [88.5, 91.0], "low": [85.0, 88.0],
                          "high": [92.0, 94.0], "grade": ["合格", "优秀"], "code": ["qualified", "excellent"],
                          "edge": [False, True]})
    fig = charts.ranking(frame, unit="unit", total="total", low="low", high="high", grade="grade",
                         grade_code="code", borderline="edge", title=f"{name} 排名")
    shown = json.dumps(fig.to_plotly_json(), ensure_ascii=False, default=str)
    assert "<a href" not in shown and "<b>" not in shown and "A&B" not in shown
    assert html.unescape(fig.layout.title.text) == f"{name} 排名"  # shown as written
    assert name in [html.unescape(row[0]) for trace in fig.data for row in trace.customdata]
    assert sorted(float(x) for trace in fig.data for x in trace.x) == [88.5, 91.0]  # numbers untouched
    assert charts.as_text(fig) is fig  # once


# ---------------------------------------------------------------------------------------------
# Every Streamlit call that renders Markdown gets constant, catalogue or escaped text


ALL = None  # every positional argument
LABEL = ((0,), ("label",))
# Streamlit elements that render a text argument as Markdown (checked in Chromium for Streamlit 1.67: widget
# labels, radio, pill and slider options, metric values and st.table cells included; selectbox and multiselect
# options, dataframe cells, placeholders, st.text and st.code are shown as typed). Every one also renders `help`.
SINKS: dict[str, tuple[tuple[int, ...] | None, tuple[str, ...]]] = {
    **dict.fromkeys(("markdown", "caption", "info", "success", "warning", "error", "toast", "title", "header",
                     "subheader"), ((0,), ("body",))),
    "write": (ALL, ()),
    **dict.fromkeys(("expander", "popover", "status", "badge"), LABEL),
    "spinner": ((0,), ("text",)),
    "dialog": ((0,), ("title",)),
    "tabs": ((0,), ("tabs",)),
    "metric": ((0, 1), ("label", "value", "delta")),
    "table": ((0,), ("data",)),
    **dict.fromkeys(("radio", "pills", "segmented_control", "select_slider"),
                    ((0, 1), ("label", "options", "captions", "format_func"))),
    **dict.fromkeys(("button", "download_button", "link_button", "page_link", "checkbox", "toggle", "selectbox",
                     "multiselect", "text_input", "text_area", "number_input", "date_input", "time_input",
                     "file_uploader", "form_submit_button", "slider", "color_picker", "camera_input",
                     "audio_input", "chat_input"), LABEL),
}
# The interface's own helpers that hand their text to one of the above: their callers are checked.
WRAPPERS = {
    "flash": ((0,), ("message",)),  # ui.notices: st.success after the rerun
    "attempt": ((1,), ("success",)),  # ui.casework: flash() of the success message
}
SINKS.update(WRAPPERS)
# Calls whose result is constant-like: catalogue text (its parameters are checked), escaped text, numbers,
# dates and times.
SAFE_CALLS = {"t", "plain", "code", "error_text", "len", "int", "float", "round", "sum", "abs", "min", "max",
              "isoformat", "strftime"}
NUMERIC_FORMAT = re.compile(r"^[+ -]?\d*[,_]?(\.\d+)?[dfeEgG%n]$")
NOT_STREAMLIT = re.compile(r"(^|\.)(log|logger|_log|LOGGER|LOG|handle|file|buffer|stream|zf|archive|writer|out)$")

# Values that reach a Markdown sink unescaped, by file, with why that is safe: made by the program (numbers,
# dates, codes, hashes), chosen from the catalogue, or typed by nobody. A new one fails the test until it is
# wrapped in plain() or checked and listed here. A key is an expression as written, `name()` for every call
# of a helper of that file, or `re:` and a pattern for a family of expressions.
NUMBER = "a number, date or time computed by the program"
CODE = "a code, id or hash made by the program"
CATALOGUE = "catalogue text chosen by code"
CONSTANT = "a constant of the code"
PASSED_ON = "a parameter of a helper in WRAPPERS, whose callers are checked"
STORED_REFUSAL = "error_text(...) kept in the session for the next run"
CHECKED: dict[str, dict[str, str]] = {
    "*": {r"re:^joined\(t\(": CATALOGUE + " joined (ui.i18n.joined)",
          r"re:^joined\(plain\(": "text escaped with plain(), joined (ui.i18n.joined)",
          "campaign.year": NUMBER, "year": NUMBER, "campaign.starts_on": NUMBER, "campaign.ends_on": NUMBER,
          "campaign.plan_due": NUMBER, "campaign.summary_due": NUMBER, "SMALL_CELL": CONSTANT},
    "app.py": {"NO_SIDEBAR": CONSTANT},
    "ui/auth.py": {"DEFAULT_OFFICE": CONSTANT, "ended": STORED_REFUSAL},
    "ui/casework.py": {"success": PASSED_ON},
    "ui/complaint_panels.py": {'counts["open"]': NUMBER, 'counts["overdue"]': NUMBER, 'counts["disputed"]': NUMBER,
                               'counts["held"]': NUMBER, 'counts["closed"]': NUMBER, "n": NUMBER},
    "ui/notices.py": {"codes": CODE, "message": PASSED_ON},
    "ui/signin_admin.py": {"_when()": NUMBER},
    "pages/live.py": {
        "submitted": NUMBER, "drawn": NUMBER, "s": NUMBER, r"re:board\.(votes|published)\.": NUMBER, "stamp()": NUMBER,
        "refresh": NUMBER, "escape(badge)": "catalogue text, HTML-escaped (an HTML site of tests/test_security.py)",
    },
    "pages/feedback.py": {
        r"re:found\.(result\.version|rank|category_size|rank_low|rank_high)$": NUMBER, "fmt()": NUMBER,
        "c.comments": NUMBER, "chinese_date()": NUMBER, "r.days_overdue": NUMBER, "theme.count": NUMBER,
        "list_campaigns(s)[0].year": NUMBER, "with_results[0]": NUMBER,
        r"re:found\.(sampling_rank\[|quota_limit)": NUMBER,
    },
    "pages/explore.py": {
        "unit_code": CODE, "MAX_COMPARED": CONSTANT, r"re:current\.": NUMBER, "fmt()": NUMBER,
        "label": CATALOGUE,
    },
    "pages/complaints.py": {
        "row.id": CODE, "state_label()": CATALOGUE, "text()": NUMBER + " (a date as text)",
        "row.phone": "digits as core.complaints.clean_phone keeps them, masked (138****5678) for leadership",
        r're:settings\.get\("(ack|close)_working_days"': NUMBER,
    },
    "pages/inspections.py": {
        "v": NUMBER, "k": NUMBER, "row.visited_on": NUMBER, "row.deduction": NUMBER, "day()": NUMBER,
        "by_id[chosen].recorded": NUMBER, "label()": CATALOGUE,
    },
    "pages/cases.py": {
        "case.id": CODE, "case.opened_on": NUMBER, "case.due_on": NUMBER, "case.days_overdue": NUMBER, "day()": NUMBER,
        "counts.get(code, 0)": NUMBER, "label()": CATALOGUE,
    },
    "pages/draw.py": {
        "draw.method": CODE, "draw.n": NUMBER, "new.reviewer_id": CODE,
        'st.selectbox(t("draw.replace_who"), list(labels), format_func=labels.get)': CODE + " (a reviewer's number)",
    },
    "pages/questionnaire.py": {
        "labels.get": CATALOGUE, "codes.index(current)": NUMBER, "units.index(row)": NUMBER,
        'st.session_state.pop("q_entry_error")': STORED_REFUSAL, 'st.session_state.pop("q_error")': STORED_REFUSAL,
    },
    "pages/audit.py": {"total": NUMBER},
    "pages/home.py": {r"re:figures\[": NUMBER, "campaign.pool_target": NUMBER, "campaign.panel_size": NUMBER,
                      "key": CODE + " (a page's name)"},
    "pages/media.py": {
        "calendar.working_days": NUMBER, "parsed.encoding": CODE + " (the file's detected encoding)",
        "chosen.exposed_on": NUMBER, "chosen.due_on": NUMBER, "status_label()": CATALOGUE,
        "import_cases(s, actor=actor, campaign_id=campaign.id, content=content, filename=upload.name)": NUMBER,
    },
    "pages/panel.py": {
        r"re:flagged\[": NUMBER, 'st.session_state["ballot_count"]': NUMBER,
        "wipe_rehearsal(s, actor=actor, year=campaign.year)": NUMBER + " (counts of the rows removed)",
    },
    "pages/poll.py": {"st.session_state.get(REFUSAL)": STORED_REFUSAL, "COMMENT_LIMIT": CONSTANT},
    "pages/poll_admin.py": {r"re:rule_on_votes\(": NUMBER + " (how many votes were ruled on)"},
    "pages/pool.py": {"matched": NUMBER, "parsed.encoding": CODE + " (the file's detected encoding)",
                      r"re:report\.(created|updated|unchanged)$": NUMBER},
    "pages/units.py": {"parsed.encoding": CODE + " (the file's detected encoding)",
                       r"re:report\.(created|updated|unchanged)$": NUMBER},
    "pages/rectification.py": {"row.issued_on": NUMBER, "row.deadline": NUMBER, "row.days_overdue": NUMBER,
                               "row.submitted_on": NUMBER},
    "pages/reports.py": {"office_today()": NUMBER, "row.due": NUMBER, "row.days_late": NUMBER,
                         "row.submitted_on": NUMBER},
    "pages/settings.py": {"label": "moment_inputs' parameter, given catalogue text by its callers",
                          'st.session_state.pop("copied_to")': NUMBER + " (the year copied to)",
                          "was": NUMBER, "now": NUMBER},
    "ui/bundle.py": {"found.sha256": CODE},
    "ui/hall_now.py": {r"re:now\.(tablets|store_errors|replicas|interactions)$": NUMBER},
    "ui/objections.py": {
        "item_text()": "catalogue text whose item label it escapes with plain()",
        "ruling_text()": "catalogue text whose parameters it escapes with plain()",
        "objection_header()": "catalogue text whose unit name it escapes with plain()",
        "row.version": NUMBER, "moment()": NUMBER, "period.version": NUMBER, "period.working_days": NUMBER,
        "MAX_FILES": CONSTANT, "filed.id": CODE, "result.version": NUMBER, "planned.working_days": NUMBER,
        "row.id": CODE,
    },
    "ui/uploads.py": {"key": CODE + " (a widget key of the code)", "label": PASSED_ON,
                      "_css_string()": CATALOGUE + " as a quoted CSS string inside <style>",
                      "rows": "cells escaped with plain() and error_text() (Markdown), st.table renders Markdown"},
    "pages/verify.py": {"version": NUMBER},
    "ui/panel_plan.py": {"advice()": CATALOGUE + " with the planner's figures", "_note()": CATALOGUE
                         + " whose group names it escapes with plain()", "plan.simulations": NUMBER},
    "pages/results.py": {
        "panel_line[0]": CATALOGUE, "panel_line[1:]": CATALOGUE + " with figures of the stored result",
        "interval_method": CATALOGUE,
        "result.version": NUMBER, "created.version": NUMBER, "row.rank": NUMBER,
        "result.input_hash": CODE, "number()": NUMBER, "moment()": NUMBER,
        "note_text()": "catalogue text whose parameters it escapes with plain()",
        r"re:(votes|poll|media|complaints|panel|inspection|uncertainty|weights|rules|settings|result\.config|quota)"
        r"(\.get\(|\[)": "a figure of the stored result (explanation, config, settings) computed by the scoring run",
    },
}


def _name(function: ast.expr) -> str | None:
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute):
        return function.attr
    return None


class Walk:
    """The Markdown sinks of one file and the values that reach them."""

    def __init__(self, source: str, checked: dict[str, str]) -> None:
        self.source, self.checked = source, checked
        self.tree = ast.parse(source)
        # A local name is followed to what it is assigned in its function (or module): `text = t(...)`.
        self.assigned: dict[tuple[ast.AST, str], list[ast.expr]] = {}
        self.scope_of: dict[ast.AST, ast.AST] = {}
        for scope in [self.tree, *(n for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef))]:
            for node in ast.walk(scope):  # outer scopes first (ast.walk is breadth first): inner ones win
                self.scope_of[node] = scope
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                key = (self.scope_of[node], node.targets[0].id)
                self.assigned.setdefault(key, []).append(node.value)
        self.following: set[tuple[ast.AST, str]] = set()

    def unchecked(self, node: ast.expr) -> list[ast.expr]:
        """The sub-expressions of `node` that may carry text nobody checked ([] when it is all safe)."""
        if isinstance(node, ast.Constant):
            return []
        text = ast.get_source_segment(self.source, node)
        if text in self.checked or any(k.startswith("re:") and re.match(k[3:], text) for k in self.checked):
            return []
        many = self.unchecked_all
        if isinstance(node, ast.Name):
            key = (self.scope_of.get(node), node.id)
            values = self.assigned.get(key)
            if not values or key in self.following:
                return [node]
            self.following.add(key)
            try:
                return many(values)
            finally:
                self.following.discard(key)
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name == "t":  # the key picks a catalogue entry; the parameters are shown inside it
                return many(k.value for k in node.keywords)
            if name in SAFE_CALLS or f"{name}()" in self.checked:
                return []
            if name == "join" and isinstance(node.func, ast.Attribute):
                return many([node.func.value, *node.args])
            return [node]
        if isinstance(node, ast.FormattedValue):
            spec = node.format_spec.values if node.format_spec else []
            if spec and all(isinstance(p, ast.Constant) for p in spec) and NUMERIC_FORMAT.match(
                    "".join(p.value for p in spec)):
                return []  # a number formatted (`:.1f`, `:.0%`): only digits and signs
            return self.unchecked(node.value)
        parts = {ast.JoinedStr: lambda n: n.values, ast.IfExp: lambda n: [n.body, n.orelse],
                 ast.BoolOp: lambda n: n.values, ast.BinOp: lambda n: [n.left, n.right],
                 ast.List: lambda n: n.elts, ast.Tuple: lambda n: n.elts, ast.Set: lambda n: n.elts,
                 ast.ListComp: lambda n: [n.elt], ast.GeneratorExp: lambda n: [n.elt], ast.SetComp: lambda n: [n.elt],
                 ast.Lambda: lambda n: [n.body], ast.Starred: lambda n: [n.value]}.get(type(node))
        return many(parts(node)) if parts else [node]

    def unchecked_all(self, nodes) -> list[ast.expr]:
        return [part for node in nodes for part in self.unchecked(node)]

    def sites(self) -> list[tuple[int, str, str]]:
        """(line, call, expression) of every value that reaches a Markdown sink unchecked."""
        found = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in SINKS:
                continue
            if isinstance(node.func, ast.Name) and node.func.id not in WRAPPERS:
                continue  # a function of the same name that is not Streamlit's (config's write, ...)
            if isinstance(node.func, ast.Attribute) and NOT_STREAMLIT.search(ast.unparse(node.func.value)):
                continue
            positions, keywords = SINKS[_name(node.func)]
            if any(k.arg == "format_func" for k in node.keywords):  # the options are shown through it
                positions, keywords = tuple(p for p in positions if p != 1), tuple(k for k in keywords
                                                                                   if k != "options")
            values = [a for i, a in enumerate(node.args) if positions is ALL or i in positions]
            values += [k.value for k in node.keywords if k.arg in (*keywords, "help")]
            found += [(node.lineno, _name(node.func), ast.get_source_segment(self.source, part))
                      for part in self.unchecked_all(values)]
        return found


def sites(source: str, checked: dict[str, str]) -> list[tuple[int, str, str]]:
    return Walk(source, checked).sites()


def test_every_markdown_sink_gets_checked_text():
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]:
        name = str(path.relative_to(ROOT))
        checked = {**CHECKED["*"], **CHECKED.get(name, {})}
        found += [f"{name}:{line}: {call}: {expression}"
                  for line, call, expression in sites(path.read_text(encoding="utf-8"), checked)]
    assert found == []


def test_the_walk_finds_what_it_should():
    """The walk itself: a comment into st.markdown is found, plain() and catalogue text are not."""
    source = ('st.markdown(f"**{t(\'x\')}** {row.comment}")\nst.caption(t("y", n=plain(row.title), k=len(rows)))\n'
              'cols[0].metric(t("z"), row.score)\nst.expander(row.title)\nflash(t("ok", title=row.title))\n'
              'st.radio(t("r"), KINDS, format_func=lambda k: names[k])\nlog.error(row.comment)\n'
              'st.info(f"{share:.0%} {who}")\ntext = t("a", x=plain(who))\nst.info(text)\nfor title in rows:\n'
              '    st.error(title)\n')
    assert sorted(e for _, _, e in sites(source, {})) == sorted(
        ["row.comment", "row.score", "row.title", "row.title", "names[k]", "who", "title"])  # not KINDS: format_func
    assert [e for _, _, e in sites(source, {"row.score": NUMBER, "re:names": CODE})] == [
        e for e in (e for _, _, e in sites(source, {})) if e not in ("row.score", "names[k]")]
