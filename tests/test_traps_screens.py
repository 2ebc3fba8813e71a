"""Issue 26 §4, the office's screens (AppTest): what a careful person expects after each step."""

from __future__ import annotations

from db.access import Actor
from db.engine import session_scope
from db.reviewer_pool import import_pool
from tests.support.apptest import app_database, open_app
from tests.support.pool_files import csv_bytes, people
from ui.i18n import catalogue

ADMIN = Actor("admin", "admin")


def by_label(widgets, key: str):
    [widget] = [w for w in widgets if w.label == catalogue("zh")[key]]
    return widget


def test_after_a_draw_the_redraw_form_starts_empty_and_unconfirmed(tmp_path, monkeypatch):
    engine = app_database(tmp_path, monkeypatch)
    with session_scope(engine) as s:
        import_pool(s, actor=ADMIN, year=2017, content=csv_bytes(people([20] * 6)), filename="pool.csv")
    at = open_app("draw", ADMIN)
    at.number_input[0].set_value(24).run()
    by_label(at.text_input, "draw.seed").input("2017-11-30 福彩3D 123").run()
    by_label(at.checkbox, "draw.confirm").check().run()
    by_label(at.button, "draw.perform").click().run()
    assert not at.exception
    seed = by_label(at.text_input, "draw.seed")
    assert seed.value == ""  # not the seed just used
    assert not any(box.value for box in at.checkbox)  # nothing ticked under the button
    seed.input("2017-11-30 福彩3D 123").run()  # the same seed again: said, and a reason is needed
    assert any("相同" in w.value for w in at.warning)
    assert by_label(at.button, "draw.perform").disabled


def test_a_new_account_has_no_role_until_chosen_and_appears_in_the_table_at_once(tmp_path, monkeypatch):
    app_database(tmp_path, monkeypatch)
    at = open_app("users", ADMIN)
    role = at.selectbox(key="new_role")
    assert role.value is None  # never 管理员 by default
    by_label(at.text_input, "users.username").input("zhang")
    by_label(at.button, "users.create").click().run()
    assert any("选择角色" in e.value for e in at.error)
    by_label(at.text_input, "users.username").input("zhang")
    at.selectbox(key="new_role").set_value("inspector")
    by_label(at.button, "users.create").click().run()
    assert not at.exception and not at.error
    assert "zhang" in list(at.dataframe[0].value[catalogue("zh")["users.username"]])
    assert any("zhang" in s.value for s in at.success)  # the one-time password, shown once
