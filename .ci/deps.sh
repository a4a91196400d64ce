#!/usr/bin/env bash
# Installs the Debian 12 packages sdrs-preflight needs to build and test, when they are missing.
# Idempotent: with everything present it changes nothing and needs no network.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ca-certificates
  libcurl4-openssl-dev libssl-dev libjson-c-dev liblua5.4-dev lua5.4 libyaml-dev check
  python3 openssl
)
PACKAGES+=("$@")

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "error: these packages are missing and this is not root: ${missing[*]}" >&2
  echo "run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
