#!/usr/bin/env bash
# Runs the core test suite compiled to wasm32 in headless Chromium, and fails
# if the browser ran no test (wasm-bindgen-test skips plain #[test] silently).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each binary's page runs in Playwright's Chromium (scripts/wasm-test-page.mjs
# says why not the runner's chromedriver).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=$PWD/scripts/wasm-test-runner.sh
export WASM_BINDGEN_TEST_TIMEOUT=300
log=$(mktemp)
# The WebRTC transport's tests need the real signalling server: start it
# on a free loopback port and tell the tests where (read at compile time).
# The relay link's transport tests need two links that are each other's
# peer: a test-only stand-in that pairs two clients per room (the example
# relay_pair, never part of the server binary). The server runs its real
# relay too, on a fresh database.
cargo build --quiet -p trustfold-server --bin trustfold-server --example relay_pair
server_log=$(mktemp)
relay_log=$(mktemp)
# Every test comes from 127.0.0.1: lift the per-address limits.
relay_dir=$(mktemp -d)
target/debug/trustfold-server --addr 127.0.0.1:0 --max-per-address 1000 \
  --address-joins 100/1000 --address-rate 10000/10000 \
  --relay-db "$relay_dir/relay.sqlite" >"$server_log" 2>&1 &
server=$!
target/debug/examples/relay_pair --addr 127.0.0.1:0 >"$relay_log" 2>&1 &
relay=$!
trap 'kill $server $relay 2>/dev/null; rm -rf "$log" "$server_log" "$relay_log" "$relay_dir"' EXIT
# The http:// URL a server prints once it listens.
listening() {
  local url=""
  for _ in $(seq 50); do
    url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$1" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "$2 did not start:" >&2
    cat "$1" >&2
    exit 1
  fi
  echo "$url"
}
url=$(listening "$server_log" "the signalling server")
export TRUSTFOLD_SIGNAL_URL="${url/http:/ws:}/signal"
url=$(listening "$relay_log" "relay_pair")
export TRUSTFOLD_RELAY_PAIR_URL="${url/http:/ws:}/relay"

status=0
cargo test --no-fail-fast --target wasm32-unknown-unknown -p trustfold -p trustfold-web "$@" 2>&1 | tee "$log" || status=$?
# A test binary whose page never reported a test ("Failed to detect test as
# having been run": its page never loaded in 4 tries, or never ended) is run
# once more, alone, and said so. The page of a binary with JS snippets (the
# façade's) stalls at "Loading scripts..." in about one load in three on
# this 2-core machine (the runner's server never answers a snippet);
# scripts/wasm-test-page.mjs opens such a page again. A binary that failed
# any other way, or fails again, fails the run.
if [ "$status" -ne 0 ]; then
  status=0
  # cargo's closing count: "error: 2 targets failed:".
  failed=$(grep -Eo '^error: [0-9]+ targets? failed' "$log" | grep -Eo '[0-9]+' | tail -1 || true)
  failed=${failed:-$(grep -c '^error: test failed, to rerun pass' "$log" || true)}
  # Each test binary's output follows its "Running … (target/…/name-hash.wasm)"
  # line, up to the next "Running" or "Doc-tests" line (whose own "test
  # result:" is not the binary's: the doc tests after the last binary once
  # hid it, and a run whose last binary never started failed, 2026-12-05).
  mapfile -t unstarted < <(awk '
    /^ +(Running|Doc-tests) / {
      if (wasm != "" && lost && !done) print wasm
      wasm = ""; lost = 0; done = 0
      if ($0 ~ /\.wasm\)$/) { wasm = $0; sub(/.*\(/, "", wasm); sub(/\)$/, "", wasm) }
      next
    }
    /Failed to detect test as having been run/ { lost = 1 }
    /test result:/ { done = 1 }
    END { if (wasm != "" && lost && !done) print wasm }' "$log")
  if [ -z "$failed" ] || [ "${#unstarted[@]}" -ne "$failed" ]; then
    status=1
  else
    for wasm in "${unstarted[@]}"; do
      echo "== $wasm: the browser never started its tests; once more, alone =="
      "$CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER" "$wasm" 2>&1 | tee -a "$log" || status=1
    done
  fi
fi
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
echo "wasm32 in headless Chromium: $passed tests passed"
if [ "$passed" -eq 0 ]; then
  echo "no test ran in the browser" >&2
  exit 1
fi
exit "$status"
