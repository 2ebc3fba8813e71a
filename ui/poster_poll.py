"""The poster's first screen without Streamlit: a plain HTML ballot and the vote it posts (issue 23).

A window poster's QR code carries `/poll?unit=CODE&src=POSTER`. Streamlit's frontend needs ~600 kB of
JavaScript and a module chain before its first button, so a phone over slow 4G waited ~7 s. This ASGI
middleware (put by ui/serve.py inside ui/delivery.py's, which adds the Content-Security-Policy) answers
that very address itself, so every poster already printed gets the fast page:

- GET /poll?unit=CODE[&src=…][&lang=en] for a unit of the open poll: a server-rendered page (~5 kB, no
  script at all) with the unit's name, the question, an optional comment and the three answers as a
  `<form method="post">`, plus links to the full Streamlit poll (other units, receipts) and to the other
  language. The browser's device cookie comes with it (ui/device.py), as with Streamlit's page. Anything
  else at /poll (no `unit`, an unknown one, `full=1` — the link to the full page —, `receipt=…`,
  `embed=true` inside the portal) goes to Streamlit as before; with no poll open the page says so.
- POST /_review/vote: the vote, through db.complaints.intake.vote (db.poll.record_vote) exactly as the
  Streamlit page calls it: the device cookie, the network by TRUST_PROXY, the poll salt, the flood limit,
  flagging, one vote per device, unit and day, a complaint and its receipt for a 不满意 with a comment.
  Only from this site's own page (core.sessions.from_this_site: Sec-Fetch-Site, else Origin/Referer),
  a form body of at most MAX_BODY bytes, POST only. The answer is an HTML page: the thanks (and a
  complaint's receipt) or the refusal in the citizen's words; it never redirects anywhere.
"""

from __future__ import annotations

import re
from html import escape
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlencode

from starlette.concurrency import run_in_threadpool

from core import sessions as site
from core.clock import office_today
from core.complaints import clean_source
from core.errors import UserError
from core.poll import COMMENT_LIMIT, OPTIONS, client_ip, valid_device_id
from ui.client import trusted_proxies
from ui.device import COOKIE as DEVICE_COOKIE
from ui.device import set_cookie_header
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue

VOTE_PATH = "/_review/vote"
# The form's fields: a 200-character comment of CJK text is 1,800 bytes percent-encoded.
MAX_BODY = 4096
_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_FORM = "application/x-www-form-urlencoded"

# The phone's own fonts, Chinese first (no download); dark text on white (contrast 16:1, the grey 6.9:1);
# 3.5 rem buttons; rem sizes and wrapping so that 200 % zoom reflows instead of scrolling sideways.
STYLE = """
:root{color-scheme:light}
body{margin:0;background:#fff;color:#1a1a1a;line-height:1.5;font-size:1.0625rem;
font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",
"WenQuanYi Micro Hei",system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:40rem;margin:0 auto;padding:1.25rem 1rem 2rem}
h1{font-size:1.375rem;line-height:1.4;margin:.25rem 0 .5rem;overflow-wrap:anywhere}
.note{color:#555;font-size:.9375rem;margin:.25rem 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .375rem}
textarea{box-sizing:border-box;width:100%;min-height:4.5rem;font:inherit;padding:.5rem;border:1px solid #767676;
border-radius:.5rem}
.answers{display:grid;gap:.75rem;margin:1.25rem 0}
button{min-height:3.5rem;font:inherit;font-size:1.1875rem;padding:.5rem 1rem;border:2px solid #3b3b3b;
border-radius:.625rem;background:#fff;color:#1a1a1a;white-space:normal;overflow-wrap:anywhere;cursor:pointer}
button:focus-visible,a:focus-visible,textarea:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
a{color:#0b57d0}
.links{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin-top:1.5rem}
.links a{display:inline-block;padding:.5rem 0}
.ok{border-left:.375rem solid #1e7b34;padding:.5rem 1rem;background:#f1f8f3}
.no{border-left:.375rem solid #b3261e;padding:.5rem 1rem;background:#fdf3f2}
code{font-size:1.25rem;letter-spacing:.05em;overflow-wrap:anywhere}
"""


def text(lang: str, key: str, **params: object) -> str:
    """A catalogue string in `lang`, formatted (ui.i18n.t reads the language from a Streamlit session)."""
    value = catalogue(lang).get(key, f"⟨{key}⟩")
    return value.format(**params) if params else value


def refusal_text(lang: str, error: UserError) -> str:
    return text(lang, error.key, **error.params) if error.key in catalogue(lang) else error.english()


def page(lang: str, title: str, body: str) -> bytes:
    return (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{escape(title)}</title><style>{STYLE}</style></head>'
            f"<body><main>{body}</main></body></html>").encode()


def poll_link(prefix: str, lang: str, **params: str) -> str:
    """An address on this site's poll (never another host: only our own path and checked values)."""
    query = {k: v for k, v in params.items() if v}
    if lang != DEFAULT_LANGUAGE:
        query["lang"] = lang
    return escape(f"{prefix}/poll" + (f"?{urlencode(query)}" if query else ""))


def links(prefix: str, lang: str, unit: str = "", src: str = "") -> str:
    full = poll_link(prefix, lang, unit=unit, src=src, full="1" if unit else "")
    return f'<p class="links"><a href="{full}">{escape(text(lang, "poster.full_page"))}</a></p>'


def ballot(prefix: str, lang: str, unit, category: str, src: str) -> bytes:
    """The poster's first screen: the unit, the question, an optional comment and the three answers."""
    other = "en" if lang == "zh" else "zh"
    switch = poll_link(prefix, other, unit=unit.code, src=src)
    hidden = "".join(f'<input type="hidden" name="{n}" value="{escape(v)}">'
                     for n, v in (("unit", unit.code), ("src", src), ("lang", lang)) if v)
    buttons = "".join(f'<button type="submit" name="option" value="{o}">{escape(text(lang, f"option.{o}"))}</button>'
                      for o in OPTIONS)
    question = text(lang, "poll.question", unit=unit.name)
    body = (f'<p class="links"><a href="{switch}" lang="{"en" if other == "en" else "zh-CN"}">'
            f'{escape(LANGUAGES[other])}</a></p>'
            f"<h1>{escape(question)}</h1>"
            + (f'<p class="note">{escape(category)}</p>' if category else "")
            + f'<form method="post" action="{escape(prefix + VOTE_PATH)}">{hidden}'
            f'<label for="comment">{escape(text(lang, "poll.comment", limit=COMMENT_LIMIT))}</label>'
            f'<textarea id="comment" name="comment" maxlength="{COMMENT_LIMIT}" rows="3" '
            f'placeholder="{escape(text(lang, "poll.comment_placeholder"))}"></textarea>'
            f'<div class="answers" role="group" aria-label="{escape(question)}">{buttons}</div></form>'
            f'<p class="note">{escape(text(lang, "poll.privacy"))}</p>'
            + links(prefix, lang, unit.code, src))
    return page(lang, question, body)


def closed(prefix: str, lang: str) -> bytes:
    return page(lang, text(lang, "poll.title"),
                f'<h1>{escape(text(lang, "poll.title"))}</h1><p>{escape(text(lang, "poll.closed_now"))}</p>'
                + links(prefix, lang))


def thanks(prefix: str, lang: str, *, unit_name: str, option: str, receipt: str | None) -> bytes:
    """What the Streamlit poll says after a vote: the thanks, and a complaint's receipt (shown once)."""
    said = text(lang, "poll.thanks", unit=unit_name, option=text(lang, f"option.{option}"))
    body = f'<div class="ok" role="status"><h1>{escape(said)}</h1></div>'
    if receipt:
        body += (f'<p><strong>{escape(text(lang, "receipt.filed"))}</strong></p><p><code>{escape(receipt)}</code></p>'
                 f'<p class="note">{escape(text(lang, "receipt.keep"))}</p>'
                 f'<p><a href="{poll_link(prefix, lang, receipt=receipt)}">{escape(text(lang, "poster.receipt"))}</a>'
                 "</p>")
    return page(lang, said, body + links(prefix, lang))


def refused(prefix: str, lang: str, message: str, unit: str = "", src: str = "") -> bytes:
    back = (f'<p><a href="{poll_link(prefix, lang, unit=unit, src=src)}">{escape(text(lang, "poster.back"))}</a></p>'
            if unit else "")
    return page(lang, text(lang, "poster.refused"),
                f'<div class="no" role="alert"><h1>{escape(text(lang, "poster.refused"))}</h1>'
                f"<p>{escape(message)}</p></div>{back}" + links(prefix, lang, unit, src))


# ------------------------------------------------------------------------------------------- the store


def open_poll(code: str):
    """(campaign id, the unit with this code or None, its category's names) of the open poll, or None when
    none is open. Read through the Streamlit page's own cache (ui/poll_data.py): the same units, a minute old
    at most, and no query on a scan."""
    from ui.poll_data import poll_structure

    campaign_id, _, cats, units = poll_structure(office_today())
    if campaign_id is None:
        return None
    unit = next((u for u in units if u.code == code), None)
    names = next(((zh, en) for c, zh, en in cats if unit is not None and c == unit.category_code), ("", ""))
    return campaign_id, unit, names


def cast(campaign_id: int, unit_id: int, *, option: str, device: str, ip: str, comment: str, source: str):
    """The vote as pages/poll.py records it: db.complaints.intake.vote in one retried transaction."""
    from db.complaints.intake import vote as vote_and_file
    from db.poll import poll_salt
    from ui.store import transact

    salt = poll_salt()
    return transact(lambda s: vote_and_file(s, campaign_id=campaign_id, unit_id=unit_id, option=option,
                                            device_id=device, ip=ip, comment=comment, salt=salt, source=source))


# ------------------------------------------------------------------------------------------- HTTP


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}


def _language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _device(headers: dict[str, str]) -> str | None:
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except CookieError:
        return None
    return cookies[DEVICE_COOKIE].value if DEVICE_COOKIE in cookies else None


def _https(scope, headers: dict[str, str]) -> bool:
    return site.is_https(scheme=scope.get("scheme", "http"), forwarded_proto=headers.get("x-forwarded-proto"),
                         trusted_proxies=trusted_proxies())


def _address(scope, headers: dict[str, str]) -> str:
    """The caller's address as ui.client.client_address reads it (TRUST_PROXY's proxies, never the left-most)."""
    forwarded = headers.get("x-forwarded-for") if trusted_proxies() else None
    remote = (scope.get("client") or (None,))[0]
    return client_ip(remote, forwarded, trusted_proxies=trusted_proxies()) or "unknown"


async def _send(send, status: int, body: bytes, *, head: bool = False, cookie: str | None = None,
                extra: tuple = ()) -> None:
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"),
               (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
               (b"content-length", str(len(body)).encode()), *extra]
    if cookie:
        headers.append((b"set-cookie", cookie.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _read_body(receive, limit: int) -> bytes | None:
    """The request's body, or None once it passes `limit` bytes (the rest is not read)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


class PosterPoll:
    """ASGI middleware: the poster's ballot at /poll?unit=CODE and its vote at /_review/vote."""

    def __init__(self, app, base_url: str = "") -> None:
        self.app = app
        self.prefix = "/" + base_url.strip("/") if base_url.strip("/") else ""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if path == self.prefix + VOTE_PATH:
                await self.vote(scope, receive, send)
                return
            if path == self.prefix + "/poll" and scope.get("method") in ("GET", "HEAD") \
                    and await self.first_screen(scope, send):
                return
        await self.app(scope, receive, send)

    async def first_screen(self, scope, send) -> bool:
        """The ballot for a poster's address; False (Streamlit answers) for any other /poll address."""
        try:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"), max_num_fields=20)
        except ValueError:  # an address with dozens of fields is no poster's: Streamlit's page answers it
            return False
        one = {k: v[0] for k, v in query.items()}
        code = one.get("unit", "")
        if not _CODE.fullmatch(code) or one.keys() & {"full", "receipt", "embed", "embed_options"}:
            return False
        found = await run_in_threadpool(open_poll, code)
        lang = _language(one.get("lang"))
        headers = _headers(scope)
        cookie = set_cookie_header(_device(headers), https=_https(scope, headers), embedded=False)
        head = scope["method"] == "HEAD"
        if found is None:
            await _send(send, 200, closed(self.prefix, lang), head=head)
            return True
        _, unit, (zh, en) = found
        if unit is None:  # an unknown code opens the ordinary poll, as it always did
            return False
        body = ballot(self.prefix, lang, unit, en if lang == "en" else zh, clean_source(one.get("src")))
        await _send(send, 200, body, head=head, cookie=cookie)
        return True

    async def vote(self, scope, receive, send) -> None:
        headers = _headers(scope)
        lang = DEFAULT_LANGUAGE
        if scope.get("method") != "POST":
            await _send(send, 405, refused(self.prefix, lang, text(lang, "poster.method")),
                        extra=((b"allow", b"POST"),))
            return
        host = site.request_host(host=headers.get("host"), forwarded_host=headers.get("x-forwarded-host"),
                                 trusted_proxies=trusted_proxies())
        if not site.from_this_site(fetch_site=headers.get("sec-fetch-site"), origin=headers.get("origin"),
                                   referer=headers.get("referer"), host=host):
            await _send(send, 403, refused(self.prefix, lang, text(lang, "poster.cross_site")))
            return
        declared = headers.get("content-length", "")
        if (declared.isdigit() and int(declared) > MAX_BODY) or \
                (body := await _read_body(receive, MAX_BODY)) is None:
            await _send(send, 413, refused(self.prefix, lang, text(lang, "poster.too_large")),
                        extra=((b"connection", b"close"),))
            return
        if headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
            await _send(send, 400, refused(self.prefix, lang, text(lang, "poster.bad_form")))
            return
        try:
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True,
                                                 max_num_fields=10, strict_parsing=bool(body)).items()}
        except (UnicodeDecodeError, ValueError):
            await _send(send, 400, refused(self.prefix, lang, text(lang, "poster.bad_form")))
            return
        lang = _language(form.get("lang"))
        code, src, option = form.get("unit", ""), clean_source(form.get("src")), form.get("option", "")
        found = await run_in_threadpool(open_poll, code) if _CODE.fullmatch(code) else (0, None, None)
        if found is None:
            await _send(send, 409, refused(self.prefix, lang, text(lang, "poll.closed_now")))
            return
        campaign_id, unit, _ = found
        if unit is None:
            await _send(send, 404, refused(self.prefix, lang, text(lang, "poll.unknown_unit")))
            return
        device = _device(headers)
        if not valid_device_id(device):  # refused by record_vote too; the answer gives the browser an id to retry
            cookie = set_cookie_header(device, https=_https(scope, headers), embedded=False)
            await _send(send, 400, refused(self.prefix, lang, text(lang, "poll.no_device"), code, src), cookie=cookie)
            return
        await self._record(send, lang, campaign_id, unit, src=src, option=option, device=device,
                           ip=_address(scope, headers), comment=form.get("comment", ""))

    async def _record(self, send, lang, campaign_id, unit, *, src, option, device, ip, comment) -> None:
        from db import metrics
        from db.engine import StoreError

        try:
            filed = await run_in_threadpool(lambda: cast(campaign_id, unit.id, option=option, device=device, ip=ip,
                                                         comment=comment, source=src))
        except UserError as error:
            if not isinstance(error, StoreError):
                metrics.VOTES.labels("refused").inc()
            await _send(send, 503 if isinstance(error, StoreError) else 400,
                        refused(self.prefix, lang, refusal_text(lang, error), unit.code, src))
            return
        result = filed.vote
        metrics.VOTES.labels(result.status).inc()
        if not result.recorded:
            status = 429 if result.refusal.key == "poll.flood" else 409 if result.refusal.key == "poll.already_voted" \
                else 400
            await _send(send, status, refused(self.prefix, lang, refusal_text(lang, result.refusal), unit.code, src))
            return
        # A vote set aside as part of a burst gets the same thanks: a script learns nothing from the answer.
        await _send(send, 200, thanks(self.prefix, lang, unit_name=unit.name, option=option, receipt=filed.receipt))
