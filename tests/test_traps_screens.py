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
