// Summarises a Chrome DevTools .cpuprofile (the catch-up bench writes one
// with CATCHUP_PROFILE=file): the time sampled, how much of it the thread
// was idle, and the functions with the most self time.
//
//   node bench-browser/profile-top.mjs file.cpuprofile [N]
import fs from "node:fs";

const [file, count = "30"] = process.argv.slice(2);
if (!file) throw new Error("usage: node bench-browser/profile-top.mjs file.cpuprofile [N]");
const profile = JSON.parse(fs.readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
profile.samples.forEach((id, i) => {
  const { functionName, url } = nodes.get(id).callFrame;
  const name = `${functionName || "(anonymous)"} ${url.split("/").pop()}`.trim();
  self.set(name, (self.get(name) ?? 0) + profile.timeDeltas[i] / 1000);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = self.get("(idle)") ?? 0;
console.log(`${total.toFixed(0)} ms sampled, ${idle.toFixed(0)} ms idle (${((100 * idle) / total).toFixed(0)} %)`);
for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${ms.toFixed(1).padStart(9)} ms  ${name}`);
}
