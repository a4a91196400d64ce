#!/usr/bin/env bash
# CI entry point for fuzzing: builds the libFuzzer targets with clang and runs each one for SECONDS
# (default 20) through the fuzz-short target, then the regression inputs through CTest.
#   bash tests/fuzz/run.sh [SECONDS]
# Fails when a target crashes or a saved regression input crashes again.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-20}
build=${FUZZ_BUILD_DIR:-build-fuzz}

bash .ci/deps.sh clang libclang-rt-14-dev
start=$(date +%s)
cmake -S . -B "$build" -DSDRS_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DFUZZ_SECONDS="$seconds" >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz-targets
status=0
cmake --build "$build" --target fuzz-short || status=1
ctest --test-dir "$build/tests/fuzz" --output-on-failure --no-tests=error || status=1
echo "fuzz: $(($(date +%s) - start)) s in all"
exit $status
