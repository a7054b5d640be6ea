#!/usr/bin/env bash
# Runs every check and test: formatting, the build, clippy, the Rust workspace under
# cargo-nextest (unit, integration and end-to-end tests that start the real binaries on
# loopback), then the rollup CLI and JavaScript cross-checks.
# Installs what is missing first (system packages, cargo-nextest). Exits non-zero on the
# first failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { printf '\n==> %s\n' "$*"; }

# First, because it takes a second and a formatting slip should not cost a build.
step "format (cargo fmt --check)"
cargo fmt --all --check

# A quick look for files and commands; the installer (apt-get update and install) runs
# only when something is missing.
./scripts/install-deps.sh --check || ./scripts/install-deps.sh

# nextest is required, never replaced by `cargo test`: .config/nextest.toml is what runs
# the multi-node tests one at a time, and under `cargo test` they would starve each other.
if ! cargo nextest --version >/dev/null 2>&1; then
  step "install cargo-nextest"
  cargo install --locked cargo-nextest
  cargo nextest --version >/dev/null
fi

step "build (workspace, binaries and tests)"
# One invocation, so that dependencies are built once with one feature set: the
# end-to-end tests start the binaries, and the test targets need them built.
# Linking: rustc (1.90 and later) links x86_64 Linux with its own rust-lld, faster here
# than mold and three times as fast as GNU ld (BENCHMARKS.md, "Build: the linker"), so
# no linker is configured.
cargo build --workspace --bins --tests --locked

# After the build: clippy type-checks on artifacts of its own (it shares only build
# scripts and proc-macros with the build), so here it costs the same as anywhere, and a
# compile error is reported by the build with the plainer message.
step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (cargo nextest)"
cargo nextest run --workspace --locked --no-fail-fast

step "rollup CLI and JavaScript cross-checks"
./scripts/ci-rollup.sh
./scripts/ci-js.sh

printf '\nAll tests passed.\n'
