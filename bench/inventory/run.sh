#!/usr/bin/env bash
# Inventory scan speed: FILES certificate files (default 10,000) and ENDPOINTS loopback TLS
# endpoints (default 1,000), scanned by a release build of `certgate inventory`. Prints files/s
# and endpoints/s (median of RUNS runs each). Not run by the tests; the test-sized version is
# crates/certgate/tests/inventory.rs `two_thousand_files_and_a_hundred_endpoints_...`.
#
#   bench/inventory/run.sh [FILES] [ENDPOINTS]        env: RUNS=3 CONCURRENCY=64 PROFILE=release
# (PROFILE=debug measures the dev build, e.g. where disk is too short for a release build.)
set -euo pipefail
cd "$(dirname "$0")/../.."
FILES=${1:-10000}
ENDPOINTS=${2:-1000}
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-64}
# 1,000 listeners plus the scanner's connections need more than the usual 1,024 descriptors
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"

PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then FLAG=--release; else FLAG=; fi
cargo build $FLAG -q -p certgate --bin certgate
cargo build $FLAG -q -p certgate-inventory --example bench_fixture
BIN=target/$PROFILE/certgate
WORK=$(mktemp -d)
FIFO="$WORK/stdin"
mkfifo "$FIFO"
cleanup() { exec 3>&- 2>/dev/null || true; [ -n "${FIX_PID:-}" ] && kill "$FIX_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

echo "generating $FILES certificate files and $ENDPOINTS loopback endpoints in $WORK ..." >&2
target/$PROFILE/examples/bench_fixture "$WORK" "$FILES" "$ENDPOINTS" <"$FIFO" >"$WORK/ready" &
FIX_PID=$!
exec 3>"$FIFO"   # holding the fifo open keeps the fixture serving
for _ in $(seq 1 600); do grep -q ready "$WORK/ready" 2>/dev/null && break; sleep 0.5; done
grep -q ready "$WORK/ready" || { echo "fixture did not start" >&2; exit 1; }

# runs a scan RUNS times; prints the median wall-clock seconds
median_seconds() {
  local times=()
  for _ in $(seq 1 "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$BIN" inventory "$@" --json >"$WORK/out.json" || [ $? -eq 1 ]   # exit 1 = expired found
    t1=$(date +%s.%N)
    times+=("$(awk "BEGIN {print $t1 - $t0}")")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

F=$(median_seconds "$WORK/tree")
CF=$(python3 -c "import json;d=json.load(open('$WORK/out.json'));print(d['summary']['certificates'])")
E=$(median_seconds --endpoints "$WORK/endpoints.txt" --concurrency "$CONCURRENCY")
UP=$(python3 -c "import json;d=json.load(open('$WORK/out.json'));s=d['summary'];print(s['endpoints']-s['endpoints_failed'])")
B=$(median_seconds "$WORK/tree" --endpoints "$WORK/endpoints.txt" --concurrency "$CONCURRENCY")

echo "build: $PROFILE; machine: $(nproc) cores; runs: $RUNS (median); endpoint concurrency: $CONCURRENCY"
printf 'files:     %6d files      in %6.2f s  = %8.0f files/s      (%d certificates found)\n' "$FILES" "$F" "$(awk "BEGIN {print $FILES / $F}")" "$CF"
printf 'endpoints: %6d endpoints  in %6.2f s  = %8.0f endpoints/s  (%d reachable)\n' "$ENDPOINTS" "$E" "$(awk "BEGIN {print $ENDPOINTS / $E}")" "$UP"
printf 'both:      %6d + %d       in %6.2f s\n' "$FILES" "$ENDPOINTS" "$B"
