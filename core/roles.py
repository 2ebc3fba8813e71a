"""Roles and which screens each may open.

The page list in the sidebar and the guard at the top of every page both read
`PAGE_ROLES`, so the two can never disagree about who may see what.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("admin", "inspector", "leader", "analyst", "liaison")

# A liaison is bound to exactly one unit; the others see the whole campaign.
ROLES_BOUND_TO_UNIT = frozenset({"liaison"})

# page key -> roles that may open it. `None` means public: no account needed.
PAGE_ROLES: dict[str, frozenset[str] | None] = {
    "questionnaire": None,
    "poll": None,
    "verify": None,  # the verification bundles the office made public (db.bundles checks the setting)
    "home": frozenset(ROLES),
    "account": frozenset(ROLES),
    "settings": frozenset({"admin"}),
    "pool": frozenset({"admin"}),
    "draw": frozenset({"admin"}),
    "panel": frozenset({"admin"}),
    "poll_admin": frozenset({"admin", "leader", "analyst"}),  # only an admin rules on flagged votes
    "media": frozenset({"admin", "leader", "analyst", "liaison"}),  # a liaison sees only their unit
    # The poll's complaints: the unit's liaison answers its own, the office rules on disputes, others read.
    "complaints": frozenset({"admin", "leader", "analyst", "liaison"}),
    # Casework: teams record visits; a liaison sees and answers only their unit; leadership and analysts read.
    "inspections": frozenset({"admin", "inspector", "leader", "analyst", "liaison"}),
    "cases": frozenset({"admin", "leader", "analyst", "liaison"}),
    "rectification": frozenset({"admin", "leader", "analyst", "liaison"}),
    "reports": frozenset({"admin", "leader", "analyst", "liaison"}),
    "live": frozenset({"admin", "leader", "analyst"}),  # never a liaison: it shows every unit
    "explore": frozenset({"admin", "leader", "analyst"}),
    "results": frozenset({"admin", "leader", "analyst"}),  # only an admin computes and publishes
    # Each unit's published result and comments: a liaison sees only their unit (db/feedback.py scopes it).
    "feedback": frozenset({"admin", "leader", "analyst", "liaison"}),
    "units": frozenset({"admin"}),
    "users": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
}


def check_role(role: str) -> str:
    """Return `role` if it is known, else raise ValueError naming the valid ones."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; valid roles: {', '.join(ROLES)}")
    return role


def may_open(page: str, role: str | None) -> bool:
    """Whether someone with `role` (None: not signed in) may open `page`."""
    allowed = PAGE_ROLES[page]
    if allowed is None:
        return True
    return role is not None and role in allowed


def is_public(page: str) -> bool:
    return PAGE_ROLES[page] is None


def pages_for(role: str | None) -> list[str]:
    """The staff pages `role` sees in its menu, in menu order (public pages are reached by link)."""
    return [page for page in PAGE_ROLES if not is_public(page) and may_open(page, role)]
