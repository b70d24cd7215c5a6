#!/usr/bin/env bash
# Provisions what a real multi-service Temporal cluster on PostgreSQL needs (scripts/cluster/):
#   - temporal-server and its SQL schema tool, built with `go install` at the server version the CLI
#     in .tools/ embeds (v1.29.1), with the PostgreSQL schema files of that same version;
#   - PostgreSQL 15 (the Debian package), installed with apt-get when missing.
# Everything lands in .tools/temporal-server-<version>/ (ignored by git) and is reused when there, so a
# second run takes well under a second. Overrides: WA_TEMPORAL_SERVER_BIN, WA_TEMPORAL_SQL_TOOL_BIN,
# WA_TEMPORAL_SCHEMA_DIR (a folder holding postgresql/v12/{temporal,visibility}/versioned),
# WA_CLUSTER_TOOLS_DIR (where to build; the benchmark points it at an empty folder), WA_PG_BIN_DIR.
set -euo pipefail

SERVER_VERSION=v1.29.1   # the server inside CLI v1.5.1 (`temporal --version`); its go.mod has no `replace`
PG_MAJOR=15

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${WA_CLUSTER_TOOLS_DIR:-"$root/.tools/temporal-server-${SERVER_VERSION#v}"}
pg_bin=${WA_PG_BIN_DIR:-/usr/lib/postgresql/$PG_MAJOR/bin}

have_overrides() {
  [ -n "${WA_TEMPORAL_SERVER_BIN:-}" ] && [ -n "${WA_TEMPORAL_SQL_TOOL_BIN:-}" ] && [ -n "${WA_TEMPORAL_SCHEMA_DIR:-}" ]
}

provision_server() {
  if have_overrides; then echo "temporal-server: $WA_TEMPORAL_SERVER_BIN (WA_TEMPORAL_SERVER_BIN)"; return; fi
  if [ -x "$dest/temporal-server" ] && [ -x "$dest/temporal-sql-tool" ] && [ -d "$dest/schema/postgresql/v12" ]; then
    echo "temporal-server: $dest (cached)"; return
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "temporal-server: no Go here, cannot build it (set WA_TEMPORAL_SERVER_BIN, WA_TEMPORAL_SQL_TOOL_BIN and WA_TEMPORAL_SCHEMA_DIR)" >&2
    return 1
  fi
  echo "temporal-server: building go.temporal.io/server $SERVER_VERSION with go install (minutes on a cold cache)"
  local start=$SECONDS tmp mod_dir
  mkdir -p "$(dirname "$dest")"
  # A private build folder: two provisioning runs at once (parallel test commands) must not collide.
  tmp=$(mktemp -d "$dest.tmp.XXXXXX") && chmod 755 "$tmp"
  # Both packages come from the one module at one version, so a single go install builds them together.
  # Pure Go (the SQLite plugin is modernc.org/sqlite), hence CGO_ENABLED=0.
  (cd "$tmp" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN="$tmp/bin" go install -trimpath -ldflags "-s -w" \
    "go.temporal.io/server/cmd/server@$SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION")
  mv "$tmp/bin/server" "$tmp/temporal-server" && mv "$tmp/bin/sql" "$tmp/temporal-sql-tool" && rmdir "$tmp/bin"
  # The schema files of the same version, from the module the build just downloaded.
  mod_dir=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "go.temporal.io/server@$SERVER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$mod_dir/schema/postgresql/v12" ] || { echo "temporal-server: no schema in '$mod_dir'" >&2; return 1; }
  mkdir -p "$tmp/schema/postgresql"
  cp -R "$mod_dir/schema/postgresql/v12" "$tmp/schema/postgresql/"
  chmod -R u+w "$tmp/schema" # the module cache is read-only; keep the copy removable
  if [ -x "$dest/temporal-server" ]; then rm -rf "$tmp"; else rm -rf "$dest" && mv "$tmp" "$dest"; fi
  echo "temporal-server: built in $((SECONDS - start)) s: $("$dest/temporal-server" --version)"
}

provision_postgres() {
  if [ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/postgres" ]; then echo "postgresql: $pg_bin (installed)"; return; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "postgresql: $pg_bin/initdb missing; install PostgreSQL $PG_MAJOR (or set WA_PG_BIN_DIR)" >&2
    return 1
  fi
  echo "postgresql: installing postgresql-$PG_MAJOR with apt-get"
  local start=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "postgresql-$PG_MAJOR" >/dev/null
  [ -x "$pg_bin/initdb" ] || { echo "postgresql: still no $pg_bin/initdb after the install" >&2; return 1; }
  echo "postgresql: installed in $((SECONDS - start)) s"
}

provision_postgres
provision_server
