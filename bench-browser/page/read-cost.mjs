// node bench-browser/page/read-cost.mjs <size> [runs]: what reading the
// ledger costs the page's thread with that history (a profile
// scripts/bench-page.sh made; the server serving the test build, as it
// runs it). In the page, a second node of the network is opened and timed:
// its first `transactions()` (every row converted), the same again (since
// 2026-12-06 at the same log and policy the kept rows are handed out
// without listing them: a copy of the array), `debtSummaries(3)` and `debts()`, a view under another policy
// (`compareViews`, the median of 7 people's: one Agreement step); with a big collection, its
// `records()` first, again, and after one field is set. Prints one JSON
// line per run.
import { execSync } from "node:child_process";
import { launch, openNet, OUT } from "./lib.mjs";

const [size, runs = "3"] = process.argv.slice(2);
for (let run = 1; run <= Number(runs); run++) {
  const dir = `${OUT}/run-${size}-read-${run}`;
  execSync(`rm -rf ${dir} && cp -r ${OUT}/profile-${size}.base ${dir}`);
  execSync(`rm -rf "${dir}/Default/Service Worker" ${dir}/Default/Cache "${dir}/Default/Code Cache"`);
  const { context, page } = await launch(dir);
  await openNet(page, `perf${size}`);
  await page.waitForFunction(() => document.querySelector("#tx-page")?.textContent.includes("payments"), null, { timeout: 300000 });
  const times = await page.evaluate(async (net) => {
    const node = await window.node.constructor.open(net);
    const timed = (f) => {
      const t0 = performance.now();
      f();
      return Math.round(performance.now() - t0);
    };
    const r = {
      transactionsFirst: timed(() => node.transactions()),
      transactionsAgain: timed(() => node.transactions()),
      debtSummaries: timed(() => node.debtSummaries(3)),
      debts: timed(() => node.debts()),
    };
    // A view under another policy, folded from the whole log: what each
    // step of the Agreement panel costs (one person's view; the policy
    // differs at each call, so none is kept). The median of 7.
    const people = [...new Set(node.balances().map((b) => b.account))].slice(0, 7);
    const folds = people.map((me) => timed(() => node.compareViews({ me, trusted: [], banned: [] })));
    r.foldUnder = folds.sort((a, b) => a - b)[folds.length >> 1];
    // A big collection (RECORDS in scripts/bench-page.sh): read first,
    // again, and after one field of one record is set (a keystroke's read).
    if (node.records("inventory").length > 0) {
      const other = await window.node.constructor.open(net);
      r.recordsFirst = timed(() => other.records("inventory"));
      r.recordsAgain = timed(() => other.records("inventory"));
      other.setField("inventory", "item 00007", "note", "checked");
      r.recordsAfterEdit = timed(() => other.records("inventory"));
      other.close();
    }
    node.close();
    return r;
  }, `perf${size}`);
  console.log(JSON.stringify({ size, run, ...times }));
  await context.close();
  execSync(`rm -rf ${dir}`);
}
