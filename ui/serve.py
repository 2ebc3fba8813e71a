"""`python -m ui.serve [streamlit options]`: start the app with its own navigation from the first request.

Streamlit treats a pages/ folder beside the entry script as an old-style multipage
app until the entry script has called st.navigation once. A deep link as the very
first request after a (re)start — a reviewer's /questionnaire?token=… — would then
run the page file alone, without app.py's shell. Every page here is declared with
st.navigation in app.py, so the folder is never a page list of its own.

The launcher also adds one route of its own to Streamlit's Starlette server,
/_review/session (ui/session_endpoint.py), which sets the HttpOnly session cookie
that Streamlit has no call for, and a middleware in front of Streamlit's own (ui/delivery.py: the
page and its bundles compressed and cached, a Content-Security-Policy on every answer), and inside it the
poster's ballot without Streamlit (ui/poster_poll.py: /poll?unit=CODE and POST /_review/vote). Started any
other way (`streamlit run app.py`), the app still runs, but sign-in lasts only as long as the browser
tab's connection, and nothing is compressed.

It adds /_review/metrics and /_review/health (ui/metrics.py, for the office's monitoring: loopback or a
bearer token only) and starts the thread that publishes this process's last minute for /panel's "hall now"
strip (ui/hall_now.py). It starts the process's housekeeping thread too (db/housekeeping.py: call-back numbers erased
when due, hourly), so that the erasure does not wait for someone to open a page.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli
from streamlit.web.server.starlette import starlette_app

from core.clock import set_today_from
from db import housekeeping
from ui import hall_now, metrics
from ui.delivery import Delivery
from ui.poster_poll import PosterPoll
from ui.preload import preload
from ui.session_endpoint import routes as session_routes

APP = Path(__file__).resolve().parent.parent / "app.py"


def add_routes() -> None:
    """Put the launcher's routes before Streamlit's own (whose last one answers every other path)."""
    streamlit_routes = starlette_app.create_streamlit_routes
    if getattr(streamlit_routes, "review_routes", False):
        return

    def with_session_routes(runtime):
        return [*session_routes(), *metrics.routes(), *streamlit_routes(runtime)]

    with_session_routes.review_routes = True
    starlette_app.create_streamlit_routes = with_session_routes


def add_delivery() -> None:
    """Put ui.delivery's middleware (compression, cache lifetimes, Content-Security-Policy) outside Streamlit's."""
    streamlit_middleware = starlette_app.create_streamlit_middleware
    if getattr(streamlit_middleware, "review_delivery", False):
        return

    def with_delivery():
        from starlette.middleware import Middleware
        from streamlit import config

        base_url = config.get_option("server.baseUrlPath") or ""
        # PosterPoll inside Delivery: its pages get the same Content-Security-Policy (ui/poster_poll.py).
        return [Middleware(Delivery, base_url=base_url), Middleware(PosterPoll, base_url=base_url),
                *streamlit_middleware()]

    with_delivery.review_delivery = True
    starlette_app.create_streamlit_middleware = with_delivery


# A query string in anything logged: ?token=..., ?receipt=..., ?display=..., ?ticket=... (personal links,
# receipts, wall-screen links and sign-in tickets travel in addresses).
_QUERY = re.compile(r"\?[^\s\"'<>?]*=[^\s\"'<>]*")


class _RedactedRecord(logging.LogRecord):
    def getMessage(self) -> str:
        return _QUERY.sub("?…", super().getMessage())


def quiet_logs() -> None:
    """No address with its query string reaches the app's log, whoever logs it: every log record of the
    process drops query strings from its message, and uvicorn's access log (off in Streamlit today) stays off."""
    logging.setLogRecordFactory(_RedactedRecord)
    logging.getLogger("uvicorn.access").disabled = True


def main() -> int:
    PagesManager.uses_pages_directory = False
    add_routes()
    add_delivery()
    quiet_logs()
    # REVIEW_TODAY (tests and demonstrations only): the app runs on that day; see core/clock.py.
    set_today_from(os.environ)
    housekeeping.start()  # a daemon thread: it ends with the server
    metrics.install()  # every interaction timed (ui/metrics.py: /_review/metrics, /_review/health)
    hall_now.start()  # a daemon thread: this process's last minute into the database for /panel
    preload()  # the libraries the pages import, before the first session waits for them (ui/preload.py)
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
