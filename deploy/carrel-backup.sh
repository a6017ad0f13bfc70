#!/bin/sh
# Nightly backup of a running Carrel server (deploy/carrel-backup.timer runs it):
#
#   carrel-backup.sh [DATA_DIR] [BACKUP_DIR] [KEEP_DAYS]
#   defaults:        /var/lib/carrel /var/backups/carrel 14
#
# Each run makes BACKUP_DIR/<UTC time>/ with a consistent copy of each SQLite file of the data
# folder (VACUUM INTO: one read transaction, so the copy is one moment of the database, made
# while desks keep pushing), checked with PRAGMA integrity_check; with DATABASE_URL set
# (PostgreSQL: the server keeps everything in the database) a pg_dump in custom format. The folder is named only when everything in it
# is complete and checked, so a half-made backup is never mistaken for a good one. Backups
# older than KEEP_DAYS days are removed after a successful run, never after a failed one.
set -eu

data=${1:-/var/lib/carrel}
dest=${2:-/var/backups/carrel}
keep=${3:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
partial="$dest/.$stamp.partial"

mkdir -p "$dest"
rm -rf "$partial"
mkdir -m 0700 "$partial"
trap 'rm -rf "$partial"' EXIT

copied=0
for file in consortium.sqlite desks.sqlite; do
  [ -f "$data/$file" ] || continue
  # .timeout: wait for a moment's lock (a checkpoint) instead of failing at once.
  sqlite3 -cmd '.timeout 10000' "$data/$file" "VACUUM INTO '$partial/$file'"
  check=$(sqlite3 "$partial/$file" 'PRAGMA integrity_check')
  if [ "$check" != ok ]; then
    echo "carrel-backup: the copy of $file failed its integrity check: $check" >&2
    exit 1
  fi
  copied=$((copied + 1))
done
if [ -n "${DATABASE_URL:-}" ]; then
  pg_dump --format=custom --file="$partial/carrel.dump" "$DATABASE_URL"
  copied=$((copied + 1))
fi
if [ "$copied" -eq 0 ]; then
  echo "carrel-backup: no database files in $data and no DATABASE_URL" >&2
  exit 1
fi

mv "$partial" "$dest/$stamp"
trap - EXIT
echo "carrel-backup: $dest/$stamp"

find "$dest" -mindepth 1 -maxdepth 1 -type d -name '20*Z' -mtime "+$keep" -exec rm -rf {} +
