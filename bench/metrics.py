"""What the app's own counters (db/metrics.py, ui/metrics.py) cost per interaction, in server CPU.

One tap on the questionnaire passes through: the rerun BackMsg received (its page label looked up, the time
taken), every ForwardMsg of the run handed to the websocket (a type check each; the questionnaire's tap sends
about 12), the end observed into the page's histogram, the answer counted, and the store transactions of the
run timed (about 3). The same calls are timed here on Streamlit's own classes with their real messages,
without the script run in between; the hall spends 10-13 ms of server CPU per interaction (README), so the
counters' share is the figure divided by that.
"""

from __future__ import annotations

import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

DELTAS_PER_TAP = 12
TRANSACTIONS_PER_TAP = 3


class _Pages:
    def get_pages(self):
        return {"hash-q": {"url_pathname": "questionnaire", "page_name": "questionnaire"}}


class _Session:
    """What the wrappers read of an AppSession (the real handle_backmsg below is replaced by a no-op)."""

    _pages_manager = _Pages()


def cost_us(rounds: int = 20000) -> float:
    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession

    from db import metrics
    from ui import metrics as hooks

    receive, send = AppSession.handle_backmsg, Runtime._send_message
    AppSession.handle_backmsg = lambda self, msg: None  # what Streamlit itself does is not ours to count
    Runtime._send_message = lambda self, info, msg: None
    try:
        AppSession._review_metrics = False
        hooks.install()
        wrapped_receive, wrapped_send = AppSession.handle_backmsg, Runtime._send_message
        session, info = _Session(), type("Info", (), {})()
        info.session = session
        rerun = BackMsg()
        rerun.rerun_script.page_script_hash = "hash-q"
        delta, finished = ForwardMsg(), ForwardMsg()
        delta.delta.new_element.markdown.body = "x"
        finished.script_finished = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY

        def tap() -> None:
            wrapped_receive(session, rerun)
            for _ in range(DELTAS_PER_TAP):
                wrapped_send(None, info, delta)
            for _ in range(TRANSACTIONS_PER_TAP):
                metrics.observe_transaction(0.002)
            metrics.ANSWERS.inc(1)
            wrapped_send(None, info, finished)

        for _ in range(1000):
            tap()
        started = time.process_time()
        for _ in range(rounds):
            tap()
        return (time.process_time() - started) / rounds * 1e6
    finally:
        AppSession.handle_backmsg, Runtime._send_message = receive, send
        AppSession._review_metrics = False


def run(emit) -> None:
    value = cost_us()
    emit("metrics_cpu_us_per_interaction", value, "µs of server CPU per questionnaire tap for the app's own counters "
         f"(receive, {DELTAS_PER_TAP} messages sent, {TRANSACTIONS_PER_TAP} transactions, one answer)", 50, "lower")
