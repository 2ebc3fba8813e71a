"""/verify: the verification bundles the office has made public, without sign-in (db.bundles decides which)."""

from __future__ import annotations

import streamlit as st

from db.bundles import public_years
from ui.bundle import bundle_download
from ui.i18n import language_selector, t
from ui.store import session

language_selector(inline=True)
st.title(t("bundle.verify_title"))
st.markdown(t("bundle.verify_intro"))
with session() as s:
    offered = public_years(s)
if not offered:
    st.info(t("bundle.verify_none"))
for year, version, _ in offered:
    st.subheader(t("bundle.verify_year", year=year, version=version))
    bundle_download(None, year, version=version, key=f"verify_bundle_{year}")
