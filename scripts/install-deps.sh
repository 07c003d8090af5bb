#!/usr/bin/env bash
# Installs the Debian packages the build, tests and benchmarks need.
# Idempotent and a fast no-op when everything is present (one dpkg-query call).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-14 clang-format-14 libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-venv
  redis-server libhiredis-dev
  nats-server libnats-dev openssl
  chromium
)

# One dpkg-query call: a package it lists as not installed, or does not list at all, is missing.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null |
  awk '$2 == "installed" { print $1 }' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
