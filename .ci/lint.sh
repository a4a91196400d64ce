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
exit $status
