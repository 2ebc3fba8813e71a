"""Which code this is: recorded in every verification bundle, so a figure can be traced to the code that made it."""

from __future__ import annotations

import subprocess
import tomllib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def code_version() -> str:
    """`git describe` of the checkout this runs from, else the installed package's version."""
    try:
        out = subprocess.run(["git", "describe", "--tags", "--always", "--dirty"], cwd=REPO, capture_output=True,
                             text=True, timeout=10, check=True)
        if out.stdout.strip():
            return f"git {out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return f"duty-review {metadata.version('duty-review')}"
    except metadata.PackageNotFoundError:
        with open(REPO / "pyproject.toml", "rb") as handle:
            return f"duty-review {tomllib.load(handle)['project']['version']}"
