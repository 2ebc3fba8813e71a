"""Server-side secrets for hashing network addresses and devices: never in the repository.

Taken from the environment (`<NAME>_SALT`), else `.streamlit/secrets.toml` (`<name>_salt`),
else generated once into `data/<name>_salt` (readable by the server only).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=8)
def secret_salt(name: str) -> str:
    from_env = os.environ.get(f"{name.upper()}_SALT", "").strip()
    if from_env:
        return from_env
    secrets_file = ROOT / ".streamlit" / "secrets.toml"
    if secrets_file.exists():
        with open(secrets_file, "rb") as handle:
            value = str(tomllib.load(handle).get(f"{name}_salt", "")).strip()
        if value:
            return value
    path = ROOT / "data" / f"{name}_salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
