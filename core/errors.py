"""Errors that carry a message for people, not only for developers.

A `UserError` names a locale key (so the interface can show it in Chinese or
English) and an English fallback (so the command line, which has no catalogue,
still says something clear). Parameters fill both.
"""

from __future__ import annotations


class UserError(Exception):
    """A refusal the user can act on: bad input, a forbidden action, a conflict."""

    def __init__(self, key: str, default: str, /, **params: object) -> None:
        self.key = key
        self.default = default
        self.params = params
        super().__init__(self.english())

    def english(self) -> str:
        try:
            return self.default.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.default


class NotFound(UserError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class Forbidden(UserError):
    """The signed-in role may not do this."""


class ValidationError(UserError):
    """Input that breaks a rule; `problems` lists every problem found, not just the first."""

    def __init__(self, key: str, default: str, /, problems: list[UserError] | None = None, **params: object) -> None:
        self.problems = list(problems or [])
        super().__init__(key, default, **params)

    def english(self) -> str:
        head = super().english()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  - {p.english()}" for p in self.problems)
