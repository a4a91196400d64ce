#!/usr/bin/env bash
# The benchmark in one command: installs what is missing, builds a Release binary in build-bench/
# and runs bench/run.py with any arguments given (--quick for a smoke test; see bench/README.md).
#   bash bench/run.sh [run.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh curl jq # the sequential yardstick, bench/sequential.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSDRS_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target sdrs-preflight >/dev/null
exec python3 bench/run.py --binary build-bench/sdrs-preflight "$@"
