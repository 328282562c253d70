// node bench-browser/page/tab-layout.mjs: what showing the Peers tab
// costs in style and layout with a year of history (the profile
// scripts/bench-page.sh made; a server serving the test build at
// PERF_URL). Prints the elements in each panel before and after the tab is
// first shown, then 7 switches from the Ledger to the Peers tab, each
// timed from the click to the layout it forces (ms).
import { launch, openNet, OUT } from "./lib.mjs";
import { execSync } from "node:child_process";
const dir = `${OUT}/run-dom`;
execSync(`rm -rf ${dir} && cp -r ${OUT}/profile-100k.base ${dir}`);
execSync(`rm -rf "${dir}/Default/Service Worker" ${dir}/Default/Cache "${dir}/Default/Code Cache"`);
const { context, page } = await launch(dir);
await openNet(page, "perf100k");
await page.waitForFunction(() => document.querySelector("#tx-page")?.textContent.includes("payments"), null, { timeout: 300000 });
await new Promise((r) => setTimeout(r, 3000));
const count = () => page.evaluate(() => {
  const out = { all: document.getElementsByTagName("*").length };
  for (const p of document.querySelectorAll("[role=tabpanel], section")) out[p.id || p.className] = p.getElementsByTagName("*").length;
  return out;
});
console.log(JSON.stringify(await count()));
await page.evaluate(() => document.querySelector("#tab-peers").click());
await new Promise((r) => setTimeout(r, 1000));
console.log(JSON.stringify(await count()));
const t = await page.evaluate(async () => {
  const out = [];
  for (let i = 0; i < 7; i++) {
    document.querySelector("#tab-ledger").click();
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    document.querySelector("#tab-peers").click();
    document.body.offsetHeight;
    out.push(Math.round(performance.now() - t0));
    await new Promise((r) => setTimeout(r, 300));
  }
  return out.join(" ");
});
console.log("click+layout", t);
await context.close();
execSync(`rm -rf ${dir}`);
