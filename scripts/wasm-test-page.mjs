// Drives one wasm-bindgen test page in headless Chromium through Playwright
// (scripts/wasm-test-runner.sh serves it): prints what the page's harness
// writes, and exits 0 only if it ends with "test result: ok".
//
// wasm-bindgen-test-runner's own driver (chromedriver) left the page of the
// façade's test binaries at "Loading scripts..." until its 300 s timeout in
// about one run in three on this machine (2026-12-06: 2 of 6 runs of its unit
// tests alone, 9 of 26 in the make test logs of 2026-12-04..06), whatever
// the flags (webdriver.json's, --no-wasm-tier-up, an eager page load); the
// same page loaded by Playwright ran 8 of 8.
//
//   node scripts/wasm-test-page.mjs <url> <timeout seconds>
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";

const [url, seconds] = [process.argv[2], Number(process.argv[3] || 300)];
// The flags the tests need (WebRTC's local addresses, no sandbox as root): webdriver.json's.
const flags = JSON.parse(readFileSync(new URL("../webdriver.json", import.meta.url)))["goog:chromeOptions"].args;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: flags });
let code = 1;
try {
  const page = await browser.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(`page error: ${e.message}`));
  await page.goto(url, { timeout: 120_000 });
  const output = () => page.evaluate(() => document.getElementById("output")?.textContent ?? "");
  let text = "";
  try {
    await page.waitForFunction(() => document.getElementById("output")?.textContent.includes("test result: "), null, {
      timeout: seconds * 1000,
      polling: 250,
    });
  } catch {
    // The words scripts/test-wasm.sh looks for to run a binary again alone.
    console.log(`Failed to detect test as having been run: no test result after ${seconds} s`);
  }
  text = await output();
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  code = /test result: ok\./.test(text) ? 0 : 1;
  if (code !== 0 && logs.length) console.log(`console output:\n    ${logs.join("\n    ")}`);
} finally {
  await browser.close();
}
process.exit(code);
