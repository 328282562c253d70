// The relay (issue #14) through the page, in real Chromium with the real
// server: a payment and an edit reach someone who is never online with
// their author, across a restart of the server, with no other browser
// open; and a private network's relay holds none of what its members said.
//
// Runs the test build of the page (`webpack --env test`, built here into
// target/dist-relay/), which is dist/ plus `window.node`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { root, launch, watch, signallingServer, testSite, freePort } from "./support.mjs";
import { WAIT, fresh } from "./people.mjs";

let browser, site;

before(async () => {
  site = await testSite("dist-relay");
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Opens the page at `url` in `context` and waits until its node is open. */
async function openPage(context, url) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(url);
  await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me")?.textContent ?? ""), null, WAIT);
  return { page, errors };
}

/** Waits until the page's relay link is open and has nothing unsent. */
async function relayCaughtUp(page) {
  await page.waitForFunction(() => {
    const relay = window.node.relay;
    return relay.state === "open" && relay.unsent === 0;
  }, null, WAIT);
}

test("a payment and an edit reach someone never online with their author, across a restart of the server", async () => {
  const port = await freePort();
  const relayDir = fs.mkdtempSync(path.join(root, "target", "relay-test-"));
  const relayDb = path.join(relayDir, "relay.sqlite");
  let server = await signallingServer(site, { relayDb, addr: `127.0.0.1:${port}` });
  const network = fresh("relay");
  const url = `${server.url}/#net=${network}`;
  const memo = `rent-${crypto.randomBytes(4).toString("hex")}`;

  // Bob comes once, so that Alice can pay him; then he closes his page.
  const bobs = await browser.newContext();
  let bob = await openPage(bobs, url);
  await bob.page.click("#welcome-later");
  const bobKey = await bob.page.textContent("#me");
  await relayCaughtUp(bob.page);
  await bob.page.close();

  // Alice pays him and writes a record, alone; then closes her page.
  const alices = await browser.newContext();
  const alice = await openPage(alices, url);
  await alice.page.click("#welcome-later");
  await alice.page.evaluate(
    async ([to, memo]) => {
      await window.node.pay(to, 4200n, "EUR", memo);
      window.node.createRecord("tasks", "roof");
      window.node.setField("tasks", "roof", "title", "Fix the roof on Saturday");
      await window.node.commit();
    },
    [bobKey, memo],
  );
  await relayCaughtUp(alice.page);
  assert.equal(await alice.page.evaluate(() => window.node.peers().length), 0, "nobody else was online");
  await alice.page.close();
  await alices.close();

  // The server restarts on what its relay stored.
  await server.stopped();
  server = await signallingServer(site, { relayDb, addr: `127.0.0.1:${port}` });

  // Bob opens his page: no other browser is open.
  bob = await openPage(bobs, url);
  await bob.page.waitForFunction(
    (memo) => window.node.transactions().some((t) => t.memo === memo),
    memo,
    WAIT,
  );
  const seen = await bob.page.evaluate(() => ({
    balance: window.node.balances().find((b) => b.account === document.querySelector("#me").textContent)?.balance,
    title: window.node.record("tasks", "roof")?.fields.title.value,
    peers: window.node.peers().length,
    relay: window.node.relay.state,
  }));
  assert.deepEqual(seen, { balance: 4200n, title: "Fix the roof on Saturday", peers: 0, relay: "open" });
  await bob.page.waitForFunction((memo) => document.querySelector("#transactions")?.textContent.includes(memo), memo, WAIT);
  assert.deepEqual([...alice.errors, ...bob.errors], [], "no console errors");
  await bobs.close();
  await server.stopped();
  // An open network's relay stores its events as they are: the memo is
  // there to find (so the scan of the private test below can fail).
  const stored = Buffer.concat(fs.readdirSync(relayDir).map((f) => fs.readFileSync(path.join(relayDir, f))));
  assert.notEqual(stored.indexOf(Buffer.from(memo)), -1, "an open network's memo is in the relay's files");
  fs.rmSync(relayDir, { recursive: true, force: true });
});

test("a private network's relay stores and serves its members' events, and its database holds none of what they said", async () => {
  const relayDir = fs.mkdtempSync(path.join(root, "target", "relay-test-"));
  const relayDb = path.join(relayDir, "relay.sqlite");
  const server = await signallingServer(site, { relayDb });
  const memo = `secret-${crypto.randomBytes(4).toString("hex")}`;
  const title = `Hidden-${crypto.randomBytes(4).toString("hex")}`;
  const name = `Coop ${crypto.randomBytes(3).toString("hex")}`;

  // Alice makes a private network through the page, pays and writes, alone.
  const alices = await browser.newContext();
  const alice = await openPage(alices, `${server.url}/#net=${fresh("before")}`);
  await alice.page.click("#welcome-later");
  await alice.page.click("#network-button");
  await alice.page.fill("#new-network input[name=name]", name);
  await Promise.all([alice.page.waitForEvent("load"), alice.page.click("#new-network button")]);
  await alice.page.waitForFunction(() => window.node?.network?.kind === "private", null, WAIT);
  const link = alice.page.url();
  await alice.page.evaluate(
    async ([memo, title]) => {
      await window.node.pay("ab".repeat(32), 700n, "EUR", memo);
      window.node.createRecord("notes", "n1");
      window.node.setField("notes", "n1", "title", title);
      await window.node.commit();
    },
    [memo, title],
  );
  await relayCaughtUp(alice.page);
  await alice.page.close();
  await alices.close();

  // Bob opens the invite link later, alone: the relay serves him everything.
  const bobs = await browser.newContext();
  const bob = await openPage(bobs, link);
  await bob.page.waitForFunction(
    ([memo, title]) =>
      window.node.transactions().some((t) => t.memo === memo) &&
      window.node.record("notes", "n1")?.fields.title.value === title,
    [memo, title],
    WAIT,
  );
  assert.equal(await bob.page.evaluate(() => window.node.peers().length), 0, "nobody else was online");
  await bobs.close();

  // What the relay keeps on disk (the database and its write-ahead log)
  // holds none of the memo, the record's text or the network's name.
  await server.stopped();
  const stored = Buffer.concat(
    fs.readdirSync(relayDir).map((file) => fs.readFileSync(path.join(relayDir, file))),
  );
  assert.ok(stored.length > 0);
  for (const secret of [memo, title, name]) {
    assert.equal(stored.indexOf(Buffer.from(secret)), -1, `the relay's files hold “${secret}”`);
  }
  fs.rmSync(relayDir, { recursive: true, force: true });
});
