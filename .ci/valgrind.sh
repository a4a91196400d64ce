#!/usr/bin/env bash
# Runs the Check suites and the binary on the examples under valgrind memcheck: any error or leak
# fails. Usage: .ci/valgrind.sh BUILD_DIR (a build without sanitizers).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: valgrind.sh BUILD_DIR}
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-origins=yes)
export CK_FORK=no CK_DEFAULT_TIMEOUT=600 SDRS_SOURCE_DIR="$PWD" SDRS_SHARED_DIR="$PWD/../shared"
status=0
for t in "$build"/tests/check_*; do
  start=$(date +%s)
  if "${vg[@]}" "$t" >"$build/valgrind-$(basename "$t").log" 2>&1; then
    echo "valgrind: $(basename "$t") clean ($(( $(date +%s) - start )) s)"
  else
    echo "valgrind: $(basename "$t") FAILED:"; tail -40 "$build/valgrind-$(basename "$t").log"; status=1
  fi
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
if ! "${vg[@]}" "$build/sdrs-preflight" rules test tests/rules >/dev/null 2>"$build/valgrind-cli.log"; then
  echo "valgrind: rules test FAILED:"; tail -40 "$build/valgrind-cli.log"; status=1
fi
[ $status -eq 0 ] && echo "valgrind: no errors, no leaks"
exit $status
