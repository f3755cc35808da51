#!/usr/bin/env bash
# doctor vs sslyze vs testssl.sh against the same loopback endpoint, wall time and ratios.
# The endpoint is `openssl s_server -www` with a generated root + server certificate, TLS 1.2
# and 1.3 (the kind of API endpoint doctor is for). Each tool does its full default scan.
# Needs: a release build (cargo build --release), openssl, sslyze (pip install sslyze),
# testssl.sh (Debian package testssl.sh). Not run by tests.
#   bench/doctor/run.sh [RUNS]     (default 5 runs for doctor and sslyze, 1 for testssl.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
BIN=${CERTGATE_BIN:-target/release/certgate}
[ -x "$BIN" ] || cargo build --release -q -p certgate
W=$(mktemp -d); trap 'kill $SRV 2>/dev/null || true; rm -rf "$W"' EXIT

"$BIN" cert ca create --out "$W/ca" --name "Bench Root" >/dev/null
"$BIN" cert issue --ca "$W/ca" --server localhost,127.0.0.1 --out "$W/srv" >/dev/null
CERT=$(ls "$W"/srv/*.pem | head -1); KEY=$(ls "$W"/srv/*.key | head -1)
openssl s_server -accept 127.0.0.1:0 -www -cert "$CERT" -key "$KEY" >"$W/srv.out" 2>/dev/null </dev/null &
SRV=$!
for _ in $(seq 50); do grep -q ACCEPT "$W/srv.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$W/srv.out")
echo "endpoint: openssl s_server on 127.0.0.1:$PORT ($(openssl version))"

# wall time of one command, seconds
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

D=$(for _ in $(seq "$RUNS"); do t "$BIN" doctor "https://localhost:$PORT/" --cacert "$W/ca/ca.pem"; done | median)
echo "doctor      median of $RUNS: ${D} s   (verdict: $("$BIN" doctor "https://localhost:$PORT/" --cacert "$W/ca/ca.pem" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])'))"
if command -v sslyze >/dev/null; then
  S=$(for _ in $(seq "$RUNS"); do t sslyze "localhost:$PORT"; done | median)
  echo "sslyze      median of $RUNS: ${S} s   ratio $(echo "scale=1; $S / $D" | bc)x"
else echo "sslyze      not installed (pip install sslyze)"; fi
TS=$(command -v testssl || command -v testssl.sh || true)
if [ -n "$TS" ]; then
  T=$(t "$TS" --quiet --warnings off "localhost:$PORT")
  echo "testssl.sh  1 run:        ${T} s   ratio $(echo "scale=1; $T / $D" | bc)x"
else echo "testssl.sh  not installed (apt-get install testssl.sh)"; fi
