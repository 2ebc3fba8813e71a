"""A table's Excel export from a page that shows the demo banner says 演示数据 in a first sheet; the table
itself is unchanged, and exports of pages without the banner are not marked."""

import io

import pandas as pd
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from ui.downloads import DEMO_SHEET, DEMO_WARNING, xlsx_bytes


def test_a_demo_export_opens_on_a_sheet_that_says_so():
    frame = pd.DataFrame({"单位": ["区教育局"], "得分": [88.5]})
    book = load_workbook(io.BytesIO(xlsx_bytes(frame, sheet="排名", demo=True)))
    assert book.sheetnames == [DEMO_SHEET, "排名"] and book[DEMO_SHEET]["A2"].value == DEMO_WARNING
    assert [c.value for c in book["排名"][2]] == ["区教育局", 88.5]
    plain = load_workbook(io.BytesIO(xlsx_bytes(frame, sheet="排名")))
    assert plain.sheetnames == ["排名"]


def marking_page():
    import streamlit as st

    from ui.downloads import exports_are_demo, mark_exports_demo

    st.write(f"before:{exports_are_demo()}")
    mark_exports_demo(st.session_state.get("demo_on", True))
    st.write(f"after:{exports_are_demo()}")


def test_the_banner_marks_the_exports_of_its_own_run_only():
    at = AppTest.from_function(marking_page).run()
    assert [m.value for m in at.markdown] == ["before:False", "after:True"]
    at.session_state["demo_on"] = False
    at.run()
    assert [m.value for m in at.markdown] == ["before:True", "after:False"]
