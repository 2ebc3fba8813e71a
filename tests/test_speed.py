"""What makes a rerun cheap keeps Streamlit's behaviour: the cached emoji lookup, figures built once,
files made only when asked for."""

import io

import openpyxl
import pandas as pd
from streamlit import string_util
from streamlit.testing.v1 import AppTest

import ui.speed
from tests.support.run_async import run_async
from ui import charts


def test_the_emoji_lookup_is_cached_and_answers_as_before():
    assert hasattr(string_util.extract_leading_emoji, "cache_info")
    original = string_util.extract_leading_emoji.__wrapped__
    for text in ["满意", "基本满意", "不了解", "🚨 警报", "😀满意", "1️⃣ 第一", "plain", "", "区发改局(区统计局)"]:
        assert string_util.extract_leading_emoji(text) == original(text)
        assert string_util.extract_leading_icon(text) == string_util.extract_leading_icon(text)
    ui.speed._cache_emoji_extraction()  # importing twice does not wrap twice
    assert string_util.extract_leading_emoji.__wrapped__ is original


def frame(submitted):
    return pd.DataFrame({"group": ["人大代表", "政协委员"], "drawn": [30, 30], "submitted": submitted})


def test_a_figure_is_built_once_per_distinct_input():
    build = lambda data, big=False: charts.completion_bars(  # noqa: E731
        data, group="group", drawn="drawn", submitted="submitted", title="完成情况", big=big)
    first = build(frame([5, 7]))
    assert build(frame([5, 7])) is first  # the same data again: the same figure
    changed = build(frame([5, 8]))
    assert changed is not first and list(changed.data[1].x) == [5, 8]
    assert build(frame([5, 7]), big=True) is not first
    assert build(frame([5, None])) is not first


def test_table_files_are_made_only_when_asked_for():
    def screen():
        import pandas as pd

        from ui.downloads import show_table

        show_table(pd.DataFrame({"单位": ["=危险", "区教育局"], "得分": [91.5, 88.0]}), name="排名", key="t")

    at = AppTest.from_function(screen).run()
    assert not at.exception, at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 2
    # Deferred: no file was made for the screen; the button carries the id of a function to call on a click.
    assert all(b.proto.deferred_file_id and not b.proto.url for b in buttons)


def test_the_deferred_files_are_the_same_files():
    from ui.downloads import csv_bytes, xlsx_bytes

    data = pd.DataFrame({"单位": ["=危险", "区教育局"], "得分": [91.5, 88.0]})
    assert csv_bytes(data).decode("utf-8-sig").splitlines()[1].startswith("'=危险")
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(data, sheet="排名")))
    assert book["排名"]["A2"].value == "'=危险" and book["排名"]["B2"].value == 91.5


def test_config_sections_are_read_once_and_follow_every_change():
    from streamlit import config

    assert getattr(config.get_options_for_section, "_cached", False)
    before = config.get_option("theme.primaryColor")
    first = config.get_options_for_section("theme")
    assert first["primaryColor"] == before
    first["primaryColor"] = "#000000"  # a caller's copy: the cache is not changed through it
    assert config.get_options_for_section("theme")["primaryColor"] == before
    try:
        config.set_option("theme.primaryColor", "#123456")
        assert config.get_options_for_section("theme")["primaryColor"] == "#123456"
    finally:
        config.set_option("theme.primaryColor", before)
    assert config.get_options_for_section("theme")["primaryColor"] == before
    config.get_config_options(force_reparse=True)  # files parsed again: a new table, read afresh
    assert config.get_options_for_section("theme")["primaryColor"] == config.get_option("theme.primaryColor")


def test_theme_messages_are_built_once_and_follow_every_change():
    from streamlit import config
    from streamlit.proto.NewSession_pb2 import CustomThemeConfig
    from streamlit.runtime import app_session

    populate = app_session._populate_theme_msg
    assert getattr(populate, "_cached", False)
    sections = ["theme", "theme.light", "theme.dark", "theme.sidebar", "theme.light.sidebar", "theme.dark.sidebar"]

    def both(section):
        cached, built = CustomThemeConfig(), CustomThemeConfig()
        populate(cached, section)
        populate.__wrapped__(built, section)
        return cached, built

    for section in sections:
        cached, built = both(section)
        assert cached == built and cached.SerializeToString() == built.SerializeToString()
        assert cached.ListFields() == built.ListFields()  # an empty section leaves the message unset
    before = config.get_option("theme.primaryColor")
    try:
        config.set_option("theme.primaryColor", "#123456")
        cached, built = both("theme")
        assert cached.primary_color == "#123456" and cached == built
    finally:
        config.set_option("theme.primaryColor", before)
    assert both("theme")[0].primary_color == before
    ui.speed._cache_theme_messages()  # importing twice does not wrap twice
    assert app_session._populate_theme_msg.__wrapped__ is populate.__wrapped__


def test_a_chart_with_the_template_set_cheaply_is_the_same_chart():
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    def bars():
        return go.Figure([go.Bar(x=["2026-12-01", "2026-12-02"], y=[3, 4], name="计入", marker_color="#2f6fbf")])

    slow = bars().update_layout(template=charts.TEMPLATE, height=280).update_xaxes(automargin=True)
    quick = charts.with_template(bars().update_layout(height=280).update_xaxes(automargin=True))
    assert json.loads(pio.to_json(quick)) == json.loads(pio.to_json(slow))
    assert quick.layout.template.layout.plot_bgcolor == "white"  # plotly_white, readable back as objects
    assert quick.layout.template is not pio.templates[charts.TEMPLATE]  # the registered template is not shared


def test_the_server_runs_on_uvloop_and_parses_http_with_httptools():
    # Both come from requirements.txt; Streamlit and uvicorn take them when installed and fall back silently
    # when not, so a venv without them would run the slower pure-Python loop without a word.
    import uvicorn
    from streamlit.web import bootstrap
    from streamlit.web.server.starlette.starlette_server import _get_uvicorn_config_kwargs

    factory = bootstrap._get_uvloop_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()

    async def app(scope, receive, send):  # pragma: no cover - never called
        pass

    server_config = uvicorn.Config(app, **_get_uvicorn_config_kwargs())
    server_config.load()
    assert server_config.http_protocol_class.__name__ == "HttpToolsProtocol"


def test_the_server_imports_the_pages_libraries_before_it_listens():
    import subprocess
    import sys
    from pathlib import Path

    from ui.preload import libraries

    found = libraries()
    assert {"pandas", "sqlalchemy", "plotly.graph_objects"} <= set(found)
    assert not [n for n in found if n.split(".")[0] in {"ui", "db", "core", "documents", "pages", "app"}]
    # ui.serve's main, stopped where Streamlit would start listening: pandas is there, the app's modules are not
    # (they declare Streamlit caches, which need the runtime).
    probe = ("import sys, ui.serve as s; s.housekeeping.start = lambda: None; "
             "s.cli.main = lambda: print('pandas' in sys.modules, 'ui.auth' in sys.modules) or 0; s.main()")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.stdout.split() == ["True", "False"], out.stderr[-2000:]


def test_the_new_session_message_is_reused_only_while_page_pages_and_config_are_the_same():
    """A tap's run sends the same new_session as Streamlit would build, with its own run id; another page, other
    pages (a sign-in changes the navigation) or a config change builds it again."""
    from unittest.mock import MagicMock

    from streamlit import config
    from streamlit.runtime.app_session import AppSession, AppSessionState
    from streamlit.runtime.script_data import ScriptData
    from streamlit.runtime.scriptrunner_utils.run_descriptor import RunDescriptor

    create = AppSession._create_new_session_message
    assert getattr(create, "_cached", False)
    pages = {"a1": {"page_script_hash": "a1", "page_name": "问卷", "icon": "", "url_pathname": "questionnaire"},
             "b2": {"page_script_hash": "b2", "page_name": "投票", "icon": "", "url_pathname": "poll"}}

    async def scenario():
        session = AppSession(ScriptData("app.py", is_hello=False), MagicMock(), MagicMock(), None,
                             {"email": "x@example.org"})
        session._pages_manager.get_pages = lambda: dict(pages)

        def both(page, running=False, with_pages=None):
            session._state = AppSessionState.APP_IS_RUNNING if running else AppSessionState.APP_NOT_RUNNING
            run = RunDescriptor.create(["frag"] if running else None)
            return create(session, page, run, with_pages), create.__wrapped__(session, page, run, with_pages), run

        first, built, run = both("a1")
        assert first == built
        for page, running, with_pages in [("a1", True, None), ("a1", False, None), ("b2", True, None),
                                          ("b2", False, {"b2": pages["b2"]})]:
            again, built, run = both(page, running, with_pages)
            assert again == built and again.SerializeToString() == built.SerializeToString()
            assert again.metadata.run.script_run_id == run.script_run_id
            assert again.new_session.initialize.session_status.script_is_running is running
        reused, _, _ = both("b2", False, {"b2": pages["b2"]})
        assert reused is not session._review_new_session[2]  # a copy each run: the cached one is never sent
        pages["b2"] = {**pages["b2"], "page_name": "公众投票"}  # the registry's entry changed
        again, built, _ = both("b2")
        assert again == built and any(p.page_name == "公众投票" for p in again.new_session.app_pages)
        before = config.get_option("client.toolbarMode")
        try:
            config.set_option("client.toolbarMode", "viewer" if before != "viewer" else "minimal")
            again, built, _ = both("b2")
            assert again == built and again.new_session.config.toolbar_mode == built.new_session.config.toolbar_mode
        finally:
            config.set_option("client.toolbarMode", before)
        session.shutdown()

    run_async(scenario())  # its own thread: a browser test in the same worker holds this one's loop
    ui.speed._cache_new_session_messages()  # importing twice does not wrap twice
    assert AppSession._create_new_session_message.__wrapped__ is create.__wrapped__


def test_the_runtime_loop_flushes_only_sessions_with_something_to_send():
    """Equivalent to flushing them all: an empty queue with no settle pending flushes nothing and changes
    nothing (AppSession.on_flushed_messages_sent). Every caller but the loop still sees every session."""
    from types import SimpleNamespace

    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime import runtime
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    def info(messages: int, settle: bool):
        queue = ForwardMsgQueue()
        for _ in range(messages):
            message = ForwardMsg()
            message.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
            queue.enqueue(message)
        return SimpleNamespace(session=SimpleNamespace(_browser_queue=queue, _settle_pending=settle))

    idle, busy, settling, both = info(0, False), info(2, False), info(0, True), info(1, True)
    assert ui.speed.sessions_to_flush([idle, busy, settling, both]) == [busy, settling, both]

    listing = WebsocketSessionManager.list_active_sessions
    assert getattr(listing, "_cached", False)
    manager = SimpleNamespace(_active_session_info_by_id={"a": idle, "b": busy})
    assert listing(manager) == [idle, busy]  # any other caller: all of them
    # The loop still finds its sessions by this name (else the wrapper would quietly stop applying).
    assert "list_active_sessions" in runtime.Runtime._loop_coroutine.__code__.co_names
    assert "flush_browser_queue" in runtime.Runtime._loop_coroutine.__code__.co_names
    ui.speed._flush_only_sessions_with_messages()  # importing twice does not wrap twice
    assert WebsocketSessionManager.list_active_sessions.__wrapped__ is listing.__wrapped__
