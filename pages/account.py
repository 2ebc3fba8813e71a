"""The signed-in person's own account: who they are, their password."""

from __future__ import annotations

import streamlit as st

from ui.auth import guard, password_change_form
from ui.i18n import t
from ui.plain import plain

actor = guard("account")
st.title(t("account.title"))
st.write(t("account.who", username=plain(actor.username), role=t(f"role.{actor.role}")))
if actor.unit_code:
    st.write(t("account.unit", unit=plain(actor.unit_code)))
st.subheader(t("auth.change_password"))
password_change_form(actor, forced=False)
