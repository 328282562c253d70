// node feed.mjs <profile dir> <net> <fixture.bin>: gives the page's node
// (window.node, the test build) every event of the fixture through
// node.receive, in batches, as if they had arrived from peers.
import fs from "node:fs";
import { launch, openNet } from "./lib.mjs";
const [profile, net, file] = process.argv.slice(2);
const data = fs.readFileSync(file);
const events = [];
for (let at = 0; at < data.length; ) {
  const len = data.readUInt32LE(at);
  events.push(data.subarray(at + 36, at + 36 + len));
  at += 36 + len;
}
const { context, page } = await launch(profile);
await openNet(page, net);
// Work offline: nothing is sent while the history goes in.
const BATCH = Number(process.env.BATCH ?? 2000);
const started = Date.now();
for (let i = 0; i < events.length; i += BATCH) {
  const batch = events.slice(i, i + BATCH).map((e) => e.toString("base64"));
  const r = await page.evaluate(async (b) => {
    const evs = b.map((s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
    const rep = await window.node.receive(evs);
    return JSON.stringify(rep, (k, v) => (typeof v === "bigint" ? String(v) : v)).slice(0, 300);
  }, batch);
  if (i % 20000 === 0 || i + BATCH >= events.length) console.log(i + batch.length, "of", events.length, `${((Date.now() - started) / 1000).toFixed(1)} s`, r);
}
console.log("status", JSON.stringify(await page.evaluate(() => window.node.syncStatus())));
await page.evaluate(() => window.node.saveSnapshots?.());
await new Promise((r) => setTimeout(r, 3000));
await context.close();
