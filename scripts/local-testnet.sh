#!/usr/bin/env bash
# A local EchoNet testnet on loopback: N validators of `--chain local` (default 4: alice,
# bob, charlie, dave, the chain's four authorities) and one full node, each with its own
# ports and base path, all logging into one folder.
#
#   scripts/local-testnet.sh start [N]   start N validators (1-6) and a full node
#   scripts/local-testnet.sh status      best and finalized block, peers and sync of each node
#   scripts/local-testnet.sh stop        stop every node this script started
#
# Environment:
#   ECHONET_NODE_BIN  the binary (default: the newer of target/release and target/debug)
#   TESTNET_DIR       base paths, logs and pid files (default: /tmp/echonet-testnet)
#   P2P_PORT, RPC_PORT, PROMETHEUS_PORT
#                     first ports (default 30333, 9944, 9615); node i uses first + i
#
# Node i's libp2p key is fixed (32 bytes of value i+1), so its peer id is known before it
# starts and every node can boot from alice. Eve and Ferdie (N = 5, 6) run as validators
# but hold no slot: `local` has four authorities.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${TESTNET_DIR:-/tmp/echonet-testnet}"
P2P_PORT="${P2P_PORT:-30333}"
RPC_PORT="${RPC_PORT:-9944}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9615}"
NAMES=(alice bob charlie dave eve ferdie)

binary() {
  if [[ -n "${ECHONET_NODE_BIN:-}" ]]; then
    echo "$ECHONET_NODE_BIN"
    return
  fi
  local release="$ROOT/target/release/echonet-node" debug="$ROOT/target/debug/echonet-node"
  if [[ -x "$release" && ( ! -x "$debug" || "$release" -nt "$debug" ) ]]; then
    echo "$release"
  elif [[ -x "$debug" ]]; then
    echo "$debug"
  else
    echo "no echonet-node binary: run 'cargo build -p echonet-node' or set ECHONET_NODE_BIN" >&2
    exit 1
  fi
}

rpc() { # rpc <port> <method> [params-json]
  curl -s -m 5 -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" \
    "http://127.0.0.1:$1" 2>/dev/null || true
}

# Lines "<name> <index>" of the nodes started last time.
nodes() {
  [[ -f "$DIR/nodes" ]] && cat "$DIR/nodes" || true
}

running() { # running <pid file>
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

start() {
  local n="${1:-4}"
  if ! [[ "$n" =~ ^[1-6]$ ]]; then
    echo "N must be 1 to 6 (alice ... ferdie)" >&2
    exit 1
  fi
  local bin
  bin="$(binary)"
  while read -r name _; do
    if running "$DIR/$name.pid"; then
      echo "$name is running already: '$0 stop' first" >&2
      exit 1
    fi
  done < <(nodes)
  mkdir -p "$DIR/logs"
  : >"$DIR/nodes"
  local boot=""
  for ((i = 0; i <= n; i++)); do
    local name role_args
    if ((i < n)); then
      name="${NAMES[$i]}"
      role_args=(--"$name")
    else
      name="full"
      role_args=()
    fi
    local base="$DIR/$name" key="$DIR/$name/node-key"
    mkdir -p "$base"
    printf '%064x' $((i + 1)) >"$key"
    local peer_id
    peer_id="$("$bin" key inspect-node-key --file "$key")"
    local p2p=$((P2P_PORT + i)) rpc_port=$((RPC_PORT + i)) prom=$((PROMETHEUS_PORT + i))
    local args=(--chain local "${role_args[@]}" --name "$name" --base-path "$base"
      --node-key-file "$key" --listen-addr "/ip4/127.0.0.1/tcp/$p2p"
      --rpc-port "$rpc_port" --prometheus-port "$prom")
    if [[ -n "$boot" ]]; then
      args+=(--bootnodes "$boot")
    fi
    nohup "$bin" "${args[@]}" >"$DIR/logs/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
    echo "$name $i" >>"$DIR/nodes"
    if ((i == 0)); then
      boot="/ip4/127.0.0.1/tcp/$p2p/p2p/$peer_id"
    fi
  done
  # Wait for every RPC to answer.
  local deadline=$((SECONDS + 60))
  while read -r name i; do
    until [[ "$(rpc $((RPC_PORT + i)) system_health)" == *result* ]]; do
      if ! running "$DIR/$name.pid"; then
        echo "$name exited: see $DIR/logs/$name.log" >&2
        tail -n 20 "$DIR/logs/$name.log" >&2
        exit 1
      fi
      if ((SECONDS > deadline)); then
        echo "$name's RPC did not answer within 60 s: see $DIR/logs/$name.log" >&2
        exit 1
      fi
      sleep 0.2
    done
  done < <(nodes)
  echo "EchoNet local testnet ($bin)"
  echo "boot node: $boot"
  echo "logs: $DIR/logs"
  while read -r name i; do
    printf '  %-8s ws://127.0.0.1:%d  (p2p %d, prometheus http://127.0.0.1:%d/metrics)\n' \
      "$name" $((RPC_PORT + i)) $((P2P_PORT + i)) $((PROMETHEUS_PORT + i))
  done < <(nodes)
}

status() {
  if [[ -z "$(nodes)" ]]; then
    echo "no testnet in $DIR"
    return
  fi
  printf '%-8s %-8s %7s %10s %6s %8s\n' node pid best finalized peers syncing
  while read -r name i; do
    local pid="-" best="-" fin="-" peers="-" syncing="-"
    if running "$DIR/$name.pid"; then
      pid="$(cat "$DIR/$name.pid")"
      local port=$((RPC_PORT + i))
      best="$(rpc "$port" chain_getHeader | jq -r '.result.number // "-"')"
      local fin_hash
      fin_hash="$(rpc "$port" chain_getFinalizedHead | jq -r '.result // empty')"
      if [[ -n "$fin_hash" ]]; then
        fin="$(rpc "$port" chain_getHeader "[\"$fin_hash\"]" | jq -r '.result.number // "-"')"
      fi
      local health
      health="$(rpc "$port" system_health)"
      peers="$(jq -r '.result.peers // "-"' <<<"$health")"
      syncing="$(jq -r 'if .result then .result.isSyncing | tostring else "-" end' <<<"$health")"
      [[ "$best" == 0x* ]] && best=$((best))
      [[ "$fin" == 0x* ]] && fin=$((fin))
    else
      pid="stopped"
    fi
    printf '%-8s %-8s %7s %10s %6s %8s\n' "$name" "$pid" "$best" "$fin" "$peers" "$syncing"
  done < <(nodes)
}

stop() {
  local pids=()
  while read -r name _; do
    if running "$DIR/$name.pid"; then
      pids+=("$(cat "$DIR/$name.pid")")
      kill -TERM "$(cat "$DIR/$name.pid")" 2>/dev/null || true
    fi
  done < <(nodes)
  local deadline=$((SECONDS + 30))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid did not stop in 30 s: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  while read -r name _; do
    rm -f "$DIR/$name.pid"
  done < <(nodes)
  echo "stopped ${#pids[@]} nodes (data and logs stay in $DIR)"
}

case "${1:-}" in
  start) start "${2:-4}" ;;
  status) status ;;
  stop) stop ;;
  *)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 1
    ;;
esac
