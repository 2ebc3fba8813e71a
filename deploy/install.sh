#!/usr/bin/env bash
# Install the review from this folder without any network access (the archive of `make offline-bundle`):
#   ./install.sh          then   make run        (or, as a service: sudo deploy/install-service.sh ...)
# Needs Debian's python3 (3.11, with python3-venv), make, and for the documents a Simplified-Chinese font:
# fonts-noto-cjk, else the faces in fonts/ are installed. PostgreSQL, nginx and chromium are system packages
# (README, "Running it in an office").
set -euo pipefail
cd "$(dirname "$0")"

arch=$(uname -m)
case "$arch" in
  x86_64) wheels=wheels/x86_64 ;;
  aarch64|arm64) wheels=wheels/aarch64 ;;
  *) echo "no wheels for $arch in this archive (x86_64, aarch64)" >&2; exit 1 ;;
esac
if [ ! -d "$wheels" ]; then
  echo "this archive has no wheels for $arch:" >&2
  cat wheels/aarch64-missing.txt >&2 2>/dev/null || true
  exit 1
fi
python=${PYTHON:-python3}
want=$(cat wheels/PYTHON_VERSION)
have=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
if [ "$have" != "$want" ]; then
  echo "the wheels are for Python $want; $python is $have (set PYTHON=/path/to/python$want)" >&2
  exit 1
fi
"$python" -c 'import ensurepip' 2>/dev/null || { echo "python3-venv is missing (Debian package python3-venv)" >&2; exit 1; }

echo "== virtual environment .venv from $wheels (no network)"
rm -rf .venv
"$python" -m venv .venv
# Only this folder's wheels: no index, and no pip.conf of the machine (a mirror, a constraints file).
PIP_CONFIG_FILE=/dev/null .venv/bin/python -m pip install --quiet --no-index --find-links "$wheels" \
  --requirement requirements.txt
# `make run` reinstalls only when requirements.txt is newer than this mark: never, here.
touch .venv/.app

echo "== fonts"
have_cjk() {
  for f in /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf; do
    [ -f "$f" ] && return 0
  done
  command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh-cn file 2>/dev/null)" ]
}
if have_cjk; then
  echo "a Simplified-Chinese font is installed"
elif [ "$(id -u)" = 0 ]; then
  install -d /usr/share/fonts/opentype/noto
  install -m 644 fonts/*.otf /usr/share/fonts/opentype/noto/
  command -v fc-cache >/dev/null && fc-cache -f >/dev/null || true
  echo "installed fonts/*.otf into /usr/share/fonts/opentype/noto"
else
  echo "no Simplified-Chinese font: run ./install.sh as root once, or install fonts-noto-cjk" >&2
  exit 1
fi

echo "== done: .venv ready. Next: make run (demo on http://localhost:8501), or DEMO=0 make run on a real server"
