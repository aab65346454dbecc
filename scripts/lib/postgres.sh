# A throw-away PostgreSQL 15 server for the integration tests: a fresh data directory in a temp
# dir, listening on 127.0.0.1 on a free port and on a unix socket in the temp dir.
# Source services.sh first (for ki_free_port), then this file; call start_postgres, and
# `trap 'stop_postgres; stop_services' EXIT` so that it stops even on failure.
#
# Exports:
#   KI_POSTGRES_URL    postgresql://kinesis_test:<password>@127.0.0.1:PORT/kinesis_test
#                      (a role with a password, so tests can check it never shows up in output;
#                      TCP connections need the password, the unix socket is trust-only)
#   KI_POSTGRES_PGCTL  the pg_ctl binary, and KI_POSTGRES_DATA the data directory: for the test
#                      that stops the server in the middle of a run and starts it again (run
#                      pg_ctl as the owner of KI_POSTGRES_DATA; when root, that is `postgres`)
#   KI_POSTGRES_SOCKET_DIR  the unix socket directory (superuser `postgres`, trust)
#
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user that
# Debian's postgresql package creates; as anyone else, as that user.

KI_POSTGRES_DIR="${KI_POSTGRES_DIR:-}"

# The newest installed server binaries (Debian: /usr/lib/postgresql/<major>/bin), 15 preferred.
ki_postgres_bin() {
  if [ -n "${KI_POSTGRES_BIN:-}" ]; then echo "$KI_POSTGRES_BIN"; return; fi
  if [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then echo /usr/lib/postgresql/15/bin; return; fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$d" ]; then
    echo "postgres: no PostgreSQL server found under /usr/lib/postgresql (run scripts/bootstrap)" >&2
    return 1
  fi
  echo "$d"
}

# ki_postgres_as_owner CMD ARGS...: runs a command as the server's OS user.
ki_postgres_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local quoted
    quoted="$(printf '%q ' "$@")"
    su postgres -s /bin/sh -c "$quoted"
  else
    "$@"
  fi
}

start_postgres() {
  if [ -n "$KI_POSTGRES_DIR" ] && [ -d "$KI_POSTGRES_DIR/data" ]; then
    echo "services: PostgreSQL already running (data in $KI_POSTGRES_DIR/data)" >&2
    return 0
  fi
  local bin port dir
  bin="$(ki_postgres_bin)" || return 1
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "postgres: running as root but there is no 'postgres' user (install the postgresql package)" >&2
    return 1
  fi
  port="$(ki_free_port)"
  dir="$(mktemp -d /tmp/kinesis-import-pg.XXXXXX)"
  KI_POSTGRES_DIR="$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  chmod 700 "$dir"

  if ! ki_postgres_as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
    echo "postgres: initdb failed; its log:" >&2; cat "$dir/initdb.log" >&2; return 1
  fi
  # Settings live in postgresql.conf so that a plain `pg_ctl start -D` (the restart test) gets them.
  # fsync=off: the tests crash the server process, never the machine, so WAL in the page cache is
  # enough and commits stay fast.
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
max_connections = 200
EOF
  if ! ki_postgres_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
      >/dev/null; then
    echo "postgres: the server did not start; its log:" >&2; cat "$dir/postgres.log" >&2; return 1
  fi
  if ! "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
      -c "CREATE ROLE kinesis_test LOGIN PASSWORD 'pg-secret-do-not-print'" \
      -c "CREATE DATABASE kinesis_test OWNER kinesis_test" >"$dir/setup.log" 2>&1; then
    echo "postgres: creating the test role and database failed:" >&2; cat "$dir/setup.log" >&2
    return 1
  fi
  export KI_POSTGRES_URL="postgresql://kinesis_test:pg-secret-do-not-print@127.0.0.1:$port/kinesis_test"
  export KI_POSTGRES_PGCTL="$bin/pg_ctl"
  export KI_POSTGRES_DATA="$dir/data"
  export KI_POSTGRES_SOCKET_DIR="$dir"
  echo "services: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir/data)" >&2
}

# Stops the server started by start_postgres (fast shutdown, immediate if that fails) and removes
# its temp dir. Safe to call twice, or when start_postgres never ran.
stop_postgres() {
  local dir="$KI_POSTGRES_DIR"
  if [ -z "$dir" ]; then return 0; fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bin
    bin="$(ki_postgres_bin 2>/dev/null)" || bin="$(dirname "${KI_POSTGRES_PGCTL:-/nonexistent/pg_ctl}")"
    ki_postgres_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      ki_postgres_as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
      true
  fi
  rm -rf "$dir"
  KI_POSTGRES_DIR=""
  unset KI_POSTGRES_URL KI_POSTGRES_PGCTL KI_POSTGRES_DATA KI_POSTGRES_SOCKET_DIR
  return 0
}
