#!/usr/bin/env bash
# The page with a year of history (BENCHMARKS.md, "A year of history in
# the page"): for each history size, a Chromium profile whose page holds
# that many payments by PEOPLE members (made once, kept in
# target/bench-page), then RUNS runs of every interaction the page offers
# (open, idle, typing, paying, paging, search, filter, CSV, each tab, ban
# and unban, naming oneself, Debts), each run on a fresh copy of the
# profile, timed with a long-task observer (bench-browser/page/measure.mjs).
# Prints a table of medians and ranges: longest task, blocked time (the
# part of each long task over 50 ms), wall time, longest frame.
#
#   SIZES="1000 100000" PEOPLE=200 RUNS=3 PORT=18931 scripts/bench-page.sh
#
# RECORDS=5000 adds that many records in a collection, `inventory`, to
# each history (its own profiles: the tag gets "-r5000"), and measures the
# Records panel with it.
#
# The page served is this tree's, in its test build (target/dist-test:
# the history goes in through window.node.receive); the server runs
# without its relay, so nothing is uploaded while measuring.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${SIZES:-"1000 100000"}
people=${PEOPLE:-200}
records=${RECORDS:-0}
runs=${RUNS:-3}
port=${PORT:-18931}
out=$PWD/target/bench-page
mkdir -p "$out"
export BENCH_PAGE_DIR=$out PERF_URL=http://127.0.0.1:$port

[ -d node_modules/playwright-core ] || npm ci
[ -f pkg/trustfold_bg.wasm ] || ./scripts/build-pkg.sh
npx webpack --config webpack.config.js --env test > "$out/webpack.log"
cargo build -p trustfold-server
(cd bench-browser && cargo build --release --bin gen-history)
gen=${CARGO_TARGET_DIR:-$PWD/bench-browser/target}/release/gen-history

target/debug/trustfold-server --addr "127.0.0.1:$port" --site target/dist-test --no-relay \
  --max-per-address 1000 --address-joins 100/1000 --address-rate 10000/10000 > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1

tags=""
for payments in $sizes; do
  tag="$((payments / 1000))k"
  [ "$payments" -lt 1000 ] && tag="$payments"
  [ "$records" -gt 0 ] && tag="$tag-r$records"
  tags="$tags $tag"
  base="$out/profile-$tag.base"
  # Made once (a new identity each time): `rm -rf target/bench-page` makes them again.
  if [ ! -d "$base" ]; then
    rm -rf "$base"
    node bench-browser/page/export-backup.mjs "$base" "perf$tag" "$out/backup-$tag.bin"
    "$gen" "$out/backup-$tag.bin" "perf audit passphrase 2026" "$payments" "$people" "$out/history-$tag.bin" "$records"
    node bench-browser/page/feed.mjs "$base" "perf$tag" "$out/history-$tag.bin"
  fi
  for run in $(seq 1 "$runs"); do
    node bench-browser/page/measure.mjs "$tag" "$run" > "$out/run-$tag-$run.log"
  done
done
SIZES="${tags# }" RUNS="$(seq -s ' ' 1 "$runs")" node bench-browser/page/table.mjs
