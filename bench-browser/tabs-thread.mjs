// Whether two tabs of one origin share a thread (BENCHMARKS.md, "The page's
// share of a catch-up"): tab b times the largest gap between its 1 ms timers
// while tab a spins for 400 ms. A gap near 400 ms: one thread.
//
//   node bench-browser/tabs-thread.mjs
import path from "node:path";
import fs from "node:fs/promises";
import os from "node:os";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_FLAGS, serve, root } from "../tests/browser/support.mjs";

const pages = await serve({ "/": path.join(root, "tests/browser/page") });
const profile = await fs.mkdtemp(path.join(os.tmpdir(), "tabs-thread-"));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
const a = context.pages()[0] ?? (await context.newPage());
await a.goto(`${pages.url}/`);
const b = await context.newPage();
await b.goto(`${pages.url}/`);
const gap = b.evaluate(() => new Promise((done) => {
  let last = performance.now();
  let most = 0;
  const end = last + 1500;
  const tick = () => {
    const now = performance.now();
    most = Math.max(most, now - last);
    last = now;
    if (now < end) setTimeout(tick, 1);
    else done(most);
  };
  setTimeout(tick, 1);
}));
await new Promise((r) => setTimeout(r, 300));
await a.evaluate(() => { const t = performance.now(); while (performance.now() - t < 400); });
console.log(`the largest gap between tab b's 1 ms timers while tab a spun 400 ms: ${(await gap).toFixed(0)} ms`);
await context.close();
await pages.close();
await fs.rm(profile, { recursive: true, force: true });
