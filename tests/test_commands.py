"""`python -m db`: the commands, their options and the README's table stay one list (db/commands/)."""

import argparse
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from db.commands import parser

ROOT = Path(__file__).resolve().parents[1]

# Every command with its options, in the order `--help` lists them: a command or option that disappears or
# is renamed by a refactoring breaks the operators' scripts and the README.
COMMANDS = {
    'init': ['--scheme'],
    'upgrade': [],
    'new-campaign': ['--year', '--copy-from', '--scheme', '--empty'],
    'import-units': ['file', '--campaign'],
    'demo': ['--years', '--votes-per-year', '--seed', '--if-empty', '--invitations', '--base-url', '--json'],
    'demo-info': ['--invitations', '--base-url'],
    'demo-traffic': ['--minutes', '--rate'],
    'purge-demo': ['--invitations'],
    'check-tallies': ['--rebuild'],
    'create-user': ['--username', '--role', '--unit', '--display-name', '--password-stdin'],
    'display-link': ['--campaign', '--days', '--label', '--base-url', '--revoke', '--list'],
    'stats': ['--json', '--campaign'],
    'backup': ['path', '--into'],
    'restore': ['path', '--force', '--check'],
    'doctor': ['--env-file', '--url', '--backups', '--invitations', '--proxies', '--ca-file', '--campaign'],
    'import-pool': ['file', '--campaign'],
    'export-pool': ['file', '--campaign'],
    'plan-panel': ['--campaign', '--from'],
    'draw': ['--campaign', '--seed', '--n', '--method', '--minimum', '--sd', '--invitations', '--base-url',
             '--seed-source', '--supersede-reason'],
    'verify-draw': ['--pool', '--seed', '--n', '--method', '--minimum', '--sd'],
    'score': ['--campaign', '--json', '--save', '--replicates', '--draws'],
    'publish': ['--campaign', '--version', '--override-reason'],
    'export-results': ['--campaign', '--xlsx', '--docx', '--provisional'],
    'export-feedback': ['--campaign', '--out'],
    'objections': ['--campaign', '--csv'],
    'export-bundle': ['--campaign', '--out', '--version'],
    'posters': ['--campaign', '--out', '--place', '--src', '--base-url', '--lang'],
    'erase-complaint-phones': [],
}


def _options() -> dict[str, list[str]]:
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {name: [a.option_strings[0] if a.option_strings else a.dest for a in command._actions
                   if not isinstance(a, argparse._HelpAction)] for name, command in sub.choices.items()}


def test_the_commands_and_their_options_stay_as_documented():
    assert _options() == COMMANDS
    assert list(_options()) == list(COMMANDS)


def test_the_readme_table_lists_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### `python -m db`"):readme.index("Every refusal prints one clear line")]
    documented = re.findall(r"^\| `([a-z-]+)", table, flags=re.M)
    assert documented == list(COMMANDS)


def test_help_runs_in_a_real_process_and_a_misused_command_exits_2():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-m", "db", "--help"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60, check=False)
    assert shown.returncode == 0 and all(name in shown.stdout for name in COMMANDS)
    misused = subprocess.run([sys.executable, "-m", "db", "draw"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60, check=False)
    assert misused.returncode == 2 and "--campaign" in misused.stderr


def test_db_main_only_hands_over():
    """The entry point is a few lines; the commands live in db/commands/, one module per family."""
    lines = [line for line in (ROOT / "db" / "__main__.py").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) <= 8
    families = {p.stem for p in (ROOT / "db" / "commands").glob("*.py")} - {"__init__", "common"}
    assert families == {"database", "panel", "results", "complaints", "demo", "campaigns"}


def test_owner_only_files_are_created_owner_only(tmp_path):
    from db.private_files import write_owner_only

    old = os.umask(0)
    try:
        path = tmp_path / "list.csv"
        write_owner_only(path, b"x")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        try:
            write_owner_only(path, b"y")
            raise AssertionError("an existing file was overwritten")
        except FileExistsError:
            pass
        write_owner_only(path, b"z", replace=True)
        assert path.read_bytes() == b"z" and stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(old)
