#!/usr/bin/env bash
# Installs the system packages EchoNet needs on a fresh Debian/Ubuntu machine:
#   - libclang-dev: rocksdb's bindings are generated with bindgen;
#   - clang, make, g++: rocksdb's C++ build;
#   - nodejs, npm: the JavaScript cross-checks in tests/js (only if `node` is missing).
# Uses sudo when not root. Does nothing for what is already there.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libclang-dev clang make g++ pkg-config; do
  have_pkg "$pkg" || need+=("$pkg")
done
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ "${#need[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing: ${need[*]}. Install them with your package manager (apt-get not found)." >&2
    exit 1
  fi
  echo "==> installing ${need[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: install Rust from https://rustup.rs and run this again." >&2
  exit 1
fi
