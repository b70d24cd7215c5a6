#!/usr/bin/env bash
# `npm test`: provisions the Temporal servers if needed (the dev server, the test server, and for
# test/cluster/ the multi-service cluster's temporal-server and PostgreSQL), then runs every test file
# with node's test runner, one file at a time (each file starts its own Temporal server; 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision-temporal.sh
bash scripts/provision-cluster.sh
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
