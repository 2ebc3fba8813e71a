"""`make offline-bundle` on a server with no network: unpack, ./install.sh, make run, one vote on /poll.

Everything after the build runs inside a network namespace with loopback only (`unshare -n`), with pip's
configuration switched off, so the archive must hold every wheel itself. The heavy test of the suite: the
wheels are gathered once into dist/wheels (pip's cache too) and reused; aarch64 is left out here (the
build gathers it with `make offline-bundle`; tests don't need a second architecture to prove the install).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from deploy import bundle
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[1]

INSIDE = r"""
set -euo pipefail
ip link set lo up
# No way out: loopback is the only interface.
[ "$(ip -o link show | awk -F': ' '{print $2}')" = "lo" ]
cd "$1"
PYTHON="$2" ./install.sh
# A demo of this year only (the default demo spans years and costs time); `make run` then keeps it as it is.
make init > init.log
.venv/bin/python -m db demo --years "$(date +%Y)" --votes-per-year 10 > demo.log
setsid make run PORT=8501 > run.log 2>&1 &
server=$!
trap 'kill -- -$server 2>/dev/null || true' EXIT
.venv/bin/python - <<'PY'
import time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen("http://127.0.0.1:8501/_stcore/health", timeout=2)
        break
    except OSError:
        time.sleep(0.2)
else:
    raise SystemExit("the app did not start: see run.log")
PY
.venv/bin/python -m tests.support.offline_vote http://127.0.0.1:8501 data/review.db
"""


# Building a 220 MB archive and installing it: about 4 minutes on a busy 2-CPU machine (40 s of CPU).
@pytest.mark.timeout(900)
def test_the_offline_bundle_installs_and_takes_a_vote_without_network(tmp_path):
    if shutil.which("unshare") is None or shutil.which("ip") is None or os.geteuid() != 0:
        unavailable("unshare and ip as root (a network namespace)")
    if shutil.which("make") is None:
        unavailable("make")
    try:
        install_and_vote(tmp_path)
    finally:  # 200 MB of archive and as much unpacked: not kept in pytest's last three temporary folders
        for path in tmp_path.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def install_and_vote(tmp_path: Path) -> None:
    archive = bundle.build(tmp_path, arm=False)
    assert archive.name.startswith("review-offline-") and archive.name.endswith(".tar.gz")
    checked = subprocess.run(["sha256sum", "-c", archive.name + ".sha256"], cwd=tmp_path, capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    (folder,) = (tmp_path / "unpacked").iterdir()
    assert folder.name == archive.name.removesuffix(".tar.gz")
    assert (folder / "install.sh").stat().st_mode & 0o111 and (folder / "fonts" / "NotoSansCJKsc-Regular.otf").is_file()
    assert not (folder / "data" / "review.db").exists() and not (folder / ".venv").exists()
    python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    done = subprocess.run(["unshare", "-n", "bash", "-c", INSIDE, "inside", str(folder), str(python)], env=env,
                          capture_output=True, text=True, check=False, timeout=900)
    log = (folder / "run.log").read_text(errors="replace")[-3000:] if (folder / "run.log").exists() else ""
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n{log}"
    voted = re.search(r"^voted for (\w+); poll votes (\d+) -> (\d+)$", done.stdout, re.M)
    assert voted and int(voted[3]) == int(voted[2]) + 1, done.stdout[-3000:]
