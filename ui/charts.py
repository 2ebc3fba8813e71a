"""Plotly figures of the dashboards, labelled in the interface language, and their PNG export.

Figures take frames that are already aggregated and labelled (the page translates codes with
t() before calling), so every text on a chart is Chinese by default. The font stack names
Noto Sans CJK first: the browser and the PNG renderer (kaleido driving Debian's Chromium, with
fonts-noto-cjk installed) then draw Chinese glyphs instead of empty boxes.
"""

from __future__ import annotations

import functools
import re
import shutil
import threading
from collections import OrderedDict
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from ui.i18n import language

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
GRADE_COLOURS = {"excellent": "#1a7f37", "qualified": "#2f6fbf", "unqualified": "#c62828"}
SERIES = ["#2f6fbf", "#e07b00", "#1a7f37", "#8e44ad", "#c62828", "#00897b", "#6d4c41"]
PNG_SIZE = (1600, 900)
TEMPLATE = "plotly_white"
FIGURE_CACHE = 256  # figures kept per process (a wall screen's dozen, for a few campaigns and both languages)


def _key(value: object) -> object:
    """A hashable stand-in for an argument: a frame by its columns, types and values."""
    if isinstance(value, pd.DataFrame):
        return ("frame", tuple(map(str, value.columns)), tuple(map(str, value.dtypes)),
                value.to_json(orient="values", date_format="iso", default_handler=str))
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _key(v)) for k, v in value.items()))
    return value


def remembered(build):
    """Build a figure once per distinct input, and hand the same figure out again.

    Putting a Plotly figure together (validation, the template) costs tens of milliseconds; a wall
    screen redraws the same figures every few seconds from data that rarely changed. Callers must
    not change a returned figure (none does: st.plotly_chart and png() copy it).
    """
    cache: OrderedDict = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        shown_in = language()  # date axes follow the interface language: one figure per language
        key = (_key(args), _key(kwargs), shown_in)
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        fig = as_text(localised(build(*args, **kwargs), shown_in))
        with lock:
            cache[key] = fig
            while len(cache) > FIGURE_CACHE:
                cache.popitem(last=False)
        return fig

    wrapper.cache = cache
    return wrapper


# Plotly reads a small HTML in every text it draws (<a href>, <b>, <br>, entities): a unit named
# `<a href="https://x">区教育局</a>` would be a link on every chart. As entities, plotly shows the characters.
_PSEUDO_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_TRACE_TEXTS = ("x", "y", "text", "hovertext", "customdata", "name", "labels", "theta")


def _as_text(value):
    if isinstance(value, str):
        return value.translate(_PSEUDO_HTML)
    if isinstance(value, (list, tuple)):
        return type(value)(_as_text(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype == object and value.size:
        return np.vectorize(_as_text, otypes=[object])(value)
    return value


def as_text(fig: go.Figure) -> go.Figure:
    """The figure with every text it shows (categories, labels, hover data, trace names, titles) as written;
    numbers and dates untouched. In place, once per figure (show_chart and every remembered figure)."""
    if getattr(fig, "_as_text", False):
        return fig
    for trace in fig.data:
        for prop in _TRACE_TEXTS:
            if prop in trace and trace[prop] is not None:
                trace[prop] = _as_text(trace[prop])
    layout = fig.layout
    axes = [layout[k] for k in layout if k.startswith(("xaxis", "yaxis"))]
    for part in (layout, *axes, layout.legend):
        if part.title is not None and part.title.text:
            part.title.text = _as_text(part.title.text)
    for axis in axes:  # the order and labels of categories name them as the traces do
        for prop in ("categoryarray", "ticktext", "tickvals"):
            if axis[prop] is not None:
                axis[prop] = _as_text(axis[prop])
    for note in layout.annotations or ():
        note.text = _as_text(note.text)
    fig._as_text = True
    return fig


def with_template(fig: go.Figure, name: str = TEMPLATE) -> go.Figure:
    """The figure with plotly's registered template `name`, as `update_layout(template=name)` gives it, without
    the deep copy and validation of the whole template that costs (py-spy, a `/live` refresh whose votes changed)
    two thirds of building a chart: the registered template is valid already, and the figure keeps its JSON
    (a copy), as plotly does for its default template. tests/test_speed.py compares the two figures."""
    layout = fig.layout
    layout._validate = False
    try:
        layout.template = pio.templates[name]
    finally:
        layout._validate = fig._validate
    return fig


def _layout(fig: go.Figure, *, title: str = "", big: bool = False, height: int | None = None) -> go.Figure:
    """One look for every chart; `big` for the wall screen, readable across a room."""
    size = 20 if big else 14
    fig.update_layout(
        title={"text": title, "font": {"size": size + 4}}, font={"family": FONT, "size": size},
        margin={"l": 10, "r": 10, "t": 60 if title else 20, "b": 40},
        # Under the plot: above it, the legend would collide with the title.
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0}, height=height,
        hoverlabel={"font": {"family": FONT}})
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return with_template(fig)  # last: a later layout update would read the template back into objects


# Plotly writes month names in English ("Dec 8") whatever the page's language, and its own
# locales need a JavaScript file loaded at run time. A Chinese date format per zoom level does
# the same without one: days as 12月08日, months as 2026年12月, years as 2026年.
ZH_DATE_TICKS = [
    {"dtickrange": [None, 86_400_000], "value": "%m月%d日 %H:%M"},
    {"dtickrange": [86_400_000, "M1"], "value": "%m月%d日"},
    {"dtickrange": ["M1", "M12"], "value": "%Y年%m月"},
    {"dtickrange": ["M12", None], "value": "%Y年"},
]
ZH_DATE_HOVER = "%Y年%m月%d日"
_ISO_DAY = re.compile(r"\d{4}-\d{2}(-\d{2})?([ T].*)?")


def _is_dates(values) -> bool:
    """Whether a trace's x values are days or moments (what plotly puts on a date axis)."""
    if values is None:
        return False
    for value in values:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        if isinstance(value, (date, np.datetime64, pd.Timestamp)):
            return True
        return isinstance(value, str) and _ISO_DAY.fullmatch(value) is not None
    return False


def localised(fig: go.Figure, language: str) -> go.Figure:
    """Date axes in the interface language: in Chinese, Chinese day and month formats (no JS locale
    file needed); in English, plotly's own. Only x axes that carry dates are touched."""
    if getattr(fig, "_localised", None) == language:  # a remembered figure, localised when it was built
        return fig
    if language == "zh" and any(_is_dates(getattr(trace, "x", None)) for trace in fig.data):
        fig.update_xaxes(tickformatstops=ZH_DATE_TICKS, hoverformat=ZH_DATE_HOVER)
    fig._localised = language
    return fig


def short(text: str, limit: int = 12) -> str:
    """Long unit names (区经信局(区商务局、区科技局)) cut for an axis; the hover shows the whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@remembered
def completion_bars(frame: pd.DataFrame, *, group: str, drawn: str, submitted: str, title: str,
                    big: bool = False) -> go.Figure:
    """Questionnaires submitted against drawn, per reviewer group (withheld groups show no bar)."""
    fig = go.Figure([
        go.Bar(y=frame[group], x=frame[drawn], name=drawn, orientation="h", marker_color="#cfd8e3"),
        go.Bar(y=frame[group], x=frame[submitted], name=submitted, orientation="h", marker_color=SERIES[0],
               text=frame[submitted], textposition="auto"),
    ])
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title=title, big=big, height=360 if big else 300)


@remembered
def votes_by_day(frame: pd.DataFrame, *, day: str, counted: str, flagged: str, title: str,
                 big: bool = False) -> go.Figure:
    fig = go.Figure([go.Bar(x=frame[day], y=frame[counted], name=counted, marker_color=SERIES[0]),
                     go.Bar(x=frame[day], y=frame[flagged], name=flagged, marker_color=SERIES[1])])
    fig.update_layout(barmode="stack")
    return _layout(fig, title=title, big=big, height=320 if big else 280)


@remembered
def ranking(frame: pd.DataFrame, *, unit: str, total: str, low: str, high: str, grade: str, grade_code: str,
            borderline: str, title: str, big: bool = False) -> go.Figure:
    """Units of one category, best first: the score as a dot, its 90 % interval as a bar, colour by grade."""
    fig = go.Figure()
    frame = frame.reset_index(drop=True)
    for code, colour in GRADE_COLOURS.items():
        part = frame[frame[grade_code] == code]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part[total], y=[short(u, 14) for u in part[unit]], mode="markers", name=str(part[grade].iloc[0]),
            marker={"color": colour, "size": 14 if big else 10,
                    "symbol": ["diamond" if b else "circle" for b in part[borderline]]},
            error_x={"type": "data", "symmetric": False, "array": (part[high] - part[total]).tolist(),
                     "arrayminus": (part[total] - part[low]).tolist(), "thickness": 3 if big else 2},
            customdata=part[[unit, low, high]].to_numpy(),
            hovertemplate="%{customdata[0]}<br>%{x:.1f} [%{customdata[1]:.1f}, %{customdata[2]:.1f}]<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=[short(u, 14) for u in frame[unit]][::-1])
    rows = max(len(frame), 1)
    return _layout(fig, title=title, big=big, height=120 + rows * (34 if big else 26))


@remembered
def bars(frame: pd.DataFrame, *, x: str, y: str, title: str, big: bool = False, colour: str = SERIES[0],
         horizontal: bool = False, text: str | None = None) -> go.Figure:
    trace = go.Bar(x=frame[y] if horizontal else frame[x], y=frame[x] if horizontal else frame[y],
                   orientation="h" if horizontal else "v", marker_color=colour,
                   text=frame[text] if text else None, textposition="auto")
    fig = go.Figure([trace])
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return _layout(fig, title=title, big=big, height=320 if big else 300)


@remembered
def lines(frame: pd.DataFrame, *, x: str, series: list[str], title: str, y_title: str = "") -> go.Figure:
    """One line per column of `series` (scores across years)."""
    fig = go.Figure([go.Scatter(x=frame[x], y=frame[name], name=name, mode="lines+markers",
                                line={"color": SERIES[k % len(SERIES)]}) for k, name in enumerate(series)])
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=y_title)
    return _layout(fig, title=title, height=360)


@remembered
def radar(frame: pd.DataFrame, *, axis: str, series: list[str], title: str) -> go.Figure:
    """Dimensions round a circle, one closed line per series (a unit, its category's average)."""
    labels = [short(a, 10) for a in frame[axis]]
    fig = go.Figure([go.Scatterpolar(r=[*frame[name], frame[name].iloc[0]] if len(frame) else [],
                                     theta=[*labels, labels[0]] if labels else [], name=name, fill="toself",
                                     opacity=0.6, line={"color": SERIES[k % len(SERIES)]})
                     for k, name in enumerate(series)])
    fig.update_layout(polar={"radialaxis": {"range": [0, 100]}})
    return _layout(fig, title=title, height=420)


@remembered
def volume_and_satisfaction(frame: pd.DataFrame, *, period: str, volume: str, satisfaction: str,
                            title: str) -> go.Figure:
    """Votes per month as bars, satisfaction (0-100) as a line on a second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=frame[period], y=frame[volume], name=volume, marker_color="#9fb8d9"), secondary_y=False)
    fig.add_trace(go.Scatter(x=frame[period], y=frame[satisfaction], name=satisfaction, mode="lines+markers",
                             line={"color": SERIES[1]}), secondary_y=True)
    fig.update_yaxes(title_text=volume, secondary_y=False)
    fig.update_yaxes(title_text=satisfaction, range=[0, 100], secondary_y=True)
    return _layout(fig, title=title, height=360)


@remembered
def group_scores(frame: pd.DataFrame, *, group: str, score: str, reference: float | None, reference_label: str,
                 title: str) -> go.Figure:
    """Each reviewer group's score for the unit, with the unit's overall mean as a line."""
    fig = go.Figure([go.Bar(x=frame[group], y=frame[score], marker_color=SERIES[0],
                            text=[f"{v:.1f}" if pd.notna(v) else "" for v in frame[score]], textposition="auto")])
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dash", line_color=SERIES[4], annotation_text=reference_label)
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, title=title, height=340)


@remembered
def timeline(frame: pd.DataFrame, *, day: str, kind: str, detail: str, colour: str, title: str) -> go.Figure:
    """Events as dots on a time axis, one row per kind of event."""
    fig = go.Figure()
    for k, (name, part) in enumerate(frame.groupby(colour, sort=False)):
        fig.add_trace(go.Scatter(x=part[day], y=part[kind], mode="markers", name=str(name),
                                 marker={"size": 12, "color": SERIES[k % len(SERIES)]},
                                 customdata=part[[detail]].to_numpy(),
                                 hovertemplate="%{x}<br>%{customdata[0]}<extra></extra>"))
    return _layout(fig, title=title, height=360)


def png_available() -> bool:
    """PNG export runs plotly's kaleido on a local Chromium; without one the button is disabled."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False
    return any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome", "chrome"))


@lru_cache(maxsize=64)
def _png(figure_json: str, width: int, height: int) -> bytes:

    return pio.to_image(pio.from_json(figure_json), format="png", width=width, height=height, scale=1)


def png(fig: go.Figure, *, width: int = PNG_SIZE[0], height: int | None = None) -> bytes:
    """The figure as a PNG (same figure, same Chinese labels; cached, since a render takes a second or two)."""
    export = go.Figure(fig)
    export.update_layout(paper_bgcolor="white", font={"family": FONT})
    return _png(export.to_json(), width, height or max(int(fig.layout.height or 0), PNG_SIZE[1] // 2))
