#!/usr/bin/env bash
# Installs the system packages EchoNet needs on a fresh Debian/Ubuntu machine:
#   - libclang-dev: rocksdb's bindings are generated with bindgen;
#   - clang (the C/C++ compiler of every build script: .cargo/config.toml), g++ (its C++
#     standard library), make, pkg-config: rocksdb's C++ build;
#   - nodejs, npm: the JavaScript cross-checks in tests/js (only if `node` is missing).
# Uses sudo when not root. Does nothing for what is already there.
#
#   install-deps.sh           install what is missing
#   install-deps.sh --check   only report what is missing (exit 1 if anything is); quick,
#                             no package database queries, so scripts/test.sh can run it
#                             on every call
set -euo pipefail

# Each check looks for a file or a command, never at the package database: `dpkg-query`
# per package and `apt-get update` cost seconds, and this runs before every test run.
have_libclang() {
  [ -n "${LIBCLANG_PATH:-}" ] && return 0
  compgen -G '/usr/lib/llvm-*/lib/libclang.so' >/dev/null \
    || compgen -G '/usr/lib/*/libclang.so' >/dev/null \
    || compgen -G '/usr/lib/*/libclang-*.so' >/dev/null
}

need=()
have_libclang || need+=(libclang-dev)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v make >/dev/null 2>&1 || need+=(make)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ "${1:-}" = "--check" ]; then
  if [ "${#need[@]}" -gt 0 ]; then
    echo "missing system packages: ${need[*]}" >&2
    exit 1
  fi
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

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
