"""`python -m deploy.replicas N` (`make serve-replicas N=2`): N app processes and nginx in front of them.

Every replica is `python -m ui.serve` on its own loopback port with the same DATABASE_URL (PostgreSQL:
the replicas share the store, and nothing a session needs after a reconnect lives in one process),
the same salts and TRUST_PROXY=1 (nginx appends the client's address to X-Forwarded-For). nginx runs
the shipped deploy/nginx.conf with only the listen address, the upstream ports and the file locations
changed. Ctrl-C (or SIGTERM) stops them all. bench.hall starts the same thing for its replica runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from deploy import nginx

ROOT = Path(__file__).resolve().parents[1]
# Two app processes per core: each has one event loop and one GIL, and a tap waits in its process's queue
# (README "The hall day"); 4 on the 2-CPU machine the hall was measured on.
DEFAULT_N = 2 * (os.cpu_count() or 2)


def proxy_config(folder: Path, listen: str, upstreams: list[int]) -> Path:
    """The shipped config over plain HTTP (deploy.nginx.plain) with this run's listen address, upstream
    ports and files (logs too) in `folder`."""
    text = nginx.with_upstreams(nginx.plain(nginx.shipped()), upstreams)
    text = text.replace("listen 80;", f"listen {listen};")
    text = nginx.in_folder(text, folder)
    path = folder / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy in {timeout:.0f} s")


class Replicas:
    """N app processes on `ports` plus nginx on `listen`; start() and stop()."""

    def __init__(self, database_url: str, ports: list[int], listen: str, folder: Path, **environment: str) -> None:
        self.database_url, self.ports, self.listen, self.folder = database_url, ports, listen, folder
        self.environment = {"TRUST_PROXY": "1", **environment}
        self.apps: list[subprocess.Popen] = []
        self.proxy: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        host, port = self.listen.rsplit(":", 1)
        return f"http://{host}:{port}"

    def start(self) -> Replicas:
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx is not installed (Debian package nginx-light)")
        # The app's folder first; whatever else PYTHONPATH named (a folder of extra packages) after it.
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        env = dict(os.environ, DATABASE_URL=self.database_url, PYTHONPATH=path, **self.environment)
        for k, port in enumerate(self.ports):
            with open(self.folder / f"app{k}.log", "ab") as log:  # the child keeps its own handle
                self.apps.append(subprocess.Popen(
                    [sys.executable, "-m", "ui.serve", "--server.headless", "true", "--server.port", str(port),
                     "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        for port in self.ports:
            wait_healthy(f"http://127.0.0.1:{port}")
        os.chmod(self.folder, 0o755)  # nginx's workers run as an unprivileged user
        conf = proxy_config(self.folder, self.listen, self.ports)
        self.proxy = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(self.folder), "-g", "daemon off;"],
                                      stderr=subprocess.PIPE, start_new_session=True)
        wait_healthy(self.url, 30)
        return self

    def pids(self) -> dict[str, list[int]]:
        """The app processes, and nginx's master and workers (for CPU accounting)."""
        proxy = [self.proxy.pid] if self.proxy else []
        if self.proxy:
            proxy += [int(p) for p in Path(f"/proc/{self.proxy.pid}/task/{self.proxy.pid}/children")
                      .read_text().split()] if Path(f"/proc/{self.proxy.pid}/task/{self.proxy.pid}/children").exists() \
                else []
        return {"app": [p.pid for p in self.apps], "proxy": proxy}

    def stop(self) -> None:
        for process in [self.proxy, *self.apps]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [self.proxy, *self.apps]:
            if process is not None:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.replicas", description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=DEFAULT_N,
                        help=f"app processes (default {DEFAULT_N}: two per core of this machine)")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="nginx's address (default 127.0.0.1:8080)")
    parser.add_argument("--first-port", type=int, default=8501, help="the first replica's port (default 8501)")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print("DATABASE_URL must name a PostgreSQL database: replicas share one store", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="review-replicas-"))
    replicas = Replicas(url, [args.first_port + k for k in range(args.n)], args.listen, folder)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        replicas.start()
        print(f"{args.n} replicas on ports {', '.join(map(str, replicas.ports))} behind nginx at {replicas.url} "
              f"(logs in {folder}); Ctrl-C stops them", flush=True)
        while all(p.poll() is None for p in [replicas.proxy, *replicas.apps]):
            time.sleep(1)
        print("a process exited; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        replicas.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
