#!/usr/bin/env bash
# cargo's runner for wasm32 test binaries (CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER):
# wasm-bindgen-test-runner makes and serves the test page (its NO_HEADLESS
# mode), and Playwright's Chromium runs it (scripts/wasm-test-page.mjs says
# why not chromedriver). A binary not meant for a browser runs as the
# runner runs it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
NO_HEADLESS=1 WASM_BINDGEN_TEST_ADDRESS=127.0.0.1:0 wasm-bindgen-test-runner "$@" >"$log" 2>&1 &
runner=$!
trap 'kill $runner 2>/dev/null; wait $runner 2>/dev/null; rm -f "$log"' EXIT
url=""
# The runner prints the page's address once it serves it (after making the
# bindings, a few seconds for a large binary), or exits (no browser needed).
for _ in $(seq 1200); do
  url=$(grep -Eo 'available at http://[0-9.:]+' "$log" | head -1 | sed 's/available at //' || true)
  [ -n "$url" ] && break
  if ! kill -0 $runner 2>/dev/null; then
    wait $runner
    status=$?
    cat "$log"
    exit $status
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "wasm-bindgen-test-runner never served the test page:" >&2
  cat "$log" >&2
  exit 1
fi
node "$here/wasm-test-page.mjs" "$url/" "${WASM_BINDGEN_TEST_TIMEOUT:-300}"
