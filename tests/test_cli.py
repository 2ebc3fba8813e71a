"""The command line as an operator uses it: a real process, real exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, url, stdin=None):
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def test_init_stats_and_idempotence(db_url):
    first = run("init", url=db_url)
    assert first.returncode == 0, first.stderr
    assert "one-time password" in first.stdout
    again = run("init", url=db_url)
    assert again.returncode == 0 and "initialised already" in again.stdout
    assert "one-time password" not in again.stdout
    figures = json.loads(run("stats", "--json", url=db_url).stdout)
    assert figures["units"] == 37 and figures["dimensions"] == 5 and figures["reviewer_groups"] == 6
    assert figures["units_by_category"] == {"economic_social": 18, "urban_enforcement": 11, "public_service": 8}
    assert {"reviewers", "poll_votes", "responses"} <= figures.keys()
    one = json.loads(run("stats", "--json", "--campaign", "2017", url=db_url).stdout)
    assert one["units"] == 37


def test_create_user_and_misuse(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    run("init", url=url)
    made = run("create-user", "--username", "li", "--role", "liaison", "--unit", "es01", url=url)
    assert made.returncode == 0 and "one-time password" in made.stdout
    typed = run("create-user", "--username", "wang", "--role", "leader", "--password-stdin", url=url,
                stdin="a long enough secret\n")
    assert typed.returncode == 0 and "a long enough secret" not in typed.stdout
    bad_role = run("create-user", "--username", "x", "--role", "king", url=url)
    assert bad_role.returncode == 1 and "unknown role 'king'" in bad_role.stderr
    missing = run("stats", "--campaign", "1999", url=url)
    assert missing.returncode == 1 and "no campaign for 1999" in missing.stderr
    assert run("frobnicate", url=url).returncode == 2
    assert run("create-user", "--role", "leader", url=url).returncode == 2


@pytest.mark.parametrize(("url", "message"), [
    ("nonsense", "not a database address"),
    ("oracle://x/y", "only sqlite and postgresql"),
    ("postgresql://u:hunter2@127.0.0.1:1/db", "cannot open the database"),
])
def test_bad_database_url(url, message):
    result = run("init", url=url)
    assert result.returncode == 1 and message in result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


def test_backup_of_a_running_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    run("init", url=url)
    target = tmp_path / "copy.db"
    done = run("backup", str(target), url=url)
    assert done.returncode == 0, done.stderr
    copy = json.loads(run("stats", "--json", url=f"sqlite:///{target}").stdout)
    assert copy["units"] == 37
    again = run("backup", str(target), url=url)
    assert again.returncode == 1 and "exists already" in again.stderr
