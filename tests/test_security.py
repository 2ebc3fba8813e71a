"""Security, walked systematically: every page for every role (and signed out), every store function
that takes an actor, and the settings and habits that keep the platform safe (XSRF, upload limit, no
user text as HTML, no secrets in the repository, token entropy).

Generic on purpose: a page added to app.PAGES or a store function with an `actor` parameter is
covered the moment it exists.
"""

from __future__ import annotations

import ast
import base64
import datetime as dt
import importlib
import inspect
import pkgutil
import re
import subprocess
import tomllib
import types
import typing
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select

import db
from core import tokens
from core.errors import Forbidden, NotFound
from core.roles import PAGE_ROLES, ROLES, may_open
from db.access import Actor, cli_actor
from db.demo.years import load_demo
from tests.support.apptest import app_database, open_app
from ui.i18n import catalogue

ROOT = Path(__file__).resolve().parents[1]
ZH = catalogue("zh")
ACTORS = {role: Actor(f"{role}1", role, "es01" if role == "liaison" else None) for role in ROLES}
DATA_ELEMENTS = {"dataframe", "table", "metric", "json", "plotly_chart", "arrow_vega_lite_chart", "vega_lite_chart",
                 "download_button", "file_uploader", "data_editor"}


def app_pages() -> list[tuple[str, str]]:
    """(page key, file) of every entry of app.PAGES, read from the source (importing app.py would run it)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            return [(key, file) for _, key, file, _, _ in ast.literal_eval(node.value)]
    raise AssertionError("no PAGES list in app.py")


PAGES = app_pages()


def leaves(block) -> list:
    """Every element drawn in a block (containers opened up)."""
    found = []
    for child in getattr(block, "children", {}).values():
        if child.type in ("block", "container", "form", "expander", "columns", "column", "tabs", "tab",
                          "flex_container") and hasattr(child, "children"):
            found += leaves(child)
        else:
            found.append(child)
    return found


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The app on a database with a campaign's worth of demo data (so pages have something to leak)."""
    monkeypatch = pytest.MonkeyPatch()
    engine = app_database(tmp_path_factory.mktemp("security"), monkeypatch, POLL_SALT="security-salt")
    load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=200)
    yield engine
    engine.dispose()
    monkeypatch.undo()


def test_every_page_has_a_role_rule():
    assert {key for key, _ in PAGES} == set(PAGE_ROLES)
    assert len(PAGES) >= 13


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "signed-out"])
@pytest.mark.parametrize(("key", "file"), PAGES, ids=[key for key, _ in PAGES])
def test_every_page_for_every_role(demo_app, key, file, role):
    at = open_app(file.removesuffix(".py"), ACTORS.get(role))
    assert not at.exception, f"{file} as {role}: {at.exception}"
    drawn = leaves(at.main)
    errors = [str(e.value) for e in at.error]
    if may_open(key, role):
        assert ZH["auth.no_access"] not in errors, f"{file} refused {role}, who may open it"
        assert drawn, f"{file} showed nothing to {role}"
    elif role is None:
        # Signed out: the sign-in form and nothing of the page.
        assert ZH["auth.sign_in"] in [str(e.value) for e in at.subheader]
        assert not [e.type for e in drawn if e.type in DATA_ELEMENTS]
        assert [e.type for e in drawn if e.type not in ("subheader", "text_input", "button", "selectbox",
                                                        "markdown", "form_submit_button")] == []
    else:
        # Signed in with the wrong role: "no access", and nothing else at all.
        assert [(e.type, str(e.value)) for e in drawn] == [("error", ZH["auth.no_access"])], f"{file} as {role}"


# ---------------------------------------------------------------------------------------------
# Store functions that take an actor refuse a role that is not theirs


def actor_functions() -> list[tuple[str, typing.Callable]]:
    found = []
    # Packages of db/ too (db/signin/...), except the migrations.
    for info in pkgutil.walk_packages(db.__path__, "db."):
        last = info.name.rsplit(".", 1)[-1]
        if last.startswith("_") or info.name.startswith("db.migrations") or info.name == "db.access":
            continue  # access: the check itself
        module = importlib.import_module(info.name)
        for name, function in vars(module).items():
            if (inspect.isfunction(function) and function.__module__ == module.__name__ and not name.startswith("_")
                    and "actor" in inspect.signature(function).parameters):
                found.append((f"{info.name}.{name}", function))
    return found


# Not guarded by a role, and why.
NOT_ROLE_CHECKED = {
    "db.audit.record": "adds the audit event to a change its caller has checked already",
}
# Guarded by the account rather than the role: the actor must be an existing user.
OWN_ACCOUNT = {"db.users.change_password", "db.signin.sessions.sign_out"}
ACTOR_FUNCTIONS = [(name, f) for name, f in actor_functions() if name not in NOT_ROLE_CHECKED]
INTRUDER = Actor("intruder", "visitor")  # a role no rule lets in


def dummy(parameter: inspect.Parameter, hints: dict, session, engine):
    """A plausible value of the parameter's type: enough to get past the call, not past the role check."""
    if parameter.name == "session":
        return session
    if parameter.name == "engine":
        return engine
    if parameter.default is not inspect.Parameter.empty:
        return parameter.default
    hint = hints.get(parameter.name, str)
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union \
        else (hint,)
    for kind in options:
        base = typing.get_origin(kind) or kind
        for candidate, value in ((bool, False), (int, 1), (float, 1.0), (str, "x"), (bytes, b"x"),
                                 (dt.datetime, dt.datetime(2017, 6, 1, tzinfo=dt.UTC)), (dt.date, dt.date(2017, 6, 1)),
                                 (list, []), (tuple, ()), (dict, {}), (set, set()), (Path, Path("x"))):
            if base is candidate:
                return value
    return None


def test_store_functions_that_take_an_actor_were_found():
    names = [name for name, _ in ACTOR_FUNCTIONS]
    assert "db.users.create_user" in names and "db.poll.rule_on_votes" in names and len(names) >= 20
    assert "db.signin.sessions.end_session" in names and "db.signin.display_links.revoke_display_link" in names
    assert "db.complaints.handling.close" in names


def row_counts(engine) -> dict[str, int]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()}


@pytest.mark.parametrize(("name", "function"), ACTOR_FUNCTIONS, ids=[name for name, _ in ACTOR_FUNCTIONS])
def test_a_store_function_refuses_a_role_that_is_not_its_own(demo_app, name, function):
    from db.engine import session_scope

    before = row_counts(demo_app)
    hints = typing.get_type_hints(function)
    with session_scope(demo_app) as session:
        arguments = {p.name: dummy(p, hints, session, demo_app) for p in inspect.signature(function).parameters.values()
                     if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)}
        arguments["actor"] = INTRUDER
        positional = [arguments.pop(p.name) for p in inspect.signature(function).parameters.values()
                      if p.kind is inspect.Parameter.POSITIONAL_ONLY or
                      (p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.name in ("session", "engine"))]
        with pytest.raises(NotFound if name in OWN_ACCOUNT else Forbidden):
            function(*positional, **arguments)
        session.rollback()
    assert row_counts(demo_app) == before


# ---------------------------------------------------------------------------------------------
# Settings and habits


def test_xsrf_on_and_uploads_limited():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert 0 < config["server"]["maxUploadSize"] <= 50  # megabytes
    assert config["client"]["showErrorDetails"] == "none"


# Every place that hands HTML or script to the browser, with why it is safe. A new one fails this
# test until someone has checked it carries no user text and added it here.
HTML_SITES = {
    ("app.py", "st.markdown(NO_SIDEBAR, unsafe_allow_html=True)"): "a constant style sheet",
    ("ui/questionnaire.py", "st.html(TOUCH_CSS)"): "a constant style sheet",
    ("pages/poll.py", "st.html(TOUCH_CSS)"): "a constant style sheet",
    ("pages/live.py", "st.markdown(STYLE, unsafe_allow_html=True)"): "a constant style sheet",
    ("ui/uploads.py", '</style>""", unsafe_allow_html=True)'):
        "a style sheet of the code: the uploader's widget key (a constant of the code) and catalogue text as "
        "JSON-quoted CSS strings",
    ("pages/live.py", """st.markdown(f"<span class='live-badge live-{kind}'>{escape(badge)}</span>", """
                      "unsafe_allow_html=True)"): "catalogue text escaped; the class from a fixed pair",
    ("ui/auth.py", 'st.html(page, unsafe_allow_javascript=True, width="content")'):
        "a constant script (allowed by hash in the CSP); the attribute is html.escape of our endpoint's path "
        "with a urlencoded server-made ticket",
}
HTML_CALL = re.compile(r"unsafe_allow_html\s*=\s*True|st\.html\(|unsafe_allow_javascript|components\.v1|"
                       r"components\.html|st\.components")


def test_no_user_text_is_rendered_as_html():
    sites = set()
    for path in [ROOT / "app.py", *(ROOT / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if HTML_CALL.search(line):
                sites.add((str(path.relative_to(ROOT)), line.strip()))
    assert sites == set(HTML_SITES), "check each new HTML site for user text, then list it in HTML_SITES"


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"(?i)\b(password|passwd|secret|salt|api_key|token)\s*[:=]\s*[\"'][A-Za-z0-9+/_\-]{12,}[\"']"),
    re.compile(r"postgres(?:ql)?(?:\+\w+)?://[^:/\s]+:(?!password@|PASSWORD@|\$|…)[^@\s]+@"),
]


def test_no_secrets_in_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert ".streamlit/secrets.toml" not in tracked
    assert not [f for f in tracked if f.startswith("data/") and f != "data/.gitkeep"]
    found = []
    for name in tracked:
        path = ROOT / name
        # Tests make throw-away accounts; catalogues hold the word "password" as a label.
        if name.startswith(("tests/", "ui/locales/")) or not path.is_file() or path.suffix in (".png", ".pdf",
                                                                                                ".xlsx"):
            continue
        content = path.read_text(encoding="utf-8", errors="replace")
        found += [(name, m.group(0)[:40]) for pattern in SECRET_PATTERNS for m in pattern.finditer(content)]
    assert found == []
    ignored = (ROOT / ".gitignore").read_text()
    assert ".streamlit/secrets.toml" in ignored and "data/" in ignored


def test_tokens_and_ballot_codes_carry_at_least_128_bits():
    assert tokens.TOKEN_BYTES * 8 >= 128 and tokens.BALLOT_BITS >= 128
    samples = [tokens.new_token() for _ in range(2000)]
    assert len(set(samples)) == len(samples)
    assert all(len(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))) * 8 >= 128 for s in samples)
    codes = [tokens.normalise_ballot_code(tokens.new_ballot_code()) for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    assert all(len(c.replace("-", "")) * 5 >= 128 for c in codes)  # 5 bits per base32 character
    # A complaint's receipt: at least 64 random bits (the issue asks that much; 80 are used).
    from core import complaints

    receipts = [complaints.normalise_receipt(complaints.new_receipt()) for _ in range(2000)]
    assert len(set(receipts)) == len(receipts) and all(len(r.replace("-", "")) * 5 >= 64 for r in receipts)
    # Stored only as hashes: no column of the schema holds a token or code in plain text.
    from db import models

    columns = {c.name for table in models.SQLModel.metadata.tables.values() for c in table.columns}
    assert not {"token", "plain_token", "ballot_code", "link", "receipt", "receipt_code"} & columns
    assert "token_hash" in columns and "receipt_hash" in columns
