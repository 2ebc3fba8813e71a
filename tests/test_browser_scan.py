"""The citizen's first scan (issue 23): what a phone downloads from /poll, from where, and what it can read.

One server for the module. A poster's address is the plain HTML ballot (ui/poster_poll.py): scan, tap, thanks
and receipt with no script, readable at 200 % zoom and on a tablet. The public pages ask no other host for
anything and break no rule of the Content-Security-Policy (the menu pages of every role are checked in
test_browser_smoke.py); the page and its bundles travel compressed, the bundles with a long cache lifetime;
/poll downloads no web font; each citizen's tap reruns the poll's fragment only; the receipt and /poll are
readable (contrast, names, 200 % zoom).
"""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request

import pytest

from bench.hall import people
from bench.hall.client import Tab
from core.clock import office_today
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import copy_campaign
from db.engine import make_engine, session_scope
from tests.support.browser import PHONE, TABLET, Watch, screenshot, wait_for_app
from tests.support.run_async import run_async
from tests.support.server import AppServer

pytestmark = pytest.mark.browser
ANSWERS = ("满意", "基本满意", "不满意")


@pytest.fixture(scope="module")
def scan_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scan")
    url = f"sqlite:///{folder / 'scan.db'}"
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:  # a campaign whose period includes today
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    engine.dispose()
    server = AppServer(url, folder / "server.log", POLL_SALT="browser-test-salt", TRUST_PROXY="1").start()
    yield server
    server.stop()


def get(url: str, **headers: str):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as answer:
        return answer.status, answer.headers, answer.read()


def test_the_page_and_its_bundles_travel_compressed_cached_and_under_a_policy(scan_app):
    # The poster's address: the plain HTML ballot (ui/poster_poll.py), under the same policy, no script.
    status, headers, body = get(f"{scan_app.url}/poll?unit=es03&src=POSTER", **{"Accept-Encoding": "gzip, br"})
    assert status == 200 and b"<script" not in body and len(body) < 15_000
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    status, headers, body = get(f"{scan_app.url}/poll?unit=es03&src=POSTER&full=1", **{"Accept-Encoding": "gzip, br"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(body).decode()
    assert 'lang="zh-CN"' in page and 'as="font"' not in page  # no web font preloaded
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self' 'wasm-unsafe-eval' 'sha256-" in policy
    assert "https:" not in policy and "*" not in policy
    bundle = re.search(r'src="\./(static/js/index\.[^"]+\.js)"', page).group(1)
    status, headers, body = get(f"{scan_app.url}/{bundle}", **{"Accept-Encoding": "gzip, deflate, br"})
    assert headers["Content-Encoding"] == "br" and "immutable" in headers["Cache-Control"]
    assert "max-age=31536000" in headers["Cache-Control"] and headers["Vary"] == "Accept-Encoding"
    plain = get(f"{scan_app.url}/{bundle}")[2]  # a client without compression gets the file as it is
    assert len(body) < len(plain) / 3
    _, gz_headers, gz_body = get(f"{scan_app.url}/{bundle}", **{"Accept-Encoding": "gzip"})
    assert gz_headers["Content-Encoding"] == "gzip" and gzip.decompress(gz_body) == plain
    # A path that climbs out of the static folder is refused, not served from the compressed cache.
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(f"{scan_app.url}/static/%2e%2e/%2e%2e/config.py", **{"Accept-Encoding": "gzip"})
    assert refused.value.code in (400, 404)


def test_a_poster_scan_asks_no_other_host_downloads_no_font_and_votes(browser, scan_app):
    # The poster's address is the plain HTML ballot (ui/poster_poll.py): no script, the vote a form's POST.
    context = browser.new_context(**PHONE, locale="zh-CN")
    watch = Watch(context, scan_app.url)
    page = context.new_page()
    page.goto(f"{scan_app.url}/poll?unit=es03&src=POSTER")
    for label in ANSWERS:  # each answer is a button a screen reader announces by its name
        assert page.get_by_role("button", name=label, exact=True).is_enabled()
    assert page.evaluate("document.scripts.length") == 0
    screenshot(page, "scan-phone-ballot")
    page.get_by_label(re.compile("留言")).fill("窗口排队太久，等了一个多小时")
    page.get_by_role("button", name="不满意", exact=True).click()
    page.get_by_text("感谢您的评价").wait_for(timeout=15_000)
    page.get_by_text("您的投诉已提交").wait_for()  # the receipt of the complaint just filed
    screenshot(page, "scan-phone-receipt")
    watch.check(page, "/poll?unit=es03 (HTML)")
    page.get_by_role("link", name=re.compile("查看投诉办理进度")).click()  # the receipt in the full page
    page.get_by_text("投诉办理进度").first.wait_for(timeout=30_000)
    wait_for_app(page)
    watch.check(page, "/poll?receipt=…")
    fonts = [u for u in watch.urls if u.endswith((".woff2", ".woff", ".ttf"))]
    assert fonts == [], f"/poll downloaded web fonts: {fonts}"
    for path in ("/", "/questionnaire", "/questionnaire?token=not-a-token", "/live?display=not-a-link"):
        page.goto(scan_app.url + path)
        wait_for_app(page)
        watch.check(page, path)
    context.close()


# 200 % zoom on a 390 px phone lays the page out in 195 CSS pixels at twice the pixel density; and a tablet.
SIZES = (("phone-200pct", dict(PHONE, viewport={"width": 195, "height": 422},
                               device_scale_factor=PHONE["device_scale_factor"] * 2)), ("tablet", TABLET))


def no_sideways_scroll(page, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow} px"


def test_the_poster_ballot_reads_at_double_zoom_and_on_a_tablet(browser, scan_app):
    for name, options in SIZES:
        context = browser.new_context(**options, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{scan_app.url}/poll?unit=es03&src=POSTER")
        screenshot(page, f"scan-html-{name}-ballot")
        no_sideways_scroll(page, name)
        for label in ANSWERS:  # at least 48 px high, each answer's whole name on screen
            box = page.get_by_role("button", name=label, exact=True).bounding_box()
            assert box["height"] >= 48 and box["x"] + box["width"] <= options["viewport"]["width"], (name, label)
        colours = page.eval_on_selector_all("h1, p, label, button, a", "els => els.map(e => getComputedStyle(e).color)")
        assert all(contrast(c) >= 4.5 for c in colours), colours
        context.close()


def contrast(foreground: str, background: str = "rgb(255, 255, 255)") -> float:
    def luminance(css: str) -> float:
        channels = [int(x) / 255 for x in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_poll_reads_at_double_zoom_with_enough_contrast(browser, scan_app):
    for name, options in SIZES:
        context = browser.new_context(**options, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{scan_app.url}/poll")
        wait_for_app(page)
        page.get_by_label("输入单位名称查找").fill("教育")
        page.get_by_label("输入单位名称查找").press("Enter")
        wait_for_app(page)
        screenshot(page, f"scan-{name}-units")
        page.get_by_role("button", name="区教育局", exact=True).click()
        page.get_by_role("button", name="满意", exact=True).wait_for(timeout=15_000)
        wait_for_app(page)
        screenshot(page, f"scan-{name}-ballot")
        no_sideways_scroll(page, name)
        for label in ANSWERS:  # each answer's whole name is on screen, none cut off
            button = page.get_by_role("button", name=label, exact=True)
            assert button.evaluate("b => b.scrollWidth <= b.clientWidth && b.getBoundingClientRect().right "
                                   "<= document.documentElement.clientWidth")
        # The colour a reader sees: the text's colour through every ancestor's opacity, on white.
        colours = page.eval_on_selector_all("[data-testid='stCaptionContainer'] p", """els => els.map(e => {
            let alpha = 1;
            for (let a = e; a; a = a.parentElement) alpha *= parseFloat(getComputedStyle(a).opacity);
            const [r, g, b] = getComputedStyle(e).color.match(/\\d+/g).map(Number);
            return `rgb(${[r, g, b].map(c => Math.round(c * alpha + 255 * (1 - alpha))).join(', ')})`;
        })""")
        assert colours and all(contrast(c) >= 4.5 for c in colours), colours
        context.close()


def test_each_citizen_tap_reruns_the_poll_fragment_only(scan_app):
    async def taps() -> list[list[str]]:
        tab = Tab(scan_app.url, "/poll", forwarded_for="10.9.9.3")
        await tab.open()
        runs = []
        await tab.type(tab.widget(key="poll_query"), "公安")
        runs.append(tab.fragments_this_run)
        await tab.click(tab.widget(prefix="poll_pick_"))
        runs.append(tab.fragments_this_run)
        await tab.click(tab.widget(key="poll_satisfied"))
        runs.append(tab.fragments_this_run)
        assert tab.shows(people.fixed_part("poll.thanks"))
        category = tab.widget(key="poll_cat")  # back on the list: a category
        await tab.choose(category, category.options()[0])
        runs.append(tab.fragments_this_run)
        await tab.close()
        return runs

    runs = run_async(taps())  # the module's Playwright already runs an event loop in this thread
    assert all(run for run in runs), f"a tap reran the whole app: {runs}"
