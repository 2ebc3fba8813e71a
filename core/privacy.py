"""Masking personal data (phone and ID numbers) wherever it is shown or logged."""

from __future__ import annotations


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
