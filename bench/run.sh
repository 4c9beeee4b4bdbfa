#!/usr/bin/env bash
# Runs the benchmark suite with its PostgreSQL baseline (P4): installs Debian's
# postgresql if it is missing, starts a throw-away server on a Unix socket in /tmp,
# runs the suite and stops the server. Sizes default to 10k and 100k; the full run:
#   SIZES=10000,100000,1000000 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-10000,100000}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ]; then
  echo "bench: installing postgresql" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
PGDATA=$(mktemp -d /tmp/arkeep-bench-pg.XXXXXX)
chown postgres "$PGDATA"
PORT=54329
su postgres -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres >/dev/null"
su postgres -c "$PGBIN/pg_ctl -D $PGDATA -o '-p $PORT -k /tmp -c listen_addresses=' -l $PGDATA/log -w start >/dev/null"
trap 'su postgres -c "$PGBIN/pg_ctl -D $PGDATA -m fast stop >/dev/null"; rm -rf "$PGDATA"' EXIT
go run ./bench/suite -sizes "$SIZES" -psql "psql -h /tmp -p $PORT -U postgres -d postgres"
