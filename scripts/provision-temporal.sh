#!/usr/bin/env bash
# Provisions the two Temporal servers the project runs on, without the SDK's download (which
# needs the open internet):
#   - the Temporal CLI (dev server + Web UI), built with `go install` at a pinned module version;
#   - the Java time-skipping test server, fetched with its dependencies through Maven.
# Both land in .tools/ (ignored by git) and are reused when already there. TEMPORAL_CLI_PATH and
# TEMPORAL_TEST_SERVER_PATH override them; a `temporal` on PATH also counts. With neither Go nor
# Java present this does nothing, and scripts/temporal-binaries.ts falls back to the SDK download.
set -euo pipefail

CLI_VERSION=v1.5.1            # newest CLI tag whose go.mod has no `replace` (go install refuses those)
TEST_SERVER_VERSION=1.38.0    # io.temporal:temporal-test-server

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
cli_dir="$tools/temporal-cli-${CLI_VERSION#v}"
ts_dir="$tools/temporal-test-server-$TEST_SERVER_VERSION"
mkdir -p "$tools"

provision_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then echo "temporal cli: $TEMPORAL_CLI_PATH (TEMPORAL_CLI_PATH)"; return; fi
  if [ -x "$cli_dir/temporal" ]; then echo "temporal cli: $cli_dir/temporal (cached)"; return; fi
  if command -v temporal >/dev/null 2>&1; then echo "temporal cli: $(command -v temporal) (PATH)"; return; fi
  if ! command -v go >/dev/null 2>&1; then echo "temporal cli: no Go here; the SDK will try its own download"; return; fi
  echo "temporal cli: building github.com/temporalio/cli $CLI_VERSION with go install (several minutes on a cold cache)"
  local start=$SECONDS tmp
  # A private build folder: two provisioning runs at once (parallel test commands) must not collide.
  tmp=$(mktemp -d "$cli_dir.tmp.XXXXXX") && chmod 755 "$tmp"
  # Pure-Go build (SQLite is modernc.org/sqlite); the Web UI assets are compiled into the binary.
  (cd "$tools" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN="$tmp" go install -trimpath \
    -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=${CLI_VERSION#v}" \
    "github.com/temporalio/cli/cmd/temporal@$CLI_VERSION")
  if [ -x "$cli_dir/temporal" ]; then rm -rf "$tmp"; else rm -rf "$cli_dir" && mv "$tmp" "$cli_dir"; fi
  echo "temporal cli: built in $((SECONDS - start)) s: $("$cli_dir/temporal" --version)"
}

provision_test_server() {
  if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then echo "test server: $TEMPORAL_TEST_SERVER_PATH (TEMPORAL_TEST_SERVER_PATH)"; return; fi
  if [ -x "$ts_dir/temporal-test-server" ]; then echo "test server: $ts_dir/temporal-test-server (cached)"; return; fi
  if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    echo "test server: no Java/Maven here; the SDK will try its own download"; return
  fi
  echo "test server: fetching io.temporal:temporal-test-server:$TEST_SERVER_VERSION with Maven"
  local tmp
  tmp=$(mktemp -d "$ts_dir.tmp.XXXXXX") && chmod 755 "$tmp"
  cat > "$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.whatsapp-number-lifecycle</groupId><artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TEST_SERVER_VERSION</version></dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$tmp/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/lib"
  # The SDK kills only its direct child, so the launcher must exec java (no orphaned JVM).
  # The JVM flags shorten start-up: the SDK gives the server 5 s to accept connections.
  cat > "$tmp/temporal-test-server" <<'LAUNCHER'
#!/bin/sh
# Arguments from the TypeScript SDK: <port> [--enable-time-skipping]
dir=$(dirname "$0")
cds="$dir/classes.jsa"
if [ -f "$cds" ]; then cds_flag="-XX:SharedArchiveFile=$cds"; else cds_flag=""; fi
exec java $cds_flag -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k \
  -cp "$dir/lib/*" io.temporal.testserver.TestServer "$@"
LAUNCHER
  chmod +x "$tmp/temporal-test-server"
  if [ -x "$ts_dir/temporal-test-server" ]; then rm -rf "$tmp"; echo "test server: $ts_dir (provisioned meanwhile)"; return; fi
  rm -rf "$ts_dir" && mv "$tmp" "$ts_dir"
  build_class_archive "$ts_dir" # after the move: the archive is valid only for the class path it saw
  echo "test server: ready at $ts_dir/temporal-test-server"
}

# A class-data-sharing archive of the classes the server loads at start roughly halves JVM start-up,
# which keeps us clear of the SDK's 5 s readiness limit on a busy 2-core machine.
build_class_archive() {
  local dir=$1 port
  port=$(( 20000 + RANDOM % 20000 ))
  java -XX:ArchiveClassesAtExit="$dir/classes.jsa" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -cp "$dir/lib/*" io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -f "$dir/classes.jsa" ] || echo "test server: no class archive (start-up stays slower)"
}

provision_cli
provision_test_server
