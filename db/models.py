"""The tables of the whole domain (see shared/DOMAIN.md for the glossary).

Conventions that matter beyond one table:
- Timestamps are timezone-aware and stored as UTC (`core.clock`); due dates are plain dates.
- The review structure (categories, units, dimensions, reviewer groups) belongs to a
  campaign, so one year can be changed without rewriting history. A unit's `code`
  stays the same across years; trends join on it.
- `is_demo` marks every row that `python -m db demo` made, so `purge-demo` removes
  exactly those and nothing an office entered.
- Nothing links a submitted `Response` to a `Reviewer` or an `Invitation`: the
  response keeps only the reviewer group (needed for weighting).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from core.clock import utcnow

# Named constraints let later migrations alter them on SQLite (batch mode) and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Campaign(SQLModel, table=True):
    """One review year."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True, index=True)
    name_zh: str
    name_en: str
    source: str = ""
    status: str = "setup"  # setup, running, closed
    starts_on: date
    ends_on: date
    pool_target: int
    panel_size: int
    plan_due: date
    summary_due: date
    panel_opens_at: datetime
    panel_closes_at: datetime
    rehearsal: bool = False  # questionnaire open for a rehearsal whose answers can be wiped
    settings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    copied_from_id: int | None = Field(default=None, foreign_key="campaign.id")
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    # The ballot box (db.ballot_box): when the last ballots were released after the window closed, and
    # when drafts never submitted were cut from their tokens. Set once each.
    ballots_final_at: datetime | None = None
    drafts_cut_at: datetime | None = None


class UnitCategory(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    code: str
    name_zh: str
    name_en: str
    position: int = 0


class Unit(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    category_id: int = Field(foreign_key="unitcategory.id", index=True)
    code: str
    name: str  # the full name as written in the source, parentheses included
    position: int = 0
    active: bool = True
    merged_into_id: int | None = Field(default=None, foreign_key="unit.id")


class Dimension(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    code: str
    name_zh: str
    name_en: str
    position: int = 0


class ReviewerGroup(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    code: str
    name_zh: str
    name_en: str
    position: int = 0
    policy_weight: float | None = None  # optional fixed share of the panel score, percent


class Reviewer(SQLModel, table=True):
    """A member of the reviewer pool (评议人员库)."""

    __table_args__ = (UniqueConstraint("campaign_id", "person_key"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    group_id: int = Field(foreign_key="reviewergroup.id", index=True)
    person_key: str  # stable key for re-imports (hash of ID number, else of name+phone+organisation)
    name: str
    organisation: str = ""
    phone: str | None = None  # personal data: masked in the interface and in exports
    id_number: str | None = None  # personal data: masked in the interface and in exports
    notes: str = ""
    active: bool = True
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Draw(SQLModel, table=True):
    """One sampling run: everything needed to reproduce and audit it."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    seed: str
    seed_sha256: str
    pool_hash: str
    method: str  # proportional, neyman
    algorithm_version: str
    n: int
    allocation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # minimum per stratum and, for Neyman, the standard deviations: with the seed and the
    # snapshot they reproduce the allocation and every replacement.
    parameters: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    # The pool as drawn from ({reviewer id: group code}); replacements use it, not today's pool.
    pool_snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    seed_source: str = Field(default="", sa_column_kwargs={"server_default": ""})
    operator: str
    status: str = "active"  # active, superseded
    superseded_reason: str = Field(default="", sa_column_kwargs={"server_default": ""})
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class DrawMember(SQLModel, table=True):
    """A person drawn (or held in reserve) by a draw, and what became of the invitation."""

    __table_args__ = (UniqueConstraint("draw_id", "reviewer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="draw.id", index=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    group_id: int = Field(foreign_key="reviewergroup.id")
    draw_order: int
    design_weight: float
    status: str = "drawn"  # drawn, declined, unreachable, replaced
    replaces_id: int | None = Field(default=None, foreign_key="drawmember.id")
    reason: str = ""
    changed_at: datetime = Field(default_factory=utcnow)


class Invitation(SQLModel, table=True):
    """A personal link (kind=personal) or an anonymous venue ballot code (kind=ballot).

    Only the SHA-256 of the token is stored. A ballot names no person at all.
    """

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    kind: str = "personal"  # personal, ballot
    group_id: int = Field(foreign_key="reviewergroup.id")
    draw_member_id: int | None = Field(default=None, foreign_key="drawmember.id")
    token_hash: str = Field(unique=True, index=True)
    batch: str = ""
    status: str = "issued"  # issued, started, used, revoked
    # A rehearsal ballot works only while the campaign is in rehearsal, and is wiped with it.
    rehearsal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class Response(SQLModel, table=True):
    """One questionnaire. While a draft, `token_hash` lets the reviewer resume. A submitted one is written
    by the ballot box (db.ballot_box) in a shuffled batch, with a new id and no token, time or position:
    it keeps only its reviewer group. A draft never submitted is cut from its token a week after the
    window closes (status abandoned)."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    group_id: int = Field(foreign_key="reviewergroup.id", index=True)
    status: str = "draft"  # draft, submitted, abandoned
    token_hash: str | None = Field(default=None, unique=True)
    rehearsal: bool = False
    # While a draft: where the reviewer is (unit code) and when they began, to resume and to time it.
    position: str = Field(default="", sa_column_kwargs={"server_default": ""})
    started_at: datetime | None = None
    flags: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    is_demo: bool = False


class SealedBallot(SQLModel, table=True):
    """A submitted questionnaire waiting in the ballot box to be released with others (db.ballot_box).

    It holds the answers as one document and nothing else: no token, no time, no position. It is
    deleted when released, so a dump taken after the release shows no trace of it.
    """

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    group_id: int = Field(foreign_key="reviewergroup.id")
    # {"answers": [[unit_id, dimension_id, option], ...], "comments": [[unit_id, text], ...], "flags": {...}}
    content: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    is_demo: bool = False


class Attempt(SQLModel, table=True):
    """A failed or rate-limited attempt, by keyed hash: a wrong ballot code or receipt (per network, and
    per device as `….device`: db.wrong_codes), a refused vote, a failed sign-in (`signin:<user id>`
    per network: db.signin.failures).

    Kept short-lived (a day): enough to rate-limit, never an address or a device id.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # ballot_code, ballot_code.device, receipt_code, poll_flood, signin:12, ...
    subject_hash: str = Field(index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("response_id", "unit_id", "dimension_id"),)
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id")
    option: str  # satisfied, basically_satisfied, dissatisfied, unknown


class AnswerComment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("response_id", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    text: str


class PollVote(SQLModel, table=True):
    """A citizen's vote. No raw address: only salted hashes of the device and network."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "unit_id", "device_hash", "day"),
        # The dashboards count a campaign's votes by status, unit and option (and a unit's by day)
        # from this index alone, without touching the table (db/live.py, db/explore.py).
        Index("ix_pollvote_dashboard", "campaign_id", "status", "unit_id", "option", "day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    option: str  # satisfied, basically_satisfied, dissatisfied
    comment: str = ""
    device_hash: str
    network_hash: str = Field(index=True)
    day: date = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow)
    status: str = "accepted"  # accepted, flagged, admitted, rejected
    flag_reason: str = ""
    # The poster (window QR code) the vote came through, e.g. HALL3; "" for the ordinary poll.
    source: str = Field(default="", sa_column_kwargs={"server_default": ""})
    is_demo: bool = False


# Maintained tallies (db/tallies.py): counts kept up to date in the same transaction as every
# write of votes and submitted questionnaires, so the dashboards read a few thousand rows
# whatever the raw volume. `python -m db check-tallies` compares them with the raw rows.


class VoteTally(SQLModel, table=True):
    """Poll votes per campaign, unit, office day, option and status (every status)."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "unit_id", "day", "option", "status"),
        # Covering indexes: totals by status and unit, and the counts of a few days, are read from
        # the index alone (tens of thousands of tally rows a year, no table lookups).
        Index("ix_votetally_status", "campaign_id", "status", "unit_id", "option", "n"),
        Index("ix_votetally_day", "campaign_id", "day", "status", "n"),
        Index("ix_votetally_unit", "unit_id", "campaign_id", "day", "status", "option", "n"),  # a unit's trend
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    unit_id: int = Field(foreign_key="unit.id")
    day: date
    option: str
    status: str
    n: int = 0


class AnswerTally(SQLModel, table=True):
    """Answers of submitted, non-rehearsal questionnaires per unit, dimension, reviewer group and option."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "dimension_id", "group_id", "option"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id")
    group_id: int = Field(foreign_key="reviewergroup.id")
    option: str
    n: int = 0


class AnswerPattern(SQLModel, table=True):
    """How many (questionnaire, unit) rows gave each pattern of options: the options across the
    campaign's dimensions in position order joined by "|" (an empty part: not answered). With at
    most 4^5 patterns, Cronbach's alpha follows for any option scores."""

    __table_args__ = (UniqueConstraint("campaign_id", "pattern"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    pattern: str
    n: int = 0


class MediaSource(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name_zh: str
    name_en: str
    active: bool = True


class MediaCase(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("source_id", "external_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    source_id: int = Field(foreign_key="mediasource.id")
    external_ref: str
    title: str
    exposed_on: date
    answered_on: date | None = None
    status: str = "open"  # open, answered, resolved
    repeated: bool = False
    public_satisfaction: str | None = None  # satisfied, basically_satisfied, dissatisfied; None: not rated
    reply: str = ""
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Inspection(SQLModel, table=True):
    """An open (明察) or covert (暗访) visit."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    kind: str  # open, covert
    visited_on: date
    site: str
    team: str = ""
    recorded_by: str = ""
    notes: str = ""
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Finding(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id")
    severity: str  # minor, general, serious
    description: str
    state: str = "recorded"  # recorded, handed_over, answered, closed
    handed_over_at: datetime | None = None  # to the office (移交); only then does the unit see it
    reply: str = Field(default="", sa_column_kwargs={"server_default": ""})  # the unit's answer
    replied_at: datetime | None = None
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Evidence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", index=True)
    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class AccountabilityCase(SQLModel, table=True):
    """倒查追责: a problem investigated, possibly up to the department's leaders."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    origin: str  # finding, tv_exposure, repeated_media, special_campaign
    finding_id: int | None = Field(default=None, foreign_key="finding.id")
    media_case_id: int | None = Field(default=None, foreign_key="mediacase.id")
    title: str
    description: str = ""
    severity: str = "general"  # minor, general, serious
    state: str = "received"  # received, investigating, decided, circulated, second_handling
    escalated: bool = False
    # 情节恶劣 / 影响较大 / 范围较广 (core.cases.AGGRAVATING): any of them escalates the case.
    factors: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    veto: bool = False  # 一票否决 recorded against the unit
    opened_on: date
    due_on: date | None = None
    decided_on: date | None = None  # the latest decision: it meets the deadline (cleared by a second handling)
    closed_on: date | None = None
    reply: str = Field(default="", sa_column_kwargs={"server_default": ""})  # the unit's answer
    replied_at: datetime | None = None
    is_demo: bool = False


class CaseEvent(SQLModel, table=True):
    """The timeline of an accountability case."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="accountabilitycase.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    from_state: str | None = None
    to_state: str
    # transition, escalation, deadline, responsible, reply, veto: what the timeline entry records
    kind: str = Field(default="transition", sa_column_kwargs={"server_default": "transition"})
    reason: str = Field(default="", sa_column_kwargs={"server_default": ""})  # a second handling's reason code
    note: str = ""
    actor: str = ""


class ResponsiblePerson(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="accountabilitycase.id", index=True)
    role: str  # frontline, unit_head, department_head, leader_in_charge, investigator (core.cases.ROLES)
    name: str = ""
    measure: str = ""


class DailyScore(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    score: float
    note: str = ""
    entered_by: str = ""
    entered_at: datetime = Field(default_factory=utcnow)
    is_demo: bool = False


class Rectification(SQLModel, table=True):
    """整改: from the notice to a verified close, with the public's verdict."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    reason: str  # unqualified, public_rejected, finding
    problems: str
    issued_on: date
    deadline: date
    state: str = "issued"  # issued, in_progress, submitted, verified
    closed_on: date | None = None
    public_satisfaction: str | None = None  # satisfied, basically_satisfied, dissatisfied
    notice_no: str = ""
    issuing_office: str = Field(default="", sa_column_kwargs={"server_default": ""})
    reply: str = Field(default="", sa_column_kwargs={"server_default": ""})  # the unit's rectification report
    submitted_on: date | None = None  # when the unit reported it done: the deadline is met by this day
    is_demo: bool = False


class Talk(SQLModel, table=True):
    """约谈: the talk with the unit's head and deputy."""

    id: int | None = Field(default=None, primary_key=True)
    rectification_id: int = Field(foreign_key="rectification.id", index=True)
    held_on: date
    with_role: str  # head, deputy
    persons: str = ""
    notes: str = ""


class UnitReport(SQLModel, table=True):
    """A unit's implementation plan (due 15 May) or work summary (due 20 October)."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    kind: str  # plan, summary
    submitted_at: datetime | None = None
    filename: str = ""
    content_type: str = ""
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    uploaded_by: str = ""
    is_demo: bool = False


class Result(SQLModel, table=True):
    """A scoring run. Published results are frozen; scoring again makes a new version."""

    __table_args__ = (UniqueConstraint("campaign_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    version: int
    status: str = "provisional"  # provisional, published
    config: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    input_hash: str
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    published_by: str | None = None
    is_demo: bool = False


class ResultUnit(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("result_id", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    result_id: int = Field(foreign_key="result.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    total: float | None = None
    components: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    grade: str  # excellent, qualified, unqualified
    rank: int
    score_low: float | None = None
    score_high: float | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    borderline: bool = False
    explanation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ResultBundle(SQLModel, table=True):
    """A result version's verification bundle (documents.bundle), kept as built when the version was scored:
    its bytes, and so its SHA-256 on the 通报, never change, whatever later happens to the data."""

    id: int | None = Field(default=None, primary_key=True)
    result_id: int = Field(foreign_key="result.id", unique=True, index=True)
    sha256: str
    code_version: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A staff account. Citizens and reviewers have none."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    display_name: str = ""
    role: str  # admin, inspector, leader, analyst, liaison
    unit_code: str | None = None  # a liaison's unit (codes are stable across campaigns)
    password_hash: str
    must_change_password: bool = False
    # Retired (accounts are no longer locked; failed sign-ins are counted in `attempt`): kept in the
    # schema so that no migration is needed, always 0 and None.
    failed_attempts: int = 0
    locked_until: datetime | None = None
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str
    action: str = Field(index=True)
    entity: str
    entity_id: str = ""
    campaign_id: int | None = Field(default=None, index=True)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AppSetting(SQLModel, table=True):
    """A setting of the whole platform, not of one campaign (e.g. session lifetimes)."""

    key: str = Field(primary_key=True, max_length=64)
    value: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = ""


class UserSession(SQLModel, table=True):
    """A signed-in browser. Its id and its one-time sign-in ticket are stored only as SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str | None = Field(default=None, unique=True, max_length=64)  # set when the cookie is issued
    ticket_hash: str | None = Field(default=None, unique=True, max_length=64)  # until exchanged, once
    ticket_expires_at: datetime | None = None
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = Field(default=None, index=True)
    end_reason: str | None = None
    device: str = ""  # a coarse hint such as "Chrome · Android"; never the raw agent or the address


class DisplayLink(SQLModel, table=True):
    """A read-only link to one campaign's /live wall screen; the token is stored only as SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    label: str = ""
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    last_used_at: datetime | None = None


class Complaint(SQLModel, table=True):
    """A 不满意 vote with a comment, answered by its unit (core.complaints has the life cycle).

    The citizen's receipt code is kept only as its SHA-256; the phone number for a call back only
    with consent, shown to the unit's liaison and the office, and erased after the complaint is finished,
    or in any state after the longest keeping time (db.complaints.handling.erase_phones, db.housekeeping).
    """

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    vote_id: int = Field(foreign_key="pollvote.id", unique=True)
    receipt_hash: str = Field(unique=True)
    state: str = Field(default="received", index=True)  # core.complaints.STATES
    received_on: date | None = None  # the day it reached the unit: deadlines count from here
    acknowledged_on: date | None = None
    closed_on: date | None = None  # the unit's closing day
    found: str = ""  # what the unit found
    done: str = ""  # what the unit did
    closing_kind: str | None = None  # rectified, explained, disputed
    ruling: str | None = None  # upheld, excluded (the office, on a disputed complaint)
    ruling_reason: str = ""
    phone: str | None = None  # personal data: with consent only, erased when due (phone_erase_days, phone_max_days)
    phone_erased_at: datetime | None = None
    follow_up: str | None = None  # the citizen's rating of the handling, once closed
    follow_up_at: datetime | None = None
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ObjectionPeriod(SQLModel, table=True):
    """公示: a provisional result posted to the units for objections, for a number of working days.

    While it runs (`opens_on` to `closes_on`, office days) each liaison sees their own unit's posted
    figures on /feedback and may file objections; nobody outside the office and that unit sees them.
    """

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    result_id: int = Field(foreign_key="result.id", index=True)
    opens_on: date
    closes_on: date  # the last day objections are taken (the n-th working day after opens_on)
    working_days: int
    opened_by: str
    opened_at: datetime = Field(default_factory=utcnow)


class Objection(SQLModel, table=True):
    """异议: a liaison's objection to one item of their unit's posted result, and the office's ruling."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    period_id: int = Field(foreign_key="objectionperiod.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    item_kind: str  # core.objections.ITEM_KINDS
    item_ref: str = ""  # the contested row's number (a finding, a media case, ...), when there is one
    item_label: str = ""  # what the liaison saw when they chose it, kept as it was
    reason: str
    state: str = Field(default="open", index=True)  # open, upheld, dismissed
    filed_by: str
    filed_at: datetime = Field(default_factory=utcnow)
    ruling_reason: str = ""
    ruled_by: str | None = None
    ruled_at: datetime | None = None


class ObjectionFile(SQLModel, table=True):
    """Evidence filed with an objection: the upload rules of inspection evidence (core.evidence)."""

    id: int | None = Field(default=None, primary_key=True)
    objection_id: int = Field(foreign_key="objection.id", index=True)
    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
