#!/usr/bin/env bash
# Weighs wasm-opt settings on the package's module, for BENCHMARKS.md
# "Package size": builds the wasm as scripts/build-pkg.sh does, then runs
# each setting on the same wasm-bindgen output and prints the module's size
# gzipped (`gzip -9`) and its difference from the setting the package ships.
# The JS glue is the same in every setting (≈ 14.5 kB gzipped), so the
# differences are the package's. Takes a few minutes (each run of wasm-opt
# converges); nothing in pkg/ changes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p trustfold-web --lib --profile pkg --target wasm32-unknown-unknown
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --out-dir "$tmp" --out-name trustfold \
  --remove-producers-section \
  target/wasm32-unknown-unknown/pkg/trustfold_web.wasm
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
shipped=
variant() {
  local name=$1
  shift
  node_modules/.bin/wasm-opt "$@" "${features[@]}" "$tmp/trustfold_bg.wasm" -o "$tmp/out.wasm"
  local gz
  gz=$(gzip -9 -c "$tmp/out.wasm" | wc -c)
  shipped=${shipped:-$gz}
  printf '%-58s %9d B gzipped  %+8d B\n' "$name" "$gz" $((gz - shipped))
}
variant "shipped: by name, -O1, dae, converge" \
  --reorder-functions-by-name -O1 --dae-optimizing --converge --strip-debug
variant "without ordering by name" \
  -O1 --dae-optimizing --converge --strip-debug
variant "ordered by use (--reorder-functions) instead" \
  --reorder-functions -O1 --dae-optimizing --converge --strip-debug
variant "then -Os with no function inlined" \
  --reorder-functions-by-name -O1 --dae-optimizing --converge --no-inline='*' -Os --strip-debug
variant "then --low-memory-unused" \
  --reorder-functions-by-name --low-memory-unused -O1 --dae-optimizing --converge --strip-debug
