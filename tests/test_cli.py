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


def test_import_pool_draw_and_verify_from_the_command_line(tmp_path):
    from tests.support.pool_files import csv_bytes, people

    url = f"sqlite:///{tmp_path / 'r.db'}"
    run("init", url=url)
    bad_rows = people()
    bad_rows[3][3] = "1234"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(bad_rows))
    refused = run("import-pool", str(bad), "--campaign", "2017", url=url)
    assert refused.returncode == 1 and "row 5" in refused.stderr and "1234" not in refused.stdout
    assert json.loads(run("stats", "--json", url=url).stdout)["reviewers"] == 0

    good = tmp_path / "pool.csv"
    good.write_bytes(csv_bytes(people(), encoding="gb18030"))
    imported = run("import-pool", str(good), "--campaign", "2017", url=url)
    assert imported.returncode == 0 and "2000 new" in imported.stdout

    invitations = tmp_path / "invitations.csv"
    drawn = run("draw", "--campaign", "2017", "--seed", "2017-11-30 双色球 03 08 15 21 27 33 + 09",
                "--invitations", str(invitations), "--base-url", "https://review.example", url=url)
    assert drawn.returncode == 0, drawn.stderr
    assert "52" in drawn.stdout and "200 invitations" in drawn.stdout
    links = invitations.read_text(encoding="utf-8-sig").splitlines()
    assert len(links) == 201 and "https://review.example/questionnaire?token=" in links[1]

    published = tmp_path / "published.csv"
    assert run("export-pool", str(published), "--campaign", "2017", url=url).returncode == 0
    # Numbers and groups only, headed in Chinese for the public: no names, no phones.
    assert published.read_text(encoding="utf-8-sig").splitlines()[0] == "人员编号,人员类别,类别代码"
    assert "13900000001" not in published.read_text("utf-8-sig") and "评议人" not in published.read_text("utf-8-sig")
    verified = run("verify-draw", "--pool", str(published), "--seed",
                   "2017-11-30 双色球 03 08 15 21 27 33 + 09", "--n", "200", url=url)
    assert verified.returncode == 0
    printed = {line.rsplit(",", 1)[1] for line in verified.stdout.splitlines()[5:]}
    from db.engine import make_engine, session_scope
    from db.models import DrawMember

    engine = make_engine(url)
    with session_scope(engine) as s:
        from sqlmodel import select

        stored = {str(i) for i in s.exec(select(DrawMember.reviewer_id))}
    assert printed == stored and len(printed) == 200
    again = run("draw", "--campaign", "2017", "--seed", "x", "--invitations", str(tmp_path / "2.csv"), url=url)
    assert again.returncode == 1 and "needs a reason" in again.stderr
    assert not (tmp_path / "2.csv").exists()


def test_verify_draw_refuses_bad_files(tmp_path):
    pool = tmp_path / "p.csv"
    pool.write_text("id,name\n1,a\n", encoding="utf-8")
    result = run("verify-draw", "--pool", str(pool), "--seed", "s", url=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 1 and "columns 人员编号 and 类别代码" in result.stderr
    pool.write_text("id,group\n1,a\n2,b\n", encoding="utf-8")
    result = run("verify-draw", "--pool", str(pool), "--seed", "s", "--n", "5", url=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 1 and "cannot be made" in result.stderr
