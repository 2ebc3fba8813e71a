"""One browser tab, without the browser: Streamlit's own websocket protocol, spoken as its frontend speaks it.

What a Chromium tab does, and this class does the same (checked against the frames Chromium sends to
this app, see tests/test_hall.py):
- GET the page (the server sets the `_streamlit_xsrf` cookie; behind nginx also the sticky
  `review_replica` cookie), then `/_stcore/health` and `/_stcore/host-config`;
- open `/_stcore/stream` with the subprotocols `streamlit, <xsrf cookie value>` (a third entry, the
  old session id, only when the frontend reconnects a dropped socket; a reload opens a new session),
  the cookies, `Origin` and the proxy's `X-Forwarded-For`;
- send `rerun_script` BackMsgs: the URL's query string, the page name on the first run and the page's
  script hash afterwards, the browser's context (locale, time zone, URL), the hashes of cached
  messages, and the state of every widget on screen (WidgetStateManager: values committed by the
  widgets, form values only when the form is submitted, a trigger only in the message that fires it);
  a widget that arrived inside an `st.fragment` reruns only that fragment (`fragment_id`);
- keep the element tree from the ForwardMsgs (`delta` at `delta_path`, `ref_hash` from the message
  cache, stale elements dropped when a run finishes), follow `page_info_changed` (the query string the
  script set) and `auto_rerun` (an `st.fragment(run_every=...)` timer: the frontend sends the widget
  states with that fragment's id and `is_auto_rerun` every `interval` seconds);
- run a `<script>document.cookie = ...</script>` that the page sends (the poll's device id).

An interaction is timed from sending the rerun to the `script_finished` that ends it.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus
DONE_STATUSES = {FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
                 FINISHED.FINISHED_WITH_COMPILE_ERROR}
COOKIE_SCRIPT = re.compile(r"document\.cookie\s*=\s*\"([^\"]*)\"")
# The sign-in sends the browser to /_review/session for its HttpOnly cookie (ui/auth.py): followed as a browser does.
REDIRECT_SCRIPT = re.compile(r"window\.location\.replace\(\"([^\"]*)\"\)")
# Since the Content-Security-Policy (ui/delivery.py): the address in an element, the script's text constant.
REDIRECT_ELEMENT = re.compile(r'data-review-go="([^"]*)"')
USER_AGENT = "Mozilla/5.0 (Linux; Android 14; Tablet) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


class ProtocolError(RuntimeError):
    """The server did something a browser would show as a failure (a closed socket, an exception, no answer)."""


@dataclass
class Node:
    kind: str  # element type ("button_group", "markdown", ...) or "block"
    proto: object  # the Element's inner message, or the Block
    fragment_id: str
    run: str


@dataclass
class Widget:
    id: str
    kind: str
    proto: object
    fragment_id: str
    path: tuple

    @property
    def key(self) -> str:
        """The key the page gave it (Streamlit's ids end with "-<key>"; "None" when it has none)."""
        return self.id.rsplit("-", 1)[-1]

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "")

    @property
    def form_id(self) -> str:
        return getattr(self.proto, "form_id", "")

    def options(self) -> list[str]:
        if self.kind == "button_group":
            return [o.content for o in self.proto.options]
        return list(getattr(self.proto, "options", []))


def _initial_state(widget: Widget) -> WidgetState | None:
    """The value a widget reports as soon as it is drawn (the frontend's setXValue(..., {fromUi: false}))."""
    p, kind = widget.proto, widget.kind
    state = WidgetState(id=widget.id)
    if kind == "button_group":
        values = list(p.raw_values) if p.set_value else [p.options[i].content for i in p.default
                                                         if i < len(p.options)]
        state.string_array_value.data.extend(values)
    elif kind in ("selectbox", "radio"):
        if p.set_value:
            if not p.HasField("raw_value"):
                return None
            state.string_value = p.raw_value
        elif p.HasField("default") and 0 <= p.default < len(p.options):
            state.string_value = p.options[p.default]
        else:
            return None
    elif kind in ("text_area", "text_input"):
        state.string_value = p.value if p.set_value else p.default
    elif kind == "checkbox":
        state.bool_value = p.value if p.set_value else p.default
    elif kind == "slider" and p.options:  # a select_slider: the formatted options
        values = list(p.raw_value) if p.set_value else [p.options[int(i)] for i in p.default]
        state.string_array_value.data.extend(values)
    elif kind == "slider":
        state.double_array_value.data.extend(list(p.value) if p.set_value else list(p.default))
    else:  # buttons (triggers) and widgets no virtual person taps report nothing until used
        return None
    return state


def _element_kind(element) -> tuple[str, object]:
    kind = element.WhichOneof("type")
    return kind, getattr(element, kind) if kind else None


def _texts(proto) -> list[str]:
    """Every string an element shows (body, label, ...): what a person reads on screen."""
    found = []
    for _descriptor, value in proto.ListFields():
        if isinstance(value, str):
            found.append(value)
    return found


@dataclass
class Cookies:
    values: dict = field(default_factory=dict)

    def take(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                self.set(value)

    def set(self, text: str) -> None:
        jar = SimpleCookie()
        try:
            jar.load(text)
        except Exception:  # a malformed cookie is ignored, as a browser does
            return
        for name, morsel in jar.items():
            self.values[name] = morsel.value

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.values.items())


async def http_get(url: str, headers: dict[str, str], timeout: float = 60) -> tuple[int, list[tuple[str, str]], bytes]:
    """A plain HTTP/1.1 GET (the page, health, host-config): status, headers, body."""
    return await http(url, headers, timeout=timeout)


async def http(url: str, headers: dict[str, str], *, method: str = "GET", body: bytes = b"",
               timeout: float = 60) -> tuple[int, list[tuple[str, str]], bytes]:
    """A plain HTTP/1.1 request (a GET, or the poster ballot's form POST): status, headers, body."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        lines = [f"{method} {target or '/'} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close",
                 "Accept: text/html,*/*", *(f"{k}: {v}" for k, v in headers.items() if v)]
        if method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split()[1])
    parsed = [tuple(x.strip() for x in line.split(":", 1)) for line in head_lines[1:] if ":" in line]
    return status, parsed, body


class Tab:
    """One browser tab on one page of the app (a reload is a new Tab with the same cookies)."""

    def __init__(self, base_url: str, path: str, *, cookies: Cookies | None = None, forwarded_for: str = "",
                 locale: str = "zh-CN", timezone: str = "Asia/Shanghai", timeout: float = 120) -> None:
        self.base_url = base_url.rstrip("/")
        split = urlsplit(path)
        self.page_name = split.path.strip("/")
        self.query_string = split.query
        self.cookies = cookies or Cookies()
        self.forwarded_for = forwarded_for
        self.locale, self.timezone = locale, timezone
        self.timeout = timeout
        self.ws = None
        self.page_script_hash = ""
        self.nodes: dict[tuple, Node] = {}
        self.states: dict[str, WidgetState] = {}  # committed widget values
        self.pending_forms: dict[str, dict[str, WidgetState]] = {}
        self.form_clear: dict[str, bool] = {}
        self.cache: dict[str, ForwardMsg] = {}
        self.run_id = ""
        self.fragments_this_run: list[str] = []
        self.auto_reruns: dict[str, float] = {}  # fragment id -> interval (seconds)
        self.exceptions: list[str] = []
        self.finished = asyncio.Event()
        self.first_run_s = 0.0
        self.last_status = None
        self.running = False
        self.reader: asyncio.Task | None = None
        self.closed_reason = ""
        self.redirect: str | None = None  # where a page script sent the browser (the sign-in's cookie endpoint)

    # ------------------------------------------------------------------ connection
    def _headers(self) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, "Accept-Language": f"{self.locale},zh;q=0.9",
                "Cookie": self.cookies.header(), "X-Forwarded-For": self.forwarded_for}

    async def open(self) -> float:
        """Load the page as a browser does and run its script once; returns the seconds it took."""
        started = time.perf_counter()
        page = f"{self.base_url}/{self.page_name}" + (f"?{self.query_string}" if self.query_string else "")
        status, headers, _ = await http_get(page, self._headers(), self.timeout)
        if status != 200:
            raise ProtocolError(f"GET {self.page_name}: HTTP {status}")
        self.cookies.take(headers)
        for probe in ("_stcore/health", "_stcore/host-config"):
            status, headers, _ = await http_get(f"{self.base_url}/{probe}", self._headers(), self.timeout)
            self.cookies.take(headers)
        xsrf = self.cookies.values.get("_streamlit_xsrf")
        protocols = ["streamlit", xsrf] if xsrf else ["streamlit", "PLACEHOLDER_AUTH_TOKEN"]
        ws_url = "ws" + self.base_url[4:] + "/_stcore/stream"
        extra = {k: v for k, v in self._headers().items() if v}
        self.ws = await asyncio.wait_for(websockets.connect(
            ws_url, subprotocols=protocols, additional_headers=extra, origin=self.base_url, max_size=None,
            open_timeout=self.timeout, ping_interval=None), self.timeout)
        self.reader = asyncio.create_task(self._read())
        self.first_run_s = await self.rerun(first=True)  # the page's first run alone (the app's metrics time it)
        return time.perf_counter() - started

    async def follow(self, target: str, *, hops: int = 5) -> str:
        """GET `target` as the browser's window.location would, taking cookies and following redirects
        within this site; returns the path (and query) of the page it ends on."""
        # A browser says the navigation comes from this site's own page; the endpoint refuses any other.
        navigation = {**self._headers(), "Sec-Fetch-Site": "same-origin"}
        for _ in range(hops):
            status, headers, _ = await http_get(f"{self.base_url}{target}", navigation, self.timeout)
            self.cookies.take(headers)
            location = next((v for k, v in headers if k.lower() == "location"), None)
            if status not in (301, 302, 303, 307, 308) or not location:
                return target
            split = urlsplit(location)
            target = split.path + (f"?{split.query}" if split.query else "")
        raise ProtocolError(f"more than {hops} redirects from {target}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            try:
                await self.reader
            except (asyncio.CancelledError, Exception):
                pass

    # ------------------------------------------------------------------ incoming
    async def _read(self) -> None:
        try:
            async for data in self.ws:
                message = ForwardMsg()
                message.ParseFromString(data)
                self._handle(message)
        except websockets.ConnectionClosed as closed:
            self.closed_reason = f"websocket closed ({closed.rcvd.code if closed.rcvd else 'no code'})"
        except ProtocolError as error:  # a message this tab cannot follow: the tab is broken, as a browser's would be
            self.closed_reason = str(error)
        finally:
            if not self.closed_reason:
                self.closed_reason = "websocket closed"
            self.finished.set()

    def _handle(self, message: ForwardMsg) -> None:
        if message.WhichOneof("type") == "ref_hash":
            cached = self.cache.get(message.ref_hash)
            if cached is None:
                raise ProtocolError(f"unknown cached message {message.ref_hash}")
            metadata = message.metadata
            message = ForwardMsg()
            message.CopyFrom(cached)
            message.metadata.CopyFrom(metadata)
        elif message.metadata.cacheable:
            self.cache[message.hash] = message
        kind = message.WhichOneof("type")
        if message.metadata.HasField("run"):  # which script run (and which fragments) sent this
            self.run_id = message.metadata.run.script_run_id
            self.fragments_this_run = list(message.metadata.run.fragment_ids)
        if kind == "new_session":
            session = message.new_session
            if session.page_script_hash:
                self.page_script_hash = session.page_script_hash
            if not self.fragments_this_run:
                self.auto_reruns.clear()  # a full run removes every timer (App.handleNewSession)
        elif kind == "delta":
            self._delta(tuple(message.metadata.delta_path), message.delta)
        elif kind == "navigation":  # st.navigation: the page that ran, sent back by every later rerun
            if message.navigation.page_script_hash:
                self.page_script_hash = message.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_reruns[message.auto_rerun.fragment_id] = message.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment, None)
        elif kind == "session_status_changed":
            self.running = message.session_status_changed.script_is_running
        elif kind == "script_finished":
            self.last_status = message.script_finished
            if message.script_finished != FINISHED.FINISHED_EARLY_FOR_RERUN:
                self._drop_stale()
                self.finished.set()

    def _delta(self, path: tuple, delta) -> None:
        kind = delta.WhichOneof("type")
        if kind == "new_element":
            element_kind, inner = _element_kind(delta.new_element)
            self.nodes[path] = Node(element_kind or "", inner, delta.fragment_id, self.run_id)
            if element_kind == "exception":
                self.exceptions.append(inner.message or inner.type)
            elif element_kind == "html":
                for cookie in COOKIE_SCRIPT.findall(inner.body):
                    self.cookies.set(cookie.encode().decode("unicode_escape"))
                for target in REDIRECT_SCRIPT.findall(inner.body):
                    self.redirect = target.encode().decode("unicode_escape")
                for target in REDIRECT_ELEMENT.findall(inner.body):
                    self.redirect = html.unescape(target)
            if inner is not None and hasattr(inner, "id") and element_kind != "html":
                self._register(Widget(inner.id, element_kind, inner, delta.fragment_id, path))
        elif kind == "add_block":
            block = delta.add_block
            self.nodes[path] = Node("block", block, delta.fragment_id, self.run_id)
            if block.WhichOneof("type") == "form":
                self.form_clear[block.form.form_id] = block.form.clear_on_submit
        # add_rows and arrow_add_rows change a table's rows only: nothing a person taps

    def _register(self, widget: Widget) -> None:
        proto = widget.proto
        if getattr(proto, "set_value", False) or widget.id not in self.states:
            state = _initial_state(widget)
            if state is not None:
                self.states[widget.id] = state
                for pending in self.pending_forms.values():
                    pending.pop(widget.id, None)

    def _drop_stale(self) -> None:
        """What the last run did not draw is gone from the screen (only inside the fragments it ran)."""
        fragments = set(self.fragments_this_run)
        for path, node in list(self.nodes.items()):
            if node.run != self.run_id and (not fragments or node.fragment_id in fragments):
                del self.nodes[path]
        active = {w.id for w in self.widgets()}
        for widget_id in list(self.states):
            if widget_id not in active:
                del self.states[widget_id]
        for pending in self.pending_forms.values():
            for widget_id in list(pending):
                if widget_id not in active:
                    del pending[widget_id]

    # ------------------------------------------------------------------ what is on screen
    def widgets(self, kind: str | None = None) -> list[Widget]:
        found = []
        for path in sorted(self.nodes):
            node = self.nodes[path]
            if node.kind != "block" and node.proto is not None and hasattr(node.proto, "id") and node.kind != "html" \
                    and (kind is None or node.kind == kind):
                found.append(Widget(node.proto.id, node.kind, node.proto, node.fragment_id, path))
        return found

    def widget(self, *, key: str | None = None, label: str | None = None, kind: str | None = None,
               prefix: str | None = None) -> Widget | None:
        for w in self.widgets(kind):
            if key is not None and w.key != key:
                continue
            if prefix is not None and not w.key.startswith(prefix):
                continue
            if label is not None and w.label != label:
                continue
            return w
        return None

    def texts(self) -> list[str]:
        found = []
        for path in sorted(self.nodes):
            node = self.nodes[path]
            if node.kind not in ("block", "html") and node.proto is not None:
                found.extend(_texts(node.proto))
        return found

    def shows(self, text: str) -> bool:
        return any(text in t for t in self.texts())

    def element_texts(self, kind: str) -> list[str]:
        return [t for path in sorted(self.nodes) if self.nodes[path].kind == kind
                for t in _texts(self.nodes[path].proto)]

    # ------------------------------------------------------------------ outgoing
    def _context(self, message: BackMsg) -> None:
        context = message.rerun_script.context_info
        context.timezone = self.timezone
        # JavaScript's getTimezoneOffset(): minutes to add to local time to get UTC.
        context.timezone_offset = -480 if self.timezone == "Asia/Shanghai" else 0
        context.locale = self.locale
        context.url = f"{self.base_url}/{self.page_name}"
        context.is_embedded = False
        context.color_scheme = "light"

    async def rerun(self, *, first: bool = False, fragment_id: str = "", auto: bool = False,
                    extra: list[WidgetState] = ()) -> float:
        """Send a rerun with the widget states on screen (plus `extra`, e.g. a trigger); wait for its end."""
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query_string
        if first:
            client.page_name = self.page_name
            client.widget_states.SetInParent()
        else:
            client.page_script_hash = self.page_script_hash
            active = {w.id for w in self.widgets()}
            extras = {s.id for s in extra}
            for widget_id, state in self.states.items():
                if widget_id in active and widget_id not in extras:
                    client.widget_states.widgets.append(state)
            client.widget_states.widgets.extend(extra)
        if fragment_id:
            client.fragment_id = fragment_id
        if auto:
            client.is_auto_rerun = True
        client.cached_message_hashes.extend(self.cache)
        self._context(message)
        self.finished.clear()
        self.exceptions.clear()
        started = time.perf_counter()
        if self.ws is None or self.closed_reason:
            raise ProtocolError(self.closed_reason or "not connected")
        await self.ws.send(message.SerializeToString())
        try:
            await asyncio.wait_for(self.finished.wait(), self.timeout)
        except TimeoutError:
            raise ProtocolError(f"no script_finished within {self.timeout:.0f} s") from None
        if self.closed_reason:
            raise ProtocolError(self.closed_reason)
        if self.exceptions:
            raise ProtocolError(f"the page raised: {self.exceptions[0][:200]}")
        return time.perf_counter() - started

    async def choose(self, widget: Widget, option: str) -> float:
        """Tap an option of a segmented control / pills, a radio or a selectbox."""
        state = WidgetState(id=widget.id)
        if widget.kind in ("button_group",) or (widget.kind == "slider" and widget.proto.options):
            state.string_array_value.data.append(option)
        else:
            state.string_value = option
        return await self._commit(widget, state)

    async def type(self, widget: Widget, text: str) -> float | None:
        """Type into a text input or area (and press Enter / leave it): a rerun unless it is in a form."""
        state = WidgetState(id=widget.id, string_value=text)
        return await self._commit(widget, state)

    async def check(self, widget: Widget, value: bool = True) -> float | None:
        return await self._commit(widget, WidgetState(id=widget.id, bool_value=value))

    async def _commit(self, widget: Widget, state: WidgetState) -> float | None:
        if widget.form_id:  # held in the form until it is submitted
            self.pending_forms.setdefault(widget.form_id, {})[widget.id] = state
            return None
        self.states[widget.id] = state
        return await self.rerun(fragment_id=widget.fragment_id)

    async def click(self, widget: Widget) -> float:
        """Tap a button; a form's submit button commits the form's values with it."""
        trigger = WidgetState(id=widget.id, trigger_value=True)
        if getattr(widget.proto, "is_form_submitter", False) and widget.form_id:
            form = widget.form_id
            self.states.update(self.pending_forms.pop(form, {}))
            took = await self.rerun(fragment_id=widget.fragment_id, extra=[trigger])
            if self.form_clear.get(form):  # clear_on_submit: the form's widgets go back to their defaults
                for w in self.widgets():
                    if w.form_id == form:
                        self.states.pop(w.id, None)
                        default = _initial_state(w)
                        if default is not None:
                            self.states[w.id] = default
            return took
        return await self.rerun(fragment_id=widget.fragment_id, extra=[trigger])

    async def auto_rerun(self, fragment_id: str) -> float:
        """What the frontend's timer for `st.fragment(run_every=...)` sends."""
        return await self.rerun(fragment_id=fragment_id, auto=True)


async def sign_in(tab: Tab, username: str, password: str) -> Tab:
    """Fill and send the sign-in form on `tab`, then do what the browser does next: fetch the session cookie
    from the endpoint the page sends it to and open the page again with it. Returns the signed-in tab."""
    fields = [w for w in tab.widgets("text_input") if w.form_id]
    submit = next((w for w in tab.widgets("button") if getattr(w.proto, "is_form_submitter", False)), None)
    if len(fields) < 2 or submit is None:
        raise ProtocolError(f"no sign-in form on /{tab.page_name}")
    await tab.type(fields[0], username)
    await tab.type(fields[1], password)
    await tab.click(submit)
    if not tab.redirect:
        return tab
    landed = await tab.follow(tab.redirect)
    await tab.close()
    again = Tab(tab.base_url, landed, cookies=tab.cookies, forwarded_for=tab.forwarded_for, locale=tab.locale,
                timezone=tab.timezone, timeout=tab.timeout)
    await again.open()
    return again
