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
# The runtime crates' build settings (no debug assertions in any profile) cover every crate
# the runtime runs; a new dependency must be added to Cargo.toml's list.
python3 scripts/runtime-crates.py --check

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

# Clippy runs as the compiler of our own crates during the one build, instead of as a
# second `cargo clippy` pass: that pass type-checks every dependency again (clippy shares
# only build scripts and proc-macros with a build), which costs minutes on two cores.
# RUSTC_WORKSPACE_WRAPPER applies to workspace members only, so dependencies are built by
# plain rustc and cached as usual. Exported for the whole script: the wrapper is part of
# our crates' fingerprints, and the nextest and CI-script builds below must reuse these
# artifacts rather than rebuild them. `-D warnings` as `cargo clippy -- -D warnings` passes it.
if ! CLIPPY_DRIVER="$(rustup which clippy-driver 2>/dev/null)"; then
  step "install clippy"
  rustup component add clippy
  CLIPPY_DRIVER="$(rustup which clippy-driver)"
fi
export RUSTC_WORKSPACE_WRAPPER="$CLIPPY_DRIVER"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

step "build and clippy (workspace, all targets; warnings are errors)"
# One invocation, so that dependencies are built once with one feature set: the
# end-to-end tests start the binaries, and the test targets need them built.
# Linking: rustc (1.90 and later) links x86_64 Linux with its own rust-lld, faster here
# than mold and three times as fast as GNU ld (BENCHMARKS.md, "Build: the linker"), so
# no linker is configured.
# --timings leaves a report of where the build's time went in target/cargo-timings/.
cargo build --workspace --all-targets --locked --timings

# The rollup end-to-end test (echonet-tests: sequencer) drives the real sequencer with the
# JS wallet client: its dependencies must be installed before nextest runs it.
# (scripts/ci-js.sh runs `npm ci` again on its own, so that it also works standalone.)
step "npm ci (rollup/client-js)"
(cd rollup/client-js && npm ci --no-audit --no-fund)

step "Rust tests (cargo nextest)"
cargo nextest run --workspace --locked --no-fail-fast

step "rollup CLI and JavaScript cross-checks"
./scripts/ci-rollup.sh
./scripts/ci-js.sh

printf '\nAll tests passed.\n'
