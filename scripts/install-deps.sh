#!/usr/bin/env bash
# Installs sysgate's Debian build and test dependencies. Idempotent: does nothing
# when everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libzydis-dev libzycore-dev
  libdw-dev  # elfutils: sysgate trace -k unwinds stacks with libdwfl
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  # programs the integration tests and benchmarks run under the sandbox
  coreutils tar sqlite3 git python3 busybox-static strace bubblewrap file
  golang-go  # tests/integration/go_test.cc builds static Go programs (skipped without it)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
