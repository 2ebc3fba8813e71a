"""A throw-away PostgreSQL server for the store tests.

`.ci/run` starts one and exports TEST_PG_URL; on a developer's machine the tests
start their own in a temporary folder (initdb + pg_ctl as the postgres user,
listening on 127.0.0.1 only) when the server binaries are installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempServer:
    """initdb + pg_ctl into a temporary folder; `url` reaches it as the superuser."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="review-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> TempServer:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        data = self.folder / "data"
        self._as_postgres(_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                          "--no-locale")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c full_page_writes=off"
        self._as_postgres(_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log"),
                          "-w", "start")
        return self

    def stop(self) -> None:
        try:
            self._as_postgres(_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def can_start() -> bool:
    return all(_bin(name) for name in ("initdb", "pg_ctl"))


def create_database(server_url: str) -> str:
    """A fresh, empty database on the server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def module_engine(request, tmp_path_factory, name: str):
    """A migrated, initialised database (the 2017 scheme) for a module fixture parametrized
    "sqlite" / "postgresql": an engine, disposed and its database dropped afterwards."""
    from db.access import cli_actor
    from db.bootstrap import init_database
    from db.engine import make_engine
    from db.migrate import upgrade

    if request.param == "sqlite":
        url, server = f"sqlite:///{tmp_path_factory.mktemp(name) / 'review.db'}", None
    else:
        server = request.getfixturevalue("pg_server")
        url = create_database(server)
    engine = make_engine(url)
    try:
        upgrade(engine)
        init_database(engine, actor=cli_actor())
        yield engine
    finally:
        engine.dispose()
        if server:
            drop_database(server, url)
