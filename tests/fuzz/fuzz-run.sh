#!/usr/bin/env bash
# Runs libFuzzer binaries one after the other, each on a scratch copy of its seed corpus, and prints
# one line per target: executions, exec/s, coverage (cov/ft of libFuzzer's final stats line) and
# crashes. Exits 1 when a target crashed (or leaked, timed out, ran out of memory), 0 otherwise.
#   FUZZ_SECONDS=20 FUZZ_WORK=DIR fuzz-run.sh path/to/fuzz_snapshot path/to/fuzz_apierr ...
# A binary fuzz_<name> uses corpus/<name>/; logs, the grown corpus and crash inputs stay under
# $FUZZ_WORK/<name>/ (the committed corpus is never written).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-20}
work=${FUZZ_WORK:-$(mktemp -d)}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ $# -eq 0 ]; then
  echo "usage: FUZZ_SECONDS=N FUZZ_WORK=DIR $0 FUZZ_BINARY..." >&2
  exit 2
fi

failed=0
printf '%-14s %10s %8s %7s %7s  %s\n' target execs exec/s cov ft crashes
for bin in "$@"; do
  name=$(basename "$bin")
  name=${name#fuzz_}
  dir=$work/$name
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -R "$here/corpus/$name/." "$dir/corpus/"
  { "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -dict="$here/json.dict" -artifact_prefix="$dir/artifacts/" -print_final_stats=1 \
      "$dir/corpus"; } >"$dir/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
  stats=$(grep -aE '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$dir/log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$stats")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
  crashes=$(find "$dir/artifacts" -type f | wc -l)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes="exit $rc"
  fi
  printf '%-14s %10s %8s %7s %7s  %s\n' "fuzz_$name" "${execs:-?}" "${speed:-?}" "${cov:-?}" \
    "${ft:-?}" "$crashes"
  if [ "$rc" -ne 0 ]; then
    failed=1
    find "$dir/artifacts" -type f -exec echo "  input: {}" \;
    grep -a -m 1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|^fuzz: ' "$dir/log" |
      cut -c 1-300 | sed 's/^/  /'
    echo "  log: $dir/log"
  fi
done
exit $failed
