"""Bringing a database to life: schema to head, the scheme loaded, a first administrator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from core import passwords
from core.errors import UserError
from db import migrate
from db.access import Actor, require
from db.campaigns import DEFAULT_SCHEME, get_campaign_or_none, load_scheme, read_scheme
from db.engine import describe, session_scope
from db.media import ensure_channels
from db.models import User
from db.users import create_user, has_admin

FIRST_ADMIN = "admin"


@dataclass
class InitReport:
    database: str
    revision_before: str | None
    revision_after: str
    campaign_year: int
    campaign_created: bool
    admin_password: str | None  # the one-time password, to print once; never stored in plain text

    @property
    def already_initialised(self) -> bool:
        return not self.campaign_created and self.revision_before == self.revision_after


def reachable(engine: Engine) -> None:
    """Fail with a clear message when the database cannot be opened."""
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise UserError("config.unreachable", "cannot open the database {url}: {reason}",
                        url=describe(engine), reason=reason) from None


def create_first_admin(session: Session, *, actor: Actor) -> str | None:
    """Create `admin` with a one-time password when no active administrator exists."""
    require(actor, "admin")
    if has_admin(session):
        return None
    username = _free_admin_name(session)
    password = passwords.one_time_password(username)
    create_user(session, actor=actor, username=username, role="admin", password=password,
                display_name="Administrator", must_change_password=True)
    return password


def _free_admin_name(session: Session) -> str:
    # An inactive "admin" may exist (someone deactivated it); never reuse or revive it silently.
    name, n = FIRST_ADMIN, 1
    while session.exec(select(User.id).where(User.username == name)).first() is not None:
        n += 1
        name = f"{FIRST_ADMIN}{n}"
    return name


def init_database(engine: Engine, *, actor: Actor, scheme_path: Path = DEFAULT_SCHEME) -> InitReport:
    """Idempotent: migrate, load the scheme's campaign if absent, ensure an administrator and the media channels.

    The scheme file is checked whole before anything is written, and the campaign
    and the administrator are created in one transaction.
    """
    require(actor, "admin")
    scheme = read_scheme(scheme_path)
    reachable(engine)
    before = migrate.current(engine)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        created = False
        if get_campaign_or_none(session, scheme.year) is None:
            load_scheme(session, actor=actor, scheme=scheme)
            created = True
        password = create_first_admin(session, actor=actor)
        ensure_channels(session)
    return InitReport(describe(engine), before, migrate.current(engine), scheme.year, created, password)
