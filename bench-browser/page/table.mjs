// node table.mjs: medians and ranges of runs 1-3 per size from $BENCH_PAGE_DIR/results-<size>-<run>.json
// (TAG=-x reads results-x-…; RUNS="a b c" names other runs).
import fs from "node:fs";
import { OUT } from "./lib.mjs";
const sizes = (process.env.SIZES ?? "1k 100k").split(" ");
const data = {};
for (const size of sizes) for (const run of (process.env.RUNS ?? "1 2 3").split(" ")) {
  const f = `${OUT}/results${process.env.TAG ?? ""}-${size}-${run}.json`;
  if (!fs.existsSync(f)) continue;
  for (const r of JSON.parse(fs.readFileSync(f))) ((data[r.name] ??= {})[size] ??= []).push(r);
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const cell = (rs, k) => (rs ? `${med(rs.map((r) => r[k]))} [${Math.min(...rs.map((r) => r[k]))}-${Math.max(...rs.map((r) => r[k]))}]` : "-");
const cols = ["longest", "tbt", "wall", "maxRaf"];
console.log(["interaction", ...sizes.flatMap((s) => cols.map((c) => `${c}@${s}`))].join(" | "));
for (const [name, by] of Object.entries(data)) console.log([name, ...sizes.flatMap((s) => cols.map((c) => cell(by[s], c)))].join(" | "));
