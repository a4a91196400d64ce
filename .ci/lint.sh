#!/usr/bin/env bash
# Static checks that need no build: clang-format on the C sources, luacheck on the rules, and no
# unbounded string functions. Usage: .ci/lint.sh   (installs clang-format and lua-check if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh clang-format lua-check

status=0
mapfile -t csrc < <(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c' 'tests/unit/*.h' \
                                 'tests/fuzz/*.c' 'tests/fuzz/*.h' 2>/dev/null ||
                    ls src/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch])
if clang-format --dry-run -Werror "${csrc[@]}"; then
  echo "lint: clang-format clean (${#csrc[@]} files)"
else
  echo "lint: clang-format differs; fix with: clang-format -i ${csrc[*]:0:3} ..." >&2
  status=1
fi

if luacheck --no-color -q rules/ examples/custom-rules/; then
  echo "lint: luacheck clean (rules/, examples/custom-rules/)"
else
  status=1
fi

# Functions with no bound on what they write or no error report: use snprintf, memcpy with a
# checked length, strtol/strtoul with end and errno checks.
banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|atoll|gets)[[:space:]]*\('
if grep -nE "$banned" "${csrc[@]}"; then
  echo "lint: banned function above (use snprintf, memcpy with a checked length, strtol)" >&2
  status=1
else
  echo "lint: no banned string functions"
fi
# The layering (docs/architecture.md): only http.c includes curl; only the Lua layer includes Lua or
# its own headers; only the JSON readers and writers include json-c (execution, commands and the
# command line work on typed C structs); nothing below the application prints through diag.
inc() { # inc PATTERN ALLOWED-FILES...: prints the files outside ALLOWED that include PATTERN
  local pat=$1; shift
  for f in src/*.c src/*.h; do
    case " $* " in *" $f "*) continue ;; esac
    grep -lE "^#include [<\"]($pat)" "$f" || true
  done
}
lua_layer="src/embed_rules.c src/sandbox.c src/sandbox.h src/engine.c src/engine_internal.h src/rulectx.c src/luajson.c src/luajson.h src/luavocab.c src/luavocab.h"
json_users="src/jsonutil.c src/jsonutil.h src/snapshot.c src/facts.c src/waivers.c src/auditlog.c src/apierr.c
  src/report.c src/report_json.c src/report_rules.c src/fleet.c src/request.c src/auth.c src/api.c src/fetch.c
  src/fetch_batch.c src/fetch_evs.c src/fetch_internal.h src/engine.c src/rulectx.c src/luajson.c src/rulestest.c src/verify.c src/report_exec.c"
app_layer="src/app.c src/app_live.c src/cmd_check.c src/cmd_failover.c src/cmd_rules.c src/cmd_cloud.c src/cli.c src/diag.c src/diag.h"
bad=$(inc 'curl/|http_internal\.h|http_curl\.h' src/http.c src/http_attempt.c src/http_internal.h src/http_curl.c src/http_curl.h;
      inc 'fetch_internal\.h' src/fetch.c src/fetch_batch.c src/fetch_evs.c src/fetch_internal.h; inc 'yaml\.h' src/clouds.c; inc 'lua\.h|engine_internal\.h|lauxlib\.h|lualib\.h|sandbox\.h|luajson\.h|luavocab\.h' $lua_layer;
      inc 'json-c/|jsonutil\.h' $json_users; inc 'diag\.h' $app_layer)
if [ -n "$bad" ]; then
  echo "lint: includes across layers (see docs/architecture.md):" >&2
  echo "$bad" >&2
  status=1
else
  echo "lint: include rules hold (curl, Lua, json-c, libyaml, diag in their layers)"
fi
exit $status
