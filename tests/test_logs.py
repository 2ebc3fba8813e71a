"""Secrets stay out of logs.

A short hall (bench.hall) through nginx and two replicas on PostgreSQL: reviewers open their personal links
(?token=), a leader signs in (a ticket in /_review/session?ticket=, a session id in a cookie), citizens vote.
Then, through the same proxy, a wall screen opens its display link (?display=), a citizen reads a receipt
(?receipt=) and a reviewer types a venue ballot code; one replica is stopped, so that nginx fails to reach
it on the next requests (what its error log reports, with the request line). nginx's access and error logs
and both app processes' logs hold none of the secrets used. The app's own logging redacts query strings
whatever logs them.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bench.hall import client
from bench.hall.client import Tab
from bench.hall.people import Pace
from bench.hall.run import Plan, drive
from bench.hall.stage import PANEL_YEAR, SALT, start
from core.clock import office_today
from core.sessions import COOKIE
from db.access import cli_actor
from db.campaigns import get_campaign, reviewer_groups
from db.complaints import intake
from db.engine import make_engine, session_scope
from db.models import Unit
from db.questionnaire import issue_ballots
from db.signin.display_links import create_display_link
from tests.conftest import unavailable
from tests.support import postgres
from tests.support.run_async import run_async

ROOT = Path(__file__).resolve().parents[1]

SECRET_PARAMS = ("token", "ticket", "receipt", "display")


def secrets_in(url: str) -> dict[str, str]:
    query = parse_qs(urlsplit(url).query)
    return {value: name for name in SECRET_PARAMS for value in query.get(name, [])}


async def other_visitors(base: str, database_url: str) -> dict[str, str]:
    """A wall screen, a citizen with a receipt and a reviewer with a ballot code, through the proxy."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as s:
            link = create_display_link(s, actor=cli_actor(), year=office_today().year, base_url=base)
            campaign = get_campaign(s, office_today().year)
            unit = s.exec(Unit.__table__.select().where(Unit.campaign_id == campaign.id)).first()
            filed = intake.vote(s, campaign_id=campaign.id, unit_id=unit.id, option="dissatisfied",
                                device_id="f" * 32, ip="203.0.113.9", comment="窗口人员态度生硬", salt=SALT)
            group = reviewer_groups(s, get_campaign(s, PANEL_YEAR).id)[0].code
            [ballot] = issue_ballots(s, actor=cli_actor(), year=PANEL_YEAR, group_code=group, count=1)
    finally:
        engine.dispose()
    display = link.url.split("display=", 1)[1]
    for path in (f"/live?display={display}", f"/poll?receipt={filed.receipt}"):
        tab = Tab(base, path)
        await tab.open()
        await tab.close()
    tab = Tab(base, "/questionnaire")
    await tab.open()
    field = next(w for w in tab.widgets("text_input") if w.form_id)
    submit = next(w for w in tab.widgets("button") if getattr(w.proto, "is_form_submitter", False))
    await tab.type(field, ballot)
    await tab.click(submit)
    await tab.close()
    return {display: "display", filed.receipt: "receipt", ballot: "ballot code", ballot.replace("-", ""): "ballot code"}


def stop_one_replica(stage) -> None:
    """Stop the first replica and wait until it is gone (its process a zombie: the stage's stop() reaps it)."""
    pid = stage.pids["app"][0]
    os.killpg(pid, signal.SIGTERM)
    stat = Path(f"/proc/{pid}/stat")
    for _ in range(300):
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return
        time.sleep(0.1)
    raise AssertionError("the replica did not stop")


@pytest.fixture(scope="module")
def logged():
    """The hall run and the other visits; yields the secrets used and the text of every log file."""
    if shutil.which("nginx") is None:
        unavailable("nginx (Debian package nginx-light)")
    if not postgres.can_start():
        unavailable("PostgreSQL (initdb/pg_ctl)")
    used: dict[str, str] = {}  # secret -> what it is
    original = client.http_get

    async def recording(url, headers, timeout=60):
        """Every address the virtual browsers fetch, and every session id the app gives them."""
        used.update(secrets_in(url))
        status, answer, body = await original(url, headers, timeout)
        used.update((value.split(";")[0].split("=", 1)[1], "session id") for name, value in answer
                    if name.lower() == "set-cookie" and value.startswith(f"{COOKIE}="))
        return status, answer, body

    patch = pytest.MonkeyPatch()
    patch.setattr(client, "http_get", recording)
    stage, database_url = start(reviewers=3, database="postgresql", replicas=2)
    try:
        plan = Plan(reviewers=3, citizens=3, live_viewers=1, minutes=0.25, units=2, mid_hall=False,
                    pace=Pace((0, 0.05), (0, 0.05), (0, 0.05), live_every=1), replicas=2, database="postgresql")
        result = run_async(drive(plan, stage, {}), timeout=300)
        used.update((invitation.token, "token") for invitation in stage.invitations)
        used.update(run_async(other_visitors(stage.url, database_url), timeout=300))
        stop_one_replica(stage)
        for k, invitation in enumerate(stage.invitations[:8]):  # some of these hash to the stopped replica
            request = urllib.request.Request(f"{stage.url}{urlsplit(invitation.link).path}?"
                                             f"{urlsplit(invitation.link).query}",
                                             headers={"Cookie": f"review_replica=gone{k}"})
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 200  # nginx passed it on to the replica still running
        folder = stage.logs[0].parent
        logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
                for path in [folder / "access.log", folder / "error.log", *stage.logs] if path.exists()}
        yield result, used, logs
    finally:
        stage.stop()
        patch.undo()


def test_the_run_used_every_kind_of_secret(logged):
    result, used, logs = logged
    assert result.record.failures == []
    assert {"token", "ticket", "session id", "display", "receipt", "ballot code"} <= set(used.values())
    assert {"access.log", "app0.log", "app1.log"} <= set(logs)
    access = logs["access.log"]
    # The access log is there, with the requests that carried secrets: their paths, no query.
    assert "GET /questionnaire? " in access and "GET /_review/session? " in access and "GET /live? " in access
    assert "GET /poll? " in access and " 200 " in access


def test_no_log_holds_a_secret(logged):
    _result, used, logs = logged
    found = {(name, kind) for name, text in logs.items() for secret, kind in used.items() if secret in text}
    assert found == set()
    leaks = {(name, param) for name, text in logs.items() for param in SECRET_PARAMS if f"{param}=" in text}
    assert leaks == set()


def test_the_shipped_log_format_has_no_query_string():
    """deploy/nginx.conf: the access log's format names the path alone, no Referer; the error log (which
    quotes request lines and cannot be formatted) keeps critical lines only."""
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    log_format = re.search(r"log_format review (.*?);", text, re.DOTALL).group(1)
    assert "$uri" in log_format and "$status" in log_format and "$body_bytes_sent" in log_format
    assert not re.search(r"\$(request|request_uri|args|query_string|http_referer|arg_\w+)\b", log_format)
    assert [fmt for path, fmt in re.findall(r"^\s*access_log\s+(\S+)(.*);", text, re.MULTILINE)
            if path != "off"] == [" review"]
    assert re.findall(r"^\s*error_log\s+\S+\s+(\w+);", text, re.MULTILINE) == ["crit"]


def test_the_apps_own_logging_redacts_query_strings(caplog):
    """Whatever logs an address in the app's process (a library, a debug line, an error with the request in
    it), its query string is not written: ui.serve installs the redaction before Streamlit starts."""
    from ui.serve import quiet_logs

    factory = logging.getLogRecordFactory()
    try:
        quiet_logs()
        with caplog.at_level(logging.INFO):
            logging.getLogger("anything").warning("GET %s failed", "/questionnaire?token=abc123secret&x=1")
            logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /poll?receipt=ABCD-EFGH HTTP/1.1" 200')
            logging.getLogger("anything").warning("is this a question? yes=no")
        assert "abc123secret" not in caplog.text and "ABCD-EFGH" not in caplog.text
        assert "GET /questionnaire?… failed" in caplog.text and "is this a question? yes=no" in caplog.text
        assert logging.getLogger("uvicorn.access").disabled
    finally:
        logging.setLogRecordFactory(factory)
        logging.getLogger("uvicorn.access").disabled = False
