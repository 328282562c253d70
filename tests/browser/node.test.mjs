// The package in a real page in Debian's chromium: state survives a reload,
// tabs of one origin see each other's writes without any server, and
// concurrent writers in four tabs lose and duplicate nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { watch, packageInPage, repeatedKey, eventsInBlocks } from "./support.mjs";

let server, browser, close;

before(async () => {
  ({ server, browser, close } = await packageInPage());
});

after(() => close?.());

const network = () => `net-${Math.random().toString(36).slice(2)}`;
const key = repeatedKey;

/** A tab with the package loaded; page errors fail the test. */
async function tab(context) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.title === "ready");
  page.errors = errors;
  return page;
}

/** Opens the node of `net` in a tab as `window.node`. */
async function open(page, net) {
  return page.evaluate(async (net) => {
    window.node = await window.trustfold.TrustfoldNode.open(net);
    window.changes = [];
    window.node.subscribe((c) => window.changes.push(c));
    return window.node.publicKey;
  }, net);
}

/** What a person sees: balances, records, and the state digest. */
function state(page) {
  return page.evaluate(() => ({
    me: node.publicKey,
    balances: node.balances().map((b) => ({ ...b, balance: String(b.balance) })),
    records: node.records("notes"),
    digest: node.viewDigest().state,
  }));
}

test("payments and edits survive reloading the page", async () => {
  const context = await browser.newContext();
  const page = await tab(context);
  const net = network();
  await open(page, net);
  await page.evaluate(async (to) => {
    await node.pay(to, 1250n, "EUR", "rent");
    await node.pay(to, 3, "HOURS");
    node.createRecord("notes", "shopping");
    node.setText("notes", "shopping", "body", "milk, bread");
    node.spliceText("notes", "shopping", "body", 4, 0, " 🥛");
    node.setField("notes", "shopping", "done", false);
    await node.commit();
  }, key(2));
  const before = await state(page);
  assert.equal(before.balances.length, 4);
  assert.equal(before.records[0].fields.body.value.text, "milk 🥛, bread");

  await page.reload();
  await page.waitForFunction(() => document.title === "ready");
  await open(page, net);
  assert.deepEqual(await state(page), before);
  const report = await page.evaluate(() => node.openReport);
  assert.equal(report.events, 3);
  assert.deepEqual(report.skipped, []);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("two tabs of one origin see each other's edits without a server", async () => {
  const context = await browser.newContext();
  const [a, b] = [await tab(context), await tab(context)];
  const net = network();
  const me = await open(a, net);
  assert.equal(await open(b, net), me, "tabs share the identity");

  const started = Date.now();
  await a.evaluate((to) => node.pay(to, 70n, "EUR"), key(3));
  await b.waitForFunction(
    (to) => node.balance(to, "EUR") === 70n && changes.some((c) => c.source === "tab"),
    key(3),
    { timeout: 1000 },
  );
  const paymentSeen = Date.now() - started;

  await b.evaluate(async () => {
    node.createRecord("notes", "plan");
    node.setText("notes", "plan", "body", "written in tab b");
    await node.commit();
  });
  await a.waitForFunction(
    () => node.record("notes", "plan")?.fields.body?.value.text === "written in tab b",
    null,
    { timeout: 1000 },
  );
  // A policy change in one tab reaches the other too.
  await a.evaluate((who) => node.ban(who), key(9));
  await b.waitForFunction((who) => node.policy().banned.includes(who), key(9), {
    timeout: 1000,
  });
  assert.deepEqual(await state(a), await state(b));
  console.log(`tab b saw tab a's payment after ${paymentSeen} ms`);
  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});

test("four tabs writing 1,000 events each at once end with all 4,000 exactly once", async () => {
  const context = await browser.newContext();
  const tabs = [];
  for (let i = 0; i < 4; i++) tabs.push(await tab(context));
  const net = network();
  for (const t of tabs) await open(t, net);

  const started = Date.now();
  await Promise.all(
    tabs.map((t, i) =>
      t.evaluate(
        async ([to, i]) => {
          for (let n = 0; n < 1000; n++) await node.pay(to, 1n, "EUR", `tab ${i} #${n}`);
        },
        [key(10 + i), i],
      ),
    ),
  );
  const took = Date.now() - started;

  // Every tab converges on all 4,000, each once.
  for (const t of tabs) {
    await t.waitForFunction(() => node.transactions().length === 4000, null, { timeout: 10000 });
  }
  const seen = await Promise.all(
    tabs.map((t) =>
      t.evaluate(() => {
        const txs = node.transactions();
        return {
          memos: new Set(txs.map((t) => t.memo)).size,
          ids: new Set(txs.map((t) => t.event)).size,
          included: txs.filter((t) => t.status === "included").length,
          mine: String(node.balance(node.publicKey, "EUR")),
          forks: node.forkedAuthors().length,
          digest: node.viewDigest().state,
        };
      }),
    ),
  );
  for (const s of seen) {
    assert.deepEqual(s, { ...seen[0] });
    assert.equal(s.memos, 4000);
    assert.equal(s.ids, 4000);
    assert.equal(s.included, 4000);
    assert.equal(s.mine, "-4000");
    assert.equal(s.forks, 0, "the tabs took turns: one chain, no fork");
  }
  // And the store holds exactly those 4,000.
  const fresh = await tab(context);
  await open(fresh, net);
  const reopened = await fresh.evaluate(() => ({
    report: node.openReport,
    forks: node.forkedAuthors().length,
    digest: node.viewDigest().state,
    balances: node.balances().map((b) => String(b.balance)).sort(),
  }));
  assert.equal(reopened.report.events, 4000);
  assert.equal(reopened.forks, 0);
  assert.deepEqual(reopened.report.skipped, []);
  assert.equal(reopened.digest, seen[0].digest);
  assert.deepEqual(reopened.balances, ["-4000", "1000", "1000", "1000", "1000"]);
  console.log(`4 tabs × 1,000 payments took ${took} ms`);
  for (const t of [...tabs, fresh]) assert.deepEqual(t.errors, []);
  await context.close();
});

/** `n` payments signed by a node of a throwaway network: the bytes a peer would send. */
async function foreignPayments(page, n) {
  const blocks = await page.evaluate(async (n) => {
    const name = `foreign-${Math.random().toString(36).slice(2)}`;
    const node = await window.trustfold.TrustfoldNode.open(name);
    for (let i = 0; i < n; i++) await node.pay("ab".repeat(32), 1n, "EUR", `foreign ${i}`);
    node.close();
    const done = (request) =>
      new Promise((ok, fail) => {
        request.onsuccess = () => ok(request.result);
        request.onerror = () => fail(request.error);
      });
    const db = await done(indexedDB.open(`trustfold-${name}`));
    const blocks = await done(db.transaction("blocks").objectStore("blocks").getAll());
    db.close();
    return blocks.map((b) => Array.from(b));
  }, n);
  return eventsInBlocks(blocks);
}

/** Two tabs of a new context with one network open, and `n` payments of a peer for tab a to take in. */
async function twoTabsAndPeerEvents(n) {
  const context = await browser.newContext();
  const [a, b] = [await tab(context), await tab(context)];
  const events = await foreignPayments(a, n);
  const net = network();
  await open(a, net);
  await open(b, net);
  return { context, a, b, events };
}

test("a tab whose queue of another tab's announcements is full reads the shared store instead", async () => {
  const { context, a, b, events } = await twoTabsAndPeerEvents(800);
  const bound = await b.evaluate(() => {
    let code = "no error";
    try {
      node.setTabBacklog(0);
    } catch (e) {
      code = e.code;
    }
    const before = node.syncStatus().tabBacklog;
    // ≈ 80 payments' worth: tab a's catch-up below announces 800 at once.
    node.setTabBacklog(20_000);
    return { code, before };
  });
  assert.equal(bound.code, "INVALID_ARGUMENT");
  assert.deepEqual(bound.before, { bytes: 0, limit: 4 << 20, overflows: 0 });

  // Tab a takes in a peer's 800 events while both tabs' owner keeps paying.
  await Promise.all([
    a.evaluate(async (events) => {
      const report = await node.receive(events.map((e) => new Uint8Array(e)));
      if (report.applied !== 800) throw new Error(JSON.stringify(report));
    }, events),
    b.evaluate(async (to) => {
      for (let n = 0; n < 20; n++) await node.pay(to, 1n, "EUR", `from b #${n}`);
    }, key(5)),
  ]);
  await a.evaluate((to) => node.pay(to, 1n, "EUR", "from a"), key(5));
  await b.waitForFunction(() => node.transactions().length === 821, null, { timeout: 10000 });
  await a.waitForFunction(() => node.transactions().length === 821, null, { timeout: 10000 });
  const backlog = await b.evaluate(() => node.syncStatus().tabBacklog);
  assert.ok(backlog.overflows >= 1, JSON.stringify(backlog));
  assert.equal(backlog.bytes, 0);
  assert.equal(backlog.limit, 20_000);
  for (const t of [a, b]) {
    assert.equal(await t.evaluate(() => node.forkedAuthors().length), 0, "one chain, no fork");
  }
  assert.deepEqual(await state(a), await state(b));
  assert.equal(await b.evaluate((to) => String(node.balance(to, "EUR")), key(5)), "21");
  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});

test("a failed read of the shared store is tried again, and the tab still gets every event", async () => {
  const { context, a, b, events } = await twoTabsAndPeerEvents(300);
  // Tab b's next read of every block fails once, as a disk error would.
  await b.evaluate(() => {
    node.setTabBacklog(10_000);
    window.failedReads = 0;
    const getAllKeys = IDBObjectStore.prototype.getAllKeys;
    IDBObjectStore.prototype.getAllKeys = function (...args) {
      if (this.name === "blocks" && window.failedReads === 0) {
        window.failedReads += 1;
        throw new DOMException("simulated disk failure", "UnknownError");
      }
      return getAllKeys.apply(this, args);
    };
  });
  const started = Date.now();
  await a.evaluate(async (events) => {
    const report = await node.receive(events.map((e) => new Uint8Array(e)));
    if (report.applied !== 300) throw new Error(JSON.stringify(report));
  }, events);
  await b.waitForFunction(() => node.transactions().length === 300, null, { timeout: 10000 });
  const took = Date.now() - started;
  assert.equal(await b.evaluate(() => window.failedReads), 1, "the read failed once");
  assert.ok(took >= 900, `read again after a wait (${took} ms)`);
  assert.ok((await b.evaluate(() => node.syncStatus().tabBacklog.overflows)) >= 1);
  assert.deepEqual(await state(a), await state(b));
  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});

test("bad input from JS is a typed error, and a damaged stored record is skipped and reported", async () => {
  const context = await browser.newContext();
  const page = await tab(context);
  const net = network();
  await open(page, net);
  const codes = await page.evaluate(async ([net, other]) => {
    const { TrustfoldNode } = window.trustfold;
    const code = async (call) => {
      try {
        await call();
        return "no error";
      } catch (e) {
        return e instanceof Error ? e.code : `not an Error: ${e}`;
      }
    };
    await node.pay(other, 5n, "EUR");
    const backup = node.exportBackup("correct horse battery");
    return {
      keyAsNumber: await code(() => node.pay(42, 1n, "EUR")),
      amountAsString: await code(() => node.pay(other, "100", "EUR")),
      amountNegative: await code(() => node.pay(other, -1n, "EUR")),
      missingUnit: await code(() => node.pay(other, 1n)),
      zeroAmount: await code(() => node.pay(other, 0n, "EUR")),
      unknownEvent: await code(() => node.exclude("ab".repeat(32), "no")),
      objectAsField: await code(() => node.setField("notes", "n", "f", { a: 1 })),
      receiveNotBytes: await code(() => node.receive(["not bytes"])),
      wrongPassphrase: await code(() => TrustfoldNode.restore(`${net}-b`, backup, "wrong")),
      malformedBackup: await code(() =>
        TrustfoldNode.restore(`${net}-c`, backup.slice(0, 20), "correct horse battery"),
      ),
      restored: (await TrustfoldNode.restore(`${net}-d`, backup, "correct horse battery")).publicKey === node.publicKey,
      forged: (await node.receive([new Uint8Array([1, 2, 3])])).refused[0].code,
    };
  }, [net, key(4)]);
  assert.deepEqual(codes, {
    keyAsNumber: "INVALID_ARGUMENT",
    amountAsString: "INVALID_ARGUMENT",
    amountNegative: "INVALID_ARGUMENT",
    missingUnit: "INVALID_ARGUMENT",
    zeroAmount: "INVALID_EVENT",
    unknownEvent: "UNKNOWN_EVENT",
    objectAsField: "INVALID_ARGUMENT",
    receiveNotBytes: "INVALID_ARGUMENT",
    wrongPassphrase: "WRONG_PASSPHRASE",
    malformedBackup: "MALFORMED_BACKUP",
    restored: true,
    forged: "MALFORMED_EVENT",
  });

  // Damage the stored record behind the node's back, then reload.
  const digest = await page.evaluate(() => node.viewDigest().state);
  await page.evaluate(async (net) => {
    node.close();
    const db = await new Promise((ok, fail) => {
      const open = indexedDB.open(`trustfold-${net}`);
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    // Events are kept in blocks (one per written batch): flip the last byte
    // of the payment's bytes in its block, and add a block cut short.
    const tx = db.transaction("blocks", "readwrite");
    const blocks = tx.objectStore("blocks");
    const keys = await new Promise((ok) => (blocks.getAllKeys().onsuccess = (e) => ok(e.target.result)));
    const block = await new Promise((ok) => (blocks.get(keys[0]).onsuccess = (e) => ok(e.target.result)));
    block[block.length - 1] ^= 1;
    blocks.put(block, keys[0]);
    blocks.put(new Uint8Array([1, 2, 3]));
    await new Promise((ok) => (tx.oncomplete = ok));
    db.close();
  }, net);
  await page.reload();
  await page.waitForFunction(() => document.title === "ready");
  await open(page, net);
  const after = await page.evaluate(() => ({
    report: node.openReport,
    digest: node.viewDigest().state,
  }));
  assert.equal(after.report.events, 0);
  assert.equal(after.report.skipped.length, 2, after.report.skipped.join("\n"));
  assert.notEqual(after.digest, digest, "the damaged payment is not counted");
  assert.deepEqual(page.errors, []);
  await context.close();
});
