"""The public poll's rules: options, salted identifiers, abuse detection, comments, working days.

Pure: plain values in and out. The store (db.poll) decides when to call what; this module
decides what counts as a burst, which address is the client's, and when a media answer is due.

A unit has every reason to stuff its own ballot box, so three independent signals are kept:
one vote per unit per device per day (the database's unique constraint), a per-network flood
limit, and the timing of a unit's votes (bursts from one network, or machine-regular gaps).
None of them sees a raw address or device id: only keyed hashes, whose key (the salt) never
leaves the server, so the stored hashes cannot be reversed by trying every IPv4 address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from core.errors import UserError

OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
COUNTED = ("accepted", "admitted")  # statuses whose votes count; flagged ones wait for a ruling
RULINGS = ("admitted", "rejected")
COMMENT_LIMIT = 200

# ---------------------------------------------------------------------------------------
# Identifiers

_DEVICE_ID = re.compile(r"[0-9a-f]{32}")
UNKNOWN_NETWORK = "unknown"


def new_device_id() -> str:
    """A random id for a browser that has none yet (128 bits: guessing another's is hopeless)."""
    return secrets.token_hex(16)


def valid_device_id(value: object) -> bool:
    """Only ids this code made are accepted: a cookie can be edited, so its shape is checked."""
    return isinstance(value, str) and _DEVICE_ID.fullmatch(value) is not None


def _keyed(kind: str, value: str, salt: str) -> str:
    if not salt:
        raise ValueError("a salt is required: an unsalted hash of an address can be reversed")
    return hmac.new(salt.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def network_of(ip: str | None) -> str:
    """The network a vote came from: an IPv4 address, or the /64 prefix of an IPv6 address.

    An IPv6 subscriber gets a whole /64 and can pick a fresh address for every request, so
    counting full IPv6 addresses would make the flood limit useless.
    """
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return UNKNOWN_NETWORK
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def network_hash(ip: str | None, salt: str) -> str:
    return _keyed("network", network_of(ip), salt)


def device_hash(device_id: str, salt: str) -> str:
    return _keyed("device", device_id, salt)


def client_ip(remote: str | None, forwarded_for: str | None, *, trusted_proxies: int = 0) -> str | None:
    """The client's address: the peer's, or the one the n-th trusted proxy saw (X-Forwarded-For).

    Each proxy appends the address it was reached from, so with n trusted proxies the client is
    the n-th entry from the right. The left-most entries are whatever the client chose to send:
    trusting them would let a flooder pick a fresh "address" for every vote.
    """
    if trusted_proxies <= 0 or not forwarded_for:
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return remote
    return hops[-trusted_proxies]


# ---------------------------------------------------------------------------------------
# Abuse detection


@dataclass(frozen=True)
class Rules:
    """Thresholds of the abuse checks (defaults in `RULES`)."""

    # More than this many votes from one network in the window are refused (NAT: generous).
    flood_votes: int = 120
    flood_window: timedelta = timedelta(minutes=10)
    # This many votes for one unit from one network within the window are a burst.
    burst_votes: int = 10
    burst_window: timedelta = timedelta(seconds=60)
    # The last `regular_votes` votes of a unit (or of one network for it) whose gaps vary less
    # than `regular_cv` (coefficient of variation) came from a timer: people arrive at random
    # (a Poisson stream has a CV near 1; 10 gaps below 0.1 essentially never happen by chance).
    regular_votes: int = 11
    regular_cv: float = 0.1


RULES = Rules()


@dataclass(frozen=True)
class RecentVote:
    id: int
    network: str
    at: datetime


def _burst_ids(votes: Sequence[RecentVote], rules: Rules) -> set[int]:
    """Ids of one network's votes that fall in any window of `burst_votes` within `burst_window`."""
    flagged: set[int] = set()
    ordered = sorted(votes, key=lambda v: (v.at, v.id))
    need = rules.burst_votes
    for end in range(need - 1, len(ordered)):
        start = end - need + 1
        if ordered[end].at - ordered[start].at <= rules.burst_window:
            flagged.update(v.id for v in ordered[start:end + 1])
    return flagged


def _regular_ids(votes: Sequence[RecentVote], rules: Rules) -> set[int]:
    """Ids of the newest `regular_votes` votes when their gaps are machine-regular."""
    newest = sorted(votes, key=lambda v: (v.at, v.id))[-rules.regular_votes:]
    if len(newest) < rules.regular_votes:
        return set()
    gaps = [(b.at - a.at).total_seconds() for a, b in pairwise(newest)]
    # Plain float arithmetic: `statistics` computes exactly, and this runs on every vote.
    mean = sum(gaps) / len(gaps)
    spread = math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps))
    # Identical timestamps (mean 0) are as machine-made as it gets.
    cv = spread / mean if mean > 0 else 0.0
    return {v.id for v in newest} if cv < rules.regular_cv else set()


def suspicious(votes: Iterable[RecentVote], rules: Rules = RULES) -> dict[int, str]:
    """Which of a unit's recent votes to set aside, and why ("burst" or "regular").

    `votes` are one unit's most recent votes (any mix of networks, duplicates by id ignored).
    """
    unique = list({v.id: v for v in votes}.values())
    by_network: dict[str, list[RecentVote]] = defaultdict(list)
    for vote in unique:
        by_network[vote.network].append(vote)
    reasons: dict[int, str] = {}
    for group in by_network.values():
        for vote_id in _burst_ids(group, rules):
            reasons.setdefault(vote_id, "burst")
    for group in [unique, *by_network.values()]:
        for vote_id in _regular_ids(group, rules):
            reasons.setdefault(vote_id, "regular")
    return reasons


# ---------------------------------------------------------------------------------------
# Comments and finding a unit


_WHITESPACE = re.compile(r"\s+")


def clean_comment(text: str | None, *, limit: int = COMMENT_LIMIT) -> str:
    """A comment as stored: plain text on one line, invisible characters removed.

    Control and format characters (zero-width spaces, bidirectional overrides) are dropped so
    that what staff read is what was typed, and nothing can reorder the text on their screen.
    Refused, not cut, when too long: a silently shortened comment can change its meaning.
    """
    text = unicodedata.normalize("NFC", text or "")
    visible = "".join(" " if ch in "\t\n\r\u2028\u2029" else ch for ch in text
                      if ch in "\t\n\r\u2028\u2029" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    cleaned = _WHITESPACE.sub(" ", visible).strip()
    if len(cleaned) > limit:
        raise UserError("poll.comment_too_long", "the comment has {length} characters; at most {limit} are allowed",
                        length=len(cleaned), limit=limit)
    return cleaned


_NAME_NOISE = re.compile(r"[\s()（）【】\[\]《》<>〈〉·・.,，、\"'“”]")


def name_key(text: str) -> str:
    """A name as compared: no spaces, brackets or quotation marks, any width, any case."""
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def find_units(query: str, units: Sequence[tuple[str, str]]) -> list[str]:
    """Codes of the units whose name (or code) contains `query`, ignoring spaces, width and brackets.

    `units` are (code, name) pairs in display order; an empty query matches all of them.
    """
    key = name_key(query or "")
    if not key:
        return [code for code, _ in units]
    return [code for code, name in units if key in name_key(name) or key == code.casefold()]


# ---------------------------------------------------------------------------------------
# Working days (the media answer deadline)


def is_working_day(day: date, holidays: Collection[date] = (), workdays: Collection[date] = ()) -> bool:
    """Monday to Friday unless a holiday; `workdays` are weekend days worked instead (调休)."""
    return day in workdays or (day.weekday() < 5 and day not in holidays)


def next_working_day(day: date, holidays: Collection[date] = (), workdays: Collection[date] = ()) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, holidays, workdays):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, n: int, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> date:
    """The n-th working day after `start` (the day of exposure itself does not count)."""
    holidays, workdays = frozenset(holidays), frozenset(workdays)
    day, left = start, n
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            left -= 1
    return day


def answer_overdue(exposed_on: date, answered_on: date | None, *, today: date, working_days: int,
                   holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> bool:
    """An answer given after its due day, or none given and the due day is past."""
    due = add_working_days(exposed_on, working_days, holidays, workdays)
    return (answered_on or today) > due
