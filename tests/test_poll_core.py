"""The poll's pure rules: salted identifiers, client address, abuse detection, comments, working days."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import UserError
from core.media import AnswerCalendar, answer_calendar
from core.poll import (
    RULES,
    RecentVote,
    add_working_days,
    answer_overdue,
    clean_comment,
    client_ip,
    device_hash,
    find_units,
    network_hash,
    network_of,
    new_device_id,
    suspicious,
    valid_device_id,
)

T0 = datetime(2017, 6, 1, 2, 0, tzinfo=UTC)


def votes(gaps, *, network="n1", start_id=1):
    at, out = T0, []
    for k, gap in enumerate(gaps):
        at += timedelta(seconds=gap)
        out.append(RecentVote(start_id + k, network, at))
    return out


def test_hashes_are_keyed_and_never_contain_the_address():
    a = network_hash("203.0.113.7", "salt one")
    assert len(a) == 64 and "203" not in a
    assert a == network_hash("203.0.113.7", "salt one")
    assert a != network_hash("203.0.113.7", "salt two")  # without the server's salt the hash is useless
    assert device_hash("ab" * 16, "s") != network_hash("ab" * 16, "s")  # separate namespaces
    with pytest.raises(ValueError):
        network_hash("203.0.113.7", "")


def test_an_ipv6_subscriber_is_one_network_whatever_address_it_picks():
    assert network_of("2001:db8:1:2::1") == network_of("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert network_of("2001:db8:1:3::1") != network_of("2001:db8:1:2::1")
    assert network_of("::ffff:198.51.100.4") == "198.51.100.4"
    assert network_of(None) == network_of("") == network_of("not an address") == "unknown"


def test_the_client_address_behind_proxies_is_the_one_the_trusted_proxy_saw():
    # The client wrote "1.1.1.1" itself; the proxy appended the address it really came from.
    assert client_ip("10.0.0.2", "1.1.1.1, 198.51.100.4", trusted_proxies=1) == "198.51.100.4"
    assert client_ip("10.0.0.2", "1.1.1.1, 198.51.100.4, 10.0.0.9", trusted_proxies=2) == "198.51.100.4"
    assert client_ip("10.0.0.2", "1.1.1.1", trusted_proxies=0) == "10.0.0.2"  # proxies not trusted
    assert client_ip("10.0.0.2", None, trusted_proxies=1) == "10.0.0.2"
    assert client_ip("10.0.0.2", "198.51.100.4", trusted_proxies=2) == "10.0.0.2"  # fewer hops than proxies


def test_device_ids_are_random_and_checked():
    ids = {new_device_id() for _ in range(100)}
    assert len(ids) == 100 and all(valid_device_id(i) for i in ids)
    for bad in (None, "", "x" * 32, "AB" * 16, "ab" * 15, "ab" * 16 + "\n", 12):
        assert not valid_device_id(bad)


def test_a_burst_from_one_network_is_flagged_and_a_trickle_is_not():
    burst = votes([3] * 12)  # 12 votes 3 s apart: 10 of them within 27 s
    flags = suspicious(burst)
    assert set(flags) == {v.id for v in burst} and set(flags.values()) <= {"burst", "regular"}
    assert flags[burst[0].id] == "burst"
    assert suspicious(votes([90] * 9)) == {}  # 9 votes, 90 s apart: a busy office, not a burst


def test_a_burst_spread_over_many_networks_is_not_a_one_network_burst():
    mixed = [RecentVote(k, f"n{k}", T0 + timedelta(seconds=k * 2.1 + random.Random(k).random() * 5))
             for k in range(12)]
    assert "burst" not in suspicious(mixed).values()


def test_machine_regular_gaps_are_flagged_even_across_networks():
    timer = [RecentVote(k, f"n{k % 5}", T0 + timedelta(minutes=7 * k)) for k in range(11)]
    assert set(suspicious(timer).values()) == {"regular"} and len(suspicious(timer)) == 11
    jitter = random.Random(1)
    nearly = [RecentVote(k, "n", T0 + timedelta(seconds=300 * k + jitter.uniform(-3, 3))) for k in range(11)]
    assert set(suspicious(nearly).values()) == {"regular"}  # a timer with a little jitter is still a timer


def test_people_arriving_at_random_are_never_flagged():
    rng = random.Random(2017)
    for trial in range(200):
        at, people = T0, []
        for k in range(40):
            at += timedelta(seconds=rng.expovariate(1 / 120))
            people.append(RecentVote(k, f"n{rng.randrange(30)}", at))
        assert suspicious(people) == {}, trial


def test_fewer_votes_than_the_window_are_never_regular():
    assert suspicious(votes([60] * (RULES.regular_votes - 1))) == {}


@pytest.mark.parametrize(("raw", "stored"), [
    ("  很好，办事快  ", "很好，办事快"),
    ("line one\nline two\r\n", "line one line two"),
    ("a\u200bb\u202ec\x00d\x1b[31m", "abcd[31m"),  # zero-width, bidi override, NUL, escape
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # kept as typed, shown as plain text
    (None, ""),
])
def test_comments_are_plain_one_line_text(raw, stored):
    assert clean_comment(raw) == stored


def test_an_overlong_comment_is_refused_not_cut():
    assert len(clean_comment("好" * 200)) == 200
    with pytest.raises(UserError) as refused:
        clean_comment("好" * 201)
    assert refused.value.key == "poll.comment_too_long" and refused.value.params == {"length": 201, "limit": 200}


@given(st.text(max_size=400))
def test_any_comment_is_cleaned_or_refused(text):
    try:
        cleaned = clean_comment(text)
    except UserError:
        return
    assert len(cleaned) <= 200 and "\n" not in cleaned and cleaned == cleaned.strip()


UNITS = [("es01", "区发改局(区统计局)"), ("es07", "区财政局"), ("es08", "区财政局(区金融工作局)"),
         ("ue01", "区公安分局(区交管局)"), ("ps01", "开发区供电公司")]


@pytest.mark.parametrize(("query", "codes"), [
    ("财政", ["es07", "es08"]),
    ("金融", ["es08"]),
    ("区公安分局（区交管局）", ["ue01"]),  # full-width brackets
    ("供 电", ["ps01"]),
    ("ES01", ["es01"]),
    ("", [c for c, _ in UNITS]),
    ("气象", []),
])
def test_finding_a_unit_by_part_of_its_name(query, codes):
    assert find_units(query, UNITS) == codes


def test_working_days_skip_weekends_and_holidays():
    friday = date(2017, 9, 29)
    assert add_working_days(friday, 1) == date(2017, 10, 2)
    national_day = [date(2017, 10, d) for d in range(2, 9)]
    assert add_working_days(friday, 1, national_day) == date(2017, 10, 9)
    # 2017-09-30 (a Saturday) was worked in exchange for the National Day week.
    assert add_working_days(friday, 1, national_day, [date(2017, 9, 30)]) == date(2017, 9, 30)
    assert add_working_days(friday, 0) == friday


def test_an_answer_is_overdue_after_the_due_day_only():
    exposed = date(2017, 3, 6)  # Monday; 5 working days -> due Monday 13 March
    assert not answer_overdue(exposed, None, today=date(2017, 3, 13), working_days=5)
    assert answer_overdue(exposed, None, today=date(2017, 3, 14), working_days=5)
    assert not answer_overdue(exposed, date(2017, 3, 13), today=date(2017, 12, 1), working_days=5)
    assert answer_overdue(exposed, date(2017, 3, 14), today=date(2017, 12, 1), working_days=5)


def test_the_answer_calendar_comes_from_the_settings_and_survives_bad_entries():
    calendar = answer_calendar({"poll": {"media_answer_working_days": 3, "holidays": ["2017-10-02", "bad"],
                                         "workdays": ["2017-09-30"]}})
    assert calendar == AnswerCalendar(3, frozenset({date(2017, 10, 2)}), frozenset({date(2017, 9, 30)}))
    assert answer_calendar({}) == AnswerCalendar()
    assert calendar.due(date(2017, 9, 28)) == date(2017, 10, 3)  # Fri 29, Sat 30 (worked), Tue 3 (2 Oct off)
