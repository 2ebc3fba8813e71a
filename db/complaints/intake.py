"""The citizen's side of a complaint: filing it with the vote, the receipt, the call-back number, the reply.

A 不满意 vote with a comment becomes a complaint in the vote's own transaction. The receipt code
is shown once and stored only as its hash; whoever holds it may read the unit's answer, leave a
phone number (with consent) and rate the handling once the complaint is closed. A receipt that
exists always opens; wrong ones are counted per device and per network (keyed hashes) under the
ballot codes' rules (db.wrong_codes), so a receipt cannot be found by trying and one phone's
typing never shuts out the others behind the same address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from core import complaints as rules
from core.clock import to_office, utcnow
from core.errors import UserError
from core.poll import device_hash, network_hash, valid_device_id
from db import wrong_codes
from db.access import Actor
from db.audit import record
from db.models import Campaign, Complaint, PollVote, Unit
from db.poll import VoteResult, record_vote

ATTEMPT_KIND = "receipt_code"
WAIT_KEY = "complaints.too_many"  # a device that must wait: the catalogue entry naming the minutes
CITIZEN = Actor("citizen", "public")  # the audit log's name for whoever holds a receipt


@dataclass(frozen=True)
class Filed:
    vote: VoteResult
    receipt: str | None = None  # shown once; only its hash is stored
    complaint_id: int | None = None


def vote(session: Session, *, campaign_id: int, unit_id: int, option: str, device_id: str, ip: str | None,
         comment: str = "", salt: str, source: str = "", now: datetime | None = None) -> Filed:
    """Record the vote (db.poll.record_vote); a 不满意 vote with a comment also files a complaint.

    A vote set aside as a possible burst files its complaint as held: it reaches the unit only if
    the administrator admits the vote. The citizen gets the same receipt either way.
    """
    now = now or utcnow()
    result = record_vote(session, campaign_id=campaign_id, unit_id=unit_id, option=option, device_id=device_id,
                         ip=ip, comment=comment, salt=salt, now=now, source=rules.clean_source(source))
    if not result.recorded or not rules.is_complaint(option, comment):
        return Filed(result)
    # 80 random bits: a receipt colliding with another (the unique index would refuse it) never happens.
    receipt = rules.new_receipt()
    held = result.status == "flagged"
    complaint = Complaint(campaign_id=campaign_id, unit_id=unit_id, vote_id=result.vote_id,
                          receipt_hash=rules.receipt_hash(receipt), state="held" if held else "received",
                          received_on=None if held else to_office(now).date(), created_at=now, updated_at=now)
    session.add(complaint)
    session.flush()
    return Filed(result, receipt, complaint.id)


@dataclass(frozen=True)
class Reply:
    """What the citizen sees for a receipt."""

    unit_name: str
    comment: str
    voted_on: date
    state: str  # as the citizen sees it: submitted, received, acknowledged, disputed, closed, excluded
    received_on: date | None
    acknowledged_on: date | None
    closed_on: date | None
    closing_kind: str | None
    found: str
    done: str
    ruling_reason: str
    follow_up: str | None
    may_rate: bool
    phone_left: bool
    may_leave_phone: bool  # not finished, no number yet, and within the longest keeping time of numbers


@dataclass(frozen=True)
class Lookup:
    reply: Reply | None = None
    refusal: UserError | None = None


def _find(session: Session, *, receipt: str, ip: str | None, salt: str, device_id: str,
          now: datetime) -> Complaint | UserError:
    """The complaint of a receipt, or a refusal: a receipt that exists is found whatever others behind the
    same address typed; a wrong one counts against this device and network (db.wrong_codes)."""
    if not valid_device_id(device_id):
        return UserError("poll.no_device", "your browser did not keep this site's cookie; allow cookies and reload")
    network, device = network_hash(ip, salt), device_hash(device_id, salt)
    wait = wrong_codes.device_wait(session, kind=ATTEMPT_KIND, device=device, network=network, now=now)
    if wait:
        return wrong_codes.too_many(WAIT_KEY, wait)
    complaint = None
    if rules.plausible_receipt(receipt):
        complaint = session.exec(select(Complaint).where(
            Complaint.receipt_hash == rules.receipt_hash(receipt))).first()
    if complaint is None:  # counted in this transaction, committed with the refusal
        wait = wrong_codes.count_miss(session, kind=ATTEMPT_KIND, device=device, network=network, now=now)
        if wait:
            return wrong_codes.too_many(WAIT_KEY, wait)
        return UserError("complaints.unknown_receipt", "this receipt code is not valid; check it and type it again")
    return complaint


def _phone_expired(session: Session, c: Complaint, now: datetime) -> bool:
    """Whether a number left now would already be due for erasure (complaints.phone_max_days after filing)."""
    r = rules.rules_from(session.get(Campaign, c.campaign_id).settings)
    return r.phone_erase_on(to_office(c.created_at).date()) <= to_office(now).date()


def _reply(session: Session, c: Complaint, now: datetime) -> Reply:
    unit_name, comment, day = session.exec(select(Unit.name, PollVote.comment, PollVote.day)
                                           .join(PollVote, PollVote.unit_id == Unit.id)
                                           .where(PollVote.id == c.vote_id)).one()
    # Held or dismissed with its vote: the citizen sees "submitted", as the poll thanks a flagged vote alike.
    state = "submitted" if c.state in ("held", "dismissed") else c.state
    answered = c.state in ("closed", "excluded", "disputed")
    # As the form was offered before: a held or dismissed one looks "submitted" (and leave_phone says why not).
    may_leave_phone = state in ("submitted", "received", "acknowledged", "disputed") and c.phone is None \
        and not _phone_expired(session, c, now)
    return Reply(unit_name, comment, day, state, c.received_on if state != "submitted" else None,
                 c.acknowledged_on, c.closed_on if answered else None, c.closing_kind if answered else None,
                 c.found if answered else "", c.done if answered else "",
                 c.ruling_reason if c.state == "excluded" else "", c.follow_up,
                 rules.may_rate(c.state, c.follow_up), c.phone is not None, may_leave_phone)


def look_up(session: Session, *, receipt: str, ip: str | None, salt: str, device_id: str,
            now: datetime | None = None) -> Lookup:
    """The state and the unit's answer for a receipt code, or why not (wrong codes: db.wrong_codes)."""
    now = now or utcnow()
    found = _find(session, receipt=receipt, ip=ip, salt=salt, device_id=device_id, now=now)
    if isinstance(found, UserError):
        return Lookup(refusal=found)
    return Lookup(_reply(session, found, now))


def leave_phone(session: Session, *, receipt: str, phone: str, consent: bool, ip: str | None, salt: str,
                device_id: str, now: datetime | None = None) -> Lookup:
    """The citizen asks for a call back: only with the consent box ticked; the number is checked first."""
    if not consent:
        return Lookup(refusal=UserError("complaints.consent_needed",
                                        "tick the box to agree that the unit may call you about this complaint"))
    try:
        number = rules.clean_phone(phone)
    except UserError as error:
        return Lookup(refusal=error)
    now = now or utcnow()
    found = _find(session, receipt=receipt, ip=ip, salt=salt, device_id=device_id, now=now)
    if isinstance(found, UserError):
        return Lookup(refusal=found)
    if found.state in rules.FINISHED_STATES:
        return Lookup(refusal=UserError("complaints.phone_too_late", "this complaint is finished; a call back can "
                                                                      "no longer be asked for"))
    if _phone_expired(session, found, now):
        return Lookup(refusal=UserError("complaints.phone_expired", "this complaint was filed longer ago than "
                                        "call-back numbers are kept; a number can no longer be left"))
    found.phone, found.updated_at = number, now
    session.add(found)
    # Not a digit of the number, not even masked: the audit log is kept after the number is erased.
    record(session, actor=CITIZEN, action="complaints.phone_left", entity="complaint", entity_id=found.id,
           campaign_id=found.campaign_id, after={"phone_left": True})
    return Lookup(_reply(session, found, now))


def rate_handling(session: Session, *, receipt: str, option: str, ip: str | None, salt: str, device_id: str,
                  now: datetime | None = None) -> Lookup:
    """The citizen's one follow-up rating of a closed complaint's handling."""
    now = now or utcnow()
    if option not in rules.FOLLOW_UP:
        return Lookup(refusal=UserError("poll.unknown_option", "choose one of: satisfied, basically satisfied, "
                                                               "dissatisfied"))
    found = _find(session, receipt=receipt, ip=ip, salt=salt, device_id=device_id, now=now)
    if isinstance(found, UserError):
        return Lookup(refusal=found)
    found = session.exec(select(Complaint).where(Complaint.id == found.id).with_for_update()).one()
    if found.follow_up is not None:
        return Lookup(refusal=UserError("complaints.rated_already", "you have rated the handling already"))
    if not rules.may_rate(found.state, found.follow_up):
        return Lookup(refusal=UserError("complaints.not_closed", "the handling can be rated once the complaint "
                                                                 "is closed"))
    found.follow_up, found.follow_up_at, found.updated_at = option, now, now
    session.add(found)
    record(session, actor=CITIZEN, action="complaints.follow_up", entity="complaint", entity_id=found.id,
           campaign_id=found.campaign_id, after={"follow_up": option})
    return Lookup(_reply(session, found, now))
