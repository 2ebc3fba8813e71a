"""The public poll served the way app.py will serve it (st.navigation, url path /poll), for browser tests.

Until app.py lists pages/poll.py, this entry script stands in for it: a placeholder home page
and the poll at /poll. Run by tests.support.page_server.PageServer.
"""

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parents[2] / "pages"

st.navigation([st.Page(lambda: None, title="home", url_path="home", default=True),
               st.Page(PAGES / "poll.py", title="poll", url_path="poll")], position="hidden").run()
