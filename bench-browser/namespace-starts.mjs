// node bench-browser/namespace-starts.mjs [STARTS] [BUSY_CORES]: how often
// a page in the browser tests' network namespace (tests/browser/
// guest-network.mjs, as ice-restart.test.mjs makes it) is not ready 20 s
// after its load, the failure CI saw once in December 2026. Each start
// makes the namespace, a page on the host and one in the namespace, then
// undoes it all; BUSY_CORES loops keep cores busy meanwhile. Prints each
// start's times (ms) and, for a page not ready, its title, state, requests
// and errors. Needs root and iproute2, as the tests do.
import { spawn } from "node:child_process";
import { guestNetwork } from "../tests/browser/guest-network.mjs";
import { watch } from "../tests/browser/support.mjs";

const starts = Number(process.argv[2] ?? 20);
const busy = Array.from({ length: Number(process.argv[3] ?? 1) }, () =>
  spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));

/** A page in `browser` until its title is "ready", without the tests' second load. */
async function ready(g, browser, where) {
  const page = await (await browser.newContext()).newPage();
  const errors = watch(page);
  const requests = [];
  page.on("requestfailed", (r) => requests.push(`${r.url()} failed: ${r.failure()?.errorText}`));
  page.on("requestfinished", (r) => requests.push(`${r.url()} finished`));
  await page.goto(`${g.pages.url}/`);
  try {
    await page.waitForFunction(() => document.title === "ready", null, { timeout: 20000 });
  } catch (e) {
    const state = await page.evaluate(() => ({ title: document.title, readyState: document.readyState })).catch(String);
    throw new Error(`${where}: ${e.message} ${JSON.stringify(state)}; requests: ${requests.join(", ")}; errors: ${errors.map(String).join(", ")}`);
  }
}

let failed = 0;
try {
  for (let start = 0; start < starts; start++) {
    const t0 = Date.now();
    const g = await guestNetwork("starts", 230);
    const t1 = Date.now();
    try {
      await ready(g, g.host, "host");
      const t2 = Date.now();
      await ready(g, g.guest, "namespace");
      console.log(`start ${start}: namespace ${t1 - t0}, host page ${t2 - t1}, namespace page ${Date.now() - t2}`);
    } catch (e) {
      failed += 1;
      console.log(`start ${start}: NOT READY ${e.message}`);
    } finally {
      await g.stop();
    }
  }
} finally {
  for (const b of busy) b.kill();
}
console.log(`${failed} of ${starts} starts had a page not ready`);
