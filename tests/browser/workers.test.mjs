// Large batches of events are checked in Web Workers, off the page's thread
// (crates/web/src/workers.rs), with exactly the verdicts the page's thread
// gives: the package loaded without a bundler (tests/browser/page), real
// module workers, real IndexedDB. The bundlers' builds are in
// bundlers.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { packageInPage, watch, eventsInBlocks } from "./support.mjs";

let env;
before(async () => {
  env = await packageInPage();
});
after(() => env?.close());

/** A page of a fresh context with the package loaded and the helpers below. */
async function freshPage(t, init) {
  const context = await env.browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = watch(page);
  if (init) await page.addInitScript(init);
  await page.addInitScript(helpers);
  await page.goto(`${env.server.url}/`);
  await page.waitForFunction(() => document.title === "ready");
  return { page, errors };
}

/**
 * `__payments(n)`: n payments of a new node: the blocks of its database
 * (`payments` reads the events out, the bytes a peer would send). `__take(events, workers)`: a new node with
 * `workers` verifying workers (0: the page's thread) takes them in; its
 * report, balances and what its workers did.
 */
function helpers() {
  const network = () => `workers-${Math.random().toString(36).slice(2)}`;
  const done = (request) =>
    new Promise((ok, fail) => {
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
  window.__payments = async (n) => {
    const name = network();
    const node = await window.trustfold.TrustfoldNode.open(name);
    for (let i = 0; i < n; i++) await node.pay("ab".repeat(32), 1n, "EUR", `payment ${i}`);
    node.close();
    const db = await done(indexedDB.open(`trustfold-${name}`));
    const blocks = await done(db.transaction("blocks").objectStore("blocks").getAll());
    db.close();
    return blocks.map((b) => Array.from(b));
  };
  window.__take = async (events, workers) => {
    const node = await window.trustfold.TrustfoldNode.open(network());
    if (workers !== undefined) node.setVerifyWorkers(workers);
    const report = await node.receive(events.map((e) => new Uint8Array(e)));
    const out = {
      report: {
        stored: report.stored,
        applied: report.applied,
        refused: report.refused.map(({ index, code }) => ({ index, code })),
      },
      balances: JSON.stringify(node.balances(), (_, v) => (typeof v == "bigint" ? String(v) : v)),
      workers: node.verifyWorkers,
    };
    node.close();
    return out;
  };
}

/** `n` payments of a new node in `page`, as the bytes a peer would send. */
async function payments(page, n) {
  return eventsInBlocks(await page.evaluate((n) => window.__payments(n), n));
}

/** `events` with bad ones among them: flipped bits (signature, body), a cut event, junk, a copy. */
function doctored(events) {
  const out = events.map((e) => [...e]);
  const flip = (e, at) => {
    const copy = [...e];
    copy[at] ^= 0x04;
    return copy;
  };
  for (let i = 0; i < 40; i++) {
    const e = events[(i * 7) % events.length];
    // Signature bytes (the last 64), the header and the body in turn.
    const at = [e.length - 1 - (i % 64), 2 + (i % 30), Math.floor(e.length / 2) + i][i % 3];
    out.splice((i * 13) % out.length, 0, flip(e, at));
  }
  out.splice(5, 0, events[3].slice(0, 20), [1, 2, 3], [...events[9]]);
  return out;
}

test("a catch-up's events are checked in workers, with the page thread's verdicts", async (t) => {
  const { page, errors } = await freshPage(t);
  const events = await payments(page, 150);
  assert.equal(events.length, 150);
  const batch = doctored(events);

  const here = await page.evaluate((b) => window.__take(b, 0), batch);
  assert.equal(here.workers, null, "0 workers: the page's thread checks");
  assert.equal(here.report.stored, 150, JSON.stringify(here.report));
  assert.ok(here.report.refused.length >= 40, JSON.stringify(here.report.refused));

  for (const workers of [undefined, 1, 2]) {
    const taken = await page.evaluate(([b, w]) => window.__take(b, w), [batch, workers]);
    const label = workers === undefined ? "the default pool" : `${workers} worker(s)`;
    assert.deepEqual(taken.report, here.report, `${label}: the same report as the page's thread`);
    assert.equal(taken.balances, here.balances, `${label}: the same balances`);
    assert.equal(taken.workers.failed, null, `${label}: ${taken.workers.failed}`);
    assert.ok(taken.workers.running >= 1, `${label}: workers ran`);
    assert.ok(taken.workers.checked >= 150, `${label}: workers checked ${taken.workers.checked}`);
    if (workers) assert.equal(taken.workers.size, workers);
  }
  const size = await page.evaluate(async () => {
    const node = await window.trustfold.TrustfoldNode.open("workers-size");
    const size = node.verifyWorkers.size;
    node.setVerifyWorkers(1000);
    const most = node.verifyWorkers.size;
    node.close();
    return { size, most, cores: navigator.hardwareConcurrency };
  });
  assert.equal(size.size, Math.min(8, size.cores), "one worker per core by default");
  assert.equal(size.most, 16, "at most 16, whatever is asked");
  assert.deepEqual(errors.map(String), []);
});

test("the workers start when the node connects (a catch-up may follow), not when it opens", async (t) => {
  const { page, errors } = await freshPage(t);
  const running = await page.evaluate(async () => {
    const node = await window.trustfold.TrustfoldNode.open(`workers-warm-${Math.random()}`);
    const opened = node.verifyWorkers.running;
    node.connect("ws://127.0.0.1:9/signal"); // nothing listens: the link never opens
    const connected = node.verifyWorkers.running;
    node.close();
    return { opened, connected, size: navigator.hardwareConcurrency };
  });
  assert.equal(running.opened, 0);
  assert.equal(running.connected, Math.min(8, running.size));
  assert.deepEqual(errors.map(String).filter((e) => !/WebSocket|signal/.test(e)), []);
});

test("where workers cannot start, the page's thread checks and nothing is lost", async (t) => {
  const { page, errors } = await freshPage(t, () => {
    window.Worker = function () {
      throw new DOMException("workers are blocked here", "SecurityError");
    };
  });
  const events = await payments(page, 60);
  const taken = await page.evaluate((b) => window.__take(b), events);
  assert.equal(taken.report.stored, 60);
  assert.deepEqual(taken.report.refused, []);
  assert.match(taken.workers.failed, /blocked/);
  assert.equal(taken.workers.running, 0);
  assert.deepEqual(errors.map(String), []);
});

test("a worker that never answers stops the pool in time, and the page's thread checks the batch", async (t) => {
  // Workers whose script loads and then ignores every message.
  const { page, errors } = await freshPage(t, () => {
    const Real = window.Worker;
    window.Worker = function (url, options) {
      return new Real(URL.createObjectURL(new Blob(["onmessage = () => {};"], { type: "text/javascript" })), options);
    };
  });
  const events = await payments(page, 60);
  const started = Date.now();
  const taken = await page.evaluate((b) => window.__take(b), events);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(taken.report.stored, 60);
  assert.equal(taken.workers.failed, "timed out");
  assert.ok(seconds >= 19 && seconds < 40, `${seconds} s`);
  assert.deepEqual(errors.map(String), []);
});

test("workers that could not start start again five minutes later, at most twice", async (t) => {
  // Workers blocked until the page says otherwise (as when the package
  // could not be fetched: a worker started while the network was down).
  const { page, errors } = await freshPage(t, () => {
    const Real = window.Worker;
    window.__blockWorkers = true;
    window.Worker = function (url, options) {
      if (window.__blockWorkers) throw new DOMException("workers are blocked here", "SecurityError");
      return new Real(url, options);
    };
  });
  const batches = [];
  for (let i = 0; i < 7; i++) batches.push(await payments(page, 60));
  const seen = await page.evaluate(async (batches) => {
    const realNow = Date.now;
    const open = () => window.trustfold.TrustfoldNode.open(`workers-retry-${Math.random()}`);
    const take = async (node, events, minutesLater, blocked) => {
      window.__blockWorkers = blocked;
      Date.now = () => realNow() + minutesLater * 60 * 1000;
      try {
        const report = await node.receive(events.map((e) => new Uint8Array(e)));
        return { stored: report.stored, ...node.verifyWorkers };
      } finally {
        Date.now = realNow;
      }
    };
    // One node whose workers come back at the first try.
    const a = await open();
    const back = [await take(a, batches[0], 0, true), await take(a, batches[1], 4, false), await take(a, batches[2], 6, false)];
    a.close();
    // One whose workers never come back: two tries, then no more.
    const b = await open();
    const never = [
      await take(b, batches[3], 0, true),
      await take(b, batches[4], 6, true),
      await take(b, batches[5], 12, true),
      await take(b, batches[6], 18, false),
    ];
    b.close();
    return { back, never };
  }, batches);
  const brief = (list) => list.map(({ stored, checked, failed, retries }) => ({ stored, checked, failed: Boolean(failed), retries }));
  assert.deepEqual(brief(seen.back), [
    { stored: 60, checked: 0, failed: true, retries: 0 },
    { stored: 60, checked: 0, failed: true, retries: 0 }, // 4 minutes later: not yet
    { stored: 60, checked: 60, failed: false, retries: 1 }, // 6: started again, and they check
  ]);
  assert.deepEqual(brief(seen.never), [
    { stored: 60, checked: 0, failed: true, retries: 0 },
    { stored: 60, checked: 0, failed: true, retries: 1 },
    { stored: 60, checked: 0, failed: true, retries: 2 },
    { stored: 60, checked: 0, failed: true, retries: 2 }, // no third try, though workers could start now
  ]);
  assert.deepEqual(errors.map(String), []);
});
