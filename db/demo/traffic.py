"""`python -m db demo-traffic`: made-up citizens and reviewers at work while someone watches /live.

Every vote goes through `db.poll.record_vote` and every answer through `open_questionnaire`,
`save_answer` and `submit`, exactly as a visitor's would (anti-stuffing, one vote per unit,
device and day, windows, tallies), each in its own transaction. Votes carry is_demo; the
questionnaires are answered on venue ballot codes this command issues itself (flagged demo,
batch "演示流量"), so it never uses up the personal links printed for people to try, and it needs
no access to the owner-only invitation file. Everything it writes belongs to the running demo
campaign, so `purge-demo` removes it. It stops by itself after `minutes`.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, update
from sqlmodel import col, select

from core import poll as poll_rules
from core.clock import office_today
from core.errors import UserError
from db.access import Actor, require
from db.engine import session_scope
from db.models import Dimension, Invitation, ReviewerGroup, Unit
from db.poll import poll_campaign, record_vote
from db.questionnaire import issue_ballots, open_questionnaire, save_answer, submit

BATCH = "演示流量"
MAX_MINUTES = 240
MAX_RATE = 600  # events per minute: well below what one server process answers
QUESTIONNAIRE_SHARE = 0.35  # of events: one unit of a questionnaire answered (five taps); the rest are votes
BALLOTS_AT_ONCE = 1  # one venue tablet at work: a questionnaire is submitted every ~100 events
VOTE_WEIGHTS = (0.55, 0.3, 0.15)  # satisfied, basically, dissatisfied
ANSWER_WEIGHTS = (0.5, 0.3, 0.1, 0.1)  # ... and unknown
ANSWER_OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied", "unknown")


@dataclass
class TrafficReport:
    year: int
    events: int = 0
    votes: dict[str, int] = field(default_factory=dict)  # status -> count (accepted, flagged, refused)
    answers: int = 0
    submitted: int = 0
    ballots: int = 0


@dataclass
class _Filling:
    code: str
    token_hash: str
    next_unit: int = 0


def _checked(minutes: float, rate: float) -> None:
    if not (isinstance(minutes, (int, float)) and 0 < minutes <= MAX_MINUTES):
        raise UserError("demo.traffic_minutes", "--minutes must be more than 0 and at most {n}", n=MAX_MINUTES)
    if not (isinstance(rate, (int, float)) and 0 < rate <= MAX_RATE):
        raise UserError("demo.traffic_rate", "--rate must be more than 0 and at most {n} a minute", n=MAX_RATE)


def run_traffic(engine: Engine, *, actor: Actor, salt: str, minutes: float = 5, rate: float = 60,
                seed: int | None = None, sleep: Callable[[float], None] = time.sleep,
                progress: Callable[[TrafficReport], None] | None = None) -> TrafficReport:
    """`rate` events a minute for `minutes`, then stop; refused unless a demo campaign runs today."""
    require(actor, "admin")  # it issues ballot codes, an administrator's act
    _checked(minutes, rate)
    today = office_today()
    with session_scope(engine) as session:
        campaign = poll_campaign(session, today=today)
        if campaign is None or not campaign.is_demo:
            raise UserError("demo.not_running", "no demo campaign runs today ({today}); renew the demo: "
                            "python -m db purge-demo && python -m db demo", today=today.isoformat())
        campaign_id, year = campaign.id, campaign.year
        units = session.exec(select(Unit.id).where(Unit.campaign_id == campaign_id, Unit.active,
                                                   col(Unit.merged_into_id).is_(None)).order_by(Unit.position)).all()
        dimensions = session.exec(select(Dimension.id).where(Dimension.campaign_id == campaign_id)
                                  .order_by(Dimension.position)).all()
        groups = session.exec(select(ReviewerGroup.code).where(ReviewerGroup.campaign_id == campaign_id)
                               .order_by(ReviewerGroup.position)).all()
    rng = np.random.default_rng(seed)
    report = TrafficReport(year=year)
    filling: list[_Filling] = []
    total, interval = max(1, round(minutes * rate)), 60.0 / rate
    for event in range(total):
        if event:
            sleep(interval)
        if rng.random() < QUESTIONNAIRE_SHARE:
            _questionnaire_step(engine, actor=actor, year=year, units=units, dimensions=dimensions, groups=groups,
                                filling=filling, rng=rng, report=report)
        else:
            _vote(engine, campaign_id=campaign_id, units=units, salt=salt, rng=rng, report=report)
        report.events += 1
        if progress is not None:
            progress(report)
    return report


def _vote(engine: Engine, *, campaign_id: int, units: list[int], salt: str, rng: np.random.Generator,
          report: TrafficReport) -> None:
    # A new phone each time, on one of a few thousand home networks (private addresses: never a real one).
    ip = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.0.0.0")) + int(rng.integers(1, 2**20))))
    option = poll_rules.OPTIONS[int(rng.choice(3, p=VOTE_WEIGHTS))]
    with session_scope(engine) as session:
        result = record_vote(session, campaign_id=campaign_id, unit_id=int(rng.choice(units)), option=option,
                             device_id=poll_rules.new_device_id(), ip=ip, salt=salt, is_demo=True)
    report.votes[result.status] = report.votes.get(result.status, 0) + 1


def _questionnaire_step(engine: Engine, *, actor: Actor, year: int, units: list[int], dimensions: list[int],
                        groups: list[str], filling: list[_Filling], rng: np.random.Generator,
                        report: TrafficReport) -> None:
    """Answer the next unit of one questionnaire in progress (a new ballot when fewer are open)."""
    if len(filling) < BALLOTS_AT_ONCE:
        group = groups[int(rng.integers(0, len(groups)))]
        with session_scope(engine) as session:
            [code] = issue_ballots(session, actor=actor, year=year, group_code=group, count=1, batch=BATCH)
            session.execute(update(Invitation).where(Invitation.batch == BATCH, col(Invitation.is_demo).is_(False))
                            .values(is_demo=True))
        tablet = f"demo-traffic-{secrets.token_hex(4)}"  # a made-up tablet on a network of its own
        with session_scope(engine) as session:
            ballot = open_questionnaire(session, entry=code, client=tablet, device=tablet)
        filling.append(_Filling(code, ballot.token_hash))
        report.ballots += 1
    current = filling[int(rng.integers(0, len(filling)))]
    unit = units[current.next_unit]
    for dimension in dimensions:
        option = ANSWER_OPTIONS[int(rng.choice(4, p=ANSWER_WEIGHTS))]
        with session_scope(engine) as session:  # one transaction per tap, as on a tablet
            save_answer(session, token=current.token_hash, unit_id=unit, dimension_id=dimension, option=option)
        report.answers += 1
    current.next_unit += 1
    if current.next_unit == len(units):
        with session_scope(engine) as session:
            submit(session, token=current.token_hash)
        filling.remove(current)
        report.submitted += 1

