#!/usr/bin/env bash
# Runs the Check suites and the binary on the examples under valgrind memcheck: any error or leak
# fails. Usage: .ci/valgrind.sh BUILD_DIR (a build without sanitizers).
#
# The sandbox suite (its escape attempts run to their limits) takes about as long as everything
# else together, so it runs beside the rest, on the second core; each result is printed in order.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: valgrind.sh BUILD_DIR}
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-origins=yes)
export CK_FORK=no CK_DEFAULT_TIMEOUT=600 SDRS_SOURCE_DIR="$PWD" SDRS_SHARED_DIR="$PWD/../shared"
status=0

# vg_suite NAME: one Check suite; prints its line, returns 1 on an error or a leak
vg_suite() {
  local t=$build/tests/$1 log=$build/valgrind-$1.log start
  start=$(date +%s)
  if "${vg[@]}" "$t" >"$log" 2>&1; then
    echo "valgrind: $1 clean ($(( $(date +%s) - start )) s)"
  else
    echo "valgrind: $1 FAILED:"; tail -40 "$log"; return 1
  fi
}

vg_suite check_sandbox >"$build/valgrind-sandbox.out" 2>&1 &
sandbox=$!
for t in "$build"/tests/check_*; do
  [ "$(basename "$t")" = check_sandbox ] && continue
  vg_suite "$(basename "$t")" || status=1
done
for ex in go.json nogo-server-deleted.json indeterminate-missing-server.json; do
  for fmt in text json; do
    # the verdict's exit code (0, 1, 3) is expected; 99 is valgrind's: an error or a leak
    rc=0
    "${vg[@]}" "$build/sdrs-preflight" check --snapshot "examples/$ex" --format "$fmt" \
      --facts examples/facts.json >/dev/null 2>"$build/valgrind-cli.log" || rc=$?
    if [ "$rc" -eq 99 ]; then
      echo "valgrind: check $ex --format $fmt FAILED:"; cat "$build/valgrind-cli.log"; status=1
    else
      echo "valgrind: check $ex --format $fmt clean (exit $rc)"
    fi
  done
done
start=$(date +%s)
if ! "${vg[@]}" "$build/sdrs-preflight" rules test tests/rules >/dev/null 2>"$build/valgrind-cli.log"; then
  echo "valgrind: rules test FAILED:"; tail -40 "$build/valgrind-cli.log"; status=1
else
  echo "valgrind: rules test tests/rules clean ($(( $(date +%s) - start )) s)"
fi
wait "$sandbox" || status=1
cat "$build/valgrind-sandbox.out"
[ $status -eq 0 ] && echo "valgrind: no errors, no leaks"
exit $status
