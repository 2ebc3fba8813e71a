"""Date axes speak the interface language: Chinese day and month formats in the Chinese interface
(no plotly JS locale file, nothing downloaded), plotly's own in English, other axes untouched."""

from datetime import date, datetime

import pandas as pd

from ui import charts


def votes(days) -> pd.DataFrame:
    return pd.DataFrame({"日期": days, "有效票": [3] * len(days), "待审核票": [1] * len(days)})


def test_a_date_axis_gets_chinese_formats_in_chinese():
    fig = charts.votes_by_day(votes([date(2026, 12, 1), date(2026, 12, 2)]), day="日期", counted="有效票",
                              flagged="待审核票", title="近 30 天")
    charts.localised(fig, "zh")
    stops = {tuple(s.dtickrange): s.value for s in fig.layout.xaxis.tickformatstops}
    assert stops[(86_400_000, "M1")] == "%m月%d日" and stops[("M1", "M12")] == "%Y年%m月"
    assert fig.layout.xaxis.hoverformat == "%Y年%m月%d日"
    assert not fig.layout.yaxis.tickformatstops  # counts stay numbers


def test_english_and_non_date_axes_are_left_alone(monkeypatch):
    monkeypatch.setattr(charts, "language", lambda: "en")  # a viewer of the English interface
    fig = charts.votes_by_day(votes([datetime(2026, 12, 1, 9)]), day="日期", counted="有效票", flagged="待审核票",
                              title="x")
    charts.localised(fig, "en")
    assert not fig.layout.xaxis.tickformatstops and fig.layout.xaxis.hoverformat is None
    monkeypatch.setattr(charts, "language", lambda: "zh")
    bars = charts.bars(pd.DataFrame({"单位": ["区教育局"], "分": [90.0]}), x="单位", y="分", title="x")
    charts.localised(bars, "zh")
    assert not bars.layout.xaxis.tickformatstops
    frame = pd.DataFrame({"月": ["2026-11", "2026-12"], "票": [5, 6], "满意度": [80, 81]})
    months = charts.volume_and_satisfaction(frame, period="月", volume="票", satisfaction="满意度", title="x")
    charts.localised(months, "zh")
    assert months.layout.xaxis.tickformatstops


def test_a_remembered_figure_is_kept_per_language_and_never_changed_by_another_viewer(monkeypatch):
    data = votes([date(2026, 11, 30), date(2026, 12, 1)])
    monkeypatch.setattr(charts, "language", lambda: "zh")
    chinese = charts.votes_by_day(data, day="日期", counted="有效票", flagged="待审核票", title="t")
    monkeypatch.setattr(charts, "language", lambda: "en")
    english = charts.votes_by_day(data, day="日期", counted="有效票", flagged="待审核票", title="t")
    assert english is not chinese and not english.layout.xaxis.tickformatstops
    assert charts.localised(english, "en") is english and not english.layout.xaxis.tickformatstops
    monkeypatch.setattr(charts, "language", lambda: "zh")
    again = charts.votes_by_day(data, day="日期", counted="有效票", flagged="待审核票", title="t")
    assert again is chinese and again.layout.xaxis.hoverformat == "%Y年%m月%d日"
