// node top.mjs file.cpuprofile [N]: self and inclusive time per function
// (name, file:line in the bundle), wasm functions lumped as "(wasm)" for
// self time; inclusive counts each sample once per function.
import fs from "node:fs";
const [file, count = "25"] = process.argv.slice(2);
const p = JSON.parse(fs.readFileSync(file, "utf8"));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (id) => {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  if (url.includes("wasm") || /^\$?wasm-function/.test(functionName) || functionName.startsWith("$func")) return "(wasm)";
  const f = url.split("/").pop();
  return `${functionName || "(anonymous)"} ${f}${f ? `:${lineNumber + 1}` : ""}`;
};
const self = new Map(), incl = new Map();
let total = 0, idle = 0;
p.samples.forEach((id, i) => {
  const ms = (p.timeDeltas[i] ?? 0) / 1000;
  total += ms;
  const n0 = name(id);
  if (n0.startsWith("(idle)")) { idle += ms; return; }
  self.set(n0, (self.get(n0) ?? 0) + ms);
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const c = name(n);
    if (!seen.has(c)) incl.set(c, (incl.get(c) ?? 0) + ms);
    seen.add(c);
  }
});
const show = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, +count).map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`).join("\n");
console.log(`${file}: ${total.toFixed(0)} ms sampled, ${idle.toFixed(0)} idle, busy ${(total - idle).toFixed(0)}`);
console.log(" self:\n" + show(self));
console.log(" inclusive:\n" + show(new Map([...incl].filter(([k]) => !/^\((root|program)\)/.test(k)))));
