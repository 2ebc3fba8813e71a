"""The people of a hall day: reviewers on tablets, citizens on phones, leaders watching /live.

Each is one asyncio task holding one `Tab` (a reload opens a new one). They find what to tap by the
keys the pages give their widgets and by the visible labels from the locale files, and record what the
app acknowledged (the run that a tap started finished without an error on screen).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.hall.client import Cookies, ProtocolError, Tab, http, sign_in

LOCALES = Path(__file__).resolve().parents[2] / "ui" / "locales"
ANSWER_KEY = re.compile(r"^a_(\d+)_(\d+)_(\d+)$")  # a_<response>_<unit id>_<dimension id> (pages/questionnaire.py)


def _locale(language: str = "zh") -> dict[str, str]:
    flat: dict[str, str] = {}

    def walk(table: dict, prefix: str) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value

    for path in [LOCALES / f"{language}.toml", *sorted(LOCALES.glob(f"*.{language}.toml"))]:
        walk(tomllib.loads(path.read_text(encoding="utf-8")), "")
    return flat


TEXT = _locale()
OPTION_LABELS = {code: TEXT[f"option.{code}"] for code in ("satisfied", "basically_satisfied", "dissatisfied",
                                                           "unknown")}
LABEL_OPTIONS = {label: code for code, label in OPTION_LABELS.items()}
VOTE_OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied")


def fixed_part(key: str) -> str:
    """The text of a message before its first placeholder (what stays the same on every screen)."""
    return TEXT[key].split("{", 1)[0]


@dataclass
class Pace:
    """Human think times (seconds), drawn from each person's own seeded generator."""

    tap: tuple[float, float] = (2.0, 4.0)  # between two answers
    read: tuple[float, float] = (3.0, 8.0)  # before "next unit"
    vote: tuple[float, float] = (2.0, 6.0)  # a citizen between two taps
    live_every: float | None = None  # None: the page's own run_every interval


@dataclass
class Record:
    """What one run saw: latencies by kind of interaction, what the app acknowledged, what went wrong."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    ended: dict[str, list[float]] = field(default_factory=dict)  # when each of them ended (time.monotonic())
    answers: dict[tuple[str, int, int], str] = field(default_factory=dict)  # (token, unit id, dim id) -> option
    finished: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)  # token -> its submitted answers
    votes: list[tuple[str, str, str, str]] = field(default_factory=list)  # (device id, unit code, option, comment)
    refused: int = 0
    unknown_screens: int = 0
    resumed: int = 0
    resume_failures: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    retaps: int = 0
    reopens: list[float] = field(default_factory=list)  # first run of the page after a reload in the window (ms)

    def time(self, kind: str, seconds: float | None) -> None:
        if seconds is not None:
            self.latencies.setdefault(kind, []).append(seconds * 1000)
            self.ended.setdefault(kind, []).append(time.monotonic())

    def taps(self, until: float | None = None) -> list[float]:
        """A reviewer's interactions: answers, next unit, review, confirm, submit (those ended by `until`)."""
        return [x for kind in TAPS for x in self.of(kind, until)]

    def of(self, kind: str, until: float | None = None) -> list[float]:
        """The latencies of one kind of interaction, all or those that ended by `until` (time.monotonic())."""
        values = self.latencies.get(kind, [])
        if until is None:
            return list(values)
        return [x for x, end in zip(values, self.ended.get(kind, [])) if end <= until]


TAPS = ("answer", "next", "submit")


@dataclass
class Hall:
    """What every person of one run shares."""

    base_url: str
    pace: Pace
    seed: int
    deadline: float
    record: Record
    units: int = 37  # units each reviewer answers (all 37: then review, confirm and submit)
    reload: bool = True
    # The open poll's unit codes: citizens scan these units' posters (the HTML ballot, ui/poster_poll.py); with
    # none known (a remote run) they use the full Streamlit poll.
    posters: tuple[str, ...] = ()
    go: asyncio.Event = field(default_factory=asyncio.Event)
    opening: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))

    def over(self) -> bool:
        return time.monotonic() > self.deadline


async def think(rng: random.Random, span: tuple[float, float]) -> None:
    if span[1] > 0:
        await asyncio.sleep(rng.uniform(*span))


def link_path(link: str) -> str:
    """The path and query of an invitation link (the run's own base address is used)."""
    rest = link.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def answer_groups(tab: Tab) -> list:
    return [w for w in tab.widgets("button_group") if ANSWER_KEY.match(w.key)]


async def reviewer(hall: Hall, index: int, token: str, link: str, *, already: dict | None = None) -> None:
    """Open the personal link, answer unit after unit, reload once midway, review, confirm, submit."""
    rng = random.Random(f"{hall.seed}-reviewer-{index}")
    record = hall.record
    cookies = Cookies()
    # A hall's tablets share the venue's network.
    tab = Tab(hall.base_url, link_path(link), cookies=cookies, forwarded_for="10.100.0.1")
    given: dict[tuple[int, int], str] = dict(already or {})
    try:
        await hall.go.wait()
        async with hall.opening:
            record.time("open", await tab.open())
        if not answer_groups(tab) and tab.widget(prefix="q_to_review_", kind="button") is None:
            # An expired, used or unknown link, or a window not open: said, not skipped in silence.
            said = " ".join(tab.element_texts("alert")) or " ".join(tab.texts()[:8])
            raise ProtocolError(f"the link opens no question: {said[:200]}")
        done_units: set[int] = {u for u, _ in given}
        # Midway through what is left of this reviewer's hall (early, so that a short run sees it too).
        reload_after = max(1, min(3, (hall.units - len(done_units)) // 2))
        answered_here = 0
        while not hall.over():
            groups = answer_groups(tab)
            if not groups:
                break  # the review screen or the end: handled below
            unit_id = int(ANSWER_KEY.match(groups[0].key)[2])
            for group in groups:
                _, unit, dim = map(int, ANSWER_KEY.match(group.key).groups())
                if (unit, dim) in given:
                    continue
                if hall.over():
                    return
                await think(rng, hall.pace.tap)
                option = rng.choice(list(OPTION_LABELS))
                # The widget as the last run drew it (a fragment rerun may have replaced it).
                current = next((g for g in answer_groups(tab) if g.key == group.key), None)
                if current is None:
                    raise ProtocolError(f"answer widget for unit {unit} dimension {dim} vanished")
                record.time("answer", await tab.choose(current, OPTION_LABELS[option]))
                given[(unit, dim)] = option
                record.answers[(token, unit, dim)] = option
            done_units.add(unit_id)
            answered_here += 1
            if len(done_units) >= hall.units or hall.over():
                break
            await think(rng, hall.pace.read)
            moved = False
            for _attempt in range(3):
                nxt = tab.widget(prefix="q_next_", kind="button")
                if nxt is None:
                    break  # the last unit: no "next"
                record.time("next", await tab.click(nxt))
                shown = answer_groups(tab)
                if shown and int(ANSWER_KEY.match(shown[0].key)[2]) != unit_id:
                    moved = True
                    break
                record.retaps += 1
            if not moved:
                break
            if hall.reload and answered_here == reload_after:
                # A reload: a new page, a new websocket, a new Streamlit session; it must resume here.
                expected = int(ANSWER_KEY.match(answer_groups(tab)[0].key)[2])
                await tab.close()
                tab = Tab(hall.base_url, link_path(link), cookies=cookies, forwarded_for="10.100.0.1")
                record.time("open", await tab.open())
                record.reopens.append(tab.first_run_s * 1000)
                shown = answer_groups(tab)
                record.resumed += 1
                if not shown or int(ANSWER_KEY.match(shown[0].key)[2]) != expected:
                    record.resume_failures.append(f"reviewer {index}: reload did not resume at unit {expected}")
        if len(done_units) >= hall.units and hall.units >= 37 and not hall.over():
            await submit(hall, tab, rng, token, given)
    except Exception as error:  # recorded: one stuck session must not hide the others' figures
        record.failures.append(f"reviewer {index}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await tab.close()


async def submit(hall: Hall, tab: Tab, rng: random.Random, token: str, given: dict) -> None:
    record = hall.record
    await think(rng, hall.pace.read)
    review = tab.widget(prefix="q_to_review_", kind="button")
    if review is None:
        raise ProtocolError("no 'review' button on the last unit")
    record.time("submit", await tab.click(review))
    confirm = tab.widget(key="q_confirm", kind="checkbox")
    if confirm is None:
        raise ProtocolError("the review screen shows no confirmation (questions missing?)")
    await think(rng, hall.pace.tap)
    record.time("submit", await tab.check(confirm, True))
    button = tab.widget(label=TEXT["q.submit"], kind="button")
    if button is None:
        raise ProtocolError("no submit button")
    await think(rng, hall.pace.tap)
    record.time("submit", await tab.click(button))
    if not tab.shows(TEXT["q.thanks"]):
        raise ProtocolError("no thanks after submitting")
    record.finished[token] = dict(given)


async def citizen(hall: Hall, index: int, arrival: float, forwarded_for: str) -> None:
    """Open /poll, find units by category or by name, vote for one to three of them, sometimes with a comment."""
    rng = random.Random(f"{hall.seed}-citizen-{index}")
    record = hall.record
    tab = Tab(hall.base_url, "/poll", forwarded_for=forwarded_for)
    try:
        await hall.go.wait()
        await asyncio.sleep(arrival)
        if hall.over():
            return
        async with hall.opening:
            record.time("open", await tab.open())
        thanks = fixed_part("poll.thanks")
        for k in range(rng.randint(1, 3)):
            if hall.over():
                return
            await think(rng, hall.pace.vote)
            category = tab.widget(key="poll_cat")
            search = tab.widget(key="poll_query")
            picks = [w for w in tab.widgets("button") if w.key.startswith("poll_pick_")]
            if not picks or (category is None and search is None):
                record.unknown_screens += 1
                return
            target = rng.choice(picks)
            if category is not None and rng.random() < 0.5:
                options = category.options()
                record.time("poll", await tab.choose(category, rng.choice(options)))
            elif search is not None:
                name = target.label
                record.time("poll", await tab.type(search, name[1:3] if len(name) > 3 else name))
            picks = [w for w in tab.widgets("button") if w.key.startswith("poll_pick_")]
            if not picks:
                continue  # the search found nothing: they try again
            target = next((w for w in picks if w.key == target.key), rng.choice(picks))
            await think(rng, hall.pace.vote)
            record.time("poll", await tab.click(target))
            unit_code = target.key.removeprefix("poll_pick_")
            buttons = {w.key.removeprefix("poll_"): w for w in tab.widgets("button")
                       if w.key.removeprefix("poll_") in VOTE_OPTIONS}
            if not buttons:
                record.unknown_screens += 1
                return
            comment = ""
            area = tab.widget(kind="text_area")
            if area is not None and rng.random() < 0.3:
                comment = f"hall-{hall.seed}-{index}-{k}"
                await think(rng, hall.pace.vote)
                await tab.type(area, comment)
            option = rng.choice(VOTE_OPTIONS)
            await think(rng, hall.pace.vote)
            record.time("poll", await tab.click(buttons[option]))
            if tab.shows(thanks):
                device = tab.cookies.values.get("rv_device", "")
                record.votes.append((device, unit_code, option, comment))
            elif tab.element_texts("alert"):
                record.refused += 1
                back = tab.widget(label=TEXT["poll.other_unit"], kind="button")
                if back is None:
                    return
                record.time("poll", await tab.click(back))
            else:  # a screen this generator does not know (a receipt, a survey): that citizen is done
                record.unknown_screens += 1
                return
    except Exception as error:
        record.failures.append(f"citizen {index}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await tab.close()


async def poster_citizen(hall: Hall, index: int, arrival: float, forwarded_for: str) -> None:
    """Scan one to three window posters (/poll?unit=CODE&src=HALL…): the plain HTML ballot, then its form's POST
    (ui/poster_poll.py), sometimes with a comment. The browser's device cookie comes with the first page."""
    rng = random.Random(f"{hall.seed}-citizen-{index}")
    record = hall.record
    cookies = Cookies()
    base = hall.base_url.rstrip("/")
    thanks, labels = fixed_part("poll.thanks"), [OPTION_LABELS[o] for o in VOTE_OPTIONS]
    try:
        await hall.go.wait()
        await asyncio.sleep(arrival)
        for k, code in enumerate(rng.sample(hall.posters, min(len(hall.posters), rng.randint(1, 3)))):
            if hall.over():
                return
            source = f"HALL{rng.randint(1, 4)}"
            started = time.perf_counter()
            status, headers, page = await http(f"{base}/poll?{urlencode({'unit': code, 'src': source})}",
                                               {"Cookie": cookies.header(), "X-Forwarded-For": forwarded_for})
            record.time("open", time.perf_counter() - started)
            cookies.take(headers)
            text = page.decode("utf-8", "replace")
            if status != 200 or not all(f">{label}</button>" in text for label in labels):
                record.unknown_screens += 1
                return
            comment = f"hall-{hall.seed}-{index}-{k}" if rng.random() < 0.3 else ""
            option = rng.choice(VOTE_OPTIONS)
            await think(rng, hall.pace.vote)
            body = urlencode({"unit": code, "src": source, "comment": comment, "option": option}).encode()
            started = time.perf_counter()
            status, headers, page = await http(
                f"{base}/_review/vote", {"Cookie": cookies.header(), "X-Forwarded-For": forwarded_for,
                                         "Origin": base, "Sec-Fetch-Site": "same-origin",
                                         "Content-Type": "application/x-www-form-urlencoded"},
                method="POST", body=body)
            record.time("poll", time.perf_counter() - started)
            text = page.decode("utf-8", "replace")
            if status == 200 and thanks in text:
                record.votes.append((cookies.values.get("rv_device", ""), code, option, comment))
            elif 400 <= status < 500 and TEXT["poster.refused"] in text:
                record.refused += 1
            else:
                record.unknown_screens += 1
                return
    except Exception as error:
        record.failures.append(f"citizen {index}: {type(error).__name__}: {str(error)[:200]}")


async def can_watch_live(base_url: str, username: str, password: str) -> bool:
    """Whether this account signs in on /live and gets its refresh timer (checked once, before a remote run)."""
    tab = Tab(base_url, "/live", forwarded_for="10.99.0.1", locale="zh-CN")
    try:
        await tab.open()
        tab = await sign_in(tab, username, password)
        return bool(tab.auto_reruns)
    finally:
        await tab.close()


async def viewer(hall: Hall, index: int, username: str, password: str) -> None:
    """A leader signs in on /live and leaves it open: the page's fragment reruns on its own timer."""
    record = hall.record
    tab = Tab(hall.base_url, "/live", forwarded_for="10.99.0.1", locale="zh-CN")
    try:
        await hall.go.wait()
        async with hall.opening:
            record.time("open", await tab.open())
        started = time.perf_counter()
        tab = await sign_in(tab, username, password)
        record.time("sign_in", time.perf_counter() - started)
        if not tab.auto_reruns:
            raise ProtocolError("signed in, but /live set no refresh timer (wrong password or role?)")
        due = time.monotonic()
        while not hall.over():
            fragment, interval = next(iter(tab.auto_reruns.items()))
            # The frontend's setInterval: on a fixed beat, whether or not the last refresh took long.
            due += hall.pace.live_every or interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if hall.over():
                break
            record.time("live", await tab.auto_rerun(fragment))
    except Exception as error:
        record.failures.append(f"viewer {index}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await tab.close()
