#!/usr/bin/env bash
# Builds pkg/, the npm package: the release wasm through wasm-bindgen
# (`--target web`: plain ES modules that webpack 5, Vite and a browser without
# a bundler all load), TypeScript definitions, and its package.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# PKG_FEATURES: more cargo features, to weigh them (BENCHMARKS.md:
# `PKG_FEATURES=trustfold/fast` puts ed25519's tables back).
cargo build -p trustfold-web --lib --profile pkg --target wasm32-unknown-unknown \
  ${PKG_FEATURES:+--features "$PKG_FEATURES"}
rm -rf pkg
# Stripping the producers section shrinks the download; the name section
# stays until wasm-opt has ordered the functions by it (below).
wasm-bindgen --target web --out-dir pkg --out-name trustfold \
  --remove-producers-section \
  target/wasm32-unknown-unknown/pkg/trustfold_web.wasm
# The glue's JSDoc stays in trustfold.d.ts only (scripts/strip-jsdoc.mjs).
node scripts/strip-jsdoc.mjs pkg/trustfold.js
node --check pkg/trustfold.js
# Binaryen's wasm-opt from npm (package.json pins it; Debian's breaks the
# module in Chromium: ../shared/TOOLCHAIN.md). -O1, not -Oz: -Oz and -O2
# shrink the raw module more but gzip it larger (reordered locals and
# inlined bodies compress worse); -O1 saves ≈ 9.5 kB gzipped. Then dead
# argument elimination (--dae-optimizing, ≈ 3 kB) and --converge (≈ 1 kB),
# repeating until nothing shrinks (BENCHMARKS "Package size"). First the
# functions are put in the order of their names (--reorder-functions-by-name):
# a crate's functions then sit together, and gzip finds far more repeats
# within its window — 60.6 kB gzipped less, the same code (2026-12-04, a
# helper's comparison of wasm-opt's passes); the names go last
# (--strip-debug drops the name section). The features
# are those rustc emits for wasm32 (wasm-opt refuses a module using others).
opt=node_modules/.bin/wasm-opt
if [ ! -x "$opt" ]; then
  echo "build-pkg: $opt is missing: run 'npm ci' (make setup does)" >&2
  exit 1
fi
"$opt" --reorder-functions-by-name -O1 --dae-optimizing --converge --strip-debug \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg/trustfold_bg.wasm -o pkg/trustfold_bg.wasm

version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
cat > pkg/package.json <<JSON
{
  "name": "trustfold",
  "version": "$version",
  "description": "A local-first data node: signed, hash-linked events folded into a ledger and documents by each user's own trust policy.",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "trustfold.js",
  "module": "trustfold.js",
  "types": "trustfold.d.ts",
  "exports": {
    ".": { "types": "./trustfold.d.ts", "default": "./trustfold.js" },
    "./trustfold_bg.wasm": "./trustfold_bg.wasm"
  },
  "files": ["trustfold.js", "trustfold.d.ts", "trustfold_bg.wasm", "trustfold_bg.wasm.d.ts", "snippets"],
  "sideEffects": false
}
JSON
# What a browser downloads, compressed: `gzip -9` (GNU gzip, the measure
# of BENCHMARKS.md "Package size"; goal ≤ 800 kB) and brotli (quality 11,
# Node's zlib) of the wasm, the JS glue and its snippets.
shipped=$(find pkg/trustfold_bg.wasm pkg/trustfold.js pkg/snippets -type f \( -name '*.wasm' -o -name '*.js' \))
raw=0; gz=0
for f in $shipped; do
  raw=$((raw + $(wc -c < "$f")))
  gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
done
br=$(node -e '
const fs = require("fs"), zlib = require("zlib");
const q = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } };
console.log(process.argv.slice(1).reduce((n, f) => n + zlib.brotliCompressSync(fs.readFileSync(f), q).length, 0));
' $shipped)
echo "pkg/: wasm + JS $raw bytes, $gz gzipped (goal ≤ 800000), $br with brotli"

