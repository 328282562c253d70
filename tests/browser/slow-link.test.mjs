// A member on a slow link must not hold up a page's other links. One real
// Chromium runs in a network namespace whose traffic from the host the
// test shapes to 200 kbit/s (`tc` token bucket); two pages on the host
// link to it and to each other. One host page writes ≈ 3 MB the slow
// member takes minutes to receive; meanwhile the other host page pays it,
// and the writes and payments must cross between the two fast pages in
// seconds; once the link is fast again the slow member gets everything.
// Before, a send to a link whose buffer held over 1 MiB waited
// for it to drain, and the page's one sync loop with it: nothing from any
// peer was taken in until the slow member had caught up.
// Needs root and iproute2 (`ip`, `tc`), as on the machines CI runs on.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { guestNetwork, until } from "./guest-network.mjs";

let g;

before(async () => {
  g = await guestNetwork("slow", 232);
});

after(async () => {
  await g?.stop();
});

const status = (p) => p.page.evaluate(() => node.syncStatus());
const payments = (p) => p.page.evaluate(() => node.transactions().length);
const records = (p) => p.page.evaluate(() => node.records("big").length);

test("a member on a slow link holds up no other link", async () => {
  const net = `slow-${Math.random().toString(36).slice(2)}`;
  const a = await g.person(g.host, net);
  const b = await g.person(g.guest, net);
  const c = await g.person(g.host, net);
  const people = [a, b, c];
  await until("a full mesh", async () => (await Promise.all(people.map(status))).every((s) => s.peers === 2));
  execFileSync("tc", ["qdisc", "add", "dev", g.hostIf, "root", "tbf", "rate", "200kbit", "burst", "8kb", "latency", "2000ms"]);

  // a writes three records of ≈ 1 MB each (random, so compression keeps
  // most of it): ≈ 2 minutes' worth for b, within the sync window (4 MiB).
  const wrote = await a.page.evaluate(async () => {
    const started = performance.now();
    for (let n = 0; n < 3; n++) {
      const bytes = new Uint8Array(750_000);
      for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
      node.createRecord("big", `r${n}`);
      node.setField("big", `r${n}`, "blob", btoa(Array.from(bytes, (x) => String.fromCharCode(x)).join("")));
      await node.commit();
    }
    return performance.now() - started;
  });
  console.log(`a wrote 3 records in ${Math.round(wrote)} ms`);
  await new Promise((r) => setTimeout(r, 2000));

  // c pays a three times; a takes each in, and c gets a's records.
  for (let n = 1; n <= 3; n++) {
    await c.page.evaluate(([to, n]) => node.pay(to, BigInt(n), "EUR", `pay ${n}`), [a.key, n]);
    await new Promise((r) => setTimeout(r, 300));
  }
  const took = await until("the fast pages to cross", async () =>
    (await payments(a)) === 3 && (await records(c)) === 3, 20000)
    .catch(async (e) => {
      throw new Error(`${e.message}: a has ${await payments(a)} payments, c ${await records(c)} records; b has ${await records(b)} records`);
    });
  const slow = await records(b);
  console.log(`the fast pages crossed in ${took} ms after the last payment; the slow member holds ${slow} of 3 records`);
  assert.ok(slow < 3, "the link was not slow: the test shows nothing");
  // The link gets fast again: the slow member gets everything, nothing lost.
  execFileSync("tc", ["qdisc", "del", "dev", g.hostIf, "root"]);
  const caught = await until("the slow member to catch up", async () =>
    (await records(b)) === 3 && (await payments(b)) === 3, 60000);
  console.log(`with the link fast again, the slow member caught up in ${caught} ms`);
  assert.deepEqual([...a.errors, ...b.errors, ...c.errors], []);
});
