"""`python -m deploy.nginx`: deploy/nginx.conf as a server runs it, with the office's settings filled in.

The shipped file is the production front; the lines marked `# https` carry TLS, the redirect of plain
HTTP and the Secure flag of upstream cookies. `render` fills in the certificate, the server's name, the
ports and the replicas; `plain` leaves the https lines out (the tests and `make serve-replicas` on
loopback, where no certificate exists).

    python -m deploy.nginx --cert /etc/review/tls/review.crt --key /etc/review/tls/review.key \\
        --server-name review.example.gov.cn --replicas 2 --out /etc/review/nginx.conf
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "nginx.conf"
HTTPS_MARK = "# https"
FIRST_PORT = 8501


def shipped() -> str:
    return CONFIG.read_text(encoding="utf-8")


def plain(text: str) -> str:
    """The config without its https lines: plain HTTP only."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.rstrip().endswith(HTTPS_MARK))


def with_upstreams(text: str, ports: list[int]) -> str:
    """The upstream block naming exactly these loopback ports."""
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in ports)
    return re.sub(r"(\s+server 127\.0\.0\.1:\d+ [^\n]*\n)+", "\n" + servers + "\n", text)


def in_folder(text: str, folder: Path) -> str:
    """The pid file and both logs in `folder` (a test's or `make serve-replicas`'s temporary folder)."""
    text = text.replace("pid /run/nginx-review.pid;", f"pid {folder}/nginx.pid;")
    text = text.replace("/var/log/nginx/review-error.log", f"{folder}/error.log")
    return text.replace("/var/log/nginx/review-access.log", f"{folder}/access.log")


def render(*, cert: Path, key: Path, ports: list[int], server_name: str = "_", http_listen: str = "80",
           https_listen: str = "443", text: str | None = None) -> str:
    """The production front with these settings. A port other than 443 is kept in the redirect's address."""
    text = with_upstreams(shipped() if text is None else text, ports)
    text = text.replace("ssl_certificate     /etc/review/tls/review.crt;", f"ssl_certificate     {cert};")
    text = text.replace("ssl_certificate_key /etc/review/tls/review.key;", f"ssl_certificate_key {key};")
    text = text.replace("server_name _;", f"server_name {server_name};")
    text = text.replace("listen 80;", f"listen {http_listen};")
    text = text.replace("listen 443 ssl http2;", f"listen {https_listen} ssl http2;")
    https_port = https_listen.rsplit(":", 1)[-1]
    if https_port != "443":
        text = text.replace("return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;")
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.nginx", description=__doc__.split("\n")[0])
    parser.add_argument("--cert", required=True, help="the certificate, full chain (PEM)")
    parser.add_argument("--key", required=True, help="its private key (PEM; readable by root only)")
    parser.add_argument("--server-name", default="_", help="the server's DNS name (default: any)")
    parser.add_argument("--replicas", type=int, default=2, help=f"replicas on ports {FIRST_PORT}, {FIRST_PORT + 1}, "
                        "... (default 2; as many as review@PORT instances)")
    parser.add_argument("--out", help="write here (default: standard output)")
    args = parser.parse_args(argv)
    for path in (args.cert, args.key):
        if not Path(path).is_file():
            print(f"no file at {path}", file=sys.stderr)
            return 1
    text = render(cert=Path(args.cert), key=Path(args.key), server_name=args.server_name,
                  ports=[FIRST_PORT + k for k in range(args.replicas)])
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
