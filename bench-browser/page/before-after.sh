#!/usr/bin/env bash
# Interleaved runs of the page benchmark on one history, this tree's page
# against an earlier commit's (BENCHMARKS.md, "A year of history in the
# page": the before/after table was made so, before at 9efb56b):
#
#   bench-browser/page/before-after.sh 9efb56b [size 100k] [runs 3]
#
# MEASURE=read-cost times what reading the ledger costs instead
# (read-cost.mjs, one run per side in turn: transactions(), debts, one
# person's fold) and prints each figure's median [range] per side.
# ONLY=regex measures only the interactions it matches; SAME_PKG=1 (a
# change to the page only) gives the earlier page this tree's pkg/;
# BEFORE_PKG=dir gives it a pkg/ built before (a copy of the earlier
# commit's, saved before this tree's was built) instead of building it.
#
# Needs the profile scripts/bench-page.sh makes (target/bench-page). The
# earlier page is built in a worktree (/tmp/trustfold-before: its pkg and
# test build, a few minutes); one server serves a link swapped between the
# two builds, run about. Results: target/bench-page/results-{before,after}-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
commit=$1 size=${2:-100k} runs=${3:-3} port=${PORT:-18931}
out=$PWD/target/bench-page
before=/tmp/trustfold-before
[ -d "$out/profile-$size.base" ] || { echo "no $out/profile-$size.base: run scripts/bench-page.sh first" >&2; exit 2; }
if [ ! -d "$before" ]; then
  git worktree add --detach "$before" "$commit"
  ln -s "$PWD/node_modules" "$before/node_modules"
fi
# SAME_PKG=1: a change to the page only; the earlier page gets this tree's
# pkg/ instead of building its own (minutes).
if [ -n "${BEFORE_PKG:-}" ]; then
  rm -rf "$before/pkg" && cp -r "$BEFORE_PKG" "$before/pkg"
elif [ "${SAME_PKG:-0}" = 1 ]; then
  rm -rf "$before/pkg" && cp -r pkg "$before/pkg"
else
  (cd "$before" && ./scripts/build-pkg.sh)
fi
(cd "$before" && npx webpack --config webpack.config.js --env test > /dev/null)
npx webpack --config webpack.config.js --env test > /dev/null
cargo build -p trustfold-server
export BENCH_PAGE_DIR=$out PERF_URL=http://127.0.0.1:$port
ln -sfn "$PWD/target/dist-test" "$out/site"
target/debug/trustfold-server --addr "127.0.0.1:$port" --site "$out/site" --no-relay \
  --max-per-address 1000 --address-joins 100/1000 --address-rate 10000/10000 > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1
rm -f "$out/read-before-$size.log.tmp" "$out/read-after-$size.log.tmp"
for run in $(seq 1 "$runs"); do
  for side in before after; do
    if [ $side = before ]; then ln -sfn "$before/target/dist-test" "$out/site"; else ln -sfn "$PWD/target/dist-test" "$out/site"; fi
    if [ "${MEASURE:-}" = read-cost ]; then
      node bench-browser/page/read-cost.mjs "$size" 1 | sed "s/\"run\":1/\"run\":$run/" >> "$out/read-$side-$size.log.tmp"
    else
      TAG=-$side node bench-browser/page/measure.mjs "$size" "$run" > "$out/run-$side-$size-$run.log"
    fi
  done
done
if [ "${MEASURE:-}" = read-cost ]; then
  for side in before after; do
    mv "$out/read-$side-$size.log.tmp" "$out/read-$side-$size.log"
    echo "$side:"
    node -e '
      const runs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
      for (const k of Object.keys(runs[0]).filter((k) => !["size", "run"].includes(k))) {
        const v = runs.map((r) => r[k]).sort((a, b) => a - b);
        console.log(`  ${k}: ${v[v.length >> 1]} ms [${v[0]}–${v.at(-1)}]`);
      }' "$out/read-$side-$size.log"
  done
  exit 0
fi
for side in before after; do
  echo "$side:"
  TAG=-$side SIZES=$size RUNS="$(seq -s ' ' 1 "$runs")" node bench-browser/page/table.mjs
done
