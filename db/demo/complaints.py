"""Demo complaints: some of a demo campaign's 不满意 votes get a comment and become complaints in every state,
with the units' answers, office rulings and citizens' follow-up ratings. Flagged demo (`is_demo`), so
`python -m db purge-demo` removes exactly these rows (before the votes they hang off).

Called once per demo year by db.demo (one line there), after the votes are written.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select

from core import complaints as rules
from core.clock import from_office, to_office
from core.poll import add_working_days
from db import tallies
from db.models import Campaign, Complaint, PollVote

# What citizens write, what units find and do (made up; no person is named).
COMMENTS = (
    "窗口工作人员态度生硬，问了两遍都不耐烦。", "排队一个多小时，只开了两个窗口。",
    "材料被退回三次，每次只说一项问题。",
    "电话一直打不通，留言也没人回。", "说好三个工作日办结，拖了两周还没消息。", "网上预约后到现场还要重新取号。",
    "办事指南和窗口要求的材料不一致。", "中午十二点前就停止取号，和公示时间不符。", "要求开具不必要的证明材料。",
    "反映的问题被推给其他部门，来回跑了好几趟。", "收费项目没有公示，问了也说不清。", "维修报修后一直没人上门。",
)
FOUND = (
    "经调取窗口监控和办件记录核实，反映情况属实。", "经核查，当日窗口人员不足，群众等候时间过长。",
    "经核实，工作人员未一次性告知所需材料。", "经查，办件系统当日故障，导致办理延误。",
    "经核实，该事项依法须由其他部门先行办理，本单位已告知但解释不够清楚。",
)
DONE = (
    "已对当事人批评教育，并在窗口张贴一次性告知清单。", "已增设高峰时段弹性窗口，并公开承诺等候时限。",
    "已为群众办结该事项，并致电说明情况、致歉。", "已修订办事指南，统一线上线下材料要求。",
    "已建立转办跟踪台账，由专人回复群众。",
)
EXPLAINED = ("经核实，所需材料为法律法规规定，已向群众当面解释清楚。",
             "经核查，办理时限符合规定，已向群众说明办理进度。")
DISPUTED = ("经核实，该事项不属于本单位职责，应由其他部门办理。", "监控显示当日窗口正常办理，未发现所反映情况。")
RULING_UPHOLD = "经纠风办复核，群众反映的问题属实，维持投诉。"
RULING_EXCLUDE = "经纠风办复核，该事项不属于被投诉单位职责，不计入统计。"
DEMO_PHONE = "13800138000"  # the operators' own example number, never a citizen's


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def add_demo_complaints(session: Session, *, campaign: Campaign, rng: np.random.Generator, today: date,
                        n: int = 160) -> int:
    """Turn up to `n` of the campaign's 不满意 demo votes into complaints in every state; returns how many.

    Dates never pass `today` (nor the campaign's end): a campaign still running has recent, open ones.
    """
    as_of = min(today, campaign.ends_on)
    r = rules.rules_from(campaign.settings)
    _bursts(session, campaign, rng, as_of)
    votes = session.exec(select(PollVote.id, PollVote.unit_id, PollVote.day, PollVote.status)
                         .where(PollVote.campaign_id == campaign.id, PollVote.option == "dissatisfied",
                                PollVote.is_demo, PollVote.day <= as_of).order_by(PollVote.id)).all()
    if not votes:
        return 0
    counted = [v for v in votes if v.status in ("accepted", "admitted")]
    set_aside = [v for v in votes if v.status in ("flagged", "rejected")]
    chosen = [counted[int(k)] for k in rng.choice(len(counted), size=min(n, len(counted)), replace=False)] \
        if counted else []
    chosen += set_aside
    # Older votes first, so the newest (still open) complaints are the latest ones.
    chosen.sort(key=lambda v: v.id)
    rows, comments = [], []
    for vote in chosen:
        row = _erased_when_due(_complaint(vote, r, rng, as_of), r, as_of)
        row["campaign_id"] = campaign.id
        rows.append(row)
        comments.append({"vid": vote.id, "text": _pick(rng, COMMENTS)})
    session.execute(update(PollVote.__table__).where(PollVote.__table__.c.id == bindparam("vid"))
                    .values(comment=bindparam("text")), comments)
    session.execute(insert(Complaint.__table__), rows)
    return len(rows)


BURST = 10  # votes from one network within a minute: the poll sets them aside (core.poll.Rules.burst_votes)


def _bursts(session: Session, campaign: Campaign, rng: np.random.Generator, as_of: date) -> None:
    """Two bursts of 不满意 votes, each from one network within a minute: one rejected by the office (its
    complaints dismissed), one still waiting for the ruling (its complaints held).

    Made from 2 x BURST of the demo's own 不满意 votes, moved to one unit, day and network (tallies moved
    with them), so the demo keeps exactly the number of votes it was asked for.
    """
    pool = session.exec(select(PollVote.id, PollVote.unit_id, PollVote.day, PollVote.status)
                        .where(PollVote.campaign_id == campaign.id, PollVote.is_demo, PollVote.status == "accepted",
                               PollVote.option == "dissatisfied", PollVote.day <= as_of)
                        .order_by(PollVote.id)).all()
    if len(pool) < 4 * BURST:
        return
    picked = [pool[int(k)] for k in rng.choice(len(pool), size=2 * BURST, replace=False)]
    units = sorted({v.unit_id for v in pool})
    deltas: Counter = Counter()
    changes = []
    for group, (status, days_back) in enumerate((("rejected", 40), ("flagged", 2))):
        day = max(campaign.starts_on, as_of - timedelta(days=days_back))
        unit = units[int(rng.integers(len(units)))]
        network = rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
        start = _noon(day) - timedelta(hours=2)
        for k, vote in enumerate(picked[group * BURST:(group + 1) * BURST]):
            deltas[(campaign.id, vote.unit_id, vote.day, "dissatisfied", vote.status)] -= 1
            deltas[(campaign.id, unit, day, "dissatisfied", status)] += 1
            changes.append(dict(vid=vote.id, unit=unit, day=day, at=start + timedelta(seconds=4 * k),
                                network=network, device=rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex(),
                                status=status))
    table = PollVote.__table__
    session.execute(update(table).where(table.c.id == bindparam("vid"))
                    .values(unit_id=bindparam("unit"), day=bindparam("day"), created_at=bindparam("at"),
                            network_hash=bindparam("network"), device_hash=bindparam("device"),
                            status=bindparam("status"), flag_reason="burst"), changes)
    tallies.apply_vote_deltas(session.connection(), deltas)


def _noon(day: date) -> datetime:
    return from_office(datetime(day.year, day.month, day.day, 12))


def _complaint(vote, r: rules.Rules, rng: np.random.Generator, as_of: date) -> dict:
    created = _noon(vote.day)
    row = dict(unit_id=vote.unit_id, vote_id=vote.id, receipt_hash=rules.receipt_hash(rules.new_receipt()),
               state="received", received_on=vote.day, acknowledged_on=None, closed_on=None, found="", done="",
               closing_kind=None, ruling=None, ruling_reason="", phone=None, phone_erased_at=None, follow_up=None,
               follow_up_at=None, is_demo=True, created_at=created, updated_at=created)
    if vote.status == "flagged":
        return {**row, "state": "held", "received_on": None}
    if vote.status == "rejected":
        return {**row, "state": "dismissed", "received_on": None}
    age = (as_of - vote.day).days
    roll = float(rng.random())
    ack = r.ack_due(vote.day) if roll < 0.85 else r.ack_due(vote.day) + timedelta(days=int(rng.integers(1, 5)))
    # Most close well within the deadline (in working days), some late.
    close_in = int(rng.integers(2, 12)) if roll < 0.8 else r.close_working_days + int(rng.integers(1, 8))
    closed = max(add_working_days(vote.day, close_in, r.holidays, r.workdays), ack)
    phone = DEMO_PHONE if rng.random() < 0.3 else None
    if age < 1 or ack > as_of:  # just arrived
        return {**row, "phone": phone}
    if closed > as_of or rng.random() < 0.06:  # being handled, some of them overdue
        acknowledged = rng.random() < 0.85
        return {**row, "state": "acknowledged" if acknowledged else "received",
                "acknowledged_on": ack if acknowledged else None, "phone": phone}
    kind_roll = float(rng.random())
    updated = _noon(closed)
    if kind_roll < 0.62:
        row.update(state="closed", closing_kind="rectified", found=_pick(rng, FOUND), done=_pick(rng, DONE))
    elif kind_roll < 0.82:
        row.update(state="closed", closing_kind="explained", found=_pick(rng, EXPLAINED), done="已当面向群众解释。")
    else:
        row.update(closing_kind="disputed", found=_pick(rng, DISPUTED))
        ruled_on = closed + timedelta(days=int(rng.integers(1, 6)))
        if ruled_on > as_of or kind_roll < 0.87:
            row["state"] = "disputed"
        elif kind_roll < 0.94:
            row.update(state="closed", ruling="upheld", ruling_reason=RULING_UPHOLD)
            updated = _noon(ruled_on)
        else:
            row.update(state="excluded", ruling="excluded", ruling_reason=RULING_EXCLUDE)
            updated = _noon(ruled_on)
    row.update(acknowledged_on=ack, closed_on=closed, updated_at=updated)
    if row["state"] == "closed" and rng.random() < 0.65:
        follow = rng.choice(rules.FOLLOW_UP, p=[0.5, 0.3, 0.2])
        row.update(follow_up=str(follow), follow_up_at=updated + timedelta(days=int(rng.integers(0, 4))))
    if rng.random() < 0.2:  # asked for a call back; erased once the keeping time has passed
        row["phone"] = DEMO_PHONE
    return row


def _erased_when_due(row: dict, r: rules.Rules, as_of: date) -> dict:
    """A number whose day has come (core.complaints.Rules.phone_erase_on) is gone, as the housekeeping does."""
    if row["phone"] is None:
        return row
    finished = None
    if row["state"] in rules.FINISHED_STATES:  # as db.complaints.handling.phones_due reads it
        finished = row["closed_on"] if row["state"] == "closed" else to_office(row["updated_at"]).date()
    day = r.phone_erase_on(to_office(row["created_at"]).date(), finished)
    return {**row, "phone": None, "phone_erased_at": _noon(day)} if day <= as_of else row
