"""Text that people type reaches other people as text (Chromium, one server, one browser).

Payloads pointing at a probe server on loopback are planted in every free-text field through the store
functions (tests/support/payloads.py): poll and complaint comments, the unit's answers (found, done), the
office's rulings, a reviewer's comment, a finding and its reply, a case's title, description, note,
person, measure and reply, a media case, a notice, a talk, a report's file name, a user's display name and
a unit's name (with an HTML link, which Plotly would draw as one on every chart). Then every page that
shows them is opened as the people who read them: staff of each kind, the citizen with a receipt, the
reviewer with a link. Every tab is opened and every expander unfolded. The probe must get no request, and
no link, image, bold run, list or formula may be made of a payload.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.browser import ARTIFACTS, TABLET, wait_for_app
from tests.support.payloads import MARK, Probe, plant
from tests.support.server import AppServer
from tests.test_browser_sessions import sign_in

pytestmark = pytest.mark.browser

STAFF_PAGES = {
    "admin1": ("home", "pool", "draw", "panel", "votes", "media", "complaints", "inspections", "cases",
               "rectification", "reports", "live", "explore", "results", "feedback", "settings", "units", "users",
               "audit", "account"),
    "liaison1": ("home", "complaints", "inspections", "cases", "rectification", "reports", "feedback", "account"),
    "leader1": ("home", "live", "explore", "results", "complaints", "cases"),
    "inspector1": ("inspections",),
}
# What a payload must never become: an element that fetches or links, or Markdown made live.
LIVE = """([mark, probe]) => {
  const found = [];
  for (const el of document.querySelectorAll('a, img[src], iframe, source, video, audio, object, embed')) {
    const url = el.getAttribute('href') || el.getAttribute('xlink:href') || el.getAttribute('src')
      || el.getAttribute('data') || '';
    if (url.includes(probe) || /^\\s*javascript:/i.test(url)) found.push(el.outerHTML.slice(0, 160));
  }
  // A payload's own **PROBE**, [PROBE链接](…), ![PROBE](…) made live (a page's bold label around a name is not).
  for (const el of document.querySelectorAll('a, img, strong, em, del, li, blockquote, code, .katex, hr')) {
    if ((el.textContent || '').trim().startsWith(mark) || (el.getAttribute('alt') || '').startsWith(mark)) {
      found.push(el.outerHTML.slice(0, 160));
    }
  }
  return found;
}"""


@pytest.fixture
def planted(tmp_path):
    probe = Probe()
    url = f"sqlite:///{tmp_path / 'payloads.db'}"
    world = plant(url, probe)
    server = AppServer(url, tmp_path / "server.log", POLL_SALT="payload-test-salt").start()
    yield server, world, probe
    server.stop()
    probe.stop()


def open_everything(page) -> None:
    """Every tab clicked and every expander unfolded, so that nothing on the page stays unrendered."""
    for i in range(page.locator("[role='tab']").count()):
        page.locator("[role='tab']").nth(i).click()
        wait_for_app(page, settle_ms=100)
    expanders = page.locator("[data-testid='stExpander'] details:not([open]) > summary")
    for _ in range(expanders.count()):
        expanders.first.click()
        wait_for_app(page, settle_ms=100)


class Reading:
    """What the test saw: per page, what of the payloads became live, and the pages where one was read as text."""

    def __init__(self, probe: Probe) -> None:
        self.probe, self.live, self.read = probe, {}, []

    def visit(self, page, url: str, name: str, *, pick=None) -> None:
        page.goto(url)
        wait_for_app(page)
        page.wait_for_timeout(500)  # images and fonts of the first paint
        if pick:
            pick(page)
        open_everything(page)
        page.wait_for_timeout(300)
        found = page.evaluate(LIVE, [MARK, self.probe.url.removeprefix("http://")])
        self.live[name] = found + ["an exception"] * page.locator("[data-testid='stException']").count()
        # A payload as Markdown shows it (with the invisible joiner plain() puts after the scheme), hidden tabs too.
        if self.probe.url.replace("http:", "http:\u2060") + "/" in page.evaluate("document.body.textContent"):
            self.read.append(name)


def choose_complaint(number: int):
    def pick(page):
        box = page.locator("[data-testid='stSelectbox']").filter(has_text="打开投诉").first
        box.click()
        page.get_by_role("option", name=f"#{number} ·").first.click()
        wait_for_app(page)

    return pick


def test_no_payload_becomes_live_on_any_page(browser, planted):
    server, world, probe = planted
    reading = Reading(probe)
    base = server.url
    deep = {"cases": f"?case={world.ids['case']}", "rectification": f"?notice={world.ids['notice']}"}
    for username, pages in STAFF_PAGES.items():
        context = browser.new_context(**TABLET, locale="zh-CN")
        page = context.new_page()
        sign_in(page, base, username, username.replace("1", " password 1"))
        for name in pages:
            reading.visit(page, f"{base}/{name}{deep.get(name, '')}", f"{username} /{name}")
            if name == "complaints":  # the answered complaint and the ruled one, in the detail panel
                for number in (1, 2):
                    reading.visit(page, f"{base}/complaints", f"{username} /complaints #{number}",
                                  pick=choose_complaint(number))
        context.close()
    # The public: a citizen reading both receipts, the poll at the renamed unit, and the reviewer.
    context = browser.new_context(**TABLET, locale="zh-CN")
    page = context.new_page()
    for n, receipt in enumerate(world.receipts):
        reading.visit(page, f"{base}/poll?receipt={receipt}", f"citizen receipt {n}")
    reading.visit(page, f"{base}/poll?unit=es01&src=POSTER&full=1", "citizen /poll?unit=es01")
    reading.visit(page, f"{base}/questionnaire?token={world.token}", "reviewer /questionnaire")
    context.close()

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "plain-text-findings.json").write_text(json.dumps(
        {"live": reading.live, "read": reading.read, "probe": probe.requests}, ensure_ascii=False, indent=1))
    assert len(reading.live) >= 30
    # The payloads were on these screens, as text: the test looked where they are.
    assert {"admin1 /complaints #1", "admin1 /complaints #2", "admin1 /cases", "admin1 /inspections",
            "admin1 /rectification", "liaison1 /complaints #1", "liaison1 /cases", "citizen receipt 0",
            "citizen receipt 1"} <= set(reading.read), reading.read
    # Which planted field became live where (the details: test-artifacts/plain-text-findings.json).
    assert {name: sorted({where(item) for item in found}) for name, found in reading.live.items() if found} == {}
    assert sorted({where(path) for path in probe.requests}) == []


def where(text: str) -> str:
    """The field a finding came from: the payload's tag in its URL (/case-title.png → case-title)."""
    match = re.search(r"/([a-z]+(?:-[a-z]+)?\d?)(?:-link|-auto|-bare|-tag)?(?:\.png)?(?:[?\"]|$)", text)
    return match.group(1) if match else text[:60]


SHOWCASE = '''
import json, os
import streamlit as st
from ui.plain import plain
payloads = json.loads(open(os.environ["PAYLOADS"], encoding="utf-8").read())
for i, text in enumerate(payloads):
    with st.container(key=f"p{i}"):
        st.markdown(plain(text))
    st.caption(plain(text))
    st.info(plain(text))
    st.metric(plain(text), plain(text))
    with st.expander(plain(text)):
        st.write(plain(text))
    st.button(plain(text), key=f"b{i}")
st.radio("r", [plain(text) for text in payloads])
st.tabs([plain(text) for text in payloads])
st.table({"c": [plain(text) for text in payloads]})
'''


def test_streamlit_shows_plain_text_as_typed(browser, tmp_path):
    """ui.plain through Streamlit's own renderer, on every sink kind: the reader sees exactly the characters
    typed, nothing fetches or links (the payload table of tests/test_plain_text.py, aimed at the probe)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.support.postgres import free_port
    from tests.test_plain_text import PAYLOADS

    probe = Probe()
    payloads = [text.replace("https://anywhere.example", probe.url) for text in PAYLOADS.values()]
    (tmp_path / "payloads.json").write_text(json.dumps(payloads, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "showcase.py").write_text(SHOWCASE, encoding="utf-8")
    port = free_port()
    root = str(Path(__file__).resolve().parents[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(tmp_path / "showcase.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=root, env=dict(os.environ, PYTHONPATH=root, PAYLOADS=str(tmp_path / "payloads.json")),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.25)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        wait_for_app(page)
        open_everything(page)
        page.wait_for_timeout(500)
        for i, text in enumerate(payloads):
            shown = page.locator(f".st-key-p{i}").inner_text().replace("\u2060", "").replace("\u00a0", " ")
            assert [line.strip() for line in shown.strip("\n").splitlines()] == [
                line.strip() for line in text.splitlines()], text
        assert page.evaluate(LIVE, [MARK, probe.url.removeprefix("http://")]) == []
        assert page.locator("a[href], img, .katex, strong, em, del, li, blockquote, h1, h2, h3, hr").filter(
            has_text=re.compile("anywhere|example|粗|斜|任务|标题|列表")).count() == 0
        page.close()
        assert probe.requests == []
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)
        probe.stop()
