#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, integration and end-to-end tests that start
# the real binaries on loopback), then the rollup CLI and JavaScript cross-checks.
# Installs missing system packages first. Exits non-zero on the first failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { printf '\n==> %s\n' "$*"; }

./scripts/install-deps.sh

step "build (workspace, all targets)"
# One invocation, so that dependencies are built once with one feature set: the
# end-to-end tests start the binaries, and the test targets need them built.
cargo build --workspace --bins --tests --locked

step "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

step "rollup CLI and JavaScript cross-checks"
./scripts/ci-rollup.sh
./scripts/ci-js.sh

printf '\nAll tests passed.\n'
