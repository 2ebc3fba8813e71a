"""Files only their owner may read: the plain-text invitation lists (db.commands, db.demo).

Created with mode 600 in the `open` call itself, so there is no moment in which another account on
the server could open the file, whatever the umask; never widened afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_owner_only(path: Path, content: bytes, *, replace: bool = False) -> None:
    """Write `content` to a new file readable and writable by its owner only. An existing file is
    refused (FileExistsError) unless `replace`, when it is deleted first: a new list is never
    written into an old file's wider permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if replace and path.exists():
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.chmod(path, 0o600)  # whatever the umask said
