// Summarises a Chrome DevTools .cpuprofile (the catch-up bench writes one
// with CATCHUP_PROFILE=file, the cold open with OPEN_PROFILE=file): the time
// sampled, how much of it the thread was idle, and the functions with the
// most self time — or, with --inclusive, with the most time including what
// they called (each sample counted once per function, recursion or not),
// optionally only those whose name contains FILTER.
//
//   node bench-browser/profile-top.mjs file.cpuprofile [N]
//   node bench-browser/profile-top.mjs file.cpuprofile [N] --inclusive [FILTER]
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
const listed = mode === "--inclusive" ? [...inclusive].filter(([n]) => n.includes(filter)) : [...self];
for (const [fn, ms] of listed.sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${ms.toFixed(1).padStart(9)} ms  ${fn}`);
}
