"""How the app's own server delivers the page: compressed, cached, and from this site only (issue 23).

A citizen scanning a poster opens /poll on a phone over a weak mobile connection. Streamlit's server
sends its JavaScript bundles uncompressed (it leaves compression of /static/ to a proxy) and its page
preloads a Latin web font that a Chinese page barely uses. This ASGI middleware, added in front of
Streamlit's own by ui/serve.py, changes these things and nothing else:

- /static/… bundles (content-hashed file names) go out brotli- or gzip-compressed, as the browser
  accepts, with a one-year immutable cache lifetime; the style sheet without its Latin web font (the
  phone's own fonts instead, see `system_fonts`) and the main bundle without its start-up request for
  the icon font (`lazy_icon_font`: fetched when an icon is first drawn, never on /poll). Each file is
  compressed once per process, on its first request (in a worker thread, one file at a time), and kept
  in memory: later requests cost no compression.
- The HTML page (the same index.html for every address) loses its font preload, names its language
  (zh-CN, the interface's default), says where the server is (no probing of /poll/_stcore/…), and goes
  out compressed.
- Every answer carries a Content-Security-Policy: scripts, styles, fonts, images, connections and
  frames from this site only (plus data: and blob: images and workers, and inline styles, which
  Streamlit's frontend makes itself). The page's inline scripts and the app's one (GO_SCRIPT) are allowed
  by their hashes; WebAssembly may be compiled ('wasm-unsafe-eval', not JavaScript's eval). The page may
  still be embedded by the government portal (no frame-ancestors rule).
- The page's answer gives a browser without one the poll's device cookie (ui/device.py), HttpOnly.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from streamlit import file_util

from core.sessions import is_https
from ui.client import trusted_proxies
from ui.device import COOKIE as DEVICE_COOKIE
from ui.device import set_cookie_header

try:  # brotli (requirements.txt) is a fifth smaller than gzip on JavaScript; gzip alone is still served
    import brotli
except ImportError:  # pragma: no cover - the pinned requirements install it
    brotli = None

STATIC_DIR = Path(file_util.get_static_dir())
COMPRESSIBLE = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".svg": "image/svg+xml", ".json": "application/json", ".map": "application/json",
                ".txt": "text/plain; charset=utf-8", ".ttf": "font/ttf"}
IMMUTABLE = "public, max-age=31536000, immutable"
GZIP_LEVEL = 9
BROTLI_QUALITY = 9  # 11 is a few percent smaller and ten times slower to compress
_FONT_PRELOAD = re.compile(r'\s*<link\s+rel="preload"[^>]*as="font"[^>]*/?>', re.S)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
# The one script the app itself puts in a page (st.html in ui/auth.py): after a sign-in or sign-out, the
# browser goes to /_review/session for its HttpOnly cookie. Its text is constant, so the policy allows it by
# hash; the address it goes to travels in the element before it.
GO_ATTRIBUTE = "data-review-go"
GO_SCRIPT = f'window.location.replace(document.querySelector("[{GO_ATTRIBUTE}]").getAttribute("{GO_ATTRIBUTE}"));'


def csp(inline_scripts: list[str]) -> str:
    """The policy for a page whose inline scripts are `inline_scripts` (their text, allowed by hash)."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                      for s in inline_scripts)
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'wasm-unsafe-eval' {hashes}".strip(),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",  # CSP 3: 'self' covers ws: and wss: to this host (Streamlit's websocket)
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


def rewrite_page(html: str, prefix: str = "") -> str:
    """Streamlit's index.html without its web-font preload, in the interface's default language, and telling
    the frontend where the server is: without it, a page at /poll first probes /poll/_stcore/health and
    /poll/_stcore/host-config (two 404s, two round trips on a phone) before trying the site's root."""
    html = _FONT_PRELOAD.sub("", html, count=1)
    html = html.replace('<html lang="en">', '<html lang="zh-CN">', 1)
    where = f"<script>window.__streamlit = {{BACKEND_BASE_URL: location.origin + {json.dumps(prefix)}}}</script>"
    return html.replace('<script type="module"', where + '\n    <script type="module"', 1)


def system_fonts(css: bytes) -> bytes:
    """Streamlit's style sheet with its Latin text font renamed out of use: the elements that name
    "Source Sans" first (some of Streamlit's own, whatever the theme says) fall back to the phone's sans-serif
    font instead of downloading 166 kB. Material Symbols (the icons of the staff pages) stays."""
    return css.replace(b"font-family:Source Sans;", b"font-family:Source Sans Unused;")


# Streamlit's main bundle asks for the icon font (Material Symbols, 366 kB) at start-up, whether or not the
# page shows an icon. Without that call the browser fetches the font when an icon is first drawn (a staff
# page's menu), never on /poll, which shows none.
_ICON_FONT_PRELOAD = re.compile(
    rb'(function [\w$]+\(\)\{)document\.fonts\.load\(`1em "\$\{[\w$]+\.materialIcons\}"`\)'
    rb'\.catch\([\w$]+=>\{[\w$]+\.warn\([^)]*\)\}\)\}')


def lazy_icon_font(script: bytes) -> bytes:
    """Streamlit's main bundle without its start-up request for the icon font (see _ICON_FONT_PRELOAD)."""
    return _ICON_FONT_PRELOAD.sub(rb"\1}", script, count=1)


@dataclass(frozen=True)
class Compressed:
    content_type: str
    etag: str
    raw: bytes
    gzip: bytes
    br: bytes | None


def compress(path: Path) -> Compressed:
    raw = path.read_bytes()
    if path.suffix == ".css":
        raw = system_fonts(raw)
    elif path.name.startswith("index.") and path.suffix == ".js":
        raw = lazy_icon_font(raw)
    return Compressed(content_type=COMPRESSIBLE[path.suffix], etag='"' + hashlib.sha1(raw).hexdigest() + '"',
                      raw=raw, gzip=gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0),
                      br=brotli.compress(raw, quality=BROTLI_QUALITY) if brotli else None)


def accepted(scope) -> set[str]:
    for name, value in scope.get("headers", ()):
        if name == b"accept-encoding":
            return {part.split(";")[0].strip() for part in value.decode("latin-1").lower().split(",")}
    return set()


def header(scope, wanted: bytes) -> bytes | None:
    return next((value for name, value in scope.get("headers", ()) if name == wanted), None)


def device_cookie(scope) -> str | None:
    """The Set-Cookie header with a new device id, for a page request whose browser has no valid one."""
    cookies = SimpleCookie()
    try:
        cookies.load((header(scope, b"cookie") or b"").decode("latin-1"))
    except CookieError:  # a malformed Cookie header: as if there were none
        cookies = SimpleCookie()
    current = cookies[DEVICE_COOKIE].value if DEVICE_COOKIE in cookies else None
    https = is_https(scheme=scope.get("scheme", "http"),
                     forwarded_proto=(header(scope, b"x-forwarded-proto") or b"").decode("latin-1") or None,
                     trusted_proxies=trusted_proxies())
    embedded = b"embed=true" in scope.get("query_string", b"").lower()
    return set_cookie_header(current, https=https, embedded=embedded)


class Delivery:
    """ASGI middleware: compressed static bundles, the rewritten page, and the CSP on every answer."""

    def __init__(self, app, base_url: str = "") -> None:
        self.app = app
        self.prefix = "/" + base_url.strip("/") if base_url.strip("/") else ""
        self._files: dict[str, Compressed] = {}
        self._lock = asyncio.Lock()
        index = STATIC_DIR / "index.html"
        self._index = index.read_bytes() if index.exists() else b""
        page = rewrite_page(self._index.decode("utf-8"), self.prefix)
        self._policy = csp([*_INLINE_SCRIPT.findall(page), GO_SCRIPT])
        self._page = page.encode("utf-8")
        self._page_gzip = gzip.compress(self._page, compresslevel=GZIP_LEVEL, mtime=0)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        encodings = accepted(scope)
        if scope.get("method") in ("GET", "HEAD"):
            file = await self._static_file(path)
            if file is not None:
                await self._send_static(scope, send, file, encodings)
                return
        await self.app(scope, receive, self._wrapped(scope, send, encodings))

    async def _static_file(self, path: str) -> Compressed | None:
        """The compressed bundle at this address, or None for anything that is not one."""
        if not path.startswith(self.prefix + "/static/"):
            return None
        relative = path[len(self.prefix) + 1:]
        if relative in self._files:
            return self._files[relative]
        file = (STATIC_DIR / relative).resolve()
        if file.suffix not in COMPRESSIBLE or not file.is_relative_to(STATIC_DIR.resolve()) or not file.is_file():
            return None
        async with self._lock:  # one compression at a time: a burst of first visitors waits, it does not multiply
            if relative not in self._files:
                self._files[relative] = await run_in_threadpool(compress, file)
        return self._files[relative]

    async def _send_static(self, scope, send, file: Compressed, encodings: set[str]) -> None:
        if "br" in encodings and file.br is not None:
            encoding, body = "br", file.br
        elif "gzip" in encodings:
            encoding, body = "gzip", file.gzip
        else:
            encoding, body = "", file.raw
        headers = [(b"content-type", file.content_type.encode()), (b"cache-control", IMMUTABLE.encode()),
                   (b"vary", b"Accept-Encoding"), (b"etag", file.etag.encode()),
                   (b"content-security-policy", self._policy.encode())]
        if header(scope, b"if-none-match") == file.etag.encode():
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if encoding:
            headers.append((b"content-encoding", encoding.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    def _wrapped(self, scope, send, encodings: set[str]):
        """`send` with the CSP on every answer, and the HTML page rewritten and compressed."""
        start: dict | None = None
        chunks: list[bytes] = []
        rewrite = scope.get("method") == "GET"

        async def wrapped(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"content-security-policy"]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                encoding = next((v for k, v in headers if k.lower() == b"content-encoding"), b"identity")
                if rewrite and content_type.startswith(b"text/html") and encoding in (b"identity", b"gzip") \
                        and message.get("status") == 200:
                    # Streamlit's own gzip compresses the page at some addresses (/poll), not at others (/).
                    start = dict(message, headers=headers)  # held until the whole page is here
                    return
                await send(dict(message, headers=[*headers, (b"content-security-policy", self._policy.encode())]))
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            gzipped = any(k.lower() == b"content-encoding" and v == b"gzip" for k, v in start["headers"])
            await self._send_page(scope, send, start, gzip.decompress(body) if gzipped else body, encodings)

        return wrapped

    async def _send_page(self, scope, send, start: dict, body: bytes, encodings: set[str]) -> None:
        """Streamlit's page rewritten and compressed (once per process), with the poll's device cookie if the
        browser has none (ui/device.py); any other HTML as it came."""
        drop = {b"content-length", b"content-encoding", b"etag", b"last-modified"}
        headers = [(k, v) for k, v in start["headers"] if k.lower() not in drop]
        headers += [(b"content-security-policy", self._policy.encode()), (b"vary", b"Accept-Encoding")]
        data = body
        if body == self._index:
            cookie = device_cookie(scope)
            if cookie:
                headers.append((b"set-cookie", cookie.encode("latin-1")))
            data = self._page
            if "gzip" in encodings:
                data = self._page_gzip
                headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(data)).encode()))
        await send(dict(start, headers=headers))
        await send({"type": "http.response.body", "body": data})
