// node measure.mjs <size: 1k|100k> <run> [--profile]
// One run of every interaction on a fresh copy of the profile with that
// history ($BENCH_PAGE_DIR/profile-<size>.base); prints JSON lines
// {name, longest, tbt, longSum, n, wall}. With --profile, each interaction
// is also CPU-profiled into $BENCH_PAGE_DIR/prof/<size>-<name>.cpuprofile.
import fs from "node:fs";
import { execSync } from "node:child_process";
import { launch, openNet, measure, frames, tasks, now, profiled, OUT } from "./lib.mjs";

const [size, run, flag] = process.argv.slice(2);
const PROFILE = flag === "--profile";
const dir = `${OUT}/run-${size}-${run}${PROFILE ? "-prof" : ""}`;
execSync(`rm -rf ${dir} && cp -r ${OUT}/profile-${size}.base ${dir}`);
// The build served may not be the one the profile was made with: the
// service worker would serve that one's page (cache first), so it goes.
execSync(`rm -rf "${dir}/Default/Service Worker" ${dir}/Default/Cache "${dir}/Default/Code Cache"`);
const TAG = process.env.TAG ?? "";
fs.mkdirSync(`${OUT}/prof`, { recursive: true });
const net = `perf${size}`;
const { context, page } = await launch(dir);
const results = [];
const only = process.env.ONLY ? new RegExp(process.env.ONLY) : null;

async function step(name, action, done) {
  if (only && !only.test(name)) return;
  await page.evaluate(() => (window.__pauseTick = true));
  await new Promise((r) => setTimeout(r, 300));
  const go = () => measure(page, action, done);
  const r = PROFILE ? await profiled(page, `${OUT}/prof/${size}-${name}.cpuprofile`, go) : await go();
  results.push({ name, ...r });
  console.log(JSON.stringify({ size, run, name, ...r }));
}
// Clicks and edits through the DOM, not playwright's actionability checks
// (they walk the whole DOM in the page's thread: 100-300 ms once the Debts
// panel has drawn 100,000 items, which is the harness's cost, not the page's).
const domClick = (sel) => page.evaluate((s) => document.querySelector(s).click(), sel);
const focusType = async (sel, text) => { await page.evaluate((s) => document.querySelector(s).focus(), sel); await page.keyboard.type(text); };
const setValue = (sel, v, ev = "input") => page.evaluate(([s, v, ev]) => { const e = document.querySelector(s); e.value = v; e.dispatchEvent(new Event(ev, { bubbles: true })); }, [sel, v, ev]);
const shown = (sel, text) => page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent.includes(t), [sel, text], { timeout: 120000 });
const ledgerShown = () =>
  page.waitForFunction(() => document.querySelector("#tx-page")?.textContent.includes("payments") && document.querySelector("#transactions tbody tr"), null, { timeout: 300000 });

await openNet(page, net);
await ledgerShown();
await new Promise((r) => setTimeout(r, 2000));

// 1. Opening: a reload with the history in IndexedDB, until the ledger shows.
if (!only || only.test("open")) {
  const go = async () => {
    await page.reload();
    await ledgerShown();
    const t1 = await frames(page);
    await new Promise((r) => setTimeout(r, 100));
    return tasks(page, 0, t1);
  };
  const r = PROFILE ? await profiled(page, `${OUT}/prof/${size}-open.cpuprofile`, go) : await go();
  results.push({ name: "open", ...r });
  console.log(JSON.stringify({ size, run, name: "open", ...r }));
  await new Promise((r) => setTimeout(r, 1500));
}
const me = await page.textContent("#me");
// Idle: `ms` of the page doing nothing (its 2 s redraw tick runs).
async function idle(name, ms) {
  if (only && !only.test(name)) return;
  await page.evaluate(() => (window.__pauseTick = false));
  const go = async () => {
    const t0 = await now(page);
    await new Promise((r) => setTimeout(r, ms));
    const t1 = await now(page);
    return tasks(page, t0, t1);
  };
  const r = PROFILE ? await profiled(page, `${OUT}/prof/${size}-${name}.cpuprofile`, go) : await go();
  await page.evaluate(() => (window.__pauseTick = true));
  results.push({ name, ...r });
  console.log(JSON.stringify({ size, run, name, ...r }));
}
await idle("idle10s", 10000);
// A member by name and one's key (someone who pays and is paid).
const NAME = "Gus 26";
const other = await page.evaluate(() => [...window.node.balances()].map((b) => b.account));
const key = other.find((k) => k !== me);

// 2. Typing in the pay form.
const to = "#pay input[name=to]";
await step("type-to-name", () => focusType(to, NAME), () => shown("#pay-to", "→"));
await page.fill(to, "");
await step("type-to-key64", () => focusType(to, key), () => shown("#pay-to", key));
await page.fill(to, "");
await step("type-amount", () => focusType("#pay input[name=amount]", "12.50"));
await page.fill("#pay input[name=amount]", "");
await page.fill("#pay input[name=unit]", "");
await step("type-unit", () => focusType("#pay input[name=unit]", "EUR"));
await step("type-memo", () => focusType("#pay input[name=memo]", "lunch"));
await page.fill("#pay input[name=memo]", "");

// 3. Paying someone, until the row shows.
await page.fill(to, NAME);
await page.fill("#pay input[name=amount]", "1.00");
await page.fill("#pay input[name=unit]", "EUR");
await page.fill("#pay input[name=memo]", `perf-pay-${run}`);
await step("pay", () => domClick("#pay button"), () => shown("#transactions", `perf-pay-${run}`));
const payError = await page.textContent("#pay-error");
if (payError) console.error("pay error:", payError);

// 4. Paging, search, filter.
await step("page-older", () => domClick("#tx-older"), () => shown("#tx-page", "page 2 of"));
await step("page-newer", () => domClick("#tx-newer"), () => shown("#tx-page", "page 1 of"));
// Typed the moment the box has focus: the worst case (search-click-type,
// below, types as a person does).
await step("search-type", () => focusType("#tx-search", "bread 9"), () => shown("#tx-page", "page 1 of"));
await step("search-clear", () => setValue("#tx-search", ""));
await step("filter-mine", () => setValue("#tx-filter", "mine", "change"));
await step("filter-all", () => setValue("#tx-filter", "all", "change"));

// 5. CSV exports.
await step("csv-transactions", async () => {
  const d = page.waitForEvent("download", { timeout: 120000 });
  await domClick("#tx-csv");
  await d;
});
await step("csv-balances", async () => {
  const d = page.waitForEvent("download", { timeout: 120000 });
  await domClick("#balances-csv");
  await d;
});

// 6. A row's Exclude… (the inline form), then Cancel.
await step("row-exclude-open", () => page.evaluate(() => [...document.querySelectorAll("#transactions tbody tr:first-child button")].find((b) => b.textContent.includes("Exclude")).click()), () => page.waitForSelector("#transactions tr.ask"));
await step("row-exclude-cancel", () => domClick("#transactions tr.ask button.quiet"), () => page.waitForSelector("#transactions tr.ask", { state: "detached" }));

// 7. Every tab.
for (const tab of ["trust", "agreement", "records", "peers", "pictures", "networks", "ledger"]) {
  await step(`tab-${tab}`, () => domClick(`#tab-${tab}`));
}

// 8. Ban and unban someone: the preview, then Apply.
await page.click("#tab-trust");
await page.fill("#trust-form input[name=who]", NAME);
await step("ban-preview", () => domClick("#trust-form button[value=ban]"), () => page.waitForSelector("#preview:not([hidden])", { timeout: 120000 }));
console.error("ban preview items:", await page.evaluate(() => document.querySelectorAll("#preview-list li").length));
await step("ban-apply", () => domClick("#preview-apply"), () => page.waitForSelector("#preview", { state: "hidden", timeout: 120000 }));
await step("unban-preview", () => domClick("#banned-list button"), () => page.waitForSelector("#preview:not([hidden])", { timeout: 120000 }));
await step("unban-apply", () => domClick("#preview-apply"), () => page.waitForSelector("#preview", { state: "hidden", timeout: 120000 }));

// 9. Naming myself (a record edit).
await page.click("#tab-ledger");
await step("rename-me", async () => { await setValue("#my-name", `Perf Me ${run}`, "input"); await setValue("#my-name", `Perf Me ${run}`, "change"); }, () => page.waitForFunction((n) => window.node.selfClaims("people").some((c) => c.record.fields.name?.value === n), `Perf Me ${run}`));

// 10. The Debts panel last: it leaves every debtor's every payment in the DOM.
await step("tab-debts", () => domClick("#tab-debts"));
await step("tab-ledger-after-debts", () => domClick("#tab-ledger"));

// 11. A search as a person types one: a click, the first key ≈ 0.4 s later
// (my name changed above, so what a search matches is made again).
await step("search-click-type", async () => {
  await page.evaluate(() => document.querySelector("#tx-search").focus());
  await new Promise((r) => setTimeout(r, 400));
  await page.keyboard.type("bread 8");
}, () => shown("#tx-page", "page 1 of"));

// 12. A big collection (RECORDS in scripts/bench-page.sh: `inventory`):
// opening it, the page idle with it shown, setting a field of one record,
// typing into a text field of one.
if (await page.evaluate(() => window.node.records("inventory").length > 0)) {
  const rows = () => page.evaluate(() => document.querySelectorAll("#record-table tbody tr").length);
  await step("tab-records-big", async () => {
    await domClick("#tab-records");
    await page.evaluate(() => [...document.querySelectorAll("#collection-list button")].find((b) => b.textContent === "inventory").click());
  }, () => page.waitForFunction(() => document.querySelector("#record-table tbody th")?.textContent.startsWith("item"), null, { timeout: 120000 }));
  console.error("records drawn:", await rows());
  await idle("records-idle6s", 6000);
  await step("records-set-field", async () => {
    await page.evaluate((run) => {
      const f = document.querySelector("#field-form").elements;
      f.id.value = "item 00007";
      f.field.value = `note ${run}`;
      f.value.value = "checked";
      document.querySelector("#field-form").requestSubmit();
    }, run);
  }, () => page.waitForFunction((run) => window.node.record("inventory", "item 00007")?.fields[`note ${run}`], run));
  // Typing into a text field of one record, as a person does (a key
  // every 100 ms; each keystroke is an edit the panel shows).
  await page.evaluate((run) => window.node.setText("inventory", "item 00001", `notes ${run}`, ""), run);
  const notes = `textarea[data-record="item 00001"][data-field="notes ${run}"]`;
  await page.waitForSelector(notes, { timeout: 120000 });
  await step("records-type-text", async () => {
    await page.evaluate((s) => document.querySelector(s).focus(), notes);
    await page.keyboard.type("twelve chars", { delay: 100 });
  }, () => page.waitForFunction((run) => window.node.record("inventory", "item 00001")?.fields[`notes ${run}`]?.value.text === "twelve chars", run));
  await step("records-tab-ledger", () => domClick("#tab-ledger"));
}

fs.writeFileSync(`${OUT}/results${TAG}-${size}-${run}${PROFILE ? "-prof" : ""}.json`, JSON.stringify(results));
await context.close();
execSync(`rm -rf ${dir}`);
