// Probe (with tests/experiments/verify-steal.patch applied and pkg/ rebuilt):
// a fresh node's receive() of N payments with 2 verifying workers, the page
// taking back chunks no worker has begun (on) or waiting for them (off), in
// turn; how long it took, when the workers had loaded, and who checked what.
// BENCHMARKS.md, "The page checking what no worker has begun".
import { packageInPage } from "../browser/support.mjs";
const N = +(process.env.N ?? 10000);
const env = await packageInPage();
const page = await (await env.browser.newContext()).newPage();
page.on("console", (m) => console.log("page:", m.text()));
await page.goto(`${env.server.url}/`);
await page.waitForFunction(() => document.title === "ready");
const snippet = (await page.evaluate(() => performance.getEntriesByType("resource").map((r) => r.name))).find((n) => n.endsWith("verify.js"));
console.log("snippet", snippet);
await page.evaluate(async (N) => {
  const done = (r) => new Promise((ok, fail) => ((r.onsuccess = () => ok(r.result)), (r.onerror = () => fail(r.error))));
  const node = await window.trustfold.TrustfoldNode.open("probe-src");
  for (let i = 0; i < N; i++) await node.pay("ab".repeat(32), 1n, "EUR", `payment ${i}`);
  node.close();
  const db = await done(indexedDB.open("trustfold-probe-src"));
  const blocks = await done(db.transaction("blocks").objectStore("blocks").getAll());
  const events = [];
  for (const block of blocks.map((b) => new Uint8Array(b))) {
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    for (let at = 1; at < block.length; at += 36 + view.getUint32(at + 32, true)) events.push(block.slice(at + 36, at + 36 + view.getUint32(at + 32, true)));
  }
  window.__events = events;
}, N);
for (let round = 0; round < 3; round++) for (const steal of [true, false]) {
  const r = await page.evaluate(async ([snippet, steal]) => {
    const { VerifyPool } = await import(snippet);
    VerifyPool.prototype.__withdraw ??= VerifyPool.prototype.withdraw;
    VerifyPool.prototype.withdraw = steal ? VerifyPool.prototype.__withdraw : () => false;
    const node = await window.trustfold.TrustfoldNode.open(`probe-${Math.random()}`);
    node.setVerifyWorkers(2);
    const t0 = performance.now();
    const marks = {};
    const poll = setInterval(() => {
      const w = node.verifyWorkers;
      if (w.ready >= 1) marks.first ??= performance.now() - t0;
      if (w.ready >= 2) marks.both ??= performance.now() - t0;
    }, 2);
    const got = await node.receive(window.__events);
    const ms = performance.now() - t0;
    clearInterval(poll);
    const w = node.verifyWorkers;
    node.close();
    return { steal, ms: Math.round(ms), stored: got.stored, ready1: Math.round(marks.first), ready2: Math.round(marks.both), checked: w.checked, withdrawn: w.withdrawn };
  }, [snippet, steal]);
  console.log(JSON.stringify(r));
}
await env.close();
