#!/usr/bin/env bash
# Sourced by scripts/test.sh (and CI). Makes a PostgreSQL server available to the database tests and exports
# PLATFORM_TEST_POSTGRES (a connection string; each test creates and drops its own database on it):
#   1. PLATFORM_TEST_POSTGRES already set: use that server.
#   2. Otherwise: Debian's PostgreSQL (installed with apt if missing), a throwaway cluster in
#      ${PLATFORM_PG_DIR:-/tmp/platform-postgres} on port ${PLATFORM_PG_PORT:-55432}, trust auth for user "platform",
#      listening on 127.0.0.1 only. Stop it with: pg_ctl -D /tmp/platform-postgres stop (as the postgres user).
ensure_postgres() {
  if [ -n "${PLATFORM_TEST_POSTGRES:-}" ]; then
    echo "postgres: using PLATFORM_TEST_POSTGRES"
    return 0
  fi
  local port=${PLATFORM_PG_PORT:-55432} dir=${PLATFORM_PG_DIR:-/tmp/platform-postgres}
  local sudo="" as_pg=()
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres: installing Debian's postgresql"
    bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" postgresql \
      || { echo "postgres: could not install postgresql" >&2; return 1; }
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  # The server refuses to run as root: run it as the postgres user then.
  if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --)
  elif [ -n "$sudo" ] && id postgres >/dev/null 2>&1; then as_pg=($sudo -u postgres)
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir" && { [ ${#as_pg[@]} -eq 0 ] || $sudo chown postgres "$dir"; }
    "${as_pg[@]}" "$bin/initdb" -D "$dir" -A trust -U platform >/dev/null \
      || { echo "postgres: initdb failed in $dir" >&2; return 1; }
  fi
  if ! "${as_pg[@]}" "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    echo "postgres: starting PostgreSQL on 127.0.0.1:$port ($dir)"
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "-p $port -k $dir -h 127.0.0.1" -w start \
      >/dev/null || { echo "postgres: the server did not start" >&2; tail -n 20 "$dir/server.log" >&2; return 1; }
  fi
  export PLATFORM_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=platform;Database=postgres"
  echo "postgres: local server at 127.0.0.1:$port"
}
