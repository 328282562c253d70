// Drives one wasm-bindgen test page in headless Chromium through Playwright
// (scripts/wasm-test-runner.sh serves it): prints what the page's harness
// writes, and exits 0 only if it ends with "test result: ok".
//
// The page of a binary whose crate has JS snippets (the façade's: its
// `js/*.js`) sometimes never loads: the runner's server never answers one
// of the snippets the page imports (seen pending: `js/rows.js`,
// `js/verify.js`), and the page stays at "Loading scripts..." for good.
// Under the runner's own chromedriver that took 300 s and failed the binary
// in about one run in three (2 of 6 runs of the façade's unit tests alone,
// 9 of 26 of its binaries in this machine's make test logs, 2026-12-04..06;
// the core's binaries, with no snippet, 1 of 150), and Playwright's
// Chromium does the same. No test has run while the page is loading, so
// such a page is left and the binary's page opened again in a new browser
// context (new connections), at most `ATTEMPTS` times.
//
//   node scripts/wasm-test-page.mjs <url> <timeout seconds>
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";

const [url, seconds] = [process.argv[2], Number(process.argv[3] || 300)];
/** How long a page may stay at "Loading scripts..." before it is opened again. */
const LOADING_MS = 30_000;
const ATTEMPTS = 4;
// The flags the tests need (WebRTC's local addresses, no sandbox as root): webdriver.json's.
const flags = JSON.parse(readFileSync(new URL("../webdriver.json", import.meta.url)))["goog:chromeOptions"].args;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: flags });
const output = (page) => page.evaluate(() => document.getElementById("output")?.textContent ?? "");

/** Opens the page; resolves to it once its harness has begun (or null if it never does). */
async function started(logs) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pending = new Set();
  page.on("request", (r) => pending.add(r));
  page.on("requestfinished", (r) => pending.delete(r));
  page.on("requestfailed", (r) => pending.delete(r));
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(`page error: ${e.message}`));
  // Not until "load": the harness's module awaits the whole run.
  await page.goto(url, { waitUntil: "commit", timeout: 120_000 });
  try {
    await page.waitForFunction(() => !/^\s*Loading scripts\.\.\.\s*$/.test(document.getElementById("output")?.textContent ?? ""), null, {
      timeout: LOADING_MS,
      polling: 250,
    });
    return page;
  } catch {
    const waiting = [...pending].map((r) => new URL(r.url()).pathname).join(" ");
    console.log(`the page stayed at "Loading scripts..." for ${LOADING_MS / 1000} s (waiting for: ${waiting || "nothing"}): opened again`);
    await context.close();
    return null;
  }
}

let code = 1;
try {
  const logs = [];
  let page = null;
  for (let attempt = 0; attempt < ATTEMPTS && !page; attempt++) page = await started(logs);
  if (!page) {
    console.log(`Failed to detect test as having been run: the page never loaded in ${ATTEMPTS} tries`);
  } else {
    try {
      await page.waitForFunction(() => document.getElementById("output")?.textContent.includes("test result: "), null, {
        timeout: seconds * 1000,
        polling: 250,
      });
    } catch {
      // The words scripts/test-wasm.sh looks for to run a binary again alone.
      console.log(`Failed to detect test as having been run: no test result after ${seconds} s`);
    }
    const text = await output(page);
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    code = /test result: ok\./.test(text) ? 0 : 1;
    if (code !== 0 && logs.length) console.log(`console output:\n    ${logs.join("\n    ")}`);
  }
} finally {
  await browser.close();
}
process.exit(code);
