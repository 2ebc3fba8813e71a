"""The poster's ballot without Streamlit (ui/poster_poll.py, issue 23): the page, the vote it posts, and the
attacks on that vote (cross-site, unknown unit, oversized body, missing or forged cookie, flood). Driven as
ASGI without a server; the store on SQLite and PostgreSQL (the `db_url` fixtures)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from core.clock import office_today, utcnow
from core.poll import RULES, new_device_id
from db.access import cli_actor
from db.campaigns import copy_campaign
from db.engine import session_scope
from db.models import Complaint, PollVote, Unit
from db.poll import poll_campaign, record_vote
from db.salt import secret_salt
from tests.support.run_async import run_async
from ui.poll_data import poll_structure
from ui.poster_poll import MAX_BODY, PosterPoll

SALT = "poster-test-salt"
HOST = "poll.example.gov.cn"


async def streamlit(scope, receive, send):  # what stands behind the middleware: answers "streamlit"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"streamlit"})


def call(method: str, path: str, *, query: str = "", body: bytes = b"", headers: dict | None = None,
         chunks: int = 1, client: str = "198.51.100.7"):
    """(status, headers, body) of one request through PosterPoll."""
    sent: list[dict] = []
    pieces = [body[i::chunks] for i in range(chunks)] if chunks > 1 else [body]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query.encode(), "scheme": "http",
             "client": (client, 50000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": HOST, **(headers or {})}.items()]}
    run_async(PosterPoll(streamlit)(scope, receive, send))
    start = sent[0]
    answer = {}
    for k, v in start["headers"]:
        answer.setdefault(k.decode().lower(), []).append(v.decode("latin-1"))
    return start["status"], answer, b"".join(m.get("body", b"") for m in sent[1:]).decode()


def form(**fields: str) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def post(fields: dict, *, device: str | None = "new", site: str | None = "same-origin", **kwargs):
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if site:
        headers["sec-fetch-site"] = site
    if device:
        headers["cookie"] = f"rv_device={new_device_id() if device == 'new' else device}"
    headers.update(kwargs.pop("headers", {}))
    return call("POST", "/_review/vote", body=form(**fields), headers=headers, **kwargs)


@pytest.fixture
def poll(scheme_engine, db_url, monkeypatch):
    """A poll open today on this database, as the server would read it."""
    with session_scope(scheme_engine) as s:
        copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=office_today().year)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("POLL_SALT", SALT)
    monkeypatch.setenv("TRUST_PROXY", "")
    poll_structure.clear()
    secret_salt.cache_clear()  # the salts this process read for an earlier test are not this test's
    yield scheme_engine
    poll_structure.clear()
    secret_salt.cache_clear()


def votes(engine, *where):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(PollVote).where(*where)).one()


def test_a_poster_address_opens_a_plain_ballot_and_other_addresses_stay_streamlits(poll):
    status, headers, page = call("GET", "/poll", query="unit=es03&src=hall-3")
    assert status == 200 and headers["content-type"] == ["text/html; charset=utf-8"]
    assert "<script" not in page.lower() and len(page.encode()) < 15_000
    assert 'lang="zh-CN"' in page and "您对区教育局履职尽责的情况满意吗?" in page
    for option, name in (("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意")):
        assert f'<button type="submit" name="option" value="{option}">{name}</button>' in page
    assert '<form method="post" action="/_review/vote">' in page and 'name="src" value="HALL-3"' in page
    assert 'href="/poll?unit=es03&amp;src=HALL-3&amp;full=1"' in page  # the full page: other units, receipts
    cookie = headers["set-cookie"][0]
    assert re.match(r"rv_device=[0-9a-f]{32}; ", cookie) and "HttpOnly" in cookie
    known = call("GET", "/poll", query="unit=es03", headers={"cookie": f"rv_device={new_device_id()}"})[1]
    assert "set-cookie" not in known  # a browser with an id keeps it
    english = call("GET", "/poll", query="unit=es03&lang=en")[2]
    assert 'lang="en"' in english and ">Satisfied</button>" in english and "中文" in english
    for query in ("", "unit=nope", "unit=es03&full=1", "unit=es03&embed=true", "receipt=X", "unit=%3Cscript%3E",
                  "unit=es03&" + "&".join(f"x{i}=1" for i in range(30))):
        assert call("GET", "/poll", query=query)[2] == "streamlit", query
    assert call("GET", "/poll/other", query="unit=es03")[2] == "streamlit"


def test_a_vote_from_the_ballot_is_stored_once_like_a_streamlit_vote(poll):
    device = new_device_id()
    status, _, page = post({"unit": "es03", "src": "hall-3", "option": "basically_satisfied"}, device=device)
    assert status == 200 and "您对区教育局的评价“基本满意”已经记录" in page and "<script" not in page
    again = post({"unit": "es03", "option": "satisfied"}, device=device)
    assert again[0] == 409 and "您今天已经评价过这个单位了" in again[2]
    with session_scope(poll) as s:
        rows = s.exec(select(PollVote.option, PollVote.status, PollVote.source, PollVote.device_hash,
                             PollVote.network_hash).join(Unit, Unit.id == PollVote.unit_id)
                      .where(Unit.code == "es03")).all()
    assert [r[:3] for r in rows] == [("basically_satisfied", "accepted", "HALL-3")]
    assert device not in rows[0][3] and "198.51.100.7" not in rows[0][4]  # only salted hashes, as record_vote keeps
    # The same device through the Streamlit page's store call is the same device: refused as a second vote.
    with session_scope(poll) as s:
        campaign_id = s.exec(select(PollVote.campaign_id)).first()
        unit_id = s.exec(select(PollVote.unit_id)).first()
        direct = record_vote(s, campaign_id=campaign_id, unit_id=unit_id, option="satisfied", device_id=device,
                             ip="198.51.100.7", salt=SALT)
    assert direct.refusal.key == "poll.already_voted" and votes(poll) == 1
    # A 不满意 with a comment files a complaint and shows its receipt once, as the Streamlit page does.
    status, _, page = post({"unit": "es03", "option": "dissatisfied", "comment": "窗口排队太久"})
    receipt = re.search(r"<code>([^<]+)</code>", page).group(1)
    assert status == 200 and "您的投诉已提交" in page and f"/poll?receipt={receipt}" in page
    with session_scope(poll) as s:
        assert s.exec(select(func.count()).select_from(Complaint)).one() == 1
    assert votes(poll) == 2


def test_a_vote_from_another_site_or_not_a_form_is_refused_and_stores_nothing(poll):
    fields = {"unit": "es03", "option": "satisfied"}
    for site, extra in (("cross-site", {}), ("same-site", {}), (None, {"origin": "https://evil.example"}),
                        (None, {"referer": "https://evil.example/page"}), (None, {})):
        status, _, page = post(fields, site=site, headers=extra)
        assert status == 403 and "不是从本站的评价页面发出的" in page, (site, extra)
    # An older browser without Sec-Fetch-Site that names this host passes.
    assert post(fields, site=None, headers={"origin": f"http://{HOST}"})[0] == 200
    assert votes(poll) == 1
    assert call("GET", "/_review/vote")[0] == 405
    assert call("PUT", "/_review/vote", body=form(**fields), headers={"sec-fetch-site": "same-origin"})[0] == 405
    status, _, _ = post(fields, headers={"content-type": "text/plain"})
    assert status == 400 and votes(poll) == 1


def test_an_unknown_unit_a_bad_answer_or_an_oversized_body_is_refused_clearly(poll):
    for unit in ("nope", "", "es03' OR 1=1", "<b>"):
        status, _, page = post({"unit": unit, "option": "satisfied"})
        assert status == 404 and "这个单位不在本次评价名单中" in page and "<b>" not in page, unit
    status, _, page = post({"unit": "es03", "option": "excellent"})
    assert status == 400 and "请选择“满意”“基本满意”或“不满意”" in page
    big = {"unit": "es03", "option": "satisfied", "comment": "长" * (MAX_BODY // 3)}
    assert post(big)[0] == 413  # declared too long
    assert post(big, chunks=4)[0] == 413  # or sent in pieces without a length
    status, _, page = post({"unit": "es03", "option": "satisfied", "comment": "长" * 201})
    assert status == 400 and "留言最多 200 字" in page
    assert votes(poll) == 0


def test_a_missing_or_forged_cookie_records_nothing_and_gets_an_id(poll):
    for device in (None, "forged", "' OR 1=1 --", "A" * 32):
        status, headers, page = post({"unit": "es03", "option": "satisfied"}, device=device)
        assert status == 400 and "无法确认是否已评价" in page, device
        assert re.match(r"rv_device=[0-9a-f]{32}; ", headers["set-cookie"][0])
    assert votes(poll) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_network_past_the_flood_limit_is_refused_as_in_the_streamlit_poll(poll):
    with session_scope(poll) as s:
        campaign_id = poll_campaign(s, today=office_today()).id
        units = list(s.exec(select(Unit.id).where(Unit.active, Unit.campaign_id == campaign_id)).all())
    now = utcnow() - timedelta(minutes=1)
    for i in range(RULES.flood_votes):
        with session_scope(poll) as s:
            record_vote(s, campaign_id=campaign_id, unit_id=units[i % len(units)], option="satisfied",
                        device_id=new_device_id(), ip="198.51.100.7", salt=SALT, now=now)
    status, _, page = post({"unit": "es03", "option": "satisfied"}, client="198.51.100.7")
    assert status == 429 and "请 10 分钟后再试" in page
    assert votes(poll) == RULES.flood_votes
    assert post({"unit": "es03", "option": "satisfied"}, client="203.0.113.9")[0] == 200  # another network votes


def test_names_and_codes_reach_the_page_as_text_never_as_html(poll):
    with session_scope(poll) as s:  # an administrator's unit name is shown as typed, never run
        unit = s.exec(select(Unit).where(Unit.code == "es03").order_by(Unit.id.desc())).first()
        unit.name = '区教育局<img src=x onerror="alert(1)">'
        s.add(unit)
    poll_structure.clear()
    status, _, page = call("GET", "/poll", query="unit=es03&src=%22%3E%3Cb%3E&lang=%3Cb%3E")
    assert status == 200 and "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<b>" not in page and 'lang="zh-CN"' in page  # an odd poster code is dropped, an odd language ignored
    status, _, page = post({"unit": "es03", "option": "satisfied", "lang": "en"})
    assert status == 200 and "<img" not in page and "Thank you" in page
