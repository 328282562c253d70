// The node page as `make run` serves it: the real signalling server
// (target/debug/trustfold-server) serving dist/ (built by `make www`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, launch, watch, signallingServer } from "./support.mjs";

let server, url, browser;

before(async () => {
  const site = path.join(root, "dist");
  if (!fs.existsSync(path.join(site, "index.html"))) throw new Error("dist/ is missing: run make www first");
  server = await signallingServer(site);
  url = server.url;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the served page opens a node, pays, and shows the same after a reload", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watch(page);
  const network = `page-${Math.random().toString(36).slice(2)}`;
  await page.goto(`${url}/?network=${network}`);
  await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me").textContent));
  await page.fill("input[name=to]", "ab".repeat(32));
  await page.fill("input[name=amount]", "5");
  await page.fill("input[name=memo]", "coffee");
  await page.click("#pay button");
  await page.waitForFunction(() => document.querySelector("#balances").textContent.includes("-5 EUR"));
  assert.match(await page.textContent("#transactions"), /coffee/);

  // A bad key is refused with its code, shown to the person.
  await page.fill("input[name=to]", "not a key");
  await page.fill("input[name=amount]", "1");
  await page.click("#pay button");
  await page.waitForFunction(() => document.querySelector("#pay-error").textContent.includes("INVALID_ARGUMENT"));

  await page.reload();
  await page.waitForFunction(() => document.querySelector("#balances").textContent.includes("-5 EUR"));
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("1 payments known"));
  assert.deepEqual(errors, []);
  await context.close();
});

test("two people opening the page in different browsers see each other's payments", async () => {
  const network = `pair-${Math.random().toString(36).slice(2)}`;
  const open = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watch(page);
    await page.goto(`${url}/?network=${network}`);
    await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me").textContent));
    return { context, page, errors, key: await page.textContent("#me") };
  };
  const [alice, bob] = [await open(), await open()];
  await bob.page.waitForFunction(() => document.querySelector("#status").textContent.includes("1 peer linked"), null, {
    timeout: 15000,
  });
  await alice.page.fill("input[name=to]", bob.key);
  await alice.page.fill("input[name=amount]", "7");
  await alice.page.click("#pay button");
  await bob.page.waitForFunction(() => document.querySelector("#balances").textContent.includes("7 EUR"), null, {
    timeout: 10000,
  });
  assert.deepEqual([...alice.errors, ...bob.errors], []);
  await alice.context.close();
  await bob.context.close();
});
