"""`python -m ui.serve [streamlit options]`: start the app with its own navigation from the first request.

Streamlit treats a pages/ folder beside the entry script as an old-style multipage
app until the entry script has called st.navigation once. A deep link as the very
first request after a (re)start — a reviewer's /questionnaire?token=… — would then
run the page file alone, without app.py's shell. Every page here is declared with
st.navigation in app.py, so the folder is never a page list of its own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from core.clock import set_today_from

APP = Path(__file__).resolve().parent.parent / "app.py"


def main() -> int:
    PagesManager.uses_pages_directory = False
    # REVIEW_TODAY (tests and demonstrations only): the app runs on that day; see core/clock.py.
    set_today_from(os.environ)
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
