#!/usr/bin/env bash
# Installs what is missing, builds sdrs-preflight, installs it in /usr/local (the binary, the man
# page and the bash completion, so that the README's commands work as written) and runs it on
# bundled example snapshots and against the bundled simulator.
#   bash examples/demo.sh          (as root; otherwise it says the one command that installs)
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target sdrs-preflight -j"$(nproc)" >/dev/null
bin=build/sdrs-preflight
if [ -w "${PREFIX:-/usr/local}/bin" ] || [ "$(id -u)" -eq 0 ]; then
  cmake --install build --prefix "${PREFIX:-/usr/local}" >/dev/null
  bin=sdrs-preflight
  command -v sdrs-preflight >/dev/null || bin="${PREFIX:-/usr/local}/bin/sdrs-preflight"
else
  echo "demo: to put sdrs-preflight on PATH: sudo cmake --install build --prefix /usr/local" >&2
fi

step() { if [ -t 1 ]; then printf '\n\033[1m$ %s\033[0m\n' "$*"; else printf '\n$ %s\n' "$*"; fi; }

# A healthy protection group: GO (exit code 0), with the login warnings of SDRS-012 and no drill
# evidence (SDRS-017: the example group has no DR drill).
step "$bin check --snapshot examples/go.json"
$bin check --snapshot examples/go.json

# A DR server deleted through ECS: NO-GO (exit code 1), with the evidence.
step "$bin check --snapshot examples/nogo-server-deleted.json"
rc=0
$bin check --snapshot examples/nogo-server-deleted.json || rc=$?
[ "$rc" -eq 1 ] || { echo "demo: expected exit code 1 (NO-GO), got $rc" >&2; exit 1; }
printf '\n(exit code %d: NO-GO)\n' "$rc"

# The live path against the bundled simulator (tests/sim, a fake SDRS/ECS/IAM on 127.0.0.1): the
# same evaluation, fetched over HTTP with a token, saved and replayed offline.
simdir=$(mktemp -d)
trap 'python3 tests/sim/simctl.py stop --dir "$simdir" >/dev/null 2>&1 || true; rm -rf "$simdir"' EXIT
url=$(python3 tests/sim/simctl.py start --scenario tests/sim/scenarios/basic.json --dir "$simdir")
group=5c8f0e9a-3d2b-4c1e-9a7f-6b5d4c3e2f10
step "OS_AUTH_TOKEN=… $bin check $group --endpoint $url --ecs-endpoint $url --ims-endpoint $url --evs-endpoint $url --project-id 0b5d… --save-snapshot $simdir/seen.json"
OS_AUTH_TOKEN=basic-token-0123456789abcdef $bin check $group --endpoint "$url" --ecs-endpoint "$url" \
  --ims-endpoint "$url" --evs-endpoint "$url" --project-id 0b5d2d1f6a8e4c3b9f7a1e2d3c4b5a69 --save-snapshot "$simdir/seen.json" -q
step "$bin check --snapshot $simdir/seen.json -q    # the same decision, offline"
$bin check --snapshot "$simdir/seen.json" -q
