"""The verification bundle on a page: its SHA-256 and a download button (results, feedback, /verify)."""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from db.access import Actor
from db.bundles import bundle_for
from ui.i18n import error_text, t
from ui.store import session

ZIP = "application/zip"


def bundle_download(actor: Actor | None, year: int, *, version: int | None = None, key: str) -> None:
    """The bundle's SHA-256 and its download for `actor` (None: the public), or why there is none."""
    try:
        with session() as s:
            found = bundle_for(s, actor=actor, year=year, version=version)
    except UserError as error:
        st.caption(error_text(error))
        return
    st.caption(t("bundle.sha_line", sha=found.sha256))
    st.download_button(t("bundle.download"), found.content, file_name=found.filename, mime=ZIP, key=key,
                       icon=":material/verified:", on_click="ignore", help=t("bundle.help"))
