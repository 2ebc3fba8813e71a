"""What `make run` prints after the one-time password: is the demo here, does it run today, what to try.

The links and codes come from the owner-only invitation list; only those whose invitation is
still unused in the database are shown, so a link somebody already answered is not offered again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from core.clock import office_today, to_office, utcnow
from core.tokens import token_hash
from db.demo import invitations as invitation_file
from db.models import AuditEvent, Campaign, Invitation

SHOWN = 3
RENEW = "python -m db purge-demo && python -m db demo"


@dataclass(frozen=True)
class DemoState:
    loaded_on: date  # the day the demo was loaded ("today" of that load)
    years: list[int]
    running_year: int  # the newest demo campaign's year
    panel_closes_at: datetime
    ends_on: date

    def runs_on(self, day: date, now: datetime) -> bool:
        """The newest demo year's poll and panel are open on `day` (at `now`)."""
        return self.running_year == day.year and day <= self.ends_on and now <= self.panel_closes_at


def demo_state(session: Session) -> DemoState | None:
    """The loaded demo, from its newest demo.load event; None when no demo campaign exists."""
    newest = session.exec(select(Campaign).where(Campaign.is_demo).order_by(col(Campaign.year).desc())).first()
    if newest is None:
        return None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "demo.load")
                         .order_by(col(AuditEvent.id).desc())).first()
    after = (event.after or {}) if event else {}
    loaded = after.get("today") or (to_office(event.at).date().isoformat() if event else None)
    return DemoState(loaded_on=date.fromisoformat(loaded) if loaded else newest.starts_on,
                     years=list(after.get("years") or [newest.year]), running_year=newest.year,
                     panel_closes_at=newest.panel_closes_at, ends_on=newest.ends_on)


def kept_message(state: DemoState, *, today: date | None = None, now: datetime | None = None) -> str:
    """What a second `make run` says: nothing changed, and how to renew."""
    today, now = today or office_today(), now or utcnow()
    years = f"{state.years[0]}–{state.years[-1]}" if len(state.years) > 1 else str(state.years[0])
    text = f"demo data from {state.loaded_on.isoformat()} kept ({years}); nothing changed."
    if not state.runs_on(today, now):
        text += " " + not_running(state, today=today, now=now)
    return f"{text}\nTo renew the demo so that a campaign runs today: {RENEW}"


def not_running(state: DemoState, *, today: date, now: datetime) -> str:
    if state.running_year != today.year or today > state.ends_on:
        return f"Its newest campaign ({state.running_year}) is over: no poll or questionnaire is open today."
    return (f"Its panel window closed on {to_office(state.panel_closes_at).date().isoformat()} "
            "(the poll is still open).")


@dataclass
class Tryable:
    links: list[invitation_file.Entry] = field(default_factory=list)
    codes: list[invitation_file.Entry] = field(default_factory=list)
    half_done: list[invitation_file.Entry] = field(default_factory=list)


def tryable(session: Session, path: Path, n: int = SHOWN) -> Tryable:
    """Up to `n` unused personal links and venue codes of the list (and half-done questionnaires)."""
    entries = invitation_file.read(path)
    if not entries:
        return Tryable()
    status = dict(session.exec(select(Invitation.token_hash, Invitation.status).where(
        col(Invitation.token_hash).in_([_hash(e) for e in entries]))).all())
    found = Tryable()
    for entry in entries:
        state = status.get(_hash(entry))
        if entry.kind == "ballot" and state == "issued" and len(found.codes) < n:
            found.codes.append(entry)
        elif entry.kind == "personal" and state == "issued" and len(found.links) < n:
            found.links.append(entry)
        elif entry.state == "half_done" and state == "started" and not found.half_done:
            found.half_done.append(entry)
    return found


def _hash(entry: invitation_file.Entry) -> str:
    return token_hash(entry.token)


def questionnaire_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/questionnaire?token={token}"


def what_to_try(session: Session, *, path: Path, base_url: str, today: date | None = None,
                now: datetime | None = None) -> str:
    """The lines `make run` prints: poll, three reviewer links, three venue codes, /live and /explore."""
    today, now = today or office_today(), now or utcnow()
    base = base_url.rstrip("/")
    state = demo_state(session)
    if state is None:
        return ("No demo data in this database (an office's own data, or DEMO=0).\n"
                f"Open {base}/ and sign in; load the demo into an empty database with: python -m db demo")
    found = tryable(session, path)
    lines = [f"What to try (demo data loaded on {state.loaded_on.isoformat()}, years "
             f"{', '.join(map(str, state.years))}; every row is marked 演示数据):"]
    if not state.runs_on(today, now):
        lines.append(f"  {not_running(state, today=today, now=now)} Renew with: {RENEW}")
    lines.append(f"  Public poll (any phone, no account):  {base}/poll")
    if found.links:
        lines.append("  Questionnaire, personal links of three demo reviewers (each works once):")
        lines += [f"    {questionnaire_link(base, e.token)}   ({e.name}, {e.group_name})" for e in found.links]
    if found.half_done:
        e = found.half_done[0]
        lines.append(f"  A questionnaire left half done, to resume:  {questionnaire_link(base, e.token)}")
    if found.codes:
        lines.append(f"  Venue ballot codes (type one at {base}/questionnaire; each works once):")
        lines += [f"    {e.token}   ({e.group_name})" for e in found.codes]
    if not (found.links or found.codes):
        lines.append(f"  (no unused demo links or codes in {path}: renew the demo to get new ones)")
    lines.append(f"  Live screen (sign in as admin, or a leader):  {base}/live")
    lines.append(f"  Explorer across years:  {base}/explore")
    lines.append("  Votes and answers arriving while you watch /live:  python -m db demo-traffic --minutes 5")
    lines.append(f"  All demo links and codes: {path} (owner-only; the database holds only their hashes)")
    return "\n".join(lines)
