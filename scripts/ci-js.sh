#!/usr/bin/env bash
# polkadot-js against the real node (issue 4), run from scripts/test.sh:
#   1. build echonet-node;
#   2. tests/js: `npm ci` (offline-safe: committed package-lock.json);
#   3. start `echonet-node --dev --tmp` on free loopback ports and wait (with a deadline)
#      until its RPC answers;
#   4. run the polkadot-js tests (tests/js/polkadot) with ECHONET_WS pointing at it: the
#      API as Apps and dApps use it (api.test.mjs), then governance as Apps' Governance,
#      Treasury and Multisig pages drive it (governance.test.mjs: referenda enacted and
#      rejected, a treasury spend paid, batchAll, a 2-of-3 multisig). Its tests run
#      concurrently and take as long as the rejected referendum: the dev preset's
#      `parameters` prepare + decision period (20 s + 5 min today);
#   5. the rollup wallet client (rollup/client-js, issue 13): `npm ci`, then its tests
#      (`node --test`): vectors from the Rust primitives, amount encoding, RPC errors and
#      receipts against a stand-in sequencer, and the bridge calls against the same node.
#      No sequencer is started here yet.
# The node is stopped on every exit path; its log is printed when a step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/echonet-js-ci.XXXXXX")"
NODE_PID=""
READY_TIMEOUT_S=60

step() { printf '\n==> %s\n' "$*"; }

cleanup() {
  local rc=$?
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    # The node exits within seconds of SIGTERM; do not wait forever.
    for _ in $(seq 1 100); do
      kill -0 "$NODE_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$WORK/node.log" ]; then
    echo "--- last 80 lines of the node's log ---" >&2
    tail -n 80 "$WORK/node.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

step "build echonet-node"
# The same invocation as scripts/test.sh (and, from there, the same exported clippy
# wrapper): one feature set and one fingerprint, so nothing is compiled twice.
cargo build --workspace --all-targets --locked
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
NODE_BIN="$TARGET_DIR/debug/echonet-node"
test -x "$NODE_BIN"

step "npm ci (tests/js)"
(cd tests/js && npm ci --no-audit --no-fund)

# scripts/test.sh ran this already before nextest (the rollup end-to-end test needs it);
# repeated so that this script also works on its own (npm ci is idempotent).
step "npm ci (rollup/client-js)"
(cd rollup/client-js && npm ci --no-audit --no-fund)

step "start echonet-node --dev --tmp"
RPC_PORT="$(free_port)"
P2P_PORT="$(free_port)"
while [ "$P2P_PORT" = "$RPC_PORT" ]; do P2P_PORT="$(free_port)"; done
# --no-mdns: a dev node finds any other dev node on the host by mDNS and syncs its chain
# within seconds (same genesis), and the tests need a fresh chain of their own.
"$NODE_BIN" --dev --tmp --no-mdns --rpc-port "$RPC_PORT" --port "$P2P_PORT" --no-prometheus \
  >"$WORK/node.log" 2>&1 </dev/null &
NODE_PID=$!
deadline=$((SECONDS + READY_TIMEOUT_S))
rpc_answers() {
  node -e '
    fetch(process.argv[1], {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "system_health", params: [] }),
      signal: AbortSignal.timeout(2000),
    }).then((r) => r.json()).then((j) => process.exit(j.result ? 0 : 1), () => process.exit(1));
  ' "http://127.0.0.1:$RPC_PORT"
}
until rpc_answers; do
  if ! kill -0 "$NODE_PID" 2>/dev/null; then
    echo "echonet-node exited before its RPC answered" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "echonet-node's RPC did not answer within ${READY_TIMEOUT_S}s" >&2
    exit 1
  fi
  sleep 0.2
done
echo "node up: ws://127.0.0.1:$RPC_PORT (pid $NODE_PID)"

step "polkadot-js tests"
(cd tests/js && ECHONET_WS="ws://127.0.0.1:$RPC_PORT" npm run -s test:polkadot)

step "polkadot-js tests passed"

step "rollup wallet client tests (rollup/client-js)"
(cd rollup/client-js && ECHONET_WS="ws://127.0.0.1:$RPC_PORT" npm test -s)

step "rollup wallet client tests passed"
