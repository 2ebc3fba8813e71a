"""The complaint loop driven as people use it (AppTest, real database): a poster's link, the receipt,
the call-back number, the liaison's answer on /complaints, the citizen's reading and rating."""

from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.clock import office_today
from db.access import Actor, cli_actor
from db.campaigns import copy_campaign
from db.engine import session_scope
from db.models import Complaint, PollVote
from tests.support.apptest import app_database, press, run, shown
from ui.i18n import catalogue

PAGES = Path(__file__).resolve().parents[1] / "pages"
ZH = catalogue("zh")
ADMIN, LEADER, LIAISON = Actor("admin", "admin"), Actor("wang", "leader"), Actor("li", "liaison", "es01")


@pytest.fixture
def engine(tmp_path, monkeypatch):
    st.cache_data.clear()
    engine = app_database(tmp_path, monkeypatch, POLL_SALT="apptest-salt")
    with session_scope(engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    return engine


def open_page(name, actor=None, params=None):
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=60)
    if actor is not None:
        at.session_state["actor"] = actor
        at.session_state["must_change_password"] = False
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return run(at)


def complaint_row(engine):
    with session_scope(engine) as s:
        return s.exec(select(Complaint, PollVote).join(PollVote, PollVote.id == Complaint.vote_id)).one()


def file_complaint(engine, comment="窗口人员态度生硬，材料被退回三次"):
    at = open_page("poll", params={"unit": "es01", "src": "hall3"})
    assert "区发改局" in shown(at)  # the poster's unit is open at once
    at.text_area[0].input(comment)
    at = press(at, ZH["option.dissatisfied"])
    code = at.code[0].value
    return at, code


def test_a_poster_link_opens_its_unit_and_a_complaint_gets_a_receipt(engine):
    at, code = file_complaint(engine)
    assert len(code.replace("-", "")) == 16 and ZH["receipt.filed"] in shown(at)
    complaint, vote = complaint_row(engine)
    assert vote.source == "HALL3" and complaint.state == "received"
    assert code not in complaint.receipt_hash
    # The citizen asks for a call back: refused without consent, kept with it.
    form_inputs = [w for w in at.text_input if w.label == ZH["receipt.phone"]]
    form_inputs[0].input("13812345678")
    at = press(at, ZH["receipt.phone_send"])
    assert ZH["complaints.consent_needed"] in shown(at)
    assert complaint_row(engine)[0].phone is None


def test_an_unknown_unit_or_odd_source_opens_the_ordinary_poll(engine):
    at = open_page("poll", params={"unit": "nope", "src": "<script>"})
    assert ZH["poll.title"] in shown(at)
    at = open_page("poll", params={"unit": "es02", "src": "<b>x</b>"})
    at.text_area[0].input("办事慢")
    press(at, ZH["option.dissatisfied"])
    assert complaint_row(engine)[1].source == ""


def test_the_liaison_answers_and_the_citizen_reads_and_rates(engine):
    _, code = file_complaint(engine)
    at = open_page("complaints", LIAISON)
    assert not at.error
    at = press(at, ZH["complaints.acknowledge"])
    assert complaint_row(engine)[0].state == "acknowledged"
    areas = {a.label: a for a in at.text_area}
    areas[ZH["complaints.found"]].input("经核实，窗口人员未一次性告知所需材料")
    areas[ZH["complaints.done"]].input("已批评教育当事人，并在窗口张贴材料清单")
    at.radio[0].set_value("rectified")
    at = press(at, ZH["complaints.close"])
    assert complaint_row(engine)[0].state == "closed"

    citizen = open_page("poll", params={"receipt": code.lower()})
    text = shown(citizen)
    assert "已在窗口张贴材料清单" in text or "张贴材料清单" in text
    citizen = press(citizen, ZH["option.basically_satisfied"])
    assert complaint_row(engine)[0].follow_up == "basically_satisfied"
    assert ZH["receipt.thanks_rating"] in shown(citizen)

    office = open_page("complaints", ADMIN)
    figures = [d.value for d in office.dataframe]
    handling = next(f for f in figures if ZH["complaints.col.satisfaction"] in f.columns)
    row = handling[handling[ZH["complaints.col.unit"]] == "区发改局(区统计局)"]
    assert int(row[ZH["option.basically_satisfied"]].iloc[0]) == 1
    assert float(row[ZH["complaints.col.satisfaction"]].iloc[0]) == 70


def test_a_wrong_receipt_is_refused(engine):
    at = open_page("poll", params={"receipt": "AAAA-BBBB-CCCC-DDDD"})
    assert ZH["complaints.unknown_receipt"] in [str(e.value) for e in at.error]


def test_phone_shown_to_liaison_and_office_masked_for_leadership(engine):
    file_complaint(engine)
    with session_scope(engine) as s:
        complaint = s.exec(select(Complaint)).one()
        complaint.phone = "13812345678"
        s.add(complaint)
    for actor, expected in ((LIAISON, "13812345678"), (ADMIN, "13812345678"), (LEADER, "138****5678")):
        at = open_page("complaints", actor)
        text = shown(at)
        assert expected in text, actor.role
        if actor is LEADER:
            assert "13812345678" not in text
            assert not [b for b in at.button if b.label == ZH["complaints.acknowledge"]]
        # The table (and so its download) never holds the number.
        assert all("5678" not in frame.to_csv() for frame in (d.value for d in at.dataframe))


def test_the_office_makes_every_units_poster_on_the_page(engine, monkeypatch):
    monkeypatch.setenv("APP_BASE_URL", "https://review.example.gov.cn")
    at = open_page("complaints", ADMIN)
    at.text_input(key="posters_place").input("政务服务大厅")
    at.text_input(key="posters_source").input("hall1")
    at = run(at)
    at = press(at, ZH["posters.make"])
    assert not at.error
    assert len([b for b in at.get("download_button") if b.proto.label == ZH["posters.download"]]) == 1
    assert not [b for b in open_page("complaints", LEADER).button if b.label == ZH["posters.make"]]


def test_live_and_explore_show_the_complaints(engine):
    from tests.support.apptest import open_app

    file_complaint(engine)
    st.cache_data.clear()
    live = open_app("live", LEADER)
    assert not live.exception, live.exception
    metrics = {m.label: m.value for m in live.metric}
    assert metrics[ZH["complaint_panels.open"]] == "1" and ZH["complaint_panels.live_title"] in shown(live)
    explore = open_app("explore", LEADER, state={"explore_view": "unit"})
    assert not explore.exception, explore.exception
    explore.selectbox(key="explore_unit").set_value("es01").run()
    assert ZH["complaint_panels.explore_title"] in shown(explore)
    months = next(d.value for d in explore.dataframe if ZH["complaint_panels.rate"] in d.value.columns)
    assert months[ZH["complaint_panels.complaints"]].sum() == 1


def test_a_number_typed_in_a_comment_is_masked_on_the_screens_of_the_unit_and_leadership(engine):
    comment = "态度恶劣，请回电13998765432，微信 wxid_zhang88，我家住幸福小区3栋2单元501室"
    file_complaint(engine, comment=comment)
    for actor, page in ((ADMIN, "complaints"), (LIAISON, "complaints"), (LEADER, "complaints"), (ADMIN, "poll_admin"),
                        (LEADER, "poll_admin")):
        at = open_page(page, actor)
        tables = " ".join(frame.to_csv() for frame in (d.value for d in at.dataframe))
        text = shown(at) + tables
        if actor is ADMIN:
            assert "13998765432" in tables and "wxid_zhang88" in tables, page
        else:
            assert not [part for part in ("13998765432", "wxid_zhang88", "3栋2单元501") if part in text], (actor, page)
            assert "【电话】" in tables and "【微信号】" in tables and "【住址】" in tables, (actor, page)
