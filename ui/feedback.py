"""What the /feedback page needs besides the store: the letters made on click, and the dimension chart.

The letters are made when the button is pressed (Streamlit's deferred download data), not on every
run of the page: a letter takes a tenth of a second, all of them a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from db.access import Actor
from db.feedback import feedback_letter, feedback_letters, letters_zip
from ui.charts import FONT, SERIES
from ui.store import session

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP = "application/zip"


def one_letter(actor: Actor, campaign_id: int, unit_code: str) -> Callable[[], bytes]:
    def make() -> bytes:
        with session() as s:
            return feedback_letter(s, actor=actor, campaign_id=campaign_id, unit_code=unit_code)[1]

    return make


def all_letters(actor: Actor, campaign_id: int) -> Callable[[], bytes]:
    def make() -> bytes:
        with session() as s:  # one transaction: the letters and the audit entry that says they were made
            return letters_zip(feedback_letters(s, actor=actor, campaign_id=campaign_id))

    return make


def dimension_chart(frame: pd.DataFrame, *, dimension: str, score: str, low: str, high: str, mean: str,
                    unit_label: str, mean_label: str, title: str) -> go.Figure:
    """The unit's estimate per dimension with its 90 % interval, and the category's mean beside it."""
    fig = go.Figure([
        go.Scatter(x=frame[score], y=frame[dimension], mode="markers", name=unit_label,
                   marker={"color": SERIES[0], "size": 12},
                   error_x={"type": "data", "symmetric": False, "array": (frame[high] - frame[score]).tolist(),
                            "arrayminus": (frame[score] - frame[low]).tolist(), "thickness": 2}),
        go.Scatter(x=frame[mean], y=frame[dimension], mode="markers", name=mean_label,
                   marker={"color": SERIES[1], "size": 12, "symbol": "diamond-open", "line": {"width": 2}}),
    ])
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(title={"text": title}, font={"family": FONT, "size": 14}, template="plotly_white",
                      margin={"l": 10, "r": 10, "t": 50, "b": 40}, height=320,
                      legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0})
    return fig
