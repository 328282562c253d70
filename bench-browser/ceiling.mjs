// The verification ceiling alone (catchup.js's verifyCeiling): the first
// 100,000 events of the fixture checked by the package's worker check in 1
// and in 2 workers, 3 rounds each, in one page of pkg/ as it is built now.
// Used to weigh ed25519's precomputed tables (BENCHMARKS.md, "Verification
// in Web Workers"): run it once on the package as built, and once on
// `PKG_FEATURES=trustfold/fast ./scripts/build-pkg.sh`'s. It needs the
// fixtures `./scripts/bench-browser.sh` makes.
//
//   node bench-browser/ceiling.mjs [label]
import path from "node:path";
import { chromium } from "playwright-core";
import { root, serve, CHROMIUM, CHROMIUM_FLAGS } from "../tests/browser/support.mjs";

const OUT = path.join(root, "target/bench-browser");
const pages = await serve({
  "/": path.join(root, "bench-browser/www"),
  "/pkg/": path.join(root, "pkg"),
  "/bench-pkg/": path.join(OUT, "pkg"),
  "/fixtures/": path.join(OUT, "fixtures"),
});
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
try {
  const page = await browser.newPage();
  await page.goto(`${pages.url}/catchup.html`);
  await page.waitForFunction(() => document.title === "ready");
  await page.evaluate(() => cu.load(100000));
  const ms = { one: [], two: [] };
  for (let round = 0; round < 3; round++) {
    ms.one.push(Math.round((await page.evaluate(() => cu.verifyCeiling(1))).ms));
    ms.two.push(Math.round((await page.evaluate(() => cu.verifyCeiling(2))).ms));
  }
  console.log(`${process.argv[2] ?? "pkg/"}: 100,000 events, 1 worker ${ms.one.join(", ")} ms; 2 workers ${ms.two.join(", ")} ms`);
} finally {
  await browser.close();
  await pages.close();
}
