// The page works offline: the service worker (dist/sw.js) serves the app
// shell with no network, the node opens from IndexedDB, a payment made
// offline survives a reload, and reaches another browser once the network
// returns. Served by the real signalling server, as `make run` does.
//
// Checked in Chromium: context.setOffline(true) fails new loopback requests
// (fetch, the service worker's fetches, new WebSockets, new WebRTC ICE) with
// net::ERR_INTERNET_DISCONNECTED while the server keeps running; sockets and
// data channels already open stay open.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import { root, launch, watch, signallingServer } from "./support.mjs";

let server, url, browser;

before(async () => {
  const site = path.join(root, "dist");
  if (!fs.existsSync(path.join(site, "sw.js"))) throw new Error("dist/sw.js is missing: run make www first");
  server = await signallingServer(site);
  url = server.url;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

// What the page shows, as a person sees it: the page's node is not
// reachable from scripts (the production build has no `window.node`).
const opened = (page) =>
  page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me")?.textContent ?? ""), null, {
    timeout: 30000,
  });
const hasMemo = (page, memo) =>
  page.waitForFunction((memo) => document.querySelector("#transactions")?.textContent.includes(memo), memo, {
    timeout: 20000,
  });

test("the page opens offline, keeps an offline payment, and syncs it when back online", async (t) => {
  const network = `offline-${Math.random().toString(36).slice(2)}`;
  const memo = `paid offline ${Date.now()}`;
  const start = Date.now();
  const lap = (what) => t.diagnostic(`${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);

  const alice = await browser.newContext();
  const page = await alice.newPage();
  const errors = watch(page);
  await page.goto(`${url}/?network=${network}`);
  await opened(page);
  // The page registers the worker itself (offline.js) and is claimed at once.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  const shells = await page.evaluate(() => caches.keys());
  assert.equal(shells.filter((k) => k.startsWith("trustfold-shell-")).length, 1, `one shell cache: ${shells}`);
  lap("controlled by the service worker");

  await alice.setOffline(true);
  // Really offline, though the server is up: the worker itself cannot
  // reach it (asked in the worker, where a failure logs nothing in the page).
  const [worker] = alice.serviceWorkers();
  const probe = await worker.evaluate(() =>
    fetch(`/index.html?probe=${Math.random()}`, { cache: "no-store" }).then((r) => `reached: ${r.status}`, () => "failed"),
  );
  assert.equal(probe, "failed");

  assert.ok((await page.reload()).fromServiceWorker(), "the offline page comes from the service worker");
  await opened(page);
  assert.equal(await page.evaluate(() => navigator.onLine), false);
  lap("reopened offline");
  // Paid through the form, as a person would.
  await page.fill("#pay input[name=to]", "cd".repeat(32));
  await page.fill("#pay input[name=amount]", "3");
  await page.fill("#pay input[name=memo]", memo);
  await page.click("#pay button");
  // A key nobody has seen is asked about; pressing again pays it.
  await page.waitForFunction(() => document.querySelector("#pay-error").textContent.includes("Press Pay again"));
  await page.click("#pay button");
  await page.waitForFunction((m) => document.querySelector("#transactions").textContent.includes(m), memo);
  // Opened again at a path the server never had: any navigation is the shell.
  assert.ok((await page.goto(`${url}/elsewhere?network=${network}`)).fromServiceWorker());
  await opened(page);
  await hasMemo(page, memo);
  lap("offline payment kept across an offline reload");

  await alice.setOffline(false);
  // Another browser on the same network gets the payment once alice's page
  // reconnects by itself (offline.js keepConnected, on `online`): no reload.
  const bob = await browser.newContext();
  const other = await bob.newPage();
  const bobErrors = watch(other);
  await other.goto(`${url}/?network=${network}`);
  await opened(other);
  await hasMemo(other, memo);
  lap("bob received the offline payment");

  // Offline, the page does not even try the signalling server (a refused
  // WebSocket would be a console error).
  assert.deepEqual([...errors, ...bobErrors], []);
  await alice.close();
  await bob.close();
});

test("a new build offers a reload to a page the old one opened", async () => {
  // A copy of the site, so that changing its sw.js touches no other test.
  const site = fs.mkdtempSync(path.join(root, "target", "site-"));
  fs.cpSync(path.join(root, "dist"), site, { recursive: true });
  const own = await signallingServer(site);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watch(page);
    await page.goto(`${own.url}/?network=update-${Math.random().toString(36).slice(2)}`);
    await opened(page);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
    assert.equal(await page.isHidden("#update"), true);
    // "Deploy" a build whose shell differs.
    const sw = path.join(site, "sw.js");
    const next = fs.readFileSync(sw, "utf8").replace(/"version":"([0-9a-f]+)"/, '"version":"$1-next"');
    fs.writeFileSync(sw, next);
    // As a new build would: its precompressed copies too (the server sends
    // those to browsers that take them).
    fs.writeFileSync(`${sw}.gz`, zlib.gzipSync(next));
    fs.writeFileSync(`${sw}.br`, zlib.brotliCompressSync(next));
    // Last-Modified has one-second resolution: a change within the second
    // the copy was made would be answered 304 to the browser's revalidation
    // and the old worker kept (this raced when the browser was warm).
    const later = new Date(Date.now() + 5000);
    for (const file of [sw, `${sw}.gz`, `${sw}.br`]) fs.utimesSync(file, later, later);
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
    await page.waitForSelector("#update", { state: "visible", timeout: 30000 });
    await page.click("#update button");
    await opened(page);
    const shells = await page.evaluate(() => caches.keys());
    assert.deepEqual(shells.filter((k) => k.endsWith("-next")).length, 1, `the new shell cache: ${shells}`);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    own.stop();
    fs.rmSync(site, { recursive: true, force: true });
  }
});
