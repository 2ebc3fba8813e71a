"""Campaigns (review years): loading a scheme, settings, and starting the next year."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from core import scheme as scheme_rules
from core import settings as settings_rules
from core.clock import from_office, to_office, utcnow
from core.errors import NotFound, UserError, ValidationError
from core.media import answer_calendar
from core.poll import next_working_day
from db.access import Actor, require
from db.audit import changes, record
from db.models import AuditEvent, Campaign, Dimension, Result, ReviewerGroup, Unit, UnitCategory

SCHEMES = Path(__file__).resolve().parent / "schemes"
DEFAULT_SCHEME = SCHEMES / "2017.toml"


def read_scheme(path: Path) -> scheme_rules.Scheme:
    """Read and check a scheme file; every problem is reported before anything is written."""
    try:
        content = Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise UserError("scheme.not_found", "no scheme file at {path}", path=str(path)) from None
    return parse_scheme(content, name=str(path))


SCHEME_MAX_BYTES = 1_000_000


def parse_scheme(content: bytes, *, name: str) -> scheme_rules.Scheme:
    """Check the bytes of a scheme file (read from disk, or uploaded on the settings page)."""
    if len(content) > SCHEME_MAX_BYTES:
        raise UserError("scheme.too_large", "the scheme file {path} is larger than 1 MB", path=name)
    try:
        data = tomllib.loads(content.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError("scheme.syntax", "the scheme file {path} is not valid TOML: {error}",
                        path=name, error=str(error)) from None
    return scheme_rules.parse(data)


def load_scheme(session: Session, *, actor: Actor, scheme: scheme_rules.Scheme, is_demo: bool = False) -> Campaign:
    """Create a campaign and its structure from a checked scheme."""
    require(actor, "admin")
    if get_campaign_or_none(session, scheme.year) is not None:
        raise UserError("campaign.exists", "a campaign for {year} exists already", year=scheme.year)
    campaign = Campaign(
        year=scheme.year, name_zh=scheme.name_zh, name_en=scheme.name_en, source=scheme.source,
        starts_on=scheme.starts_on, ends_on=scheme.ends_on, pool_target=scheme.pool_target,
        panel_size=scheme.panel_size, plan_due=scheme.plan_due, summary_due=scheme.summary_due,
        panel_opens_at=from_office(scheme.panel_opens_at), panel_closes_at=from_office(scheme.panel_closes_at),
        settings=scheme.settings, is_demo=is_demo,
    )
    session.add(campaign)
    session.flush()
    categories = {}
    for position, named in enumerate(scheme.categories):
        category = UnitCategory(campaign_id=campaign.id, code=named.code, name_zh=named.name_zh,
                                name_en=named.name_en, position=position)
        session.add(category)
        categories[named.code] = category
    session.flush()
    for position, unit in enumerate(scheme.units):
        session.add(Unit(campaign_id=campaign.id, category_id=categories[unit.category].id, code=unit.code,
                         name=unit.name, position=position))
    for table, items in ((Dimension, scheme.dimensions), (ReviewerGroup, scheme.reviewer_groups)):
        for position, named in enumerate(items):
            session.add(table(campaign_id=campaign.id, code=named.code, name_zh=named.name_zh,
                              name_en=named.name_en, position=position))
    session.flush()
    record(session, actor=actor, action="campaign.create", entity="campaign", entity_id=scheme.year,
           campaign_id=campaign.id, after={"year": scheme.year, "units": len(scheme.units), "source": scheme.source})
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).order_by(col(Campaign.year).desc())).all())


def get_campaign_or_none(session: Session, year: int) -> Campaign | None:
    return session.exec(select(Campaign).where(Campaign.year == year)).first()


def get_campaign(session: Session, year: int) -> Campaign:
    campaign = get_campaign_or_none(session, year)
    if campaign is None:
        raise NotFound("campaign.not_found", "there is no campaign for {year}", year=year)
    return campaign


def latest_campaign(session: Session) -> Campaign | None:
    return session.exec(select(Campaign).order_by(col(Campaign.year).desc())).first()


def dimensions(session: Session, campaign_id: int) -> list[Dimension]:
    return list(session.exec(
        select(Dimension).where(Dimension.campaign_id == campaign_id).order_by(Dimension.position)
    ).all())


def dimension_codes(session: Session, campaign_id: int) -> list[str]:
    return [d.code for d in dimensions(session, campaign_id)]


def reviewer_groups(session: Session, campaign_id: int) -> list[ReviewerGroup]:
    return list(session.exec(
        select(ReviewerGroup).where(ReviewerGroup.campaign_id == campaign_id).order_by(ReviewerGroup.position)
    ).all())


def update_settings(session: Session, *, actor: Actor, year: int, settings: dict) -> Campaign:
    """Replace a campaign's settings after checking them whole."""
    require(actor, "admin")
    campaign = get_campaign(session, year)
    checked = settings_rules.checked(settings, dimensions=dimension_codes(session, campaign.id))
    old, new = changes(campaign.settings, checked)
    campaign.settings = checked
    session.add(campaign)
    if new:
        record(session, actor=actor, action="campaign.settings", entity="campaign", entity_id=year,
               campaign_id=campaign.id, before=old, after=new)
    return campaign


DATE_FIELDS = ("starts_on", "ends_on", "plan_due", "summary_due")
MOMENT_FIELDS = ("panel_opens_at", "panel_closes_at")


def _dates_view(campaign: Campaign) -> dict:
    view = {key: getattr(campaign, key).isoformat() for key in DATE_FIELDS + MOMENT_FIELDS}
    view.update(pool_target=campaign.pool_target, panel_size=campaign.panel_size,
                name_zh=campaign.name_zh, name_en=campaign.name_en)
    return view


def update_calendar(
    session: Session,
    *,
    actor: Actor,
    year: int,
    name_zh: str,
    name_en: str,
    starts_on: date,
    ends_on: date,
    plan_due: date,
    summary_due: date,
    panel_opens_at: datetime,
    panel_closes_at: datetime,
    pool_target: int,
    panel_size: int,
) -> Campaign:
    """Change the names, dates and sizes of a campaign (moments are aware datetimes)."""
    require(actor, "admin")
    campaign = get_campaign(session, year)
    problems = []
    if not name_zh.strip() or not name_en.strip():
        problems.append(UserError("campaign.name_required", "both names are required"))
    if starts_on >= ends_on:
        problems.append(UserError("campaign.period", "the campaign must start before it ends"))
    if panel_opens_at >= panel_closes_at:
        problems.append(UserError("campaign.panel_window", "the panel window must open before it closes"))
    if pool_target <= 0 or panel_size <= 0 or panel_size > pool_target:
        problems.append(UserError("campaign.sizes", "the panel size must be positive and at most the pool target"))
    if problems:
        raise ValidationError("campaign.invalid", "the campaign cannot be saved", problems=problems)
    before = _dates_view(campaign)
    campaign.name_zh, campaign.name_en = name_zh.strip(), name_en.strip()
    campaign.starts_on, campaign.ends_on = starts_on, ends_on
    campaign.plan_due, campaign.summary_due = plan_due, summary_due
    campaign.panel_opens_at, campaign.panel_closes_at = panel_opens_at, panel_closes_at
    campaign.pool_target, campaign.panel_size = pool_target, panel_size
    if panel_closes_at > utcnow():
        # The window is open again: its next close rewrites every ballot once more (db.ballot_box).
        campaign.ballots_final_at, campaign.drafts_cut_at = None, None
    session.add(campaign)
    old, new = changes(before, _dates_view(campaign))
    if new:
        record(session, actor=actor, action="campaign.calendar", entity="campaign", entity_id=year,
               campaign_id=campaign.id, before=old, after=new)
    return campaign


def _shift(value, years: int):
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February in a year that has none
        return value.replace(year=value.year + years, day=28)


DEMO_LABELS = ("（演示数据）", " (demo)")  # what the demo appends to its campaigns' names (db/demo/years.py)


def _without_demo_label(name: str) -> str:
    for label in DEMO_LABELS:
        name = name.replace(label, "")
    return name.strip()


def copy_campaign(session: Session, *, actor: Actor, from_year: int, to_year: int) -> Campaign:
    """Start a new year from an old one: same structure and settings, dates moved on, no data."""
    require(actor, "admin")
    source = get_campaign(session, from_year)
    if get_campaign_or_none(session, to_year) is not None:
        raise UserError("campaign.exists", "a campaign for {year} exists already", year=to_year)
    if not (2000 <= to_year <= 2100):
        raise UserError("scheme.year", "campaign.year {year} is out of range", year=to_year)
    years = to_year - from_year
    dates, moved = _working_dates(source, years)
    # A copy is the office's own year, even when copied from a demo year: never demo data (purge-demo
    # would take it, with the pool and the draw the office put in it), and its names lose the demo label.
    campaign = Campaign(
        year=to_year,
        name_zh=_without_demo_label(source.name_zh.replace(str(from_year), str(to_year))),
        name_en=_without_demo_label(source.name_en.replace(str(from_year), str(to_year))),
        source=source.source, pool_target=source.pool_target, panel_size=source.panel_size,
        settings=dict(source.settings), copied_from_id=source.id, is_demo=False,
        **dates,
    )
    session.add(campaign)
    session.flush()
    category_ids = {}
    for old in session.exec(select(UnitCategory).where(UnitCategory.campaign_id == source.id)).all():
        new = UnitCategory(campaign_id=campaign.id, code=old.code, name_zh=old.name_zh, name_en=old.name_en,
                           position=old.position)
        session.add(new)
        session.flush()
        category_ids[old.id] = new.id
    # Deactivated and merged units stay behind: they were taken out of the review on purpose.
    units = session.exec(select(Unit).where(Unit.campaign_id == source.id, Unit.active,
                                            col(Unit.merged_into_id).is_(None))).all()
    for old in units:
        session.add(Unit(campaign_id=campaign.id, category_id=category_ids[old.category_id], code=old.code,
                         name=old.name, position=old.position))
    for table in (Dimension, ReviewerGroup):
        for old in session.exec(select(table).where(table.campaign_id == source.id)).all():
            data = old.model_dump(exclude={"id", "campaign_id"})
            session.add(table(campaign_id=campaign.id, **data))
    session.flush()
    record(session, actor=actor, action="campaign.copy", entity="campaign", entity_id=to_year,
           campaign_id=campaign.id, after={"from": from_year, "to": to_year, "units": len(units), "moved": moved})
    return campaign


def _scheme_for_year(scheme: scheme_rules.Scheme, year: int) -> scheme_rules.Scheme:
    """The scheme moved to `year`: its dates by as many years, the year in its names replaced."""
    years = year - scheme.year
    return replace(
        scheme, year=year,
        name_zh=scheme.name_zh.replace(str(scheme.year), str(year)),
        name_en=scheme.name_en.replace(str(scheme.year), str(year)),
        **{key: _shift(getattr(scheme, key), years) for key in DATE_FIELDS + MOMENT_FIELDS},
    )


START_KINDS = ("copy", "scheme", "empty")


def start_campaign(
    session: Session,
    *,
    actor: Actor,
    year: int,
    copy_from: int | None = None,
    scheme: scheme_rules.Scheme | None = None,
    empty: bool = False,
) -> Campaign:
    """A new review year, from exactly one of: a copy of a year, a scheme (its dates moved to `year` when its
    own year differs), or empty (the default scheme's dimensions, reviewer groups and settings; no categories
    and no units, which the office adds on /units). Never demo data."""
    require(actor, "admin")
    if sum((copy_from is not None, scheme is not None, empty)) != 1:
        raise UserError("campaign.start_one", "start a year from exactly one of: a copy, a scheme file, empty")
    if not (2000 <= year <= 2100):
        raise UserError("scheme.year", "campaign.year {year} is out of range", year=year)
    if get_campaign_or_none(session, year) is not None:
        raise UserError("campaign.exists", "a campaign for {year} exists already", year=year)
    if copy_from is not None:
        return copy_campaign(session, actor=actor, from_year=copy_from, to_year=year)
    if empty:
        scheme = replace(read_scheme(DEFAULT_SCHEME), categories=[], units=[], source="")
    return load_scheme(session, actor=actor, scheme=_scheme_for_year(scheme, year))


def default_campaign(session: Session, today: date) -> Campaign | None:
    """The year people mean when they have chosen none: the campaign running today, else the newest with
    a published result, else the newest. A year prepared ahead (2027 copied in December 2026) does not
    take over the screens while 2026's panel and poll still run."""
    running = session.exec(select(Campaign).where(Campaign.starts_on <= today, Campaign.ends_on >= today)
                           .order_by(col(Campaign.year).desc())).first()
    if running is not None:
        return running
    published = session.exec(select(Campaign).join(Result, Result.campaign_id == Campaign.id)
                             .where(Result.status == "published").order_by(col(Campaign.year).desc())).first()
    return published or latest_campaign(session)


def _working_dates(source: Campaign, years: int) -> tuple[dict, dict[str, list[str]]]:
    """The source's dates a number of years on; a deadline or the panel window's opening or closing that lands
    on a weekend or a holiday of the source's calendar (poll.holidays / poll.workdays) moves to the next working
    day, at the same time of day. `moved` lists what moved, from what to what (office dates), to tell the office."""
    calendar = answer_calendar(source.settings or {})
    dates, moved = {}, {}
    for key in DATE_FIELDS + MOMENT_FIELDS:
        shifted = _shift(getattr(source, key), years)
        if key in ("starts_on", "ends_on"):  # the year's span, not a day anyone must act on
            dates[key] = shifted
            continue
        day = to_office(shifted).date() if key in MOMENT_FIELDS else shifted
        working = next_working_day(day, calendar.holidays, calendar.workdays)
        if working != day:
            moved[key] = [day.isoformat(), working.isoformat()]
            shifted = shifted + (working - day)
        dates[key] = shifted
    return dates, moved


def copy_moves(session: Session, *, year: int) -> dict[str, list[str]]:
    """The dates moved to a working day when `year` was copied (field -> [landed on, moved to])."""
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "campaign.copy",
                                                  AuditEvent.entity_id == str(year))
                         .order_by(col(AuditEvent.id).desc())).first()
    return dict(((event.after or {}).get("moved") or {}) if event else {})
