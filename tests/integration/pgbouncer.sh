#!/usr/bin/env bash
# The integration tests (tests/integration) through a real PgBouncer in transaction pooling
# mode, with DATABASE_PGBOUNCER_TRANSACTION_MODE=1: every query the app, its Celery workers
# and its sweeps make (.iterator() included) goes through a pool that hands each
# transaction whichever server connection is free.
#
#   tests/integration/pgbouncer.sh [pytest arguments, e.g. a test file; default tests/integration]
#
# Leaves out test_database_restart.py: it cuts the app's own server connection by its pid,
# which PgBouncer hides (and a restart behind PgBouncer is PgBouncer's to absorb).
# Starts pgbouncer (Debian's package) on a free port in front of PostgreSQL at
# 127.0.0.1:5432, runs pytest against it with the services required, then stops it and
# drops the test databases it made. Needs Redis at REDIS_URL (default db 0).
set -euo pipefail
cd "$(dirname "$0")/../.."

PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}
NAME=${PGBOUNCER_DATABASE:-waymark_pgbouncer}
PYTHON=${PYTHON:-.venv/bin/python}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

work=$(mktemp -d)
chmod 777 "$work"  # pgbouncer runs as postgres when started by root
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$work/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432 user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
; PostgreSQL here trusts local connections: every pool logs in as postgres.
auth_type = any
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
INI

drop_test_databases() {
  psql -h 127.0.0.1 -p 5432 -U postgres -tAc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'test_${NAME}%'" |
    while read -r database; do
      [ -n "$database" ] && dropdb -h 127.0.0.1 -p 5432 -U postgres --force "$database"
    done
}

stop_pgbouncer() {
  if [ -f "$work/pgbouncer.pid" ]; then
    kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null || true
    sleep 0.5
  fi
  drop_test_databases || true
  rm -rf "$work"
}
trap stop_pgbouncer EXIT

drop_test_databases
as_user=()
[ "$(id -u)" = 0 ] && as_user=(-u postgres)
"$PGBOUNCER" -d "${as_user[@]}" "$work/pgbouncer.ini"
for _ in $(seq 50); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.1
done
echo "PgBouncer (transaction pooling) on 127.0.0.1:$port"

# --reuse-db: pytest-django leaves its test database for this script to drop, because
# PgBouncer still holds server connections to it when pytest would.
# TEST_POSTGRES_DIRECT: PostgreSQL's own address, for the restore drill's pg_dump and
# pg_restore (never run through a transaction pool: they set session state).
DATABASE_URL="postgres://postgres@127.0.0.1:$port/$NAME" \
  TEST_POSTGRES_DIRECT=127.0.0.1:5432 \
  DATABASE_PGBOUNCER_TRANSACTION_MODE=1 \
  WAYMARK_REQUIRE_SERVICES=1 \
  DEBUG=1 \
  "$PYTHON" -m pytest --reuse-db -n "${TEST_WORKERS:-2}" \
  --ignore tests/integration/test_database_restart.py "${@:-tests/integration}"
