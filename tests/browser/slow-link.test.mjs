// A member on a slow link must not hold up a page's other links. One real
// Chromium runs in a network namespace whose traffic from the host the
// test shapes to 200 kbit/s (`tc` token bucket); two pages on the host
// link to it and to each other. One host page writes ≈ 3 MB the slow
// member takes minutes to receive; meanwhile the other host page pays it,
// and the writes and payments must cross between the two fast pages in
// seconds; once the link is fast again the slow member gets everything.
// Before, a send to a link whose buffer held over 1 MiB waited
// for it to drain, and the page's one sync loop with it: nothing from any
// peer was taken in until the slow member had caught up. The same for a
// relay whose link is slow (only what the page sends the server's port is
// shaped): the browsers must still cross in seconds.
// Needs root and iproute2 (`ip`, `tc`), as on the machines CI runs on.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { guestNetwork, until } from "./guest-network.mjs";

let g;

before(async () => {
  g = await guestNetwork("slow", 232, { relay: true });
});

after(async () => {
  await g?.stop();
});

const status = (p) => p.page.evaluate(() => node.syncStatus());
const payments = (p) => p.page.evaluate(() => node.transactions().length);
const records = (p) => p.page.evaluate(() => node.records("big").length);

/**
 * `writer` writes three records of ≈ 1 MB each (random, so compression
 * keeps most of it: ≈ 2 minutes' worth at 200 kbit/s, within the sync
 * window of 4 MiB); then `payer` pays it three times. Both must cross
 * within 5 s (it takes milliseconds; a sync loop held up by the slow link
 * took 7 s to minutes): the milliseconds after the last payment.
 */
async function cross(writer, payer) {
  const wrote = await writer.page.evaluate(async () => {
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
  console.log(`3 records written in ${Math.round(wrote)} ms`);
  await new Promise((r) => setTimeout(r, 2000));
  for (let n = 1; n <= 3; n++) {
    await payer.page.evaluate(([to, n]) => node.pay(to, BigInt(n), "EUR", `pay ${n}`), [writer.key, n]);
    await new Promise((r) => setTimeout(r, 300));
  }
  return until("the fast pages to cross", async () =>
    (await payments(writer)) === 3 && (await records(payer)) === 3, 5000)
    .catch(async (e) => {
      throw new Error(`${e.message}: the writer has ${await payments(writer)} payments, the payer ${await records(payer)} records`);
    });
}

test("a member on a slow link holds up no other link", async () => {
  const net = `slow-${Math.random().toString(36).slice(2)}`;
  const a = await g.person(g.host, net);
  const b = await g.person(g.guest, net);
  const c = await g.person(g.host, net);
  const people = [a, b, c];
  await until("a full mesh", async () => (await Promise.all(people.map(status))).every((s) => s.peers === 2));
  execFileSync("tc", ["qdisc", "add", "dev", g.hostIf, "root", "tbf", "rate", "200kbit", "burst", "8kb", "latency", "2000ms"]);

  const took = await cross(a, c);
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

test("a relay on a slow link holds up no link to a browser", async () => {
  const net = `slow-relay-${Math.random().toString(36).slice(2)}`;
  // The guest's kernel buffers at most 64 KiB a socket: what the relay's
  // link has not sent stays in the page's socket (its `bufferedAmount`),
  // as on a link slower than the buffers are deep.
  execFileSync("ip", ["netns", "exec", g.ns, "sysctl", "-q", "-w", "net.ipv4.tcp_wmem=4096 16384 65536"]);
  const guest = await g.person(g.guest, net);
  const host = await g.person(g.host, net);
  await until("the link and the relay", async () => {
    const [sg, sh] = [await status(guest), await status(host)];
    return sg.peers === 1 && sh.peers === 1 && sg.relay.state === "open";
  });
  // What the guest sends the server (the relay and the signalling server
  // share its port) goes at 200 kbit/s; its link to the host page does not.
  const port = new URL(g.signalling.url).port;
  const tc = (...args) => execFileSync("ip", ["netns", "exec", g.ns, "tc", ...args], { stdio: "pipe" });
  tc("qdisc", "add", "dev", g.nsIf, "root", "handle", "1:", "htb", "default", "10");
  tc("class", "add", "dev", g.nsIf, "parent", "1:", "classid", "1:10", "htb", "rate", "1000mbit");
  tc("class", "add", "dev", g.nsIf, "parent", "1:", "classid", "1:20", "htb", "rate", "200kbit", "ceil", "200kbit");
  tc("filter", "add", "dev", g.nsIf, "protocol", "ip", "parent", "1:", "prio", "1", "u32",
    "match", "ip", "dport", port, "0xffff", "flowid", "1:20");
  const took = await cross(guest, host);
  const owed = (await status(guest)).relay.unsent;
  console.log(`the browsers crossed in ${took} ms after the last payment; ${owed} events still owed to the relay`);
  assert.ok(owed > 0, "the relay's link was not slow: the test shows nothing");
  tc("qdisc", "del", "dev", g.nsIf, "root");
  const caught = await until("the relay to hold everything", async () => (await status(guest)).relay.unsent === 0, 60000);
  console.log(`with the link fast again, the relay acknowledged everything in ${caught} ms`);
  assert.deepEqual([...guest.errors, ...host.errors], []);
});
