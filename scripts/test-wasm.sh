#!/usr/bin/env bash
# Runs the core test suite compiled to wasm32 in headless Chromium, and fails
# if the browser ran no test (wasm-bindgen-test skips plain #[test] silently).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER=/usr/bin/chromedriver
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

cargo test --target wasm32-unknown-unknown -p trustfold -p trustfold-web "$@" 2>&1 | tee "$log"
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
echo "wasm32 in headless Chromium: $passed tests passed"
if [ "$passed" -eq 0 ]; then
  echo "no test ran in the browser" >&2
  exit 1
fi
