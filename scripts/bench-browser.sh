#!/usr/bin/env bash
# Browser benchmarks (BENCHMARKS.md, section "Browser"): builds the bench
# crate bench-browser/ (its own workspace) for wasm32 and its native fixture
# generator, makes the fixtures, then runs the bench page in headless Debian
# chromium (bench-browser/run.mjs) and writes target/bench-browser/results.json.
# Arguments go to run.mjs (--runs N ingest iterations, --cold N cold starts).
#
# With --catchup as the first argument it runs the catch-up benchmark instead
# (BENCHMARKS.md, "Browser: catch-up over WebRTC"; bench-browser/catchup.mjs:
# two browsers, the signalling server, WebRTC) and writes
# target/bench-browser/catchup.json; the other arguments go to catchup.mjs
# (--runs N, --events N, --no-phases).
set -euo pipefail
driver=bench-browser/run.mjs
if [ "${1:-}" = "--catchup" ]; then
  driver=bench-browser/catchup.mjs
  shift
fi
cd "$(dirname "$0")/.."
out=target/bench-browser
mkdir -p "$out"
# The bench crate's own target directory (override with CARGO_TARGET_DIR).
bench_target=${CARGO_TARGET_DIR:-$PWD/bench-browser/target}

# The size benchmark measures the npm package; build it if it is missing.
if [ ! -f pkg/trustfold_bg.wasm ] || [ ! -f pkg/trustfold.js ]; then
  env -u CARGO_TARGET_DIR ./scripts/build-pkg.sh
fi
[ -d node_modules/playwright-core ] || npm ci
# The catch-up benchmark needs the signalling server (as tests/browser do).
if [ "$driver" = bench-browser/catchup.mjs ] && [ ! -x target/debug/trustfold-server ]; then
  env -u CARGO_TARGET_DIR cargo build -p trustfold-server
fi

(
  cd bench-browser
  cargo build --release --bin gen-fixtures
  cargo build --release --lib --target wasm32-unknown-unknown
)
rm -rf "$out/pkg"
wasm-bindgen --target web --out-dir "$out/pkg" --out-name bench_browser \
  "$bench_target/wasm32-unknown-unknown/release/bench_browser.wasm"

# Fixtures: regenerated when missing or older than the generator.
if [ ! -f "$out/fixtures/manifest.json" ] ||
  [ "$bench_target/release/gen-fixtures" -nt "$out/fixtures/manifest.json" ]; then
  "$bench_target/release/gen-fixtures" "$out/fixtures"
fi

node "$driver" "$@"
