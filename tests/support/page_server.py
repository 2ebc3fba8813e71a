"""A real Streamlit process running an entry script of the tests' own (e.g. one page before app.py lists it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.server import ROOT, AppServer


class PageServer(AppServer):
    """AppServer (same stop/kill) for `script` instead of app.py."""

    def __init__(self, script: Path, database_url: str, log: Path, **environment: str) -> None:
        super().__init__(database_url, log)
        self.script = script
        self.environment = environment

    def start(self, timeout: float = 60) -> PageServer:
        env = dict(os.environ, DATABASE_URL=self.database_url, PYTHONPATH=str(ROOT), **self.environment)
        command = [sys.executable, "-m", "streamlit", "run", str(self.script), "--server.headless", "true",
                   "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--browser.gatherUsageStats", "false"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the page server exited early; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"the page server did not become healthy in {timeout} s; see {self.log}")
