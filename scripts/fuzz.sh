#!/usr/bin/env bash
# Long fuzzing run: every target of echonet-fuzz (fuzz/tests/it/, one test per target) for
# N minutes each, several at once with --jobs. CI runs the same targets for a few seconds
# each (FUZZ_SECONDS's default) as part of the workspace tests.
#
#   scripts/fuzz.sh --minutes 10 [--jobs 2] [--targets network,rpc] [--out DIR]
#
# Builds the test binary once (the test profile, as CI), then runs each target alone in
# its own process with FUZZ_SECONDS set, so that a crash (a stack overflow aborts the
# process) ends only that target. Prints per target whether it passed and how many inputs
# it survived; logs go to DIR (default target/fuzz-<date>). A failing input is shrunk and
# its seed saved in fuzz/regressions/<target>.txt, which every later run replays first:
# commit it with the fix. Exits non-zero if any target failed, crashed or overran.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MINUTES=1
JOBS=1
TARGETS=""
OUT=""
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --targets) TARGETS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done
[[ "$MINUTES" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "--minutes takes a number" >&2; exit 2; }
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || { echo "--jobs takes a positive integer" >&2; exit 2; }

echo "==> building the fuzz targets (cargo test -p echonet-fuzz --no-run)"
BIN="$(cargo test -p echonet-fuzz --test it --locked --no-run --message-format=json 2>/dev/null \
  | grep '"executable":"' | grep '"name":"it"' | sed 's/.*"executable":"\([^"]*\)".*/\1/' | tail -n 1)"
[ -x "$BIN" ] || { echo "could not find the echonet-fuzz test binary" >&2; exit 1; }

ALL="$("$BIN" --list --format terse | sed -n 's/^\([a-z_]*\)::\1: test$/\1/p')"
if [ -n "$TARGETS" ]; then
  SELECTED="$(tr ',' '\n' <<<"$TARGETS")"
  for t in $SELECTED; do
    grep -qx "$t" <<<"$ALL" || { echo "no target $t (targets: $(echo $ALL))" >&2; exit 2; }
  done
else
  SELECTED="$ALL"
fi

OUT="${OUT:-${CARGO_TARGET_DIR:-$ROOT/target}/fuzz-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
SECONDS_PER_TARGET="$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 }')"
# Shrinking a failure and tearing down may take a while; past this the target is hung.
GRACE=300
echo "==> $(wc -w <<<"$SELECTED") targets, ${MINUTES} min each, ${JOBS} at a time; logs in $OUT"

run_target() {
  local t="$1"
  local started=$SECONDS
  set +e
  FUZZ_SECONDS="$SECONDS_PER_TARGET" FUZZ_REPORT_DIR="$OUT" \
    timeout --kill-after=10 "$((SECONDS_PER_TARGET + GRACE))" \
    "$BIN" --exact "$t::$t" --nocapture --test-threads 1 >"$OUT/$t.log" 2>&1
  local rc=$?
  set -e
  echo "$rc" >"$OUT/$t.rc"
  echo "    $t finished (exit $rc) after $((SECONDS - started)) s"
}
export -f run_target
export BIN OUT SECONDS_PER_TARGET GRACE

printf '%s\n' $SELECTED | xargs -P "$JOBS" -I{} bash -c 'run_target {}'

echo
printf '%-16s %-8s %s\n' target result "inputs survived"
failed=0
for t in $SELECTED; do
  rc="$(cat "$OUT/$t.rc" 2>/dev/null || echo missing)"
  count="$(cat "$OUT/$t.count" 2>/dev/null || echo -)"
  case "$rc" in
    0) result=ok ;;
    124|137) result=HUNG; failed=1 ;;
    *) result=FAILED; failed=1 ;;
  esac
  printf '%-16s %-8s %s\n' "$t" "$result" "$count"
  if [ "$result" != ok ]; then
    echo "    see $OUT/$t.log (exit $rc)"
  fi
done
exit "$failed"
