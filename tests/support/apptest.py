"""Driving app.py with Streamlit's AppTest against a fresh, initialised SQLite database."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from db.access import cli_actor
from db.bootstrap import init_database
from db.engine import make_engine

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def app_database(tmp_path, monkeypatch, **environment: str):
    """Point the app at a new database in `tmp_path` (plus any environment given) and initialise it."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    # Sign-ins and the questionnaire hash the network with it: never data/network_salt from a test.
    for name, value in {"NETWORK_SALT": "apptest-salt", **environment}.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    return engine


LEADER = ("wang", "leader password 1")  # the staff account app_database_with_leader makes


def app_database_with_leader(tmp_path, monkeypatch, **environment: str):
    """app_database, plus one leader account (LEADER) who has already chosen a password."""
    from db.engine import session_scope
    from db.users import create_user

    engine = app_database(tmp_path, monkeypatch, **environment)
    with session_scope(engine) as s:
        create_user(s, actor=cli_actor(), username=LEADER[0], role="leader", password=LEADER[1],
                    must_change_password=False)
    return engine


def open_app(page: str | None = None, actor=None, *, must_change: bool = False, state: dict | None = None) -> AppTest:
    """Run app.py (signed in as `actor`, if given) and switch to pages/<page>.py."""
    at = AppTest.from_file(APP, default_timeout=60)
    if actor is not None:
        at.session_state["actor"] = actor
        at.session_state["must_change_password"] = must_change
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py")
        at.run()
    return at


def shown(at: AppTest) -> str:
    """Every message, title and heading on the screen, as one string."""
    elements = [*at.error, *at.success, *at.warning, *at.info, *at.title, *at.header, *at.subheader, *at.markdown]
    return " ".join(str(e.value) for e in elements)


def run(at: AppTest) -> AppTest:
    """Run the app once more; a page that raised fails the test with its exception."""
    at.run()
    assert not at.exception, at.exception
    return at


def press(at: AppTest, label: str) -> AppTest:
    """Click the button (or form submit button) labelled `label`, then run."""
    buttons = [*at.button, *at.get("form_submit_button")]
    next(b for b in buttons if b.label == label).click()
    return run(at)
