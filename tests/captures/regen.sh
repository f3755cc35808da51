#!/usr/bin/env bash
# Regenerates the captures in this folder from real handshakes on loopback: openssl s_server as the
# server, curl as the client, certificates minted by certgate's PKI crate, tcpdump/dumpcap
# recording. Every scenario names its expected verdict in EXPECTED (read by
# crates/trace/tests/captures.rs). Needs root (or capture rights), tcpdump, tshark's dumpcap,
# openssl, curl, socat and python3. Nothing here runs in CI: the committed files are the fixtures.
set -euo pipefail
cd "$(dirname "$0")"
OUT=$PWD
ROOT=$(cd ../.. && pwd)
W=$(mktemp -d)
PORT=${PORT:-28443}
SERVER="" TCPDUMP="" RELAY=""

cleanup() {
  for p in $SERVER $TCPDUMP $RELAY; do kill "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

(cd "$ROOT" && cargo run -q -p certgate-trace --example capture_pki -- "$W/pki")
P=$W/pki
: >"$OUT/EXPECTED.new"

wait_listen() { # PORT
  for _ in $(seq 100); do ss -ltn | grep -q ":$1 " && return 0; sleep 0.05; done
  echo "nothing listens on $1" >&2; return 1
}

# capture NAME IFACE FORMAT(pcap|pcapng) HOSTPORT
capture() {
  local file="$W/$1.$3"
  if [ "$3" = pcapng ]; then
    dumpcap -q -i "$2" -f "tcp port $4" -w "$file" 2>"$W/cap.log" &
  else
    tcpdump -i "$2" -U -s 0 -w "$file" "tcp port $4" 2>"$W/cap.log" &
  fi
  TCPDUMP=$!
  for _ in $(seq 100); do grep -qi "listening\|capturing" "$W/cap.log" && break; sleep 0.05; done
  sleep 0.3
}

stop_capture() { # NAME FORMAT EXPECTED-CODES...
  sleep 0.5
  kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true; TCPDUMP=""
  cp "$W/$1.$2" "$OUT/$1.$2"
  shift 2
  echo "$*" >>"$OUT/EXPECTED.new"
}

server() { # ARGS... (exits after one connection unless -naccept is given)
  openssl s_server -quiet -www "$@" </dev/null >/dev/null 2>&1 &
  SERVER=$!
  wait_listen "${WAITPORT:-$PORT}"
}

server_done() { for _ in $(seq 60); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.05; done; kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=""; }

curl_() { curl -sS --max-time 5 -o /dev/null --resolve "localhost:$PORT:127.0.0.1" "$@" || true; }

S=(-accept "127.0.0.1:$PORT" -cert "$P/server.pem" -key "$P/server.key" -naccept 1)

one() { # NAME EXPECTED SERVER-ARGS -- CURL-ARGS
  local name=$1 expected=$2; shift 2
  local sargs=() cargs=()
  while [ "$1" != -- ]; do sargs+=("$1"); shift; done; shift
  cargs=("$@")
  capture "$name" lo pcap "$PORT"
  server "${S[@]}" "${sargs[@]}"
  curl_ "${cargs[@]}"
  server_done
  stop_capture "$name" pcap "$name.pcap" "$expected"
}

URL="https://localhost:$PORT/"
one tls13_ok ok -tls1_3 -- --cacert "$P/ca.pem" "$URL"
one tls12_ok ok -tls1_2 -- --cacert "$P/ca.pem" --tls-max 1.2 "$URL"
one tls12_client_cert_required client_cert.required -tls1_2 -Verify 1 -CAfile "$P/ca.pem" -- --cacert "$P/ca.pem" --tls-max 1.2 "$URL"
one tls13_client_cert_required client_cert.required -tls1_3 -Verify 1 -CAfile "$P/ca.pem" -- --cacert "$P/ca.pem" "$URL"
one tls12_unknown_ca cert.untrusted_root -tls1_2 -- --cacert "$P/other-ca.pem" --tls-max 1.2 "$URL"
one tls13_unknown_ca cert.untrusted_root -tls1_3 -- --cacert "$P/other-ca.pem" "$URL"
one tls12_expired_server_cert cert.expired -tls1_2 -cert "$P/expired.pem" -key "$P/expired.key" -- --cacert "$P/ca.pem" --tls-max 1.2 "$URL"
one protocol_version handshake.protocol_version -tls1_3 -- --cacert "$P/ca.pem" --tls-max 1.2 "$URL"
one no_shared_cipher handshake.no_shared_cipher -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384 -- --cacert "$P/ca.pem" --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 "$URL"
one plain_http_to_tls_port http.plain_to_tls -- "http://127.0.0.1:$PORT/"

# Linux cooked capture (tcpdump -i any): a client certificate from a CA the server does not trust.
capture client_cert_untrusted_cooked any pcap "$PORT"
server "${S[@]}" -tls1_2 -Verify 1 -verify_return_error -CAfile "$P/ca.pem"
curl_ --cacert "$P/ca.pem" --tls-max 1.2 --cert "$P/stranger.pem" --key "$P/stranger.key" "$URL"
server_done
stop_capture client_cert_untrusted_cooked pcap client_cert_untrusted_cooked.pcap client_cert.untrusted

# pcapng over IPv6 with two connections: with a client certificate (ok), then without one.
capture ipv6_two_connections lo pcapng "$PORT"
server -accept "[::1]:$PORT" -cert "$P/server.pem" -key "$P/server.key" -naccept 2 -tls1_3 -Verify 1 -CAfile "$P/ca.pem"
curl -sS --max-time 5 -o /dev/null --cacert "$P/ca.pem" --cert "$P/client.pem" --key "$P/client.key" "https://[::1]:$PORT/" || true
curl -sS --max-time 5 -o /dev/null --cacert "$P/ca.pem" "https://[::1]:$PORT/" || true
server_done
stop_capture ipv6_two_connections pcapng ipv6_two_connections.pcapng ok client_cert.required

# Small segments (socat relays 64-byte chunks) of a TLS 1.2 handshake with a client certificate,
# then reordered and one segment duplicated (a retransmission): reassembly must still read it.
BACK=$((PORT + 1))
capture small_segments lo pcap "$BACK"
WAITPORT=$BACK server -accept "127.0.0.1:$BACK" -cert "$P/server.pem" -key "$P/server.key" -naccept 1 -tls1_2 -Verify 1 -CAfile "$P/ca.pem"
socat -b 64 "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr" "TCP:127.0.0.1:$BACK,nodelay" &
RELAY=$!
wait_listen "$PORT"
curl_ --cacert "$P/ca.pem" --tls-max 1.2 --cert "$P/client.pem" --key "$P/client.key" "$URL"
server_done
kill "$RELAY" 2>/dev/null || true; wait "$RELAY" 2>/dev/null || true; RELAY=""
sleep 0.5; kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true; TCPDUMP=""
python3 - "$W/small_segments.pcap" "$OUT/out_of_order.pcap" "$BACK" <<'PY'
# Reorders a classic pcap: every pair of consecutive client->server data segments is swapped and
# the first data segment is sent again at the end of its flight (a retransmission).
import struct, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, 'rb').read()
head, recs, i = data[:24], [], 24
while i + 16 <= len(data):
    caplen = struct.unpack('<I', data[i+8:i+12])[0]
    recs.append(data[i:i+16+caplen]); i += 16 + caplen
def tcp(rec):
    pkt = rec[16:]; ihl = (pkt[14] & 15) * 4; t = pkt[14+ihl:]
    off = (t[12] >> 4) * 4
    return struct.unpack('>H', t[2:4])[0], len(pkt) - 14 - ihl - off
out, k, first = [], 0, None
while k < len(recs):
    dport, n = tcp(recs[k])
    if dport == port and n > 0 and k + 1 < len(recs) and tcp(recs[k+1])[0] == port and tcp(recs[k+1])[1] > 0:
        out += [recs[k+1], recs[k]]; first = first or recs[k]; k += 2
    else:
        out.append(recs[k]); k += 1
out.insert(len(out) // 2, first)
open(dst, 'wb').write(head + b''.join(out))
PY
echo "out_of_order.pcap ok" >>"$OUT/EXPECTED.new"

# Truncated: the client-certificate capture cut in the middle of the packet that carries the
# server's alert, as if tcpdump had been killed: everything before it must still be reported.
python3 - "$OUT/tls12_client_cert_required.pcap" "$OUT/truncated.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
i, cut = 24, None
while i + 16 <= len(data):
    caplen = struct.unpack('<I', data[i+8:i+12])[0]
    pkt = data[i+16:i+16+caplen]
    ihl = (pkt[14] & 15) * 4; t = pkt[14+ihl:]; payload = t[(t[12] >> 4) * 4:]
    if payload[:1] == b'\x15' and len(payload) == 7:   # the 7-byte alert record
        cut = i + 16 + caplen // 2; break
    i += 16 + caplen
open(sys.argv[2], 'wb').write(data[:cut])
PY
echo "truncated.pcap handshake.incomplete" >>"$OUT/EXPECTED.new"

mv "$OUT/EXPECTED.new" "$OUT/EXPECTED"
ls -l "$OUT"
