"""Sessions attacked: a forged or replayed ticket at /_review/session, an open redirect, cookie attributes
over http and https; the sign-in page. (Edited, replayed and deactivated cookies and bad display tokens
against the store: tests/test_sessions_store.py; in a browser, with a display token on other pages:
tests/test_browser_sessions.py.)"""

from __future__ import annotations

import http.client
from urllib.parse import urlencode, urlparse

import pytest

from core.sessions import COOKIE, ENDPOINT
from db.access import Actor, cli_actor
from db.engine import session_scope
from db.signin import sessions
from db.users import create_user
from tests.support.apptest import app_database_with_leader, open_app
from tests.support.server import AppServer
from tests.test_security import leaves
from ui.i18n import catalogue

ZH = catalogue("zh")


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    engine = app_database_with_leader(tmp_path, monkeypatch)
    yield engine
    engine.dispose()


def test_the_sign_in_page_says_what_this_is(app_db):
    at = open_app()
    text = " ".join(str(e.value) for e in at.markdown)
    assert "区治庸问责办、纠风办" in text and "履职尽责督促检查" in text
    assert "2017年度履职尽责督促检查" in text and "2017-01-01" in text and "2017-12-31" in text


def test_signing_in_sends_the_browser_for_its_cookie(app_db):
    at = open_app()
    at.text_input[0].input("wang")
    at.text_input[1].input("leader password 1")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    assert at.session_state["actor"] == Actor("wang", "leader", None)
    scripts = [e for e in leaves(at.main) if e.type == "html"]
    assert len(scripts) == 1 and f"{ENDPOINT}?ticket=" in scripts[0].proto.body and "next=%2F" in scripts[0].proto.body
    assert [e.type for e in leaves(at.main)] == ["html"]  # nothing else until the browser is back with its cookie
    assert "signin_ticket" not in at.session_state  # sent once
    at.run()
    assert "2017年度履职尽责督促检查" in " ".join(str(e.value) for e in at.title)


# ---------------------------------------------------------------------------------------------
# The endpoint itself, over HTTP


@pytest.fixture
def server(tmp_path):
    from db.bootstrap import init_database
    from db.engine import make_engine

    url = f"sqlite:///{tmp_path / 'endpoint.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        create_user(s, actor=cli_actor(), username="wang", role="leader", password="leader password 1",
                    must_change_password=False)
    app = AppServer(url, tmp_path / "server.log", TRUST_PROXY="1").start()
    app.engine = engine
    yield app
    app.stop()
    engine.dispose()


SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}  # what a browser sends when our own page sends it here


def get(server, query: dict, headers: dict | None = None) -> http.client.HTTPResponse:
    """A request to the endpoint, as our own page's redirect makes it unless `headers` say otherwise."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", f"{ENDPOINT}?{urlencode(query)}", headers=SAME_ORIGIN if headers is None else headers)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


def ticket(engine) -> str:
    with session_scope(engine) as s:
        return sessions.sign_in(s, username="wang", password="leader password 1", ip="192.0.2.1",
                                salt="test salt").ticket


def test_the_endpoint_sets_an_httponly_cookie_once(server):
    first = ticket(server.engine)
    answer = get(server, {"ticket": first, "next": "/users"})
    assert answer.status == 303 and answer.getheader("Location") == "/users"
    assert answer.getheader("Cache-Control") == "no-store"
    cookie = answer.getheader("Set-Cookie")
    assert cookie.startswith(f"{COOKIE}=") and "; HttpOnly" in cookie and "; SameSite=Strict" in cookie
    assert "; Path=/" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    with session_scope(server.engine) as s:
        assert sessions.resume(s, cookie=value).actor.username == "wang"
    replay = get(server, {"ticket": first, "next": "/users"})
    assert replay.status == 303 and replay.getheader("Set-Cookie") is None
    forged = get(server, {"ticket": first[:-1] + "x", "next": "/"})
    assert forged.getheader("Set-Cookie") is None


def test_secure_over_https_from_the_trusted_proxy(server):
    answer = get(server, {"ticket": ticket(server.engine)}, {"X-Forwarded-Proto": "https", **SAME_ORIGIN})
    assert answer.getheader("Set-Cookie").endswith("; Secure")
    cleared = get(server, {"end": "1"}, {"X-Forwarded-Proto": "https", **SAME_ORIGIN})
    assert cleared.getheader("Set-Cookie") == f"{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_no_open_redirect(server, target):
    answer = get(server, {"ticket": "nothing", "next": target})
    assert answer.status == 303 and urlparse(answer.getheader("Location")).netloc == ""
    assert answer.getheader("Location") == "/"


def test_a_ticket_from_another_site_is_not_exchanged(server):
    planted = ticket(server.engine)  # the attacker's own ticket, in a link on their site
    for origin in ("cross-site", "same-site"):
        answer = get(server, {"ticket": planted, "next": "/"}, {"Sec-Fetch-Site": origin})
        assert answer.status == 303 and answer.getheader("Set-Cookie") is None
    # Not spent by the refused attempts: our own page's redirect still works.
    answer = get(server, {"ticket": planted, "next": "/"}, {"Sec-Fetch-Site": "same-origin"})
    assert answer.getheader("Set-Cookie").startswith(f"{COOKIE}=")


@pytest.mark.parametrize("named", [{"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"},
                                   {"Origin": "null"}, {}])
def test_without_sec_fetch_site_only_this_site_may_spend_a_ticket_or_clear_the_cookie(server, named):
    """An older browser sends no Sec-Fetch-Site: then Origin or Referer must name this site."""
    planted = ticket(server.engine)
    answer = get(server, {"ticket": planted, "next": "/"}, named)
    assert answer.status == 303 and answer.getheader("Set-Cookie") is None
    assert get(server, {"end": "1"}, named).getheader("Set-Cookie") is None  # no sign-out from elsewhere
    # Not spent: the same ticket from this site's own page still works.
    here = {"Referer": f"{server.url}/users"}
    assert get(server, {"ticket": planted, "next": "/"}, here).getheader("Set-Cookie").startswith(f"{COOKIE}=")
    assert get(server, {"end": "1"}, {"Origin": server.url}).getheader("Set-Cookie").startswith(f"{COOKIE}=;")
    # Behind the trusted proxy (TRUST_PROXY=1 here), the host the browser asked for is the proxy's word.
    proxied = {"Host": "127.0.0.1:1", "X-Forwarded-Host": "review.example.gov.cn", "Origin": "https://evil.example"}
    assert get(server, {"end": "1"}, proxied).getheader("Set-Cookie") is None
    proxied["Origin"] = "https://review.example.gov.cn"
    assert get(server, {"end": "1"}, proxied).getheader("Set-Cookie").startswith(f"{COOKIE}=;")


def test_a_sign_out_from_another_site_is_refused(server):
    for origin in ("cross-site", "same-site"):
        assert get(server, {"end": "1"}, {"Sec-Fetch-Site": origin}).getheader("Set-Cookie") is None
    assert get(server, {"end": "1"}, {"Sec-Fetch-Site": "same-origin"}).getheader("Set-Cookie").startswith(
        f"{COOKIE}=;")


def test_every_fragment_checks_the_session():
    """A fragment's rerun skips app.py (and its session check): pages make fragments only with
    ui.auth.fragment, which checks first. A bare st.fragment anywhere in the interface fails here."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    bare, checked = [], []
    for path in [root / "app.py", *(root / "ui").glob("*.py"), *(root / "pages").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "fragment" and getattr(node.value, "id", "") == "st":
                bare.append(f"{path.relative_to(root)}:{node.lineno}")
            if isinstance(node, ast.FunctionDef):
                names = [ast.unparse(d) for d in node.decorator_list]
                if any(n == "fragment" or n.startswith("fragment(") for n in names):
                    checked.append(f"{path.name}:{node.name}")
    assert [site.split(":")[0] for site in bare] == ["ui/auth.py"], bare  # the one inside ui.auth.fragment
    assert {"live.py:board", "panel.py:live_completion"} <= set(checked)
