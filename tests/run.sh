#!/usr/bin/env bash
# Installs what is missing, builds sdrs-preflight twice and runs every test:
#   1. a plain build with -Werror, all of CTest;
#   2. a Debug build with AddressSanitizer and UndefinedBehaviorSanitizer, all of CTest again.
#   bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/deps.sh
jobs=$(nproc)

echo "== plain build (-Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSDRS_TESTS=ON -DSDRS_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure --no-tests=error -j"$jobs")

echo "== ASan + UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSDRS_TESTS=ON -DSDRS_SANITIZERS=ON -DSDRS_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure --no-tests=error -j"$jobs")

echo "== all tests passed"
