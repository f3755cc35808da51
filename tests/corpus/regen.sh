#!/usr/bin/env bash
# Regenerates the client-error corpus: starts a `certgate lab` in-process, runs every real client
# (curl, openssl s_client, Python requests, Python ssl, Node https, PHP cURL, Java HttpClient,
# rustls)
# against every scenario and writes what each printed to tests/corpus/<client>.jsonl.
# It is the same test CI runs (crates/lab/tests/clients.rs); this only asks it to write the files.
# Every client must be installed: a missing one fails instead of leaving a file stale.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -f tests/corpus/*.jsonl
CERTGATE_REQUIRE_TOOLS=1 CERTGATE_CORPUS_OUT="$PWD/tests/corpus" \
  cargo test -q -p certgate-lab --test clients -- --nocapture
wc -l tests/corpus/*.jsonl
