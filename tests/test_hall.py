"""The hall generator (bench/hall/) is faithful and its store check can fail.

- a short hall (3 reviewers answering 2 units with a reload between them, 3 citizens, 1 leader on /live):
  every reviewer's stored answers are exactly its taps, every vote it was thanked for is stored once;
- a browser and a virtual client doing the same taps store the same rows (questionnaire and poll), and send
  the same rerun messages (page, query, fragment, every widget's value, the browser context's fields);
- a widget inside an st.fragment reruns only its fragment, and a run_every timer is kept as a browser does;
- the store check reports a lost and a duplicated write;
- the app's own /_review/metrics, scraped before and after the short hall, counts the answers and votes the
  generator was acknowledged, and its questionnaire latency quantiles agree with the generator's;
- a rehearsal against a running deployment (--url) runs no /live viewer without --leader and says so, and
  refuses to start, in one line, with a leader account that cannot sign in.
"""

from __future__ import annotations

import concurrent.futures
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from bench.hall import people
from bench.hall.client import Tab
from bench.hall.people import OPTION_LABELS, Pace
from bench.hall.run import Plan, Result, check_store, drive, summary
from bench.hall.stage import start
from core.tokens import token_hash
from db.engine import make_engine, session_scope
from db.models import Answer, PollVote, Response, Unit
from tests.support.browser import TABLET, wait_for_app
from tests.support.run_async import run_async

ROOT = Path(__file__).resolve().parents[1]


def stored_answers(url: str, token: str) -> dict[tuple[int, int], str]:
    engine = make_engine(url)
    with session_scope(engine) as s:
        rows = s.exec(select(Answer.unit_id, Answer.dimension_id, Answer.option)
                      .join(Response, Response.id == Answer.response_id)
                      .where(Response.token_hash == token_hash(token))).all()
    engine.dispose()
    return {(u, d): o for u, d, o in rows}


def stored_votes(url: str) -> Counter:
    engine = make_engine(url)
    with session_scope(engine) as s:
        units = {u.id: u.code for u in s.exec(select(Unit)).all()}
        votes = Counter((units[v.unit_id], v.option, v.comment, v.status) for v in s.exec(select(PollVote)).all())
    engine.dispose()
    return votes


@pytest.fixture(scope="module")
def hall():
    """A short hall on its own stage (SQLite, one process), kept running for the checks."""
    stage, url = start(reviewers=3, database="sqlite", replicas=1)
    # Taps 0.1-0.2 s apart: quicker than people, but not back to back, where the generator's next message
    # would meet TCP's delayed acknowledgement (about 40 ms on the wire that neither end's clock sees).
    plan = Plan(reviewers=3, citizens=3, live_viewers=1, minutes=0.25, units=2, mid_hall=False,
                pace=Pace((0.1, 0.2), (0.1, 0.2), (0.05, 0.1), live_every=1))
    try:
        result = run_async(drive(plan, stage, {}), timeout=300)
        yield stage, url, result
    finally:
        stage.stop()


def test_a_virtual_reviewers_stored_answers_equal_its_taps(hall):
    stage, url, result = hall
    record = result.record
    assert record.failures == [] and record.resume_failures == []
    assert record.resumed == 3  # each reloaded between its two units and came back where it was
    for invitation in stage.invitations[:3]:
        taps = {(u, d): o for (t, u, d), o in record.answers.items() if t == invitation.token}
        assert len(taps) == 10  # 2 units x 5 dimensions
        assert stored_answers(url, invitation.token) == taps
    assert len(record.latencies["answer"]) == 30 and len(record.latencies["next"]) >= 3
    assert record.latencies.get("live")  # the leader's screen refreshed on its timer


def test_every_acknowledged_vote_is_stored_once(hall):
    _stage, url, result = hall
    record = result.record
    assert record.votes  # 3 citizens voted 1-3 times each
    stored = Counter((unit, option, comment) for unit, option, comment, _ in stored_votes(url).elements())
    assert stored == Counter((unit, option, comment) for _, unit, option, comment in record.votes)
    assert all(device for device, *_ in record.votes)  # the page's cookie script gave each phone its id


def test_the_apps_metrics_count_what_the_generator_saw(hall):
    """Scraped before and after the window (bench/hall/scrape.py): answers, submissions and votes equal;
    the questionnaire's interactions as many, their p50 within 20 % of the generator's and p95 no higher. The server
    times a subset of what the generator times (it cannot see the websocket or the generator's own event loop,
    which a loaded machine makes late, nor a message's wait in the app's event loop), so both measured
    lateness figures (p95) are allowed on top."""
    _stage, _url, result = hall
    m, record = result.metrics, result.record
    assert result.problems == []  # compare() found every count equal
    assert m["server_answers"] == len(record.latencies["answer"]) == 30
    assert m["server_votes_accepted"] + m["server_votes_flagged"] == len(record.votes) > 0
    assert m["server_votes_refused"] == record.refused and m["server_submitted"] == len(record.finished) == 0
    assert m["server_store_errors"] == 0
    assert m["server_questionnaire_interactions"] == m["generator_questionnaire_interactions"] > 30
    # What neither the server's timer nor the generator's own clock sees: the generator's loop running late, and
    # a message waiting in the app process's event loop before its handler starts (probed: server_loop).
    figures = result.figures()
    unseen = figures["generator_lag_p95_ms"] + figures["server_loop_p95_ms"]
    for q in ("p50", "p95"):
        server, generator = m[f"server_{q}_ms"], m[f"generator_{q}_ms"]
        assert server <= generator * 1.19 + 1, (q, server, generator)  # never slower than what the client saw
    # Within 20 % at the median. Not at p95 in this short hall, which is all opening burst: there the generator's
    # p95 ran 80-120 ms above the server's with both loops' lateness near 20 ms (README "Seeing the hall").
    server, generator = m["server_p50_ms"], m["generator_p50_ms"]
    assert abs(server - generator) <= 0.2 * generator + unseen, (server, generator, unseen)


def test_a_rehearsal_without_leader_runs_no_live_viewer_and_says_so(hall):
    from bench.hall.run import run_hall

    stage, _url, _ = hall
    plan = Plan(reviewers=0, citizens=0, live_viewers=3, minutes=0.02, units=1, mid_hall=False, reload=False,
                pace=Pace((0, 0.05), (0, 0.05), (0, 0.05), live_every=1))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(run_hall, plan, url=stage.url, invitations=None, leader=None).result(300)
    assert result.record.failures == [] and result.problems == []
    assert "live" not in result.record.latencies  # no viewer opened /live
    assert any("no /live viewers" in note and "--leader" in note for note in result.notes)


def test_a_rehearsal_with_a_wrong_leader_password_refuses_at_the_start_in_one_line(hall):
    from bench.hall.run import run_hall

    stage, url, _ = hall
    plan = Plan(reviewers=0, citizens=1, live_viewers=1, minutes=0.02, units=1, mid_hall=False, reload=False)
    votes_before = sum(stored_votes(url).values())  # the citizen would vote if the run had started
    with concurrent.futures.ThreadPoolExecutor(1) as pool, pytest.raises(SystemExit) as refused:
        pool.submit(run_hall, plan, url=stage.url, invitations=None, leader=(stage.leader[0], "wrong")).result(300)
    message = str(refused.value.code)
    assert "\n" not in message and stage.leader[0] in message and "nothing was run" in message
    assert sum(stored_votes(url).values()) == votes_before  # no citizen was sent
def test_the_opening_burst_each_process_loop_and_its_memory_are_reported(hall):
    _stage, _url, result = hall
    f = result.figures()
    # The window opens with the pages: 3 tablets and the leader's screen opened within it, before any tap.
    assert f["burst_opens"] >= 4 and f["burst_open_p95_ms"] > 0
    assert f["burst_taps"] == len(result.record.taps())  # a 15-second hall is all opening burst
    assert len(result.server_loop_ms[0]) >= 10 and 0 < f["server_loop_p95_ms"] < 5000
    assert 50 < result.memory_mb[0] < 4000 and f["memory_mb_per_replica"] == result.memory_mb[0]
    lines = summary(result).splitlines()
    assert any(line.startswith("#   first 30 s (every tablet opening at once): ") for line in lines)
    assert any("event loops" in line for line in lines) and any("peak resident" in line for line in lines)


def test_the_first_seconds_are_counted_by_when_each_interaction_ended():
    record = people.Record(latencies={"answer": [10, 900, 20], "next": [30], "open": [400, 500]},
                           ended={"answer": [100.5, 110, 140], "next": [129.9], "open": [100.1, 131]})
    result = Result(Plan(), "test", record, started=100.0)
    burst = result.burst()
    assert burst["burst_taps"] == 3 and burst["burst_tap_p95_ms"] == 900  # the tap ended at 140 s is not in it
    assert burst["burst_opens"] == 1 and burst["burst_open_p95_ms"] == 400
    assert sorted(record.taps()) == [10, 20, 30, 900]


def test_the_knee_curve_takes_replicas_per_core_and_its_points():
    from bench.hall.__main__ import parser
    from bench.hall.curve import CONFIGS, DEFAULT_CONFIGS
    from bench.hall.curve import main as curve_main

    assert [CONFIGS[c] for c in DEFAULT_CONFIGS] == [("postgresql", 2), ("postgresql", 4), ("postgresql", 6)]
    for points in ("100,x", "0,100", "5000"):
        assert curve_main(parser().parse_args(["--curve", "--points", points])) == 2


def test_the_store_check_finds_a_lost_and_a_duplicated_write(hall):
    stage, url, result = hall
    tokens = [i.token for i in stage.invitations]
    found, problems = check_store(url, result.record, {}, tokens)
    assert found["lost"] == found["duplicated"] == 0 and problems == []
    (token, unit, dim), option = next(iter(result.record.answers.items()))
    result.record.answers[(token, unit, dim + 100)] = option  # acknowledged, never stored
    result.record.votes.append(result.record.votes[0])  # acknowledged twice, stored once
    found, problems = check_store(url, result.record, {}, tokens)
    assert found["lost"] == 2 and problems
    del result.record.answers[(token, unit, dim + 100)]
    result.record.votes.pop()
    engine = make_engine(url)
    with session_scope(engine) as s:  # a vote stored twice
        vote = s.exec(select(PollVote)).first()
        s.add(PollVote(campaign_id=vote.campaign_id, unit_id=vote.unit_id, option=vote.option, comment=vote.comment,
                       device_hash="x" * 64, network_hash=vote.network_hash, day=vote.day))
    engine.dispose()
    found, _ = check_store(url, result.record, {}, tokens)
    assert found["duplicated"] == 1 and found["lost"] == 0


# ---------------------------------------------------------------------------------------------
# A browser and a virtual client, the same taps


TAPS = [("satisfied", "unknown", "dissatisfied", "basically_satisfied", "satisfied"), ("unknown",)]


async def virtual_taps(base_url: str, link: str) -> None:
    tab = Tab(base_url, people.link_path(link))
    await tab.open()
    for unit_taps in TAPS:
        for group, option in zip(people.answer_groups(tab), unit_taps, strict=False):
            await tab.choose(group, OPTION_LABELS[option])
        if len(unit_taps) == 5:
            await tab.click(tab.widget(prefix="q_next_", kind="button"))
    await tab.close()
    poll = Tab(base_url, "/poll", forwarded_for="10.9.9.2")
    await poll.open()
    await poll.type(poll.widget(key="poll_query"), "公安")
    await poll.click(poll.widget(prefix="poll_pick_"))
    await poll.type(poll.widget(kind="text_area"), "same comment")
    await poll.click(poll.widget(key="poll_dissatisfied"))
    assert poll.shows(people.fixed_part("poll.thanks"))
    await poll.close()


@pytest.mark.browser
def test_a_browser_and_a_virtual_client_store_the_same_rows(browser):
    stage, url = start(reviewers=12, database="sqlite", replicas=1)
    try:
        first, second = stage.invitations[0], stage.invitations[1]
        context = browser.new_context(**TABLET, locale="zh-CN", extra_http_headers={"X-Forwarded-For": "10.9.9.1"})
        page = context.new_page()
        page.goto(f"{stage.url}{people.link_path(first.link)}")
        wait_for_app(page)
        for unit_taps in TAPS:
            groups = page.locator("[data-testid='stButtonGroup']")
            for k, option in enumerate(unit_taps):
                groups.nth(k).get_by_role("radio", name=OPTION_LABELS[option], exact=True).click()
                wait_for_app(page, settle_ms=0)
            if len(unit_taps) == 5:
                page.get_by_role("button", name=people.TEXT["q.next"]).click()
                wait_for_app(page)
        page.goto(f"{stage.url}/poll")
        wait_for_app(page)
        page.get_by_label(people.TEXT["poll.search"]).fill("公安")
        page.get_by_label(people.TEXT["poll.search"]).press("Enter")
        wait_for_app(page)
        page.locator(".st-key-poll_units button").first.click()
        wait_for_app(page)
        page.locator("textarea").fill("same comment")
        page.get_by_role("button", name=OPTION_LABELS["dissatisfied"], exact=True).click()
        page.get_by_text(people.fixed_part("poll.thanks")).wait_for(timeout=15_000)
        context.close()
        run_async(virtual_taps(stage.url, second.link), timeout=300)
        by_browser, by_client = stored_answers(url, first.token), stored_answers(url, second.token)
        assert len(by_browser) == 6 and by_browser == by_client
        engine = make_engine(url)
        with session_scope(engine) as s:  # both resumed at the same place
            positions = {r.token_hash: r.position for r in s.exec(select(Response)).all()}
        engine.dispose()
        assert positions[token_hash(first.token)] == positions[token_hash(second.token)] != ""
        votes = stored_votes(url)
        assert sum(votes.values()) == 2 and len(votes) == 1  # the same unit, option, comment and status
    finally:
        stage.stop()


# ---------------------------------------------------------------------------------------------
# Fragments, as the frontend runs them

FRAGMENT_APP = '''
import streamlit as st

st.session_state.setdefault("page_runs", 0)
st.session_state["page_runs"] += 1
st.write(f"page runs {st.session_state['page_runs']}")


@st.fragment
def block():
    st.session_state.setdefault("block_runs", 0)
    st.session_state["block_runs"] += 1
    choice = st.segmented_control("pick", ["one", "two"], key="pick")
    st.write(f"block runs {st.session_state['block_runs']} chose {choice}")


@st.fragment(run_every=1)
def ticker():
    st.session_state.setdefault("ticks", 0)
    st.session_state["ticks"] += 1
    st.write(f"ticks {st.session_state['ticks']}")


block()
ticker()
st.button("again", key="again")
'''


async def fragment_taps(base_url: str) -> dict:
    tab = Tab(base_url, "/")
    await tab.open()
    pick = tab.widget(key="pick")
    assert pick.fragment_id  # it arrived in a delta that named its fragment
    await tab.choose(pick, "two")
    after_tap = " ".join(tab.texts())
    fragment, interval = next(iter(tab.auto_reruns.items()))
    await tab.auto_rerun(fragment)
    after_tick = " ".join(tab.texts())
    await tab.click(tab.widget(key="again"))
    after_button = " ".join(tab.texts())
    await tab.close()
    return {"after_tap": after_tap, "after_tick": after_tick, "after_button": after_button, "interval": interval,
            "pick_kept": "chose two" in after_button}


def test_a_widget_in_a_fragment_reruns_only_its_fragment(tmp_path):
    import subprocess
    import time
    import urllib.request

    from tests.support.postgres import free_port

    script = tmp_path / "fragment_app.py"
    script.write_text(FRAGMENT_APP, encoding="utf-8")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                                "--server.port", str(port), "--server.address", "127.0.0.1",
                                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        seen = run_async(fragment_taps(f"http://127.0.0.1:{port}"), timeout=300)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "page runs 1" in seen["after_tap"] and "block runs 2 chose two" in seen["after_tap"]
    assert "page runs 1" in seen["after_tick"] and "ticks" in seen["after_tick"]
    assert seen["interval"] == 1
    assert "page runs 2" in seen["after_button"] and seen["pick_kept"]


# ---------------------------------------------------------------------------------------------
# Small pieces


def test_the_invitation_list_of_db_draw_is_read_for_a_remote_run(tmp_path):
    from bench.hall.run import read_invitations

    path = tmp_path / "invitations.csv"
    path.write_text("name,group,group_name,link\n"
                    "评议人1,cadre,机关干部,https://review.example/questionnaire?token=abc_-1\n"
                    "评议人2,npc_deputy,人大代表,https://review.example/questionnaire?token=xyz\n",
                    encoding="utf-8-sig")
    found = read_invitations(path)
    assert [(i.token, people.link_path(i.link)) for i in found] == [
        ("abc_-1", "/questionnaire?token=abc_-1"), ("xyz", "/questionnaire?token=xyz")]


def test_the_knee_is_the_last_point_held_before_the_first_miss():
    from bench.hall.curve import knee

    assert knee([(25, 40, 0), (50, 90, 0), (100, 240, 0), (200, 900, 0), (400, 200, 0)]) == 100
    assert knee([(25, 40, 0), (50, 60, 1)]) == 25  # a failed session is a miss too
    assert knee([(200, 300, 0)]) == 0


def test_a_running_deployment_is_driven_with_the_invitation_list_of_db_draw(hall, tmp_path):
    from bench.hall.run import run_hall

    stage, url, _ = hall
    path = tmp_path / "invitations.csv"
    path.write_text("name,group,group_name,link\n" + "".join(
        f"评议人{k},cadre,机关干部,{invitation.link}\n" for k, invitation in enumerate(stage.invitations[3:5])),
        encoding="utf-8-sig")
    plan = Plan(reviewers=2, citizens=1, live_viewers=1, minutes=0.1, units=1, mid_hall=False, reload=False,
                pace=Pace((0, 0.05), (0, 0.05), (0, 0.05), live_every=1))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(run_hall, plan, url=stage.url, invitations=path, leader=stage.leader).result(300)
    assert result.problems == [] and result.notes  # no store check from afar, and it says so
    assert result.record.failures == []
    for invitation in stage.invitations[3:5]:
        taps = {(u, d): o for (t, u, d), o in result.record.answers.items() if t == invitation.token}
        assert len(taps) == 5 and stored_answers(url, invitation.token) == taps


def _normalise(message, response_id: str) -> dict:
    """A rerun BackMsg as comparable facts: the page, the query, the fragment, and every widget's key and value
    (the response id in the questionnaire's keys replaced, since two invitations have two responses)."""
    from google.protobuf.json_format import MessageToDict

    rerun = message.rerun_script
    widgets = {}
    for state in rerun.widget_states.widgets:
        key = state.id.rsplit("-", 1)[-1].replace(f"_{response_id}_", "_R_")
        key = re.sub(r"^(q_nav_\w+?)_\d+_\d+$", r"\1", key)  # the jump list's key counts answers
        value = MessageToDict(state)
        value.pop("id")
        widgets[key] = value
    return {"query": bool(rerun.query_string), "page": bool(rerun.page_script_hash), "name": rerun.page_name,
            "fragment": bool(rerun.fragment_id), "auto": rerun.is_auto_rerun, "widgets": widgets,
            "context": sorted(MessageToDict(rerun.context_info))}


@pytest.mark.browser
def test_the_virtual_client_sends_what_chromium_sends(browser):
    """The same two taps (an answer, then a second answer) by Chromium and by the virtual client: the same BackMsgs."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    stage, url = start(reviewers=12, database="sqlite", replicas=1)
    try:
        first, second = stage.invitations[0], stage.invitations[1]
        sent = []
        context = browser.new_context(**TABLET, locale="zh-CN")
        page = context.new_page()

        def keep(payload) -> None:  # Playwright takes Python functions as handlers, not bound built-ins
            sent.append(payload)

        page.on("websocket", lambda ws: ws.on("framesent", keep))
        page.goto(f"{stage.url}{people.link_path(first.link)}")
        wait_for_app(page)
        groups = page.locator("[data-testid='stButtonGroup']")
        for k, option in enumerate(("satisfied", "unknown")):
            groups.nth(k).get_by_role("radio", name=OPTION_LABELS[option], exact=True).click()
            wait_for_app(page, settle_ms=300)
        context.close()
        by_browser = [BackMsg.FromString(p) for p in sent if isinstance(p, bytes)]

        async def virtual() -> list:
            tab = Tab(stage.url, people.link_path(second.link))
            captured = []
            await tab.open()
            original = tab.ws.send

            async def send(data):
                captured.append(BackMsg.FromString(data))
                await original(data)

            tab.ws.send = send
            for k, option in enumerate(("satisfied", "unknown")):
                await tab.choose(people.answer_groups(tab)[k], OPTION_LABELS[option])
            await tab.close()
            return captured

        by_client = run_async(virtual(), timeout=300)
        browser_reruns = [m for m in by_browser if m.WhichOneof("type") == "rerun_script"]
        assert len(browser_reruns) == 3 and len(by_client) == 2  # the browser's first one opens the page
        response = {}
        engine = make_engine(url)
        with session_scope(engine) as s:
            for r in s.exec(select(Response)).all():
                response[r.token_hash] = str(r.id)
        engine.dispose()
        for theirs, ours in zip(browser_reruns[1:], by_client, strict=True):
            assert _normalise(ours, response[token_hash(second.token)]) == \
                _normalise(theirs, response[token_hash(first.token)])
    finally:
        stage.stop()


def test_each_kind_of_interaction_is_costed_alone_and_weighed_by_the_halls_mix():
    """bench.hall.costs (issue 27): one virtual person at a time on one process, each block's CPU its own."""
    from bench.hall.costs import MIX, costs, report

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # costs() runs an event loop of its own
        found = pool.submit(costs, tablets=2, votes=3, refreshes=2, database="sqlite").result(300)
    assert set(found) == set(MIX) and all(ms > 0 for ms in found.values()), found
    assert found["open"] > found["answer"]  # a page's first run draws the whole app; a tap reruns one control
    lines = report(found)
    assert len(lines) == len(MIX) + 1 and "per answer" in lines[-1]
