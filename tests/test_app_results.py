"""The results page driven as people use it (AppTest through app.py, real SQLite database)."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from sqlmodel import select
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test

from db.access import Actor, cli_actor
from db.demo.years import load_demo
from db.engine import session_scope
from db.models import AuditEvent, Result
from tests.support.apptest import app_database, open_app, press, run, shown

ADMIN, LEADER = Actor("admin", "admin"), Actor("wang", "leader")


@pytest.fixture
def engine(tmp_path, monkeypatch):
    engine = app_database(tmp_path, monkeypatch)
    load_demo(engine, actor=cli_actor(), years=(2017,), votes_per_year=2000)  # scored, provisional version 1
    return engine


def results(engine):
    with session_scope(engine) as s:
        return list(s.exec(select(Result).order_by(Result.version)).all())


KEPT: dict[str, bytes] = {}


class KeepingStorage(MemoryMediaFileStorage):
    """AppTest's media storage lives only during a run; this one also keeps every file for the test."""

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = super().load_and_get_id(path_or_data, mimetype, kind, filename)
        KEPT[file_id] = self.get_file(file_id).content
        return file_id


@pytest.fixture(autouse=True)
def keep_downloads(monkeypatch):
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", KeepingStorage)
    KEPT.clear()


def downloads(at):
    """The bytes behind each download button, by label."""
    return {element.proto.label: KEPT[element.proto.url.rsplit("/", 1)[-1].split(".")[0]]
            for element in at.get("download_button")}


def test_admin_computes_compares_and_publishes(engine):
    at = open_app("results", ADMIN)
    assert not at.exception, at.exception
    assert "暂定结果" in shown(at) and "2017 年度评定结果" in shown(at)
    assert len(at.dataframe) >= 3  # one ranking table per category
    press(at, "开始计算")
    assert "已保存为第 2 版暂定结果" in shown(at)
    assert [r.version for r in results(engine)] == [1, 2]
    assert "两个版本的输入数据相同" in shown(at)  # version diff: same inputs, nothing changed
    press(at, "发布")
    assert "请先勾选确认" in shown(at)
    assert results(engine)[-1].status == "provisional"
    next(c for c in at.checkbox if "确认发布" in c.label).check()
    press(at, "发布")
    assert "第 2 版已发布" in shown(at)
    assert results(engine)[-1].status == "published"
    with session_scope(engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "result.publish")).first() is not None
    files = downloads(at)
    book = openpyxl.load_workbook(io.BytesIO(files["下载 Excel 工作簿"]))
    assert "说明" in book.sheetnames and len(book.sheetnames) == 7
    circular = docx.Document(io.BytesIO(files["下载通报草稿(Word)"]))
    assert "关于2017年度履职尽责督促检查结果的通报" in circular.paragraphs[0].text


def test_unit_detail_explains_the_score(engine):
    at = open_app("results", ADMIN)
    at.selectbox(key="results_unit").set_value("es04")
    run(at)
    text = shown(at)
    assert "从各方式得分到综合得分" in text and "群众投票" in " ".join(str(m.value) for m in at.markdown)


def test_leader_sees_published_results_only(engine):
    at = open_app("results", LEADER)
    assert "本年度结果尚未发布" in shown(at) and not at.dataframe
    with session_scope(engine) as s:
        from db.scoring import publish

        publish(s, results(engine)[0].id, cli_actor())
    at = open_app("results", LEADER)
    assert "已冻结" in shown(at) and not [b for b in at.button if b.label == "开始计算"]
    assert not [b for b in at.get("form_submit_button") if b.label == "发布"]


@pytest.mark.parametrize("role", ["liaison", "inspector"])
def test_other_roles_have_no_access(engine, role):
    at = open_app("results", Actor("x", role, "es01" if role == "liaison" else None))
    assert "没有权限" in shown(at) or "无权" in shown(at)
    assert not at.dataframe


def test_a_bad_panel_rule_is_refused_on_the_page(engine):
    at = open_app("results", ADMIN)
    next(r for r in at.radio if r.label == "组别加权方式").set_value("policy")
    press(at, "保存")
    assert "panel.group_weights" in shown(at) and "100" in shown(at)


def test_every_interval_says_which_method_made_it(engine):
    """Since scoring-v2 the intervals are the studentised rescaled bootstrap, and the page and workbook say so;
    a result stored before says it came from the with-replacement percentile bootstrap."""
    at = open_app("results", ADMIN)
    captions = " ".join(str(c.value) for c in at.caption)
    assert "Rao–Wu 重标度自助法(含有限总体校正),学生化(自助法 t 区间)" in captions
    detail = next(d.value for d in at.dataframe if "90% 区间" in d.value.columns)
    assert all(" – " in text for text in detail["90% 区间"])
    assert "集中评议得分" in " ".join(str(m.value) for m in at.markdown if "90% 区间" in str(m.value))
    book = openpyxl.load_workbook(io.BytesIO(downloads(at)["下载 Excel 工作簿"]))
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True)}
    assert "Rao–Wu 重标度自助法" in about["区间方法"] and "Wilson" in about["区间方法"]
    ranking = next(book[name] for name in book.sheetnames[1:4])
    assert [c.value for c in ranking[1]][8] == "得分区间下限（90%，重标度自助法t）"
    cells = list(book["集中评议明细"].iter_rows(values_only=True))
    assert cells[0][5] == "90% 区间下限（重标度自助法t）" and all(row[5] <= row[3] <= row[6] for row in cells[1:])
    with session_scope(engine) as s:  # a version computed before scoring-v2
        stored = s.exec(select(Result)).one()
        stored.config = {**{k: v for k, v in stored.config.items() if k != "interval_method"}, "engine": "scoring-v1"}
        s.add(stored)
    at = open_app("results", ADMIN)
    assert "组内有放回重抽评议人,百分位区间" in " ".join(str(c.value) for c in at.caption)
    book = openpyxl.load_workbook(io.BytesIO(downloads(at)["下载 Excel 工作簿"]))
    ranking = next(book[name] for name in book.sheetnames[1:4])
    assert [c.value for c in ranking[1]][8] == "得分区间下限（90%，有放回自助法百分位）"
