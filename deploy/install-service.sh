#!/usr/bin/env bash
# Run the review as a service on this server (as root, in the folder ./install.sh prepared):
#
#   sudo deploy/install-service.sh --database-url postgresql://review:PASSWORD@127.0.0.1/review \
#        --server-name review.example.gov.cn --cert /etc/review/tls/review.crt --key /etc/review/tls/review.key
#
# - the system account `review` (no shell, no password), its folders /var/lib/review (private/: the
#   invitation lists) and /var/backups/review, all mode 700;
# - /etc/review/review.env (root, 600): DATABASE_URL, new POLL_SALT and NETWORK_SALT, TRUST_PROXY=1, the public
#   address and the folders. An existing file is kept as it is: new salts in the middle of a year would stop
#   every replica from recognising the votes and sign-ins counted before;
# - /etc/review/nginx.conf (python -m deploy.nginx) and the units of deploy/systemd with this folder's path;
# - systemctl: Debian's own nginx off, review@PORT for each replica, review-nginx, the backup and erasure timers.
#
# DESTDIR=/some/folder installs the files under that folder instead of / and touches neither accounts nor
# systemd (tests/test_deploy.py).
set -euo pipefail
app=$(cd "$(dirname "$0")/.." && pwd)
destdir=${DESTDIR:-}
database_url="" server_name="" cert="" key="" replicas=2

usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --database-url) database_url=$2; shift 2 ;;
    --server-name) server_name=$2; shift 2 ;;
    --cert) cert=$2; shift 2 ;;
    --key) key=$2; shift 2 ;;
    --replicas) replicas=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$database_url" ] && [ -n "$server_name" ] && [ -n "$cert" ] && [ -n "$key" ] || usage
case "$replicas" in ''|*[!0-9]*|0) echo "--replicas: a whole number of at least 1" >&2; exit 2 ;; esac
for file in "$cert" "$key"; do
  [ -f "$file" ] || { echo "no file at $file" >&2; exit 1; }
done
python="$app/.venv/bin/python"
[ -x "$python" ] || { echo "run ./install.sh in $app first" >&2; exit 1; }

if [ -z "$destdir" ]; then
  [ "$(id -u)" = 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
  id review >/dev/null 2>&1 || useradd --system --home-dir /var/lib/review --shell /usr/sbin/nologin review
  owner=review
else
  owner=$(id -un)
fi
install -d -m 700 -o "$owner" "$destdir/var/lib/review" "$destdir/var/lib/review/private" "$destdir/var/backups/review"
install -d -m 700 -o "$owner" "$app/data"
install -d -m 755 "$destdir/etc/review" "$destdir/etc/systemd/system"

env_file="$destdir/etc/review/review.env"
if [ -e "$env_file" ]; then
  echo "kept $env_file as it is (its salts must not change during a year)"
else
  salt() { "$python" -c 'import secrets; print(secrets.token_hex(32))'; }
  (
    umask 077
    cat > "$env_file.new" <<ENV
# The review's settings, read by every review@PORT replica and the timers (deploy/systemd). Root's alone.
# POLL_SALT and NETWORK_SALT key the hashes of voters' networks and devices: equal in every replica, never
# changed during a year, never shown to anyone. DATABASE_URL holds the database password.
DATABASE_URL=$database_url
POLL_SALT=$(salt)
NETWORK_SALT=$(salt)
# One reverse proxy (nginx) appends the client's address to X-Forwarded-For.
TRUST_PROXY=1
APP_BASE_URL=https://$server_name
BACKUP_DIR=/var/backups/review
INVITATIONS_DIR=/var/lib/review/private
ENV
  )
  chown root: "$env_file.new" 2>/dev/null || true
  chmod 600 "$env_file.new"
  mv "$env_file.new" "$env_file"
  echo "wrote $env_file with new salts (root, mode 600)"
fi

"$python" -m deploy.nginx --cert "$cert" --key "$key" --server-name "$server_name" --replicas "$replicas" \
  --out "$destdir/etc/review/nginx.conf"
for unit in "$app"/deploy/systemd/*; do
  sed "s#/opt/review#$app#g" "$unit" > "$destdir/etc/systemd/system/$(basename "$unit")"
done
echo "installed /etc/review/nginx.conf and the units review@.service, review-nginx.service, review.target,"
echo "review-backup.{service,timer}, review-erase-phones.{service,timer}"

ports=""
for k in $(seq 0 $((replicas - 1))); do ports="$ports review@$((8501 + k)).service"; done
if [ -z "$destdir" ]; then
  chown -R review: "$app/data"
  systemctl daemon-reload
  systemctl disable --now nginx.service 2>/dev/null || true
  # shellcheck disable=SC2086
  systemctl enable --now review.target review-nginx.service $ports review-backup.timer review-erase-phones.timer
  echo "started:$ports, review-nginx; timers: review-backup (02:30), review-erase-phones (03:15)"
  echo "next: sudo $python -m db doctor"
else
  echo "DESTDIR set: no account, no systemctl; would enable review.target review-nginx.service$ports" \
       "review-backup.timer review-erase-phones.timer"
fi
