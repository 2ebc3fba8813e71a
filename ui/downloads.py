"""Every table as CSV and Excel, every chart as PNG: files that open in Excel, WPS and image viewers.

Text that a spreadsheet would run as a formula (=, +, -, @ at the start; a finding's description
or a case title is typed by people) is prefixed with an apostrophe, so opening an export never
executes anything. Numbers stay numbers.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from documents.labels import DEMO_MARK, DEMO_WARNING
from documents.workbook import defuse
from ui import charts
from ui.i18n import language, t

DEMO_SHEET = DEMO_MARK  # the first sheet of an Excel export made from demo data says so
_DEMO_PAGE = "_demo_export_page"


def _page() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else ""


def mark_exports_demo(is_demo: bool) -> None:
    """Called where a page shows the demo banner: this page's Excel exports then say 演示数据 too.
    Keyed by the page, so another page's exports are never marked by a stale flag."""
    st.session_state[_DEMO_PAGE] = _page() if is_demo else None


def exports_are_demo() -> bool:
    marked = st.session_state.get(_DEMO_PAGE)
    return marked is not None and marked == _page()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_NAME = re.compile(r"[^\w\-.]+", re.UNICODE)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with formula-like text neutralised and time zones dropped (Excel has none)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_localize(None)
        elif series.dtype == object or pd.api.types.is_string_dtype(series):
            out[column] = series.map(defuse)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # UTF-8 with BOM: Excel on Chinese Windows otherwise reads the file as GBK and garbles it.
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, *, sheet: str = "data", demo: bool = False) -> bytes:
    """The table as a workbook; from demo data (`demo`) a first sheet says so, the table itself unchanged."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        if demo:
            pd.DataFrame({DEMO_SHEET: [DEMO_WARNING]}).to_excel(writer, index=False, sheet_name=DEMO_SHEET)
            writer.sheets[DEMO_SHEET].column_dimensions["A"].width = 70
        safe_frame(frame).to_excel(writer, index=False, sheet_name=sheet[:31] or "data")
        worksheet = writer.sheets[sheet[:31] or "data"]
        for cells in worksheet.columns:  # wide enough to read Chinese headers without dragging
            width = max(len(str(c.value or "")) for c in cells[:200])
            worksheet.column_dimensions[cells[0].column_letter].width = min(max(width * 1.6, 8), 60)
    return buffer.getvalue()


def file_name(name: str, extension: str) -> str:
    return f"{_UNSAFE_NAME.sub('-', name).strip('-') or 'export'}.{extension}"


def table_downloads(frame: pd.DataFrame, *, name: str, key: str) -> None:
    """CSV and Excel buttons for a table, side by side. The files are made when a button is clicked
    (Streamlit calls the function then): a wall screen redraws its tables every few seconds, and an
    Excel file takes longer to write than the whole screen takes to draw."""
    left, right, _ = st.columns([1, 1, 6])
    left.download_button(t("dash.download_csv"), lambda: csv_bytes(frame), file_name=file_name(name, "csv"),
                         mime="text/csv", key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    # Whether the page shows demo data is read now: the file itself is made later, when the button is clicked.
    demo = exports_are_demo()
    right.download_button(t("dash.download_xlsx"), lambda: xlsx_bytes(frame, sheet=name, demo=demo),
                          file_name=file_name(name, "xlsx"), mime=XLSX, key=f"{key}_xlsx",
                          icon=":material/table_view:", on_click="ignore")


def show_table(frame: pd.DataFrame, *, name: str, key: str, height: int | str = "auto", **options) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", height=height, key=f"{key}_table", **options)
    table_downloads(frame, name=name, key=key)


def chart_download(fig: go.Figure, *, name: str, key: str) -> None:
    """A PNG button; the image is rendered only when clicked (a render takes a second or two)."""
    if not charts.png_available():
        st.button(t("dash.download_png"), key=f"{key}_png", disabled=True, help=t("dash.png_unavailable"))
        return
    st.download_button(t("dash.download_png"), lambda: charts.png(fig), file_name=file_name(name, "png"),
                       mime="image/png", key=f"{key}_png", icon=":material/image:", on_click="ignore")


def show_chart(fig: go.Figure, *, name: str, key: str) -> None:
    # Chinese date axes in the Chinese interface; every text shown as written (no link made of a unit's name).
    fig = charts.as_text(charts.localised(fig, language()))
    st.plotly_chart(fig, width="stretch", key=f"{key}_chart", config={"displaylogo": False})
    chart_download(fig, name=name, key=key)
