#!/usr/bin/env bash
# Installs what is missing, builds sdrs-preflight and runs it on bundled example snapshots.
#   bash examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSDRS_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
bin=build/sdrs-preflight

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# A healthy protection group: GO (exit code 0), with the login warnings of SDRS-012.
step "$bin check --snapshot examples/go.json"
$bin check --snapshot examples/go.json

# A DR server deleted through ECS: NO-GO (exit code 1), with the evidence.
step "$bin check --snapshot examples/nogo-server-deleted.json"
rc=0
$bin check --snapshot examples/nogo-server-deleted.json || rc=$?
[ "$rc" -eq 1 ] || { echo "demo: expected exit code 1 (NO-GO), got $rc" >&2; exit 1; }
printf '\n(exit code %d: NO-GO)\n' "$rc"
