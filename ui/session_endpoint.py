"""GET /_review/session: the one place that sets or clears the session cookie, as HttpOnly.

Streamlit has no call to set a cookie, and a cookie written by the page's own script can be
read by any script in the page. So the launcher (ui/serve.py) adds this route to Streamlit's
Starlette server. After the sign-in form succeeds, the page sends the browser here with a
one-time ticket (?ticket=…&next=/page); the ticket is exchanged for a new session id, which goes
back only in `Set-Cookie: review_session=…; HttpOnly; SameSite=Strict; Path=/` (plus `Secure`
over https, read from X-Forwarded-Proto when TRUST_PROXY says a proxy is in front), and the
browser is redirected to the page. `?end=1` clears the cookie (sign-out ends the session in the
database first). Both only for a request from this site itself (core.sessions.from_this_site: the
browser's Sec-Fetch-Site, else Origin or Referer naming this host); from anywhere else the ticket is
left unspent and the cookie untouched.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from core import sessions as rules
from db.engine import StoreError, as_user_errors, get_engine, session_scope
from db.signin.sessions import exchange_ticket
from ui.client import trusted_proxies


def _exchange(ticket: str) -> tuple[str, int] | None:
    with as_user_errors(), session_scope(get_engine()) as session:
        return exchange_ticket(session, ticket=ticket)


async def session_endpoint(request: Request) -> RedirectResponse:
    secure = rules.is_https(scheme=request.url.scheme, forwarded_proto=request.headers.get("x-forwarded-proto"),
                            trusted_proxies=trusted_proxies())
    response = RedirectResponse(rules.safe_next(request.query_params.get("next")), status_code=303)
    # The ticket is in this URL: no cache keeps it, no Referer carries it on.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    # Only our own page sends the browser here. A link on another site carrying the attacker's ticket
    # would sign the victim in as the attacker (login CSRF), and one with ?end=1 would sign them out:
    # a request that does not come from this site changes nothing (the ticket stays unspent).
    headers = request.headers
    host = rules.request_host(host=headers.get("host"), forwarded_host=headers.get("x-forwarded-host"),
                              trusted_proxies=trusted_proxies())
    if not rules.from_this_site(fetch_site=headers.get("sec-fetch-site"), origin=headers.get("origin"),
                                referer=headers.get("referer"), host=host):
        return response
    ticket = request.query_params.get("ticket")
    if ticket:
        try:
            issued = await run_in_threadpool(_exchange, ticket)
        except StoreError:
            issued = None  # the page shows the sign-in form again; the store's state says why
        if issued is not None:
            value, max_age_s = issued
            response.headers.append("Set-Cookie", rules.cookie_header(value, secure=secure, max_age_s=max_age_s))
    elif request.query_params.get("end") == "1":
        response.headers.append("Set-Cookie", rules.clear_cookie_header(secure=secure))
    return response


def routes() -> list[Route]:
    return [Route(rules.ENDPOINT, session_endpoint, methods=["GET"])]
