"""`python -m db doctor`: is this server ready for the hall? One plain line per check, exit 1 on any fault.

It reads the deployment as systemd hands it to the replicas: the EnvironmentFile that every
`review@PORT.service` loads (`/etc/review/review.env`, root, mode 600) and the optional per-replica
files beside it (`replica-PORT.env`, which the template unit loads after it), so "equal across replicas"
means equal in what each replica is actually started with. From the same file it takes DATABASE_URL,
the public address (APP_BASE_URL), the backup folder (BACKUP_DIR) and the folder of the invitation lists
(INVITATIONS_DIR); options override them. Nothing is written anywhere, except the restore check's
scratch database (a temporary file for SQLite, a new database on the same PostgreSQL server), dropped
afterwards.
"""

from __future__ import annotations

import http.client
import os
import shlex
import shutil
import ssl
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from core.errors import UserError

ENV_FILE = Path("/etc/review/review.env")
SALTS = ("POLL_SALT", "NETWORK_SALT")
MIN_SALT_CHARS = 32
BACKUP_MAX_AGE = timedelta(hours=26)  # a daily timer, with room for a slow night
MIN_FREE_BYTES = 2 * 1024**3
MAX_CLOCK_OFFSET_S = 2.0
MIN_CERT_DAYS = 14
HTTP_TIMEOUT_S = 10


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{'ok   ' if self.ok else 'FAULT'} {self.check}: {self.message}"


@dataclass
class Deployment:
    """What the doctor looks at; `from_env_file` fills it the way systemd starts the replicas."""

    env_file: Path
    shared: dict[str, str]
    replicas: dict[str, dict[str, str]]  # name -> the environment that replica is started with
    url: str = ""
    backups: Path | None = None
    invitations: list[Path] = field(default_factory=list)
    proxies: int = 1
    ca_file: Path | None = None
    campaign: int | None = None

    @property
    def database_url(self) -> str:
        return self.shared.get("DATABASE_URL", "") or os.environ.get("DATABASE_URL", "")


def parse_env_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile: KEY=VALUE lines, # comments, values optionally quoted."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if value[:1] in "\"'" and len(value) > 1:
            value = " ".join(shlex.split(value))
        values[key.strip()] = value
    return values


def from_env_file(env_file: Path, *, url: str | None = None, backups: str | None = None,
                  invitations: list[str] | None = None, proxies: int = 1, ca_file: str | None = None,
                  campaign: int | None = None) -> Deployment:
    env_file = Path(env_file)
    if not env_file.is_file():
        raise UserError("doctor.no_env_file", "no environment file at {path} (the one review@.service loads; "
                        "give --env-file)", path=str(env_file))
    shared = parse_env_file(env_file)
    replicas = {path.stem.removeprefix("replica-"): {**shared, **parse_env_file(path)}
                for path in sorted(env_file.parent.glob("replica-*.env"))}
    backup_dir = backups or shared.get("BACKUP_DIR", "")
    invitation_paths = invitations or ([shared["INVITATIONS_DIR"]] if shared.get("INVITATIONS_DIR") else [])
    return Deployment(env_file=env_file, shared=shared, replicas=replicas or {"all": shared},
                      url=url or shared.get("APP_BASE_URL", ""), backups=Path(backup_dir) if backup_dir else None,
                      invitations=[Path(p) for p in invitation_paths], proxies=proxies,
                      ca_file=Path(ca_file) if ca_file else None, campaign=campaign)


# --- the checks: each yields Findings ------------------------------------------------------------------------------

def check_env_file(d: Deployment) -> Iterator[Finding]:
    for path in [d.env_file, *sorted(d.env_file.parent.glob("replica-*.env"))]:
        info = path.stat()
        if info.st_mode & 0o077 or info.st_uid != 0:
            yield Finding("env-file", False, f"{path} is mode {stat.S_IMODE(info.st_mode):o}, owner uid {info.st_uid}:"
                          " the salts and the database password must be root's alone (chown root: ; chmod 600)")
        else:
            yield Finding("env-file", True, f"{path} is root's, mode 600")


def check_salts(d: Deployment) -> Iterator[Finding]:
    for name in SALTS:
        values = {replica: env.get(name, "") for replica, env in d.replicas.items()}
        short = sorted(replica for replica, value in values.items() if len(value) < MIN_SALT_CHARS)
        if short:
            yield Finding("salts", False, f"{name} is missing or shorter than {MIN_SALT_CHARS} characters for "
                          f"replica {', '.join(short)} (openssl rand -hex 32)")
        elif len(set(values.values())) > 1:
            yield Finding("salts", False, f"{name} differs between replicas {', '.join(sorted(values))}: a vote or "
                          "sign-in counted by one would not be recognised by another")
        else:
            yield Finding("salts", True, f"{name} set and equal in {len(values)} replica(s)")


def check_trust_proxy(d: Deployment) -> Iterator[Finding]:
    wrong = {replica: env.get("TRUST_PROXY", "") or "0" for replica, env in d.replicas.items()
             if (env.get("TRUST_PROXY", "") or "0") != str(d.proxies)}
    if wrong:
        said = ", ".join(f"{replica}: {value}" for replica, value in sorted(wrong.items()))
        yield Finding("proxy", False, f"TRUST_PROXY should be {d.proxies} ({d.proxies} proxy in front), but is "
                      f"{said}: too low and every voter behind the proxy shares one address; too high and a "
                      "client can forge its address")
    else:
        yield Finding("proxy", True, f"TRUST_PROXY={d.proxies} in every replica, matching the proxy")


def _https_context(d: Deployment) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(d.ca_file) if d.ca_file else None)


def _request(url: str, d: Deployment, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=HTTP_TIMEOUT_S,
                                                 context=_https_context(d))
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=HTTP_TIMEOUT_S)
    connection.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
    answer = connection.getresponse()
    answer.read()
    answer.peer_certificate = connection.sock.getpeercert() if parts.scheme == "https" and connection.sock else None
    connection.close()
    return answer


def check_https(d: Deployment) -> Iterator[Finding]:
    parts = urlsplit(d.url)
    if parts.scheme != "https" or not parts.hostname:
        yield Finding("https", False, f"the public address is {d.url or 'not set'} (APP_BASE_URL): it must be https://"
                      " with nginx in front (deploy/nginx.conf)")
        return
    base = d.url.rstrip("/")
    try:
        answer = _request(f"{base}/_stcore/health", d)
    except (OSError, ssl.SSLError) as error:
        yield Finding("https", False, f"{base} does not answer over a verified TLS connection: {error}")
        return
    if answer.status != 200:
        yield Finding("https", False, f"{base}/_stcore/health answers {answer.status}: the replicas behind the proxy "
                      "are not up")
    hsts = answer.getheader("Strict-Transport-Security") or ""
    if "max-age=" not in hsts:
        yield Finding("https", False, f"{base} sends no Strict-Transport-Security header")
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(answer.peer_certificate["notAfter"]), UTC)
    days = (not_after - datetime.now(UTC)).days
    if days < MIN_CERT_DAYS:
        yield Finding("https", False, f"the certificate of {parts.hostname} expires in {days} days "
                      f"({not_after:%Y-%m-%d})")
    if answer.status == 200 and "max-age=" in hsts and days >= MIN_CERT_DAYS:
        yield Finding("https", True, f"{base} answers over verified TLS with HSTS; certificate valid until "
                      f"{not_after:%Y-%m-%d}")
    if parts.port in (None, 443):
        try:
            plain = _request(f"http://{parts.hostname}/", d)
            location = plain.getheader("Location") or ""
            if plain.status not in (301, 308) or not location.startswith("https://"):
                yield Finding("https", False, f"http://{parts.hostname}/ answers {plain.status} instead of a redirect "
                              "to https://")
        except OSError:
            pass  # nothing on port 80 at all: nobody can land on plain HTTP either
    # The replicas believe the proxy's X-Forwarded-Proto only when TRUST_PROXY says a proxy is there: the
    # cookie the session endpoint clears carries Secure exactly then.
    try:
        cleared = _request(f"{base}/_review/session?end=1", d, headers={"Sec-Fetch-Site": "same-origin"})
    except (OSError, ssl.SSLError):
        return
    cookie = cleared.getheader("Set-Cookie") or ""
    if "review_session=" in cookie and "secure" not in cookie.lower():
        yield Finding("proxy", False, "behind the HTTPS proxy the app sets its session cookie without Secure: the "
                      "replicas do not trust the proxy (TRUST_PROXY=0 in the running service?)")


def _engine(d: Deployment) -> Engine:
    from db.engine import make_engine

    return make_engine(d.database_url) if d.database_url else make_engine()


def check_database(d: Deployment, engine: Engine) -> Iterator[Finding]:
    from db import migrate
    from db.engine import describe

    missing = sorted(replica for replica, env in d.replicas.items() if not env.get("DATABASE_URL"))
    if missing:
        yield Finding("database", False, f"no DATABASE_URL for replica {', '.join(missing)} in {d.env_file}: each "
                      "replica would keep its own SQLite file (data/review.db)")
        return
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = migrate.current(engine), migrate.head()
    except (OperationalError, DBAPIError) as error:
        yield Finding("database", False, f"{describe(engine)} is not reachable: {str(error.orig).strip()[:200]}")
        return
    if current != head:
        yield Finding("database", False, f"{describe(engine)} is at schema {current or 'empty'}, the code needs {head}:"
                      " run `python -m db upgrade`")
    else:
        yield Finding("database", True, f"{describe(engine)} reachable, schema {head} (newest)")


def check_backups(d: Deployment, engine: Engine) -> Iterator[Finding]:
    from db.backup import check_restore, latest_backup

    if d.backups is None:
        yield Finding("backup", False, "no backup folder (BACKUP_DIR in the environment file, or --backups)")
        return
    found = latest_backup(d.backups)
    if found is None:
        yield Finding("backup", False, f"no backup in {d.backups}: is review-backup.timer enabled?")
        return
    path, taken = found
    age = datetime.now(UTC) - taken
    if age > BACKUP_MAX_AGE:
        yield Finding("backup", False, f"the newest backup, {path.name}, is {age.total_seconds() / 3600:.0f} hours "
                      "old: is review-backup.timer running?")
    try:
        checked = check_restore(engine, path)
    except UserError as error:
        yield Finding("backup", False, f"{path.name} does not restore: {error.english()}")
        return
    except DBAPIError as error:
        yield Finding("backup", False, f"the restore check of {path.name} found no database server: "
                      f"{str(error.orig).strip()[:200]}")
        return
    if age <= BACKUP_MAX_AGE:
        yield Finding("backup", True, f"{path.name} is {age.total_seconds() / 3600:.1f} hours old and restores "
                      f"({checked.tables} tables, {checked.rows:,} rows, schema {checked.revision})")


def check_disk(d: Deployment, engine: Engine) -> Iterator[Finding]:
    from db.backup import latest_backup
    from db.salt import ROOT

    folders = {"the app": ROOT}
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        folders["the database"] = Path(engine.url.database).resolve().parent
    need = MIN_FREE_BYTES
    if d.backups is not None and d.backups.is_dir():
        folders["the backups"] = d.backups
        found = latest_backup(d.backups)
        if found:
            need = max(need, 3 * found[0].stat().st_size)
    for what, folder in folders.items():
        free = shutil.disk_usage(folder).free
        if free < need:
            yield Finding("disk", False, f"{free / 1024**3:.1f} GiB free for {what} ({folder}); at least "
                          f"{need / 1024**3:.1f} GiB wanted")
        else:
            yield Finding("disk", True, f"{free / 1024**3:.1f} GiB free for {what} ({folder})")


def check_clock(d: Deployment, engine: Engine) -> Iterator[Finding]:
    if engine.url.get_backend_name() == "sqlite":
        yield Finding("clock", True, "the database is a file on this machine: one clock")
        return
    try:
        with engine.connect() as connection:
            before = time.time()
            server = connection.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one()
            after = time.time()
    except DBAPIError:
        return  # the database check says why
    offset = float(server) - (before + after) / 2
    if abs(offset) > MAX_CLOCK_OFFSET_S:
        yield Finding("clock", False, f"this machine's clock is {-offset:+.1f} s off the database server's: "
                      "synchronise both (systemd-timesyncd or chrony on the office's time server)")
    else:
        yield Finding("clock", True, f"within {abs(offset):.2f} s of the database server's clock")


def check_campaign(d: Deployment, engine: Engine) -> Iterator[Finding]:
    from core.clock import to_office, utcnow
    from db.campaigns import get_campaign, latest_campaign
    from db.draws import active_draw
    from db.engine import session_scope
    from db.models import Invitation

    try:
        with session_scope(engine) as session:
            campaign = get_campaign(session, d.campaign) if d.campaign else latest_campaign(session)
            if campaign is None:
                yield Finding("campaign", False, "no campaign in the database: run `python -m db init`")
                return
            opens, closes = campaign.panel_opens_at, campaign.panel_closes_at
            now = utcnow()
            if not opens or not closes or closes <= opens:
                yield Finding("campaign", False, f"campaign {campaign.year}: the questionnaire window is not set")
            elif closes <= now:
                yield Finding("campaign", False, f"campaign {campaign.year}: the questionnaire window closed on "
                              f"{to_office(closes):%Y-%m-%d %H:%M}")
            else:
                yield Finding("campaign", True, f"campaign {campaign.year}: window {to_office(opens):%Y-%m-%d %H:%M} to"
                              f" {to_office(closes):%Y-%m-%d %H:%M} (Beijing time)")
            draw = active_draw(session, campaign_id=campaign.id)
            if draw is None:
                yield Finding("campaign", False, f"campaign {campaign.year}: no draw yet (`python -m db draw`)")
                return
            issued = session.scalar(select(func.count()).select_from(Invitation).where(
                Invitation.campaign_id == campaign.id, Invitation.kind == "personal",
                Invitation.status != "revoked"))
            if not issued:
                yield Finding("campaign", False, f"campaign {campaign.year}: draw {draw.id} has no invitations")
            else:
                yield Finding("campaign", True, f"campaign {campaign.year}: draw {draw.id} of {draw.n} with {issued} "
                              "personal invitations")
    except (UserError, DBAPIError):
        return  # the database check says why


def _listed(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        yield path
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*"))


def check_invitations(d: Deployment) -> Iterator[Finding]:
    if not d.invitations:
        yield Finding("invitations", False, "no folder of invitation lists named (INVITATIONS_DIR, or --invitations)")
        return
    missing = [str(p) for p in d.invitations if not p.exists()]
    if missing:
        yield Finding("invitations", False, f"{', '.join(missing)} does not exist")
        return
    open_to_others = [p for p in _listed(d.invitations) if p.stat().st_mode & 0o077 and
                      (p.is_file() or p.stat().st_mode & 0o005)]
    if open_to_others:
        for path in open_to_others:
            yield Finding("invitations", False, f"{path} is mode {stat.S_IMODE(path.stat().st_mode):o}: others can "
                          f"read the personal links (chmod {'700' if path.is_dir() else '600'})")
    else:
        lists = sum(1 for p in _listed(d.invitations) if p.is_file())
        yield Finding("invitations", True, f"{lists} invitation list(s) readable by their owner only")


def examine(d: Deployment) -> list[Finding]:
    """Every check, in the order an IT colleague would fix them."""
    engine = _engine(d)
    checks: list[Callable[[], Iterator[Finding]]] = [
        lambda: check_env_file(d), lambda: check_salts(d), lambda: check_trust_proxy(d), lambda: check_https(d),
        lambda: check_database(d, engine), lambda: check_backups(d, engine), lambda: check_disk(d, engine),
        lambda: check_clock(d, engine), lambda: check_campaign(d, engine), lambda: check_invitations(d)]
    try:
        return [finding for check in checks for finding in check()]
    finally:
        engine.dispose()
