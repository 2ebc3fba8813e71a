"""What the command families share: the exit code of a refusal and the app's public address."""

from __future__ import annotations

import os

EXIT_REFUSED = 1
EXIT_MISUSED = 2  # argparse's own code for a misused command


def base_url_default() -> str:
    """The app's public address for links printed or written by a command (APP_BASE_URL)."""
    return os.environ.get("APP_BASE_URL", "http://localhost:8501")
