#!/usr/bin/env bash
# Fresh machine to running dev chain: installs system packages, builds echonet-node and
# starts a single-validator development chain (Alice authors a block every 2 s; RPC on
# ws://127.0.0.1:9944, Prometheus on 127.0.0.1:9615). Extra arguments go to the node,
# e.g. `./scripts/setup.sh --rpc-port 9955`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
./scripts/install-deps.sh
# The same (dev) profile as the tests, with optimised dependencies: one build serves both.
cargo build -p echonet-node
exec "${CARGO_TARGET_DIR:-$ROOT/target}/debug/echonet-node" --dev "$@"
