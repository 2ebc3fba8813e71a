"""/feedback through app.py (AppTest) on two demo years, 2017 published and 2018 not: each role sees
what it may, nothing shows before publication, and the letters download and open."""

import io
import zipfile

import pytest
import streamlit as st
from docx import Document
from streamlit.delta_generator import DeltaGenerator

from db.access import Actor, cli_actor
from db.demo.years import load_demo
from tests.support.apptest import app_database, open_app, shown

ADMIN, LEADER, ANALYST = Actor("admin", "admin"), Actor("wang", "leader"), Actor("zhao", "analyst")
LIAISON = Actor("li", "liaison", "es01")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    engine = app_database(tmp_path_factory.mktemp("feedback-app"), mp)
    load_demo(engine, actor=cli_actor(), years=(2017, 2018), votes_per_year=1500)
    url = str(engine.url)
    engine.dispose()
    yield url
    mp.undo()


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_db)
    st.cache_data.clear()
    return demo_db


class Downloads:
    def __init__(self):
        self.files = {}

    def __call__(self, label, data, file_name=None, mime=None, key=None, **_):
        self.files[key] = (label, file_name, mime, data)
        return False


@pytest.fixture
def downloads(monkeypatch):
    recorder = Downloads()
    monkeypatch.setattr(st, "download_button", recorder)
    monkeypatch.setattr(DeltaGenerator, "download_button", lambda _dg, *args, **kwargs: recorder(*args, **kwargs))
    return recorder


def opened(actor, year=2017, **state):
    at = open_app("feedback", actor, state={"campaign_year": year, **state})
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("actor", [ADMIN, LEADER, ANALYST, LIAISON], ids=lambda a: a.role)
def test_before_publication_only_a_plain_not_yet_published(app, downloads, actor):
    at = opened(actor, 2018, feedback_year_set=True)  # chosen in the year box (else it opens on 2017)
    assert "2018 年度评议结果尚未发布" in shown(at)
    assert not at.header and not at.metric and not at.dataframe and not at.get("expander")
    assert downloads.files == {}


def test_a_liaison_sees_their_unit_without_a_picker_and_downloads_its_letter(app, downloads):
    at = opened(LIAISON)
    assert [h.value for h in at.header] == ["区发改局(区统计局)"]
    assert not [s for s in at.selectbox if s.label == "单位"]
    assert [m.label for m in at.metric] == ["等次", "总分", "类别内名次"]
    assert "整改要求" in shown(at) and "意见与建议" in [tab.label for tab in at.tabs]
    assert set(downloads.files) >= {"feedback_letter"} and "feedback_all" not in downloads.files
    label, name, mime, data = downloads.files["feedback_letter"]
    assert label == "下载评议意见反馈函(Word)"
    assert name == "feedback-2017-es01.docx" and mime.endswith("wordprocessingml.document")
    text = "\n".join(p.text for p in Document(io.BytesIO(data())).paragraphs)
    assert "区发改局(区统计局)：" in text and "评议意见反馈函" in text


def test_masked_comments_reach_the_screen_and_never_a_raw_number(app):
    texts = []
    for code in ("es01", "es02", "es03", "ue01", "ue02", "ps01", "ps02"):
        at = opened(ADMIN, feedback_unit=code)
        texts += [str(t.value) for t in at.text]
    joined = "\n".join(texts)
    assert texts and "【" in joined  # demo comments carry made-up phone numbers and names: masked
    assert not any(len(run) >= 7 for run in "".join(c if c.isdigit() else " " for c in joined).split())


@pytest.mark.parametrize("actor", [ADMIN, LEADER, ANALYST], ids=lambda a: a.role)
def test_office_leaders_and_analysts_pick_any_unit(app, downloads, actor):
    at = opened(actor, feedback_unit="ue07")
    [picker] = [s for s in at.selectbox if s.label == "单位"]
    assert len(picker.options) == 37
    assert [h.value for h in at.header] == ["区环保局(区水务局、区园林和林业局)"]
    assert ("feedback_all" in downloads.files) == (actor.role == "admin")


def test_the_office_downloads_every_letter_in_one_zip(app, downloads):
    opened(ADMIN)
    _, name, mime, data = downloads.files["feedback_all"]
    assert name == "feedback-letters-2017.zip" and mime == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(data()))
    assert len(archive.namelist()) == 37


@pytest.mark.parametrize("actor", [Actor("ins", "inspector")], ids=["inspector"])
def test_an_inspector_gets_no_access(app, actor):
    at = opened(actor)
    assert "无权访问此页面。" in shown(at) and not at.header


def test_the_page_speaks_english_when_chosen(app):
    at = opened(ADMIN, lang="en", feedback_unit="ps01")
    assert "Feedback of the 2017 review" in shown(at)
    assert [t.label for t in at.tabs] == ["Scores", "Public satisfaction", "What people said", "Findings and cases"]
    assert "⟨" not in shown(at)  # no key missing from the English catalogue
