"""The public poll's complaint sections: a poster's link, the receipt after a complaint, the reply.

Kept out of pages/poll.py so that page stays a small, fast voting screen; it calls three functions:
`poster_entry` (read ?unit=CODE&src=POSTER and ?receipt=CODE once), `receipt_panel` (the receipt,
the call-back number, the state, the unit's answer and the follow-up rating) and `receipt_lookup`
(typing a receipt code on the unit list). Wrong codes count against the browser's device id and
the network (db.wrong_codes); a receipt that exists always opens.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from core.complaints import FOLLOW_UP, clean_source
from db.complaints.intake import Lookup, leave_phone, look_up, rate_handling
from db.poll import poll_salt
from ui.client import client_address
from ui.i18n import error_text, t
from ui.plain import plain
from ui.store import transact

RECEIPT, FRESH, SOURCE, ENTRY = "poll_receipt", "poll_receipt_fresh", "poll_src", "poll_entry_read"


def poster_entry(units: Mapping[str, object], pick) -> None:
    """A poster's link opens the poll at its unit and remembers the poster for the vote; read once per visit.

    An unknown unit code or an odd poster code is ignored: the ordinary poll opens.
    """
    if st.session_state.get(ENTRY):
        return
    st.session_state[ENTRY] = True
    params = st.query_params
    unit = params.get("unit")
    if unit in units:
        pick(unit)
        st.session_state[SOURCE] = clean_source(params.get("src"))
    receipt = params.get("receipt")
    if receipt:
        st.session_state[RECEIPT] = receipt


def source() -> str:
    return st.session_state.get(SOURCE, "")


def filed(receipt: str | None) -> None:
    """After a vote: a complaint's receipt is shown once, at the top of the next screen."""
    if receipt:
        st.session_state[RECEIPT], st.session_state[FRESH] = receipt, True


def _call(work, device: str) -> Lookup:
    address, salt = client_address(), poll_salt()
    return transact(lambda s: work(s, ip=address, salt=salt, device_id=device))


def _show_reply(reply) -> None:
    st.markdown(f"**{t('receipt.unit')}** {plain(reply.unit_name)}")
    st.markdown(f"**{t('receipt.your_comment')}** {plain(reply.comment)}")
    st.markdown(f"**{t('receipt.state')}** {t(f'receipt.states.{reply.state}')}")
    if reply.received_on:
        st.caption(t("receipt.received_on", day=reply.received_on.isoformat()))
    if reply.acknowledged_on:
        st.caption(t("receipt.acknowledged_on", day=reply.acknowledged_on.isoformat()))
    if reply.closed_on:
        with st.container(border=True, key="receipt_answer"):
            st.markdown(f"**{t('receipt.answer')}** ({reply.closed_on.isoformat()}, "
                        f"{t(f'complaints.kinds.{reply.closing_kind}')})")
            st.markdown(f"**{t('complaints.found')}** {plain(reply.found)}")
            if reply.done:
                st.markdown(f"**{t('complaints.done')}** {plain(reply.done)}")
    if reply.state == "excluded":
        st.info(t("receipt.excluded", reason=plain(reply.ruling_reason)))


def _rating(code: str, device: str) -> None:
    st.markdown(f"**{t('receipt.rate')}**")
    with st.container(key="receipt_rating"):
        for option in FOLLOW_UP:
            if st.button(t(f"option.{option}"), key=f"receipt_rate_{option}", width="stretch"):
                result = _call(lambda s, chosen=option, **kw: rate_handling(s, receipt=code, option=chosen, **kw),
                               device)
                if result.refusal:
                    st.error(error_text(result.refusal))
                else:
                    st.session_state["receipt_rated"] = True
                    st.rerun()


def _phone_form(code: str, device: str) -> None:
    with st.form("receipt_phone", border=True, enter_to_submit=False):
        st.markdown(f"**{t('receipt.phone_title')}**")
        phone = st.text_input(t("receipt.phone"), max_chars=20, placeholder="13812345678")
        consent = st.checkbox(t("receipt.consent"))
        if st.form_submit_button(t("receipt.phone_send"), width="stretch"):
            result = _call(lambda s, **kw: leave_phone(s, receipt=code, phone=phone, consent=consent, **kw), device)
            if result.refusal:
                st.error(error_text(result.refusal))
            else:
                st.success(t("receipt.phone_kept"))


def receipt_panel(device: str) -> None:
    """The receipt just issued, or the one opened by link or typed: state, answer, call back, rating.

    `device` is the browser's id (ui.device), against which a wrong code counts."""
    code = st.session_state.get(RECEIPT)
    if not code:
        return
    fresh = st.session_state.pop(FRESH, False)
    with st.container(border=True, key="receipt_panel"):
        if fresh:
            st.markdown(f"**{t('receipt.filed')}**")
            st.code(code, language=None)
            st.caption(t("receipt.keep"))
        result = _call(lambda s, **kw: look_up(s, receipt=code, **kw), device)
        if result.refusal:
            st.session_state.pop(RECEIPT, None)  # a wrong code is not tried again on every rerun
            st.error(error_text(result.refusal))
            return
        reply = result.reply
        if not fresh:
            st.subheader(t("receipt.title"))
        _show_reply(reply)
        if st.session_state.pop("receipt_rated", False):
            st.success(t("receipt.thanks_rating"))
        if reply.may_rate:
            _rating(code, device)
        elif reply.follow_up:
            st.caption(t("receipt.rated", option=t(f"option.{reply.follow_up}")))
        if reply.may_leave_phone:
            _phone_form(code, device)
        elif reply.phone_left:
            st.caption(t("receipt.phone_on_file"))
        # No icon: the poll needs no icon font (issue 23).
        st.button(t("receipt.close"), key="receipt_close", type="tertiary",
                  on_click=lambda: st.session_state.pop(RECEIPT, None))


def receipt_lookup() -> None:
    """Typing a receipt code on the unit list (behind a switch, not an expander: its arrow needs the icon font)."""
    if not st.toggle(t("receipt.lookup"), key="receipt_lookup_open"):
        return
    with st.form("receipt_lookup", border=False, enter_to_submit=True):
        typed = st.text_input(t("receipt.code"), max_chars=30, placeholder="XXXX-XXXX-XXXX-XXXX")
        if st.form_submit_button(t("receipt.open"), width="stretch") and typed.strip():
            st.session_state[RECEIPT] = typed.strip()
            st.rerun()
