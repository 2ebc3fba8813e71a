"""Playwright on Debian's Chromium (never a downloaded browser), and Streamlit waits."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
TABLET = {"viewport": {"width": 820, "height": 1180}, "has_touch": True, "is_mobile": True,
          "device_scale_factor": 2}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def wait_for_app(page, timeout: float = 30_000, settle_ms: int = 200) -> None:
    """Until Streamlit has finished running the script for what is on screen."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    # Some widgets (date inputs, tables) load lazily and show a skeleton first. A function, not an expression:
    # Playwright evaluates a bare expression with eval, which the app's Content-Security-Policy refuses.
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=timeout)
    if settle_ms:
        page.wait_for_timeout(settle_ms)  # let the last deltas paint


class Runs:
    """Counts the script runs a page's server reports finished, from the ForwardMsgs on its websockets.

    "Not running" on the page alone cannot tell a click's run from the one before it: right after a click
    the page still says "not running" (the run has not started), and a form that calls st.rerun() shows it
    again between its two runs while the second draws the form beside the first's stale copy. Attach before
    the page opens its websocket (before goto)."""

    def __init__(self, page) -> None:
        self.page, self.finished = page, 0
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if not isinstance(payload, bytes):
            return
        message = ForwardMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") == "script_finished" and message.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            self.finished += 1  # not FINISHED_EARLY_FOR_RERUN: the first of st.rerun()'s two runs

    def click(self, target, timeout_s: float = 30) -> None:
        """Click, then wait until a run started by it has finished and the page shows its result."""
        before = self.finished
        target.click()
        for _ in range(int(timeout_s * 20)):
            if self.finished > before:
                break
            self.page.wait_for_timeout(50)  # Playwright delivers the frames' events while it waits
        else:
            raise TimeoutError(f"no run finished within {timeout_s:.0f} s of the click")
        wait_for_app(self.page, settle_ms=0)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def cast_vote(browser, base_url: str, *, shot: str | None = None) -> None:
    """A citizen on a phone finds 区教育局 on /poll, votes 满意 and is thanked (a screenshot named `shot`)."""
    from playwright.sync_api import expect

    phone = browser.new_context(**PHONE, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{base_url}/poll")
    wait_for_app(page)
    search = page.get_by_label("输入单位名称查找")
    search.fill("教育")
    search.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="区教育局", exact=True).click()
    page.get_by_text("履职尽责的情况满意吗").wait_for(timeout=15_000)
    wait_for_app(page)
    page.get_by_role("button", name="满意", exact=True).click()
    expect(page.get_by_text("感谢您的评价")).to_be_visible(timeout=15_000)
    if shot:
        screenshot(page, shot)
    phone.close()


def submit_sign_in(page, base_url: str, username: str, password: str) -> None:
    """Open the sign-in page and send a username and password (any screen size; waits for nothing after)."""
    page.goto(base_url)
    wait_for_app(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


class Watch:
    """Every request a browser context makes to another host (aborted: nothing leaves the machine), and every
    Content-Security-Policy violation its pages report."""

    def __init__(self, context, base_url: str) -> None:
        self.foreign: list[str] = []
        self.urls: list[str] = []
        self.base_url = base_url
        context.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                                "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
        context.route(lambda url: not url.startswith(base_url), self._abort)
        context.on("request", lambda request: self.urls.append(request.url))

    def _abort(self, route) -> None:
        self.foreign.append(route.request.url)
        route.abort()

    def check(self, page, where: str) -> None:
        assert self.foreign == [], f"{where}: requests to other hosts {self.foreign}"
        violations = page.evaluate("window.__csp")
        assert violations == [], f"{where}: Content-Security-Policy violations {violations}"
