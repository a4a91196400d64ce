#!/usr/bin/env bash
# Installs what is missing, then builds and tests sdrs-preflight in every configuration CI runs:
#   lint      clang-format, luacheck over the rules, no unbounded string functions (.ci/lint.sh)
#   plain     RelWithDebInfo with -Werror, all of CTest
#   valgrind  the plain build's Check suites and the binary under valgrind memcheck (.ci/valgrind.sh)
#   asan      Debug with AddressSanitizer + UndefinedBehaviorSanitizer (-fno-sanitize-recover=all),
#             all of CTest again, leak detection on
#   fuzz      the libFuzzer targets for FUZZ_SECONDS each (default 20), then their regression inputs
#
#   bash tests/run.sh              # every stage, in that order
#   bash tests/run.sh plain asan   # only the stages named
set -euo pipefail
cd "$(dirname "$0")/.."

all=(lint plain valgrind asan fuzz)
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=("${all[@]}")
for s in "${stages[@]}"; do
  case " ${all[*]} " in *" $s "*) ;; *) echo "unknown stage '$s' (stages: ${all[*]})" >&2; exit 2 ;; esac
done
want() { case " ${stages[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

extra=()
want lint && extra+=(clang-format lua-check)
want valgrind && extra+=(valgrind)
want fuzz && extra+=(clang libclang-rt-14-dev)
bash .ci/deps.sh "${extra[@]}"
jobs=$(nproc)
t0=$(date +%s)
declare -a timings=()
stage() { # stage NAME: prints a header and records how long the previous stage took
  local now; now=$(date +%s)
  [ -n "${cur:-}" ] && timings+=("$cur $((now - ts)) s")
  cur=$1; ts=$now
  [ "$1" = end ] || echo "== $1"
}

if want lint; then
  stage lint
  bash .ci/lint.sh
fi

if want plain || want valgrind; then
  stage "plain build (-Werror)"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSDRS_TESTS=ON -DSDRS_WERROR=ON >/dev/null
  cmake --build build -j"$jobs"
  if want plain; then
    (cd build && ctest --output-on-failure --no-tests=error -j"$jobs")
  fi
fi

if want valgrind; then
  stage "valgrind memcheck"
  bash .ci/valgrind.sh build
fi

if want asan; then
  stage "ASan + UBSan build"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSDRS_TESTS=ON -DSDRS_SANITIZERS=ON \
    -DSDRS_WERROR=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure --no-tests=error -j"$jobs")
fi

if want fuzz; then
  stage "fuzz (${FUZZ_SECONDS:-20} s per target)"
  bash tests/fuzz/run.sh "${FUZZ_SECONDS:-20}"
fi

stage end
printf '   %s\n' "${timings[@]}"
echo "== all stages passed (${stages[*]}) in $(($(date +%s) - t0)) s"
