"""Complaints from the public poll (the 好差评 loop): life cycle, deadlines, receipts, phone numbers, scores.

Pure. A 不满意 vote with a comment is a complaint. Its unit acknowledges it within
`complaints.ack_working_days` working days (default 1) and closes it within
`complaints.close_working_days` (default 15), both counted from the day it reached the unit,
with the media cases' working-day calendar (poll.holidays / poll.workdays). Closing says what
was found, what was done, and a kind: rectified, explained (no fault found) or disputed. A
disputed complaint goes to the office, which upholds it (it counts as closed by the unit) or
takes it out of the count with a written reason. Nothing is deleted.

States:
- held: its vote was set aside as a possible burst; it waits for the administrator's ruling.
- dismissed: its vote was rejected by that ruling; it never reaches the unit.
- received -> acknowledged -> closed (rectified / explained), or -> disputed -> closed (upheld)
  or excluded (taken out of the count by the office).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import UserError
from core.media import answer_calendar
from core.poll import OPTIONS, add_working_days, is_working_day

STATES = ("held", "dismissed", "received", "acknowledged", "disputed", "closed", "excluded")
OPEN_STATES = ("received", "acknowledged")  # the unit still owes an answer
VISIBLE_TO_UNIT = ("received", "acknowledged", "disputed", "closed", "excluded")
COUNTED_STATES = ("received", "acknowledged", "disputed", "closed")  # excluded/held/dismissed do not count
FINISHED_STATES = ("closed", "excluded", "dismissed")  # nothing more happens; no call back is asked for
CLOSING_KINDS = ("rectified", "explained", "disputed")
RULINGS = ("upheld", "excluded")
FOLLOW_UP = OPTIONS  # 满意 / 基本满意 / 不满意
PARTS = ("ack_on_time", "closed_on_time", "satisfaction")
DEFAULTS = {"ack_working_days": 1, "close_working_days": 15, "phone_erase_days": 30, "phone_max_days": 180}
# complaints.* setting -> the range it may take (whole days).
DAY_RANGES = {"ack_working_days": (1, 30), "close_working_days": (1, 365), "phone_erase_days": (0, 3650),
              "phone_max_days": (1, 3650)}
DEFAULT_WEIGHTS = {"ack_on_time": 30, "closed_on_time": 40, "satisfaction": 30}
LIMITS = {"found": 2000, "done": 2000, "note": 500, "reason": 500, "place": 40}

# The poster code of a vote (src=...): letters, digits, - and _, short. Anything else is no code.
SOURCE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def clean_source(value: object) -> str:
    """The poster code as stored, or "" (an unknown or odd `src` just opens the ordinary poll)."""
    text = str(value or "").strip()
    return text.upper() if SOURCE.fullmatch(text) else ""


def is_complaint(option: str, comment: str) -> bool:
    return option == "dissatisfied" and bool((comment or "").strip())


# ---------------------------------------------------------------------------------------- receipts

# Crockford's base32 (as the ballot codes): no I, L, O, U; read aloud or typed from a phone's screen.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
RECEIPT_CHARS = 16  # 80 random bits: far beyond guessing at ten wrong tries per network and ten minutes


def new_receipt() -> str:
    """A random receipt code, grouped for typing: XXXX-XXXX-XXXX-XXXX."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(RECEIPT_CHARS))
    return "-".join(code[i:i + 4] for i in range(0, RECEIPT_CHARS, 4))


def normalise_receipt(text: str | None) -> str:
    """What a person typed, as the canonical code: case, spaces, hyphens and look-alikes forgiven."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum()).translate(_CONFUSABLE)
    return "-".join(cleaned[i:i + 4] for i in range(0, len(cleaned), 4))


def receipt_hash(text: str | None) -> str:
    """Only this is stored: a plain SHA-256 suffices for 80 random bits (nothing to try from a dictionary)."""
    return hashlib.sha256(f"receipt:{normalise_receipt(text)}".encode()).hexdigest()


def plausible_receipt(text: str | None) -> bool:
    code = normalise_receipt(text).replace("-", "")
    return len(code) == RECEIPT_CHARS and all(ch in _ALPHABET for ch in code)


# ---------------------------------------------------------------------------------------- phone numbers

_PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}\d{7,8}")


def clean_phone(text: str | None) -> str:
    """A mainland mobile (11 digits) or landline with area code; spaces and hyphens forgiven."""
    digits = re.sub(r"[\s\-()（）+]", "", text or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _PHONE.fullmatch(digits):
        raise UserError("complaints.bad_phone", "this is not a phone number; write 11 digits, e.g. 13812345678, "
                                                "or a landline with its area code")
    return digits


def mask(phone: str | None) -> str:
    """138****5678: what every reader who is not the unit's liaison or the office sees."""
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


# ---------------------------------------------------------------------------------------- texts


def clean_text(field: str, value: str | None, *, required: bool = True) -> str:
    text = "\n".join(" ".join(line.split()) for line in (value or "").strip().splitlines()).strip()
    text = "".join(ch for ch in text if ch == "\n" or ch.isprintable())
    if required and not text:
        raise UserError(f"complaints.{field}_needed", "write down the {field}", field=field)
    if len(text) > LIMITS[field]:
        raise UserError("complaints.too_long", "{field} has {length} characters, at most {limit} are allowed",
                        field=field, length=len(text), limit=LIMITS[field])
    return text


# ---------------------------------------------------------------------------------------- settings and deadlines


def _whole(value: object, default: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        return default
    return int(value)


@dataclass(frozen=True)
class Rules:
    ack_working_days: int = 1
    close_working_days: int = 15
    phone_erase_days: int = 30
    phone_max_days: int = 180
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def ack_due(self, received_on: date) -> date:
        return add_working_days(received_on, self.ack_working_days, self.holidays, self.workdays)

    def close_due(self, received_on: date) -> date:
        return add_working_days(received_on, self.close_working_days, self.holidays, self.workdays)

    def erase_on(self, closed_on: date) -> date:
        return closed_on + timedelta(days=self.phone_erase_days)

    def phone_erase_on(self, filed_on: date, finished_on: date | None = None) -> date:
        """The day a call-back number goes: `phone_erase_days` after the complaint is finished, and in any
        state (held, open, disputed: a complaint nobody finishes) `phone_max_days` after it was filed."""
        latest = filed_on + timedelta(days=self.phone_max_days)
        return latest if finished_on is None else min(latest, self.erase_on(finished_on))


def rules_from(settings: Mapping) -> Rules:
    """The campaign's complaint rules: settings["complaints"], with the media cases' holidays and workdays."""
    given = settings.get("complaints") or {}
    calendar = answer_calendar(settings)
    days = {name: _whole(given.get(name), DEFAULTS[name], low, high) for name, (low, high) in DAY_RANGES.items()}
    return Rules(**days, holidays=calendar.holidays, workdays=calendar.workdays)


def settings_problems(settings: Mapping) -> list[UserError]:
    """Problems of the optional `complaints` and `complaint_weights` groups (older campaigns lack both)."""
    problems: list[UserError] = []
    given = settings.get("complaints")
    if given is not None:
        if not isinstance(given, dict):
            return [UserError("settings.missing_group", "{group}: missing", group="complaints")]
        for name, (low, high) in DAY_RANGES.items():
            value = given.get(name, DEFAULTS[name])
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                problems.append(UserError("settings.range", "{name} must be a number from {low} to {high}",
                                          name=f"complaints.{name}", low=low, high=high))
        if not problems and given.get("ack_working_days", 1) > given.get("close_working_days", 15):
            problems.append(UserError("complaints.ack_after_close",
                                      "the acknowledgement deadline cannot be later than the closing deadline"))
    return problems


def part_weights(settings: Mapping) -> dict[str, float]:
    weights = settings.get("complaint_weights") or DEFAULT_WEIGHTS
    return {p: float(weights.get(p, 0)) for p in PARTS}


# ---------------------------------------------------------------------------------------- the life cycle


@dataclass(frozen=True)
class Step:
    """A requested move with what the rules look at."""

    state: str
    action: str  # acknowledge, close, rule, release, dismiss
    found: str = ""
    done: str = ""
    kind: str | None = None  # closing kind
    ruling: str | None = None
    reason: str = ""


ACTIONS = {  # action -> states it may start from
    # A vote flagged after its complaint reached the unit hid it again: the ruling releases it afresh
    # (its deadlines count from the ruling) or dismisses it.
    "release": ("held", "received"),
    "dismiss": ("held", "received"),
    "acknowledge": ("received",),
    "close": ("received", "acknowledged"),
    "rule": ("disputed",),
}


def refusal(step: Step) -> UserError | None:
    """Why this move is not allowed, or None if it is."""
    if step.action not in ACTIONS:
        return UserError("complaints.unknown_action", "{action!r} is not a step of a complaint", action=step.action)
    if step.state not in ACTIONS[step.action]:
        return _illegal(step.state, step.action)
    if step.action == "close":
        if step.kind not in CLOSING_KINDS:
            return UserError("complaints.kind_needed", "choose how it was closed: rectified, explained (no fault) "
                                                       "or disputed")
        if not step.found.strip():
            return UserError("complaints.found_needed", "write down what was found")
        if step.kind != "disputed" and not step.done.strip():
            return UserError("complaints.done_needed", "write down what was done")
    if step.action == "rule":
        if step.ruling not in RULINGS:
            return UserError("complaints.ruling_needed", "the office either upholds the complaint or takes it "
                                                         "out of the count")
        if not step.reason.strip():
            return UserError("complaints.reason_needed", "give the reason for the ruling in writing")
    return None


def _illegal(state: str, action: str) -> UserError:
    if state == "held":
        return UserError("complaints.held", "this complaint waits for the ruling on its vote")
    if state in ("closed", "excluded", "dismissed"):
        return UserError("complaints.finished", "this complaint is finished; nothing more can be done to it")
    if state == "disputed":
        return UserError("complaints.disputed", "this complaint is disputed: the office rules on it")
    if action == "acknowledge":
        return UserError("complaints.acknowledged_already", "this complaint has been acknowledged already")
    if action == "rule":
        return UserError("complaints.not_disputed", "only a disputed complaint is ruled on by the office")
    return UserError("complaints.illegal", "a {state} complaint cannot be handled this way", state=state)


def check_step(step: Step) -> None:
    error = refusal(step)
    if error is not None:
        raise error


def after(step: Step) -> str:
    """The state a permitted step leads to."""
    if step.action == "release":
        return "received"
    if step.action == "dismiss":
        return "dismissed"
    if step.action == "acknowledge":
        return "acknowledged"
    if step.action == "close":
        return "disputed" if step.kind == "disputed" else "closed"
    return "closed" if step.ruling == "upheld" else "excluded"


def may_rate(state: str, rated: str | None) -> bool:
    """The citizen rates the handling once, after the complaint is closed."""
    return state == "closed" and rated is None


# ---------------------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Facts:
    """What the score and the figures read of a counted complaint."""

    received_on: date
    acknowledged_on: date | None
    closed_on: date | None  # the unit's closing day (also for a disputed one the office upheld)
    follow_up: str | None


def overdue(facts: Facts, rules: Rules, *, today: date) -> tuple[bool, bool]:
    """(acknowledgement overdue, closing overdue): late, or not done and the due day is past."""
    ack_late = (facts.acknowledged_on or facts.closed_on or today) > rules.ack_due(facts.received_on)
    close_late = (facts.closed_on or today) > rules.close_due(facts.received_on)
    return ack_late, close_late


def parts(complaints: Sequence[Facts], settings: Mapping, as_of: date) -> dict:
    """The three handling sub-scores of one unit (0-100, None without complaints to judge), as media_parts.

    Acknowledged on time: over the complaints acknowledged (or closed), or whose acknowledgement
    deadline has passed. Closed on time: likewise for closing. Satisfaction: the option score of
    the citizens' follow-up ratings, over the rated complaints.
    """
    rules = rules_from(settings)
    points = settings["option_scores"]
    acked, closed = [], []
    for c in complaints:
        ack_late, close_late = overdue(c, rules, today=as_of)
        if c.acknowledged_on or c.closed_on or rules.ack_due(c.received_on) < as_of:
            acked.append(not ack_late)
        if c.closed_on or rules.close_due(c.received_on) < as_of:
            closed.append(not close_late)
    rated = [float(points[c.follow_up]) for c in complaints if c.follow_up in points]

    def share(values):
        return 100.0 * sum(values) / len(values) if values else None

    return {
        "complaints": len(complaints),
        "ack_on_time": {"score": share(acked), "count": int(sum(acked)), "of": len(acked)},
        "closed_on_time": {"score": share(closed), "count": int(sum(closed)), "of": len(closed)},
        "satisfaction": {"score": sum(rated) / len(rated) if rated else None, "of": len(rated)},
    }


def working_days_between(start: date, end: date, rules: Rules) -> int:
    """Working days after `start` up to and including `end` (0 when handled the same day)."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += is_working_day(day, rules.holidays, rules.workdays)
    return days
