"""GET /_review/metrics (Prometheus text format) and GET /_review/health, beside /_review/session, and the
hooks in Streamlit's sessions that time every interaction.

An interaction is one rerun of a page or of one of its fragments (a tap, a typed field, a timer's refresh):
timed from the moment the server received the browser's message to the moment it hands the run's
script_finished to the websocket: the span a browser waits for, less the network (bench.hall measures it from
the other side of the websocket). The page is the one the browser named (its path on the first run, its page
hash after that), if the app has such a page; "other" otherwise: a made-up name must not grow the label set.

Who may read the endpoints: core.monitoring (loopback straight to the app's port, or the bearer token in
METRICS_TOKEN). Every app process answers for itself; README "Running several replicas" says how to scrape
them all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import Runtime
from streamlit.runtime.app_session import AppSession

from core import monitoring
from db import metrics

METRICS_PATH, HEALTH_PATH = "/_review/metrics", "/_review/health"
HEALTH_TIMEOUT_S = 5.0
_EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
_ASKED = "_review_asked"  # on an AppSession: (perf_counter when the rerun arrived, page label)
_PAGE = "_review_page"  # on an AppSession: the page it last ran
log = logging.getLogger(__name__)
# ("hash", page script hash) or ("name", url path) -> the page's label: filled from the app's own pages, so that
# a made-up hash or name (anyone can send one) is "other" and never a new label.
_labels: dict[tuple[str, str], str] = {}


def _page_label(session: AppSession, rerun) -> str:
    key = ("hash", rerun.page_script_hash) if rerun.page_script_hash else ("name", rerun.page_name)
    label = _labels.get(key)
    if label is None:
        # The first time a page is seen (the app's pages are known after its first run): read them all.
        for page_hash, page in session._pages_manager.get_pages().items():
            path = page.get("url_pathname", page.get("page_name", "")) if page else ""
            _labels[("hash", page_hash)] = _labels[("name", path)] = path or "start"  # "/": the default page
        label = _labels.get(key, "other")
    return label


def install() -> None:
    """Wrap the two ends of an interaction in Streamlit's server (once per process): an AppSession receiving a
    rerun, and the runtime handing that run's script_finished to the websocket."""
    if getattr(AppSession, "_review_metrics", False):
        return
    receive, send = AppSession.handle_backmsg, Runtime._send_message

    def handle_backmsg(self, msg):
        if msg.WhichOneof("type") == "rerun_script":
            page = _page_label(self, msg.rerun_script)
            setattr(self, _ASKED, (time.perf_counter(), page))
            setattr(self, _PAGE, page)
        return receive(self, msg)

    def send_message(self, session_info, msg):
        send(self, session_info, msg)
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished != _EARLY:
            asked = getattr(session_info.session, _ASKED, None)
            if asked is not None:
                setattr(session_info.session, _ASKED, None)
                metrics.INTERACTIONS.labels(asked[1]).observe(time.perf_counter() - asked[0])

    AppSession.handle_backmsg = handle_backmsg
    Runtime._send_message = send_message
    AppSession._review_metrics = True
    metrics.count_sessions_with(open_sessions)


def open_sessions() -> dict[str, int]:
    """Open browser sessions of this process by the page each last ran."""
    if not Runtime.exists():
        return {}
    found: dict[str, int] = {}
    for info in Runtime.instance()._session_mgr.list_active_sessions():
        page = getattr(info.session, _PAGE, "other")
        found[page] = found.get(page, 0) + 1
    return found


def _refusal(request: Request) -> Response | None:
    token = monitoring.usable_token(os.environ.get(monitoring.TOKEN_VARIABLE))
    found = monitoring.verdict(peer=request.client.host if request.client else None,
                               headers={k.lower(): v for k, v in request.headers.items()}, token=token)
    if found == monitoring.ALLOWED:
        return None
    log.warning("monitoring endpoint refused: %s (%s)", request.url.path, found)
    headers = {"Cache-Control": "no-store", "WWW-Authenticate": 'Bearer realm="review"'}
    if token is None:  # nothing to present: the endpoint is for this machine only
        return PlainTextResponse("only on this machine's loopback\n", status_code=403, headers=headers)
    return PlainTextResponse("a bearer token is needed\n", status_code=401, headers=headers)


async def metrics_endpoint(request: Request) -> Response:
    refused = _refusal(request)
    if refused is not None:
        return refused
    await _check(timeout=HEALTH_TIMEOUT_S)  # review_db_up and review_db_ping_seconds, fresh for this scrape
    body = await run_in_threadpool(metrics.exposition)
    return Response(body, media_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"})


async def health_endpoint(request: Request) -> Response:
    refused = _refusal(request)
    if refused is not None:
        return refused
    healthy, found, seconds = await _check(timeout=HEALTH_TIMEOUT_S)
    return JSONResponse({"status": "ok" if healthy else "fail", "database": found,
                         "database_ms": round(seconds * 1000, 1)},
                        status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})


def _probe() -> tuple[bool, str, float]:
    from ui.store import engine

    try:
        found = engine()
    except Exception as error:  # DATABASE_URL that is not an address: unhealthy, said in one line
        return False, f"unusable DATABASE_URL: {error}", 0.0
    return metrics.check_database(found)


async def _check(*, timeout: float) -> tuple[bool, str, float]:
    try:
        return await asyncio.wait_for(run_in_threadpool(_probe), timeout)
    except TimeoutError:
        metrics.DB_UP.set(0)
        metrics.DB_PING.set(timeout)
        return False, f"no answer within {timeout:.0f} s", timeout


def routes() -> list[Route]:
    return [Route(METRICS_PATH, metrics_endpoint, methods=["GET"]),
            Route(HEALTH_PATH, health_endpoint, methods=["GET"])]
