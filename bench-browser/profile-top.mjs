// Summarises a Chrome DevTools .cpuprofile (the catch-up bench writes one
// with CATCHUP_PROFILE=file, the cold open with OPEN_PROFILE=file): the time
// sampled, how much of it the thread was idle, and the functions with the
// most self time — or, with --inclusive, with the most time including what
// they called (each sample counted once per function, recursion or not),
// optionally only those whose name contains FILTER.
//
// With --callers LEAF, it lists instead who the samples whose own function
// matches the regular expression LEAF were for: the nearest three callers
// whose names contain FILTER ("trustfold::" if none). With --timeline MS,
// the thread over time: per MS milliseconds, the four labels with the most
// time, a sample labelled by the nearest caller (or itself) whose name
// contains one of the comma-separated LABELS, else by its own function.
//
//   node bench-browser/profile-top.mjs file.cpuprofile [N]
//   node bench-browser/profile-top.mjs file.cpuprofile [N] --inclusive [FILTER]
//   node bench-browser/profile-top.mjs file.cpuprofile [N] --callers LEAF [FILTER]
//   node bench-browser/profile-top.mjs file.cpuprofile MS --timeline [LABELS]
import fs from "node:fs";

const [file, count = "30", mode, filter = ""] = process.argv.slice(2);
if (!file) throw new Error("usage: node bench-browser/profile-top.mjs file.cpuprofile [N] [--inclusive [FILTER]]");
const profile = JSON.parse(fs.readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const name = (id) => {
  const { functionName, url } = nodes.get(id).callFrame;
  return `${functionName || "(anonymous)"} ${url.split("/").pop()}`.trim();
};
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
const inclusive = new Map();
profile.samples.forEach((id, i) => {
  const ms = profile.timeDeltas[i] / 1000;
  self.set(name(id), (self.get(name(id)) ?? 0) + ms);
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const caller = name(n);
    if (!seen.has(caller)) inclusive.set(caller, (inclusive.get(caller) ?? 0) + ms);
    seen.add(caller);
  }
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = self.get("(idle)") ?? 0;
console.log(`${total.toFixed(0)} ms sampled, ${idle.toFixed(0)} ms idle (${((100 * idle) / total).toFixed(0)} %)`);
const top = (entries, n) => [...entries].sort((a, b) => b[1] - a[1]).slice(0, n);
const callers = (id) => {
  const out = [];
  for (let n = parent.get(id); n !== undefined; n = parent.get(n)) out.push(name(n));
  return out;
};
if (mode === "--callers") {
  const [, , , leaf, within = "trustfold::"] = process.argv.slice(2);
  const by = new Map();
  profile.samples.forEach((id, i) => {
    if (!new RegExp(leaf).test(nodes.get(id).callFrame.functionName)) return;
    const key = callers(id).filter((c) => c.includes(within)).slice(0, 3).join(" < ");
    by.set(key, (by.get(key) ?? 0) + profile.timeDeltas[i] / 1000);
  });
  for (const [key, ms] of top(by, Number(count))) console.log(`${ms.toFixed(1).padStart(9)} ms  ${key}`);
} else if (mode === "--timeline") {
  const labels = (process.argv[5] ?? "").split(",").filter(Boolean);
  const buckets = new Map();
  let t = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] / 1000;
    const bucket = Math.floor(t / Number(count));
    const label = [name(id), ...callers(id)].find((c) => labels.some((l) => c.includes(l))) ?? name(id);
    const shown = labels.find((l) => label.includes(l)) ?? label;
    if (!buckets.has(bucket)) buckets.set(bucket, new Map());
    const m = buckets.get(bucket);
    m.set(shown, (m.get(shown) ?? 0) + profile.timeDeltas[i] / 1000);
  });
  for (const [bucket, m] of [...buckets].sort((a, b) => a[0] - b[0])) {
    const parts = top(m, 4).map(([l, ms]) => `${l}: ${ms.toFixed(0)}`);
    console.log(`${String(bucket * Number(count)).padStart(6)} ms  ${parts.join("  ")}`);
  }
} else {
  const listed = mode === "--inclusive" ? [...inclusive].filter(([n]) => n.includes(filter)) : [...self];
  for (const [fn, ms] of top(listed, Number(count))) console.log(`${ms.toFixed(1).padStart(9)} ms  ${fn}`);
}
