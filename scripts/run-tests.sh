#!/usr/bin/env bash
# `npm test`: provisions the Temporal servers if needed, then runs every test file with node's test
# runner, one file at a time (each file starts its own Temporal server; the machine has 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision-temporal.sh
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-concurrency=1 --test-timeout=300000 "${files[@]}"
