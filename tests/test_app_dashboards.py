"""/live and /explore driven through app.py on the demo data (AppTest): every role that may see them
gets them without an exception, the others get "no access", and every download opens."""

import io

import openpyxl
import pytest
import streamlit as st
from PIL import Image
from sqlmodel import select
from streamlit.delta_generator import DeltaGenerator

from db.access import Actor, cli_actor
from db.demo.years import load_demo
from db.engine import session_scope
from db.models import Finding, Result
from tests.support.apptest import app_database, open_app, shown
from tests.support.dashboard import add_result
from ui import charts

READERS = [Actor("admin", "admin"), Actor("wang", "leader"), Actor("zhao", "analyst")]
OTHERS = [Actor("li", "liaison", "es01"), Actor("ins", "inspector")]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """One demo database for the module (three years, few votes): loading it is the slow part."""
    folder = tmp_path_factory.mktemp("dash")
    mp = pytest.MonkeyPatch()
    engine = app_database(folder, mp)
    load_demo(engine, actor=cli_actor(), years=(2017, 2018, 2019), votes_per_year=2000)
    with session_scope(engine) as s:
        if s.exec(select(Result)).first() is None:  # until the demo scores its years itself
            for campaign_id in (1, 2, 3):
                add_result(engine, campaign_id=campaign_id, status="published" if campaign_id < 3 else "provisional")
        # A finding typed as a formula must reach the exports defused.
        finding = s.exec(select(Finding)).first()
        finding.description = '=HYPERLINK("http://x","y")'
        s.add(finding)
    url = str(engine.url)
    engine.dispose()
    yield url
    mp.undo()


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_db)
    st.cache_data.clear()
    return demo_db


def opened(page, actor, **state):
    at = open_app(page, actor, state=state)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("actor", READERS, ids=lambda a: a.role)
def test_live_renders_for_each_reader(app, actor):
    at = opened("live", actor, campaign_year=2019)  # no year runs today: the newest published (2018) is the default
    text = shown(at)
    assert "2019 年度实时看板" in text
    labels = [m.label for m in at.metric]
    assert {"已提交问卷", "今日投票", "累计有效票", "未结追责案件", "超期未整改"} <= set(labels)
    assert "分类排名" in text and "暂定结果 · 第" in text  # the running year: provisional, labelled
    assert "临界单位" in text and "未结追责案件(立案最早者在前)" in text
    assert len(at.get("plotly_chart")) >= 5  # completion, votes, three categories, cases by age


def test_a_published_year_is_labelled_published(app):
    at = opened("live", READERS[1], campaign_year=2018)
    assert "已发布结果 · 第" in shown(at) and "暂定结果" not in shown(at)


def test_live_says_plainly_when_no_result_exists(app, tmp_path, monkeypatch):
    app_database(tmp_path, monkeypatch)  # a fresh database: the 2017 scheme, nothing scored
    st.cache_data.clear()
    at = opened("live", READERS[0])
    assert "2017 年度尚未计算评定结果" in shown(at) and "/results" in shown(at)


@pytest.mark.parametrize("actor", READERS, ids=lambda a: a.role)
@pytest.mark.parametrize("view", ["unit", "compare", "reliability"])
def test_explore_renders_every_view_for_each_reader(app, actor, view):
    at = opened("explore", actor, explore_view=view)
    text = shown(at)
    assert "数据探索" in text
    if view == "unit":
        assert "历年总分和各项得分" in text and "五项督查内容与同类单位平均" in text
        assert "网上测评:投票量与满意度" in text and "各类评议人员的评价" in text and "问题与案件时间线" in text
    elif view == "compare":
        assert "单位对比" in text and len(at.multiselect(key="explore_compare").value) == 3
    else:
        assert {"Cronbach's α(五项内容)", "Krippendorff's α(定序)", "被标记问卷占比(%)"} <= {m.label for m in at.metric}


def test_explore_filters_by_category_and_year(app):
    at = opened("explore", READERS[2])
    at.selectbox(key="explore_category").set_value("public_service").run()
    assert not at.exception
    units = at.selectbox(key="explore_unit")
    assert len(units.options) == 8 and units.value == "ps01"
    at.selectbox(key="explore_year").set_value(2017).run()
    assert not at.exception and "2017 年五项督查内容与同类单位平均" in shown(at)


@pytest.mark.parametrize("page", ["live", "explore"])
@pytest.mark.parametrize("actor", OTHERS, ids=lambda a: a.role)
def test_liaison_and_inspector_get_no_access(app, page, actor):
    at = opened(page, actor)
    assert "无权访问此页面。" in shown(at)
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe


class Downloads:
    """Every download button a page draws, with the data it would hand the browser."""

    def __init__(self):
        self.files = {}

    def __call__(self, label, data, file_name=None, mime=None, key=None, **_):
        self.files[file_name] = (mime, data)
        return False


def opens(name, data):
    content = data() if callable(data) else data
    if name.endswith(".xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(content))
        return [[c for c in row] for row in book.active.iter_rows(values_only=True)]
    if name.endswith(".png"):
        image = Image.open(io.BytesIO(content))
        image.load()
        return image.size
    assert name.endswith(".csv")
    return content.decode("utf-8-sig")


@pytest.mark.parametrize(("page", "view"), [("live", None), ("explore", "unit"), ("explore", "compare"),
                                            ("explore", "reliability")])
def test_every_download_opens(app, monkeypatch, page, view):
    recorder = Downloads()
    monkeypatch.setattr(st, "download_button", recorder)
    monkeypatch.setattr(DeltaGenerator, "download_button", lambda _dg, *args, **kwargs: recorder(*args, **kwargs))
    opened(page, READERS[2], **({"explore_view": view} if view else {}))
    names = list(recorder.files)
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".csv") for n in names)
    pngs = [n for n in names if n.endswith(".png")]
    assert pngs, "every chart has a PNG button"
    tables = {n[:-4] for n in names if n.endswith(".csv")}
    assert tables == {n[:-5] for n in names if n.endswith(".xlsx")}  # each table in both formats
    for name in names:
        if name.endswith(".png") and name != pngs[0]:
            continue  # one PNG per page is enough here: each render starts a browser (see test below)
        mime, data = recorder.files[name]
        content = opens(name, data)
        assert content, name
        if name.endswith(".png"):
            assert min(content) >= 300 and mime == "image/png"
    if view == "unit":
        timeline = opens(next(n for n in names if n.startswith("timeline") and n.endswith(".xlsx")),
                         recorder.files[next(n for n in names if n.startswith("timeline") and n.endswith(".xlsx"))][1])
        cells = [c for row in timeline for c in row if isinstance(c, str)]
        assert not any(c.startswith("=") for c in cells)  # a formula typed into a finding stays text


def test_a_chart_png_has_chinese_text_drawn_in_a_cjk_font():
    import pandas as pd

    if not charts.png_available():
        pytest.skip("no Chromium for kaleido")
    frame = pd.DataFrame({"单位": ["区发改局(区统计局)", "区教育局"], "得分": [91.5, 72.0]})
    fig = charts.bars(frame, x="单位", y="得分", title="各单位得分")
    image = Image.open(io.BytesIO(charts.png(fig))).convert("L")
    assert image.size == (1600, 450)
    # Glyphs rendered: the title area holds dark pixels (an empty-box font would draw a few outlines only).
    title = image.crop((0, 0, 400, 60))
    dark = sum(title.histogram()[:128])
    assert dark > 150
