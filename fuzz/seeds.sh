#!/usr/bin/env bash
# Regenerates fuzz/seeds/tls_conversation/: every TCP connection of tests/captures/* reassembled
# by tshark (`-z follow,tcp,raw`) and written as a certgate_trace::conversation::script (chunks of
# tag, u16 length, bytes; tag bit 0 = from the server). The capture target's seeds are the
# captures themselves (fuzz/run.sh passes tests/captures as a second corpus directory).
# Needs tshark and python3. Not run by CI: the seeds are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=fuzz/seeds/tls_conversation
rm -rf "$OUT"; mkdir -p "$OUT"
for f in tests/captures/*.pcap tests/captures/*.pcapng; do
  # tshark exits 2 on truncated.pcap after printing what it read: keep that.
  n=$( (tshark -n -r "$f" -T fields -e tcp.stream 2>/dev/null || true) | sort -un | wc -l)
  for s in $(seq 0 $((n - 1))); do
    (tshark -n -r "$f" -q -z "follow,tcp,raw,$s" 2>/dev/null || true) |
      python3 -c '
import sys, struct
out = bytearray()
body = False
for line in sys.stdin:
    if line.startswith("Node 1:"):
        body = True; continue
    if not body or line.startswith("===="):
        continue
    server = line.startswith("\t")
    data = bytes.fromhex(line.strip())
    for i in range(0, len(data), 65535):
        part = data[i:i + 65535]
        out += bytes([1 if server else 0]) + struct.pack(">H", len(part)) + part
sys.stdout.buffer.write(out)
' >"$OUT/$(basename "${f%.*}")-$s.script"
  done
done
find "$OUT" -empty -delete
ls "$OUT" | wc -l
