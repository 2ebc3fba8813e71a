"""Who is acting: every store function that changes data takes an `Actor` and checks it."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from core.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    unit_code: str | None = None


def cli_actor() -> Actor:
    """Whoever runs `python -m db` has the shell, and so the database: an administrator."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(username=f"cli:{user}", role="admin")


def require(actor: Actor | None, *roles: str) -> Actor:
    if actor is None or actor.role not in roles:
        raise Forbidden("access.forbidden", "this action needs the role {roles}", roles=" / ".join(roles))
    return actor
