#!/usr/bin/env bash
# Fuzzes certgate-trace's parsers of untrusted bytes with libFuzzer (cargo-fuzz), each target for a
# bounded time, and fails on any crash, panic, leak or hang (>10 s on one input).
#   fuzz/run.sh              # 30 s per target (what CI runs)
#   fuzz/run.sh 600          # longer, by hand
# Targets: tls_conversation (both directions of one connection, conversation::script format:
# record framing, tls-parser, analysis, rendering) and capture (a whole pcap/pcapng file).
# Seeds: fuzz/seeds/tls_conversation (from fuzz/seeds.sh) and tests/captures. New inputs go to
# fuzz/corpus/ (not committed); a crash is saved in fuzz/artifacts/TARGET/ — replay it with
# `RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`, fix the parser and
# add the input as a regression test in crates/trace/tests/no_panic.rs.
# Stable rustc 1.95: cargo-fuzz needs -Zsanitizer=address, hence RUSTC_BOOTSTRAP=1 (no nightly).
set -euo pipefail
cd "$(dirname "$0")"
SECS=${1:-30}
command -v cargo-fuzz >/dev/null || cargo install -q cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$PWD/target"
cargo fuzz build
for target in tls_conversation capture; do
  case $target in
    tls_conversation) seeds=seeds/tls_conversation ;;
    capture) seeds=../tests/captures ;;
  esac
  mkdir -p "corpus/$target"
  echo "fuzz: $target for ${SECS}s"
  cargo fuzz run "$target" "corpus/$target" "$seeds" -- \
    -max_total_time="$SECS" -timeout=10 -print_final_stats=1 2>"corpus/$target.log" || {
    tail -40 "corpus/$target.log" >&2
    echo "fuzz: $target FAILED (input saved under fuzz/artifacts/$target/)" >&2
    exit 1
  }
  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "corpus/$target.log"
done
echo "fuzz: no crash in any target"
