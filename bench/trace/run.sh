#!/usr/bin/env bash
# Throughput of `certgate trace pcap` in MB/s of capture, beside tshark reading the same files.
#   bench/trace/run.sh            # ~100 MB per capture, best of 3
#   bench/trace/run.sh --quick    # ~20 MB per capture, best of 1
#   bench/trace/run.sh --no-build # reuse target/release/certgate
# Two captures, made here and kept under $BENCH_DIR (default /tmp/certgate-bench-trace):
#   handshakes.pcap  the committed loopback captures (tests/captures/*.pcap, Ethernet) replayed
#                    with a fresh client address per copy: tens of thousands of short connections,
#                    every one a full handshake to parse and judge (the per-packet worst case);
#   bulk.pcap        one real TLS 1.3 download of a large file from openssl s_server -WWW through
#                    curl, recorded by tcpdump on lo (few, large segments: the per-byte case).
# tshark runs `-n -r FILE -Y 'tls.handshake or tls.alert_message'` (dissects TCP and TLS and keeps
# the handshake packets, the nearest equivalent); the ratio is tshark time / certgate time.
# Needs tcpdump, tshark, openssl, curl, python3. Not run by tests (timing belongs here).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DIR=${BENCH_DIR:-/tmp/certgate-bench-trace}
SIZE_MB=100 RUNS=3 BUILD=1
for a in "$@"; do
  case $a in
    --quick) SIZE_MB=20 RUNS=1 ;;
    --no-build) BUILD=0 ;;
    *) echo "usage: $0 [--quick] [--no-build]" >&2; exit 2 ;;
  esac
done
mkdir -p "$DIR"
[ $BUILD = 1 ] && cargo build -q --release -p certgate
BIN=$ROOT/target/release/certgate

# 1. many handshakes: replay committed captures with distinct client addresses.
python3 - "$DIR/handshakes.pcap" "$SIZE_MB" tests/captures/*.pcap <<'PY'
import struct, sys
out_path, size_mb, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
pkts = []   # (file index, client port, packet bytes) of Ethernet/IPv4 captures
head = None
for fi, f in enumerate(files):
    d = open(f, 'rb').read()
    if struct.unpack('<I', d[20:24])[0] != 1:
        continue            # only Ethernet link type
    head = head or d[:24]
    i = 24
    while i + 16 <= len(d):
        n = struct.unpack('<I', d[i+8:i+12])[0]
        if i + 16 + n > len(d):
            break           # truncated.pcap ends inside a packet
        pkts.append((fi, d[i:i+16+n])); i += 16 + n
with open(out_path, 'wb') as o:
    o.write(head); written, copy = 24, 0
    while written < size_mb * 1_000_000:
        copy += 1
        a, b = (copy >> 8) & 255, copy & 255
        for fi, p in pkts:
            p = bytearray(p)
            ip = 16 + 14
            if p[ip] >> 4 != 4:
                continue
            src = bytes(p[ip+12:ip+16])
            # the client is the 127.0.0.1 side with the high port: give each copy its own address
            for off in (12, 16):
                if p[ip+off:ip+off+4] == b'\x7f\x00\x00\x01':
                    tcp = ip + (p[ip] & 15) * 4
                    port = struct.unpack('>H', p[tcp+(0 if off == 12 else 2):tcp+(2 if off == 12 else 4)])[0]
                    if port > 30000:
                        p[ip+off:ip+off+4] = bytes([127, 1 + fi, a, b])
            o.write(p); written += len(p)
PY

# 2. one bulk TLS 1.3 download.
if [ ! -s "$DIR/bulk.pcap" ] || [ "$(stat -c %s "$DIR/bulk.pcap")" -lt $((SIZE_MB * 900000)) ]; then
  W=$(mktemp -d); PORT=28543
  cargo run -q -p certgate-trace --example capture_pki -- "$W/pki"
  head -c $((SIZE_MB * 1000000)) /dev/zero >"$W/big.bin"
  tcpdump -i lo -U -s 0 -w "$DIR/bulk.pcap" "tcp port $PORT" 2>"$W/td.log" & TD=$!
  sleep 1
  (cd "$W" && openssl s_server -quiet -WWW -accept "127.0.0.1:$PORT" -cert pki/server.pem -key pki/server.key -naccept 1 </dev/null >/dev/null 2>&1) & SRV=$!
  sleep 0.5
  curl -sS -o /dev/null --cacert "$W/pki/ca.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/big.bin"
  wait $SRV || true; sleep 0.5; kill -INT $TD; wait $TD || true
  rm -rf "$W"
fi

best() { # prints the best wall time in seconds of RUNS runs of "$@"
  local b=""
  for _ in $(seq $RUNS); do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}

printf '%-16s %9s %12s %10s %12s %10s %8s\n' capture MB "certgate s" "MB/s" "tshark s" "MB/s" ratio
for f in handshakes bulk; do
  file=$DIR/$f.pcap
  mb=$(echo "$(stat -c %s "$file") / 1000000" | bc -l)
  c=$(best "$BIN" trace pcap --json "$file")
  if command -v tshark >/dev/null; then
    t=$(best tshark -n -r "$file" -Y 'tls.handshake or tls.alert_message')
    printf '%-16s %9.1f %12.2f %10.1f %12.2f %10.1f %7.1fx\n' "$f" "$mb" "$c" "$(echo "$mb/$c" | bc -l)" "$t" "$(echo "$mb/$t" | bc -l)" "$(echo "$t/$c" | bc -l)"
  else
    printf '%-16s %9.1f %12.2f %10.1f %12s %10s %8s\n' "$f" "$mb" "$c" "$(echo "$mb/$c" | bc -l)" - - -
  fi
done
conns=$("$BIN" trace pcap --json "$DIR/handshakes.pcap" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["connections"]))')
echo "handshakes.pcap holds $conns TLS connections"
