"""What the casework pages share: unit choices, labels for codes, overdue colouring, refusals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

import pandas as pd
import streamlit as st

from core.clock import to_office
from core.errors import UserError
from db.access import Actor
from db.units import list_units
from ui.i18n import error_text, t
from ui.plain import plain
from ui.store import session

OVERDUE_STYLE = "background-color: #fde2e1"


def units_of(campaign_id: int) -> dict[str, str]:
    """code -> full name of the campaign's active units, in the scheme's order."""
    with session() as s:
        return {u.code: u.name for u in list_units(s, campaign_id=campaign_id, include_inactive=False)}


def own_unit_note(actor: Actor, names: dict[str, str]) -> None:
    if actor.role == "liaison":
        st.info(t("casework.liaison_scope", unit=plain(names.get(actor.unit_code or "", actor.unit_code or "—"))))


def unit_filter(actor: Actor, names: dict[str, str], *, key: str, place=st) -> str | None:
    """A unit picker ('all' first) for those who see every unit; a liaison gets none (the store scopes)."""
    if actor.role == "liaison":
        return None
    code = place.selectbox(t("casework.unit"), ["", *names], key=key,
                           format_func=lambda c: names.get(c, t("common.all")))
    return code or None


def label(prefix: str) -> Callable[[object], str]:
    """A format_func for codes: casework.<prefix>.<code>; empty means 'all'."""
    return lambda code: t(f"{prefix}.{code}") if code else t("common.all")


def day(moment: datetime | None) -> date | None:
    return to_office(moment).date() if moment else None


def refuse(error: UserError) -> None:
    st.error(error_text(error))


def attempt(action: Callable[[], object], success: str) -> bool:
    """Run a store action; show its refusal, or remember the success message for after the rerun."""
    from ui.notices import flash

    try:
        with session() as s:
            action(s)
    except UserError as error:
        refuse(error)
        return False
    flash(success)
    return True


def styled(frame: pd.DataFrame, overdue: Sequence[bool]):
    """Overdue rows in red, as on the media register."""
    flags = list(overdue)
    return frame.style.apply(lambda row: [OVERDUE_STYLE if flags[row.name] else ""] * len(row), axis=1)


def deep_link(param: str) -> int | None:
    """An id from the address (?case=12), kept for the session: query parameters vanish on page changes.

    The id only preselects; whether the actor may see the row is the store's decision.
    """
    key = f"link_{param}"
    raw = st.query_params.get(param)
    if raw is not None:
        st.session_state[key] = raw
    value = st.session_state.get(key)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def follow_link(param: str, pick_key: str, visible_ids, load: Callable[[int], object]) -> None:
    """Preselect a linked row the actor may see; for any other id say "not found" and show nothing of it."""
    linked = deep_link(param)
    if linked is None:
        return
    if linked in visible_ids:
        if st.session_state.get(f"link_{param}_done") != linked:  # preselect once; the picker then rules
            st.session_state[f"link_{param}_done"] = linked
            st.session_state[pick_key] = linked
        return
    try:
        with session() as s:
            load(s, linked)  # raises NotFound for a row of another unit, or for none at all
    except UserError as error:
        refuse(error)
