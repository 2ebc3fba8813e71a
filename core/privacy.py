"""Masking personal data (phone and ID numbers, free text) wherever it is shown or logged."""

from __future__ import annotations

from functools import lru_cache

from core.deidentify import mask_text

# Who reads free text (comments, answers on a complaint) as it was written: the office, which must be able
# to act on it. Everyone else reads it de-identified (core.deidentify): a unit, leadership and analysts
# need what was said, not who said it.
READS_RAW_TEXT = frozenset({"admin"})


@lru_cache(maxsize=8192)
def masked(text: str) -> str:
    """mask_text, remembered: the same comments are listed again at every rerun of a page."""
    return mask_text(text)


def text_for(role: str, text: str | None) -> str:
    """Free text typed by a citizen, a reviewer or staff, as `role` may read it."""
    if not text:
        return ""
    return text if role in READS_RAW_TEXT else masked(text)


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678; anything else keeps only its first three characters."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.isdigit():
        return f"{phone[:3]}****{phone[-4:]}"
    return f"{phone[:3]}…({len(phone)})"


def mask_id_number(id_number: str | None) -> str:
    """An 18-character ID keeps its region (6) and last 4 characters; the birth date is hidden."""
    if not id_number:
        return ""
    if len(id_number) == 18:
        return f"{id_number[:6]}********{id_number[-4:]}"
    return f"{id_number[:3]}…({len(id_number)})"


SMALL_CELL = 5


def small_cell(n: int, minimum: int = SMALL_CELL) -> bool:
    """Whether a breakdown with `n` responses must be withheld (it could single people out)."""
    return 0 < n < minimum
