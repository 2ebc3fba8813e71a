"""Running it as a service (deploy/): the systemd units, the HTTPS front and `python -m db doctor`.

One module server: a demo database of this year (SQLite), one replica and the shipped nginx config
rendered for HTTPS with a self-signed certificate made here. The doctor is run on a good set-up and on
broken ones, each of which must be named by the check that fails, and by no other.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import ssl
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core.backup_rotation import backup_name
from core.clock import office_today
from core.errors import UserError
from db.backup import backup_into
from db.commands import main as db_main
from db.engine import make_engine
from deploy import nginx
from tests.conftest import unavailable
from tests.support.postgres import free_port
from tests.support.server import AppServer

ROOT = Path(__file__).resolve().parents[1]
SALTS = {"POLL_SALT": "p" * 64, "NETWORK_SALT": "n" * 64}
UNITS = ["review@8501.service", "review@8502.service", "review.target", "review-nginx.service",
         "review-backup.service", "review-backup.timer", "review-erase-phones.service", "review-erase-phones.timer"]


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "review.crt", folder / "review.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "60", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def run_db(*args: str, database_url: str) -> None:
    """`python -m db ARGS` on that database, in this process (no interpreter to start)."""
    before = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = database_url
    try:
        assert db_main(list(args)) == 0
    finally:
        if before is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = before


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    """A demo database, one replica, nginx with TLS in front; the folders a server would have."""
    if shutil.which("nginx") is None:
        unavailable("nginx (Debian package nginx-light)")
    folder = tmp_path_factory.mktemp("deploy")
    os.chmod(folder, 0o755)  # nginx's workers run as an unprivileged user
    database = folder / "review.db"
    url = f"sqlite:///{database}"
    run_db("init", database_url=url)
    run_db("demo", "--years", str(office_today().year), "--votes-per-year", "10", database_url=url)
    private = folder / "private"
    private.mkdir(mode=0o700)
    shutil.move(folder / "review-demo-invitations.csv", private / "invitations.csv")
    backups = folder / "backups"
    backups.mkdir(mode=0o700)
    engine = make_engine(url)
    backup_into(engine, backups)
    engine.dispose()
    cert, key = self_signed(folder)
    app = AppServer(url, folder / "app.log", TRUST_PROXY="1", **SALTS).start()
    http_port, https_port = free_port(), free_port()
    conf = folder / "nginx.conf"
    conf.write_text(nginx.in_folder(nginx.render(cert=cert, key=key, ports=[app.port], server_name="localhost",
                                                 http_listen=f"127.0.0.1:{http_port}",
                                                 https_listen=f"127.0.0.1:{https_port}"), folder), encoding="utf-8")
    proxy = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                             stderr=subprocess.PIPE, start_new_session=True)
    try:
        context = ssl.create_default_context(cafile=str(cert))
        for _ in range(100):
            try:
                get(f"https://localhost:{https_port}/_stcore/health", context)
                break
            except OSError:
                if proxy.poll() is not None:
                    pytest.fail(f"nginx did not start: {proxy.stderr.read().decode()}")
                time.sleep(0.1)
        yield {"folder": folder, "url": url, "cert": cert, "context": context, "http_port": http_port,
               "https": f"https://localhost:{https_port}", "backups": backups, "private": private}
    finally:
        proxy.terminate()
        proxy.wait(15)
        app.stop()


def get(url: str, context: ssl.SSLContext | None = None, headers: dict | None = None) -> http.client.HTTPResponse:
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    name, port = host.rsplit(":", 1)
    connection = http.client.HTTPSConnection(name, int(port), context=context, timeout=10) if scheme == "https" \
        else http.client.HTTPConnection(name, int(port), timeout=10)
    connection.request("GET", "/" + path, headers=headers or {})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


def test_plain_http_is_redirected_and_https_sends_hsts_and_secure_cookies(front):
    plain = get(f"http://127.0.0.1:{front['http_port']}/poll?unit=es01")
    https_port = front["https"].rsplit(":", 1)[1]
    assert plain.status == 301
    assert plain.getheader("Location") == f"https://127.0.0.1:{https_port}/poll?unit=es01"
    health = get(f"{front['https']}/_stcore/health", front["context"])
    assert health.status == 200
    assert health.getheader("Strict-Transport-Security") == "max-age=31536000"
    page = get(f"{front['https']}/", front["context"])
    replica_cookie = [c for c in page.headers.get_all("Set-Cookie") if c.startswith("review_replica=")]
    assert replica_cookie and "; Secure" in replica_cookie[0]
    assert page.getheader("Strict-Transport-Security") == "max-age=31536000"
    # The app's own session cookie: Secure because the replica trusts the proxy's X-Forwarded-Proto.
    cleared = get(f"{front['https']}/_review/session?end=1", front["context"], {"Sec-Fetch-Site": "same-origin"})
    session_cookie = [c for c in cleared.headers.get_all("Set-Cookie") if c.startswith("review_session=")]
    assert session_cookie and "secure" in session_cookie[0].lower()


def test_the_plain_config_for_tests_has_no_tls_and_sets_no_secure_cookie():
    text = nginx.plain(nginx.shipped())
    assert "ssl" not in text and "return 301" not in text and "proxy_cookie_flags" not in text
    assert "listen 80;" in text


def test_install_service_writes_units_that_systemd_accepts_and_keeps_the_salts(tmp_path):
    if shutil.which("systemd-analyze") is None:
        unavailable("systemd-analyze (Debian package systemd)")
    cert, key = self_signed(tmp_path)
    destdir = tmp_path / "root"
    command = [str(ROOT / "deploy" / "install-service.sh"), "--database-url", "postgresql://review:pw@127.0.0.1/review",
               "--server-name", "review.example.gov.cn", "--cert", str(cert), "--key", str(key), "--replicas", "2"]
    done = subprocess.run(command, env=dict(os.environ, DESTDIR=str(destdir)), capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    env_file = destdir / "etc" / "review" / "review.env"
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    first = env_file.read_text()
    salts = re.findall(r"^(?:POLL|NETWORK)_SALT=([0-9a-f]{64})$", first, re.M)
    assert len(set(salts)) == 2 and "TRUST_PROXY=1" in first
    again = subprocess.run(command, env=dict(os.environ, DESTDIR=str(destdir)), capture_output=True, text=True,
                           check=False, timeout=120)
    assert again.returncode == 0 and env_file.read_text() == first  # never new salts in the middle of a year
    units = destdir / "etc" / "systemd" / "system"
    assert f"ExecStart={ROOT}/.venv/bin/python -m ui.serve" in (units / "review@.service").read_text()
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(units / name) for name in UNITS)],
                              capture_output=True, text=True, check=False, timeout=120)
    assert verified.returncode == 0 and verified.stderr.strip() == "", verified.stderr
    conf = (destdir / "etc" / "review" / "nginx.conf").read_text()
    assert f"ssl_certificate     {cert};" in conf and "server 127.0.0.1:8502" in conf
    (tmp_path / "t.conf").write_text(nginx.in_folder(conf, tmp_path))
    tested = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "t.conf")], capture_output=True, text=True,
                            check=False)
    assert tested.returncode == 0, tested.stderr


# --- python -m db doctor -------------------------------------------------------------------------------------------

def setup(front, folder: Path, **changes: str) -> Path:
    """A server's /etc/review in `folder`: the good settings, with `changes` (a value None removes the line)."""
    etc = folder / "etc"
    etc.mkdir()
    values = {"DATABASE_URL": front["url"], **SALTS, "TRUST_PROXY": "1", "APP_BASE_URL": front["https"],
              "BACKUP_DIR": str(front["backups"]), "INVITATIONS_DIR": str(front["private"]), **changes}
    env_file = etc / "review.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items() if v is not None))
    env_file.chmod(0o600)
    return env_file


def doctor(front, env_file: Path, capsys, *extra: str) -> tuple[int, set[str], str]:
    code = db_main(["doctor", "--env-file", str(env_file), "--ca-file", str(front["cert"]), *extra])
    out = capsys.readouterr().out
    faults = {line.split()[1].rstrip(":") for line in out.splitlines() if line.startswith("FAULT")}
    return code, faults, out


def test_doctor_passes_a_good_set_up(front, tmp_path, capsys):
    code, faults, out = doctor(front, setup(front, tmp_path), capsys)
    assert (code, faults) == (0, set()), out
    checks = {line.split()[1].rstrip(":") for line in out.splitlines() if line.startswith("ok")}
    assert checks == {"env-file", "salts", "proxy", "https", "database", "backup", "disk", "clock", "campaign",
                      "invitations"}
    assert out.rstrip().endswith("no faults: ready")


def test_doctor_names_salts_that_differ_between_replicas(front, tmp_path, capsys):
    env_file = setup(front, tmp_path)
    (env_file.parent / "replica-8501.env").write_text("")
    (env_file.parent / "replica-8502.env").write_text(f"NETWORK_SALT={'m' * 64}\n")
    for path in env_file.parent.glob("replica-*"):
        path.chmod(0o600)
    code, faults, out = doctor(front, env_file, capsys)
    assert (code, faults) == (1, {"salts"}), out
    assert "NETWORK_SALT differs between replicas 8501, 8502" in out


def test_doctor_names_a_trust_proxy_that_does_not_match_nginx(front, tmp_path, capsys):
    code, faults, out = doctor(front, setup(front, tmp_path, TRUST_PROXY="0"), capsys)
    assert (code, faults) == (1, {"proxy"}), out


def test_doctor_names_plain_http_in_front(front, tmp_path, capsys):
    code, faults, out = doctor(front, setup(front, tmp_path, APP_BASE_URL=f"http://127.0.0.1:{front['http_port']}"),
                               capsys)
    assert (code, faults) == (1, {"https"}), out


def test_doctor_names_a_stale_backup_and_one_that_does_not_restore(front, tmp_path, capsys):
    stale = tmp_path / "stale"
    stale.mkdir()
    newest = sorted(front["backups"].iterdir())[-1]
    shutil.copy(newest, stale / backup_name(datetime.now(UTC) - timedelta(days=3), "db"))
    code, faults, out = doctor(front, setup(front, tmp_path, BACKUP_DIR=str(stale)), capsys)
    assert (code, faults) == (1, {"backup"}), out
    assert "72 hours old" in out
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / backup_name(datetime.now(UTC), "db")).write_bytes(newest.read_bytes()[:5000])
    code, faults, out = doctor(front, tmp_path / "etc" / "review.env", capsys, "--backups", str(broken))
    assert (code, faults) == (1, {"backup"}), out
    assert "does not restore" in out


def test_doctor_names_an_invitation_list_others_can_read(front, tmp_path, capsys):
    private = tmp_path / "private"
    shutil.copytree(front["private"], private)
    (private / "invitations.csv").chmod(0o644)
    code, faults, out = doctor(front, setup(front, tmp_path, INVITATIONS_DIR=str(private)), capsys)
    assert (code, faults) == (1, {"invitations"}), out
    assert "invitations.csv is mode 644" in out


def test_doctor_names_a_database_without_draw_or_migration(front, tmp_path, capsys):
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    run_db("init", database_url=fresh)
    code, faults, out = doctor(front, setup(front, tmp_path, DATABASE_URL=fresh), capsys)
    # The backup in the folder is of the demo database: it restores, so only the campaign is named.
    assert (code, faults) == (1, {"campaign"}), out
    assert "no draw yet" in out
    engine = make_engine(fresh)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0013'")
    engine.dispose()
    code, faults, out = doctor(front, tmp_path / "etc" / "review.env", capsys)
    assert "database" in faults and "the code needs" in out


# --- the restore check of the backup timer ---------------------------------------------------------------------

def scratch_databases(engine) -> list[str]:
    if engine.url.get_backend_name() == "sqlite":
        return []
    with engine.connect() as connection:
        return connection.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                                  {"prefix": "review_restore_check_%"}).scalars().all()


def test_restore_check_counts_a_scratch_copy_and_leaves_the_database_alone(engine, tmp_path):
    from db.access import cli_actor
    from db.backup import check_restore, rows_held
    from db.bootstrap import init_database
    from db.migrate import head

    init_database(engine, actor=cli_actor())
    held = rows_held(engine)
    path, removed = backup_into(engine, tmp_path)
    assert removed == [] and path.parent == tmp_path
    checked = check_restore(engine, path)
    assert (checked.rows, checked.revision) == (held, head()) and checked.tables > 30
    assert rows_held(engine) == held and scratch_databases(engine) == []
    damaged = tmp_path / backup_name(datetime.now(UTC) + timedelta(seconds=1), path.suffix.lstrip("."))
    damaged.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(UserError) as refused:
        check_restore(engine, damaged)
    assert refused.value.key in {"backup.not_a_backup", "backup.restore_failed"}
    assert rows_held(engine) == held and scratch_databases(engine) == []
