#!/usr/bin/env bash
# Issue 11, item 7: a debug and a release build of echonet-node reach the same state roots.
#
# The runtime is compiled into the node, so any behaviour that depends on the build profile
# (overflow checks, debug assertions) would make two builds disagree on a block and split the
# chain. This builds the node both ways, has each build write a block corpus (transfers,
# staking and witness calls over many sessions and eras: `echonet-node benchmark corpus`) and
# has the OTHER build import it. `import-blocks` executes every block and compares the state
# root it computes with the header's, so one divergent block fails the import.
#
# Too slow for CI (a release build of the dependency set takes about 25 minutes on two
# cores); CI runs the single-build version (echonet-tests cli::a_block_corpus_reimports_...).
#
#   scripts/cross-build-state-roots.sh [--blocks N]     (default 400)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BLOCKS=400
while [ $# -gt 0 ]; do
  case "$1" in
    --blocks) BLOCKS="${2:?--blocks needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/echonet/target}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for profile in debug release; do
  flag=(); [ "$profile" = release ] && flag=(--release)
  echo "==> cargo build -p echonet-node ${flag[*]}"
  cargo build -p echonet-node --locked "${flag[@]}"
  # A private copy: another build in the same target dir must not swap it mid-run.
  cp "$CARGO_TARGET_DIR/$profile/echonet-node" "$WORK/echonet-node-$profile"
done

summary() { grep -o 'best.*state root 0x[0-9a-f]*' "$1" | tail -1 | sed -E 's/.*(0x[0-9a-f]{64}).*state root (0x[0-9a-f]{64})/\1 \2/'; }

status=0
for pair in "debug release" "release debug"; do
  set -- $pair
  writer=$1 reader=$2
  echo "==> $writer build writes a corpus of $BLOCKS blocks"
  "$WORK/echonet-node-$writer" benchmark corpus --blocks "$BLOCKS" --output "$WORK/corpus-$writer" \
    >"$WORK/corpus-$writer.out" 2>"$WORK/corpus-$writer.err"
  cat "$WORK/corpus-$writer.out"
  echo "==> $reader build imports it"
  if ! "$WORK/echonet-node-$reader" import-blocks --chain "$WORK/corpus-$writer/spec.json" --binary \
      --base-path "$WORK/import-$reader" "$WORK/corpus-$writer/blocks.bin" 2>"$WORK/import-$reader.err"; then
    tail -20 "$WORK/import-$reader.err"
    echo "FAIL: the $reader build rejected a block the $writer build wrote" >&2
    status=1
    continue
  fi
  tail -1 "$WORK/import-$reader.err"
  written="$(summary "$WORK/corpus-$writer.out")"
  imported="$(summary "$WORK/import-$reader.err")"
  if [ -z "$written" ] || [ "$written" != "$imported" ]; then
    echo "FAIL: $writer wrote [$written], $reader imported [$imported]" >&2
    status=1
  else
    echo "ok: $writer -> $reader, best and state root $written"
  fi
done
[ $status -eq 0 ] && echo "Debug and release builds agree on every block of both corpora."
exit $status
