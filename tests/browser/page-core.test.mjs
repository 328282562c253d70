// The node page says what the core computes, in its own words: the trust
// list an author published is the core's (its causal latest-statement rule,
// not the wall clock), and a reason a person typed is shown as typed.
//
// Runs the test build of the page (`webpack --env test`, built here into
// target/dist-test/), which is dist/ plus `window.node`, so the test can ask
// the core the same question the page asked and compare the answers. The
// people still use the page by clicks and typing only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, signallingServer, testSite } from "./support.mjs";
import { fresh, usersOf } from "./people.mjs";

let server, browser;
/** What the helpers of people.mjs use: filled in by `before`. */
const served = {};
const { person, linked, sees, tab, pay, decide, closeAll } = usersOf(served);

before(async () => {
  server = await signallingServer(await testSite());
  browser = await launch();
  Object.assign(served, { url: server.url, browser });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const DAY = 24 * 60 * 60 * 1000;

test("an author's published trust list is the core's: a ban made after a trust wins though its clock is earlier", async () => {
  const network = fresh("causal");
  const [alice, bob] = await linked(network, "Alice", "Bob");
  await pay(bob, "cd".repeat(32), 7, "lunch");

  // Alice's clock runs a day ahead when she trusts Bob, then a day behind
  // when she bans him: the ban follows the trust in her own chain
  // (causally later) but carries the earlier time.
  await alice.page.clock.setFixedTime(Date.now() + DAY);
  await decide(alice, "trust", "Bob");
  await alice.page.clock.setFixedTime(Date.now() - DAY);
  await decide(alice, "ban", "Bob");

  // The core, asked on Bob's page once both statements arrived.
  const core = await bob.page.evaluate(async (author) => {
    for (let i = 0; i < 200 && window.node.publishedTrust().filter((s) => s.author === author).length < 2; i++) {
      await new Promise((ok) => setTimeout(ok, 100));
    }
    return window.node.publishedPolicy(author);
  }, alice.key);
  assert.deepEqual(core, { author: alice.key, trusted: [], banned: [bob.key] });

  // The trust graph draws what the core said…
  await tab(bob, "pictures");
  const drawn = () => bob.page.getAttribute("#trust-graph svg", "aria-label").catch(() => "");
  for (let i = 0; i < 100 && !(await drawn()).includes("Alice bans you"); i++) await bob.page.waitForTimeout(200);
  const graph = await drawn();
  assert.match(graph, /Alice bans you/, graph);
  assert.doesNotMatch(graph, /Alice trusts you/, graph);
  // …and the Agreement panel compares with that list: under it Bob's
  // payment is left out, so Alice's view differs from Bob's.
  await tab(bob, "agreement");
  await sees(bob, "#agreement-list li.differ", "Alice");
  await sees(bob, "#agreement-list", "Alice leaves out you → cdcdcdcd… 7.00 EUR “lunch”");
  await closeAll(alice, bob);
});

test("the Agreement panel's fingerprint is my view's at once, while the comparison waits to run again", async () => {
  const network = fresh("fingerprint");
  const [alice, bob] = await linked(network, "Alice", "Bob");
  await tab(bob, "agreement");
  await sees(bob, "#agreement-list li", "Alice");
  const grouped = () => bob.page.evaluate(() => window.node.viewDigest().included.slice(0, 16).match(/.{4}/g).join(" "));
  assert.equal(await bob.page.textContent("#my-digest"), await grouped());
  // A payment right after a comparison: the people's rows wait (a full
  // fold each, at most every 3 s), the fingerprint read aloud does not.
  await bob.page.evaluate(() => window.node.pay("cd".repeat(32), 700n, "EUR", "late"));
  const now = await grouped();
  await bob.page.waitForFunction((d) => document.querySelector("#my-digest").textContent === d, now, { timeout: 1500 });
  await closeAll(alice, bob);
});

test("a reason someone typed is shown as typed, a key inside it included", async () => {
  const network = fresh("reason");
  const [alice, bob] = await linked(network, "Alice", "Bob");
  await pay(alice, "Bob", 10, "ticket");

  // Alice disputes it, naming in her reason the key the money should have gone to.
  const reason = `sent to the wrong key, meant ${bob.key}`;
  await alice.page.click("#transactions tr:has-text('ticket') button:has-text('Dispute')");
  await alice.page.fill("tr.ask input[name=reason]", reason);
  await alice.page.click("tr.ask button:has-text('Publish dispute')");
  await sees(bob, "#transactions", `Disputed by Alice: “${reason}”`);

  // Bob trusting Alice: the preview quotes her reason, key and all (worded
  // from compareViews' `why`, not from a sentence of the node's).
  const preview = await decide(bob, "trust", "Alice");
  await tab(bob, "ledger");
  await sees(bob, "#transactions", `disputed by Alice: “${reason}”`);
  assert.ok(preview.includes(`Alice → you 10.00 EUR “ticket” would stop counting (disputed by Alice: “${reason}”)`), preview);
  await closeAll(alice, bob);
});

test("Debts come 20 at a time, yours first, with Previous and Next", async () => {
  const network = fresh("debt-pages");
  const alice = await person(network, "Alice");
  // 22 people (an identity per network in this browser) each pay Alice,
  // so each is below zero; their events reach her page as a peer's would.
  const report = await alice.page.evaluate(async (me) => {
    const Node = window.node.constructor;
    const done = (request) =>
      new Promise((ok, fail) => {
        request.onsuccess = () => ok(request.result);
        request.onerror = () => fail(request.error);
      });
    const events = [];
    for (let i = 0; i < 22; i++) {
      const name = `debtor-${i}-${Math.random().toString(36).slice(2)}`;
      const debtor = await Node.open(name);
      await debtor.pay(me, BigInt(100 + i), "EUR", `from ${i}`);
      debtor.close();
      const db = await done(indexedDB.open(`trustfold-${name}`));
      const blocks = await done(db.transaction("blocks").objectStore("blocks").getAll());
      db.close();
      // A block: a version byte, then each event's id (32 bytes), length (4, little-endian) and bytes.
      for (const block of blocks) {
        const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
        for (let at = 1; at < block.length; ) {
          const length = view.getUint32(at + 32, true);
          events.push(block.slice(at + 36, at + 36 + length));
          at += 36 + length;
        }
      }
    }
    return window.node.receive(events);
  }, alice.key);
  assert.equal(report.applied, 22, JSON.stringify(report));
  // Alice pays out more than the 24.31 EUR the 22 paid her: 23 debts.
  await pay(alice, "cd".repeat(32), 3000, "mine");
  await tab(alice, "debts");
  await sees(alice, "#debt-page", "debts 1–20 of 23");
  assert.equal(await alice.page.locator("#debt-list li.debt").count(), 20);
  assert.match(await alice.page.textContent("#debt-list li.debt"), /^\s*You owe 2975\.69 EUR/, "yours first");
  assert.equal(await alice.page.isDisabled("#debts-earlier"), true);
  await alice.page.click("#debts-later");
  await sees(alice, "#debt-page", "debts 21–23 of 23");
  assert.equal(await alice.page.locator("#debt-list li.debt").count(), 3);
  assert.equal(await alice.page.isDisabled("#debts-later"), true);
  assert.equal(await alice.page.evaluate(() => document.activeElement.id), "debts-earlier", "the focus stays on the pager");
  await alice.page.click("#debts-earlier");
  await sees(alice, "#debt-page", "debts 1–20 of 23");
  await closeAll(alice);
});
