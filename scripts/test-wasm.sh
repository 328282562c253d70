#!/usr/bin/env bash
# Runs the core test suite compiled to wasm32 in headless Chromium, and fails
# if the browser ran no test (wasm-bindgen-test skips plain #[test] silently).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=300
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --target wasm32-unknown-unknown "$@" 2>&1 | tee "$log"
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
echo "wasm32 in headless Chromium: $passed tests passed"
if [ "$passed" -eq 0 ]; then
  echo "no test ran in the browser" >&2
  exit 1
fi
