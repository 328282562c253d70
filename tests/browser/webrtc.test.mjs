// Peer-to-peer sync between browsers: real Chromium pages in separate
// contexts (separate identities and storage), the real signalling server,
// real WebRTC data channels (host candidates only, no STUN/TURN).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, serve, launch, watch, signallingServer } from "./support.mjs";

let pages, signalling, browser;

before(async () => {
  if (!fs.existsSync(path.join(root, "pkg/trustfold_bg.wasm"))) {
    throw new Error("pkg/ is missing: run scripts/build-pkg.sh first");
  }
  pages = await serve({
    "/pkg/": path.join(root, "pkg"),
    "/": path.join(root, "tests/browser/page"),
  });
  signalling = await signallingServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  signalling?.stop();
  await pages?.close();
});

const signalUrl = () => signalling.url.replace("http:", "ws:") + "/signal";

/** A person: their own browser context, the page, a node joined to `net`. */
async function person(net) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${pages.url}/`);
  await page.waitForFunction(() => document.title === "ready");
  const key = await page.evaluate(async ([net, url]) => {
    window.node = await window.trustfold.TrustfoldNode.open(net);
    window.heard = [];
    node.subscribe((c) => heard.push(c));
    node.connect(url);
    return node.publicKey;
  }, [net, signalUrl()]);
  return { context, page, errors, key };
}

const digest = (p) => p.page.evaluate(() => node.viewDigest().included);

/** Waits until every person's view digest is the same; returns it. */
async function converged(people, timeout = 20000) {
  const started = Date.now();
  for (;;) {
    const digests = await Promise.all(people.map(digest));
    if (digests.every((d) => d === digests[0])) return digests[0];
    if (Date.now() - started > timeout) throw new Error(`no convergence: ${digests.join(" ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const network = () => `rtc-${Math.random().toString(36).slice(2)}`;

test("three browsers join one room and reach the same view", async () => {
  const net = network();
  const people = [];
  for (let i = 0; i < 3; i++) people.push(await person(net));
  const started = Date.now();
  await Promise.all(
    people.map((p, i) =>
      p.page.evaluate(async ([to, i]) => {
        await node.pay(to, BigInt(10 + i), "EUR", `from ${i}`);
        node.createRecord("notes", `n${i}`);
        node.setText("notes", `n${i}`, "body", `written by ${i}`);
        await node.commit();
      }, [people[(i + 1) % 3].key, i]),
    ),
  );
  await converged(people);
  console.log(`three browsers converged ${Date.now() - started} ms after writing`);
  for (const p of people) {
    const seen = await p.page.evaluate(() => ({
      events: node.transactions().length,
      notes: node.records("notes").map((r) => r.fields.body.value.text).sort(),
      peers: node.peers().length,
      fromPeers: heard.some((c) => c.source === "peer"),
      status: node.syncStatus(),
    }));
    assert.equal(seen.events, 3);
    assert.equal(seen.status.known, 6, "3 payments and 3 commits");
    assert.equal(seen.status.waiting, 0);
    assert.equal(seen.status.peers, seen.peers);
    assert.deepEqual(seen.notes, ["written by 0", "written by 1", "written by 2"]);
    assert.ok(seen.peers >= 1);
    assert.ok(seen.fromPeers);
    assert.deepEqual(p.errors, []);
  }
  // Every link is to a peer whose identity signed its description.
  const peerKeys = await people[0].page.evaluate(() => node.peers().map((p) => p.key));
  for (const key of peerKeys) assert.ok([people[1].key, people[2].key].includes(key));
  for (const p of people) await p.context.close();
});

test("a browser that goes offline and keeps editing converges when it is back", async () => {
  const net = network();
  const [a, b] = [await person(net), await person(net)];
  await a.page.evaluate((to) => node.pay(to, 1n, "EUR", "before"), b.key);
  await converged([a, b]);
  await b.page.evaluate(() => node.disconnect());
  await a.page.evaluate((to) => node.pay(to, 2n, "EUR", "while b was away"), b.key);
  await b.page.evaluate((to) => node.pay(to, 3n, "EUR", "written offline"), a.key);
  await new Promise((r) => setTimeout(r, 500));
  assert.notEqual(await digest(a), await digest(b), "apart while offline");
  await b.page.evaluate((url) => node.connect(url), signalUrl());
  await converged([a, b]);
  const memos = await a.page.evaluate(() => node.transactions().map((t) => t.memo).sort());
  assert.deepEqual(memos, ["before", "while b was away", "written offline"]);
  for (const p of [a, b]) await p.context.close();
});

test("a reloaded page catches up from IndexedDB plus the difference", async () => {
  const net = network();
  const [a, b] = [await person(net), await person(net)];
  await a.page.evaluate(async (to) => {
    for (let n = 0; n < 50; n++) await node.pay(to, 1n, "EUR", `early ${n}`);
  }, b.key);
  await converged([a, b]);
  await b.page.evaluate(() => node.close());
  await a.page.evaluate(async (to) => {
    for (let n = 0; n < 5; n++) await node.pay(to, 1n, "EUR", `late ${n}`);
  }, b.key);
  await b.page.reload();
  await b.page.waitForFunction(() => document.title === "ready");
  const loaded = await b.page.evaluate(async ([net, url]) => {
    window.node = await window.trustfold.TrustfoldNode.open(net);
    const fromDisk = node.openReport.events;
    window.received = 0;
    node.subscribe((c) => { if (c.source === "peer") received += c.events; });
    node.connect(url);
    return fromDisk;
  }, [net, signalUrl()]);
  assert.equal(loaded, 50, "from IndexedDB");
  await converged([a, b]);
  assert.equal(await b.page.evaluate(() => received), 5, "only the difference crossed");
  for (const p of [a, b]) await p.context.close();
});

test("a 1 MiB text field crosses a data channel intact and the link stays open", async () => {
  const net = network();
  const [a, b] = [await person(net), await person(net)];
  await a.page.evaluate(() => node.pay("ab".repeat(32), 1n, "EUR"));
  await converged([a, b]);
  const sent = await a.page.evaluate(async () => {
    // 1 MiB of varied text (so nothing compresses it away).
    let text = "";
    let x = 1;
    while (text.length < 1024 * 1024) {
      x = (x * 1103515245 + 12345) % 2147483648;
      text += String.fromCharCode(97 + (x % 26));
    }
    node.createRecord("files", "big");
    node.setText("files", "big", "body", text);
    await node.commit();
    return { length: text.length, sample: text.slice(500000, 500040) };
  });
  await b.page.waitForFunction(
    (length) => node.record("files", "big")?.fields.body.value.text.length === length,
    sent.length,
    { timeout: 30000 },
  );
  const received = await b.page.evaluate(() => node.record("files", "big").fields.body.value.text.slice(500000, 500040));
  assert.equal(received, sent.sample);
  // Still linked: a small payment crosses after it.
  await a.page.evaluate(() => node.pay("cd".repeat(32), 1n, "EUR", "after the big one"));
  await converged([a, b]);
  assert.equal(await b.page.evaluate(() => node.peers().length), 1);
  for (const p of [a, b]) await p.context.close();
});
