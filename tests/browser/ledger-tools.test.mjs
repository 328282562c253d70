// Many payments stay usable (issue #15, problem 9): the transactions come
// in pages, with a search and a filter, and export to CSV — where a memo a
// stranger wrote as a spreadsheet formula is neutralised.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { fresh, onBuiltPage } from "./people.mjs";

const { person, linked, sees, tab, pay, closeAll } = onBuiltPage();

const rows = (p) => p.page.locator("#transactions tbody tr").count();

test("31 payments: pages of 25, a search, a filter, and a CSV whose formula memo is neutralised", async () => {
  const network = fresh("ledger-tools");
  const alice = await person(network, "Alice");
  const someone = "cd".repeat(32);
  // A key nobody has seen is asked about once, at its first payment.
  await tab(alice, "ledger");
  await alice.page.fill("#pay input[name=to]", someone);
  await alice.page.fill("#pay input[name=amount]", "1");
  await alice.page.fill("#pay input[name=memo]", "p1");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "nobody with this key has made a change in this network yet");
  await alice.page.click("#pay button");
  await sees(alice, "#transactions", "p1");
  for (let n = 2; n <= 30; n++) await pay(alice, someone, n, `p${n}`);
  await pay(alice, someone, 1, '=HYPERLINK("http://evil.example")');

  await sees(alice, "#tx-page", "page 1 of 2 (31 payments)");
  assert.equal(await rows(alice), 25);
  assert.equal(await alice.page.isDisabled("#tx-newer"), true);
  await alice.page.click("#tx-older");
  await sees(alice, "#tx-page", "page 2 of 2");
  assert.equal(await rows(alice), 6);
  await sees(alice, "#transactions", "p1");

  await alice.page.fill("#tx-search", "p7");
  await alice.page.waitForFunction(() => document.querySelectorAll("#transactions tbody tr").length === 1);
  assert.equal(await alice.page.isVisible("#tx-pages"), false, "one page: the pager hides");
  await sees(alice, "#transactions", "7.00 EUR");
  await alice.page.fill("#tx-search", "");
  await alice.page.selectOption("#tx-filter", "not");
  await alice.page.waitForFunction(() => document.querySelectorAll("#transactions tbody tr").length === 0);
  await alice.page.selectOption("#tx-filter", "all");

  const [download] = await Promise.all([alice.page.waitForEvent("download"), alice.page.click("#tx-csv")]);
  const text = fs.readFileSync(await download.path(), "utf8");
  assert.ok(text.startsWith("\uFEFF\"time\""), "a byte order mark first, for Excel");
  const lines = text.trimEnd().split("\r\n");
  assert.equal(lines.length, 32, "a header and 31 payments");
  assert.ok(lines.some((l) => l.includes(`"'=HYPERLINK(""http://evil.example"")"`)), text);
  assert.ok(lines.some((l) => l.includes(`"you","${alice.key}"`) && l.includes(`"12.00","EUR","p12"`)), text);
  await tab(alice, "ledger");
  // Debts sums the 31 payments to one person, and says it is a sum.
  await tab(alice, "debts");
  await sees(alice, "#debt-list", "466.00 EUR in all.");
  // 31 payments are listed when asked, not drawn at once (a year of
  // history puts a thousand under a debt); opened, the list stays open.
  const list = alice.page.locator("#debt-list details.movements");
  await sees(alice, "#debt-list summary", "The 31 payments");
  assert.equal(await list.locator("li").count(), 0, "not drawn while closed");
  await alice.page.click("#debt-list summary");
  await alice.page.waitForFunction(() => document.querySelectorAll("#debt-list details.movements li").length === 31);
  await pay(alice, someone, 2, "p32");
  await tab(alice, "debts");
  await sees(alice, "#debt-list summary", "The 32 payments");
  assert.equal(await list.locator("li").count(), 32, "still open after the list changed");
  await closeAll(alice);
});

test("Debts says a sum of payments both ways is a net, with each side", async () => {
  const [alice, bob] = await linked(fresh("net-debts"), "Alice", "Bob");
  await pay(alice, "Bob", "18.50", "groceries");
  await sees(bob, "#transactions", "groceries");
  await pay(bob, "Alice", "12.50", "my share");
  await sees(alice, "#transactions", "my share");
  await tab(alice, "debts");
  await sees(alice, "#debt-list", "You owe 6.00 EUR");
  await sees(alice, "#debt-list", "Counted: paid Bob 6.00 EUR net (18.50 EUR paid, 12.50 EUR received).");
  await closeAll(alice, bob);
});

test("a debt's short list, open as first drawn, stays open as its payments pass ten", async () => {
  const network = fresh("debt-list-open");
  const alice = await person(network, "Alice");
  const someone = "cd".repeat(32);
  for (let n = 1; n <= 10; n++) await pay(alice, someone, n, `p${n}`);
  await tab(alice, "debts");
  await alice.page.waitForFunction(() => document.querySelectorAll("#debt-list details.movements li").length === 10);
  // An eleventh payment: the list someone is reading does not close under them.
  await pay(alice, someone, 11, "p11");
  await tab(alice, "debts");
  await sees(alice, "#debt-list summary", "The 11 payments");
  assert.equal(await alice.page.locator("#debt-list details.movements li").count(), 11);
  await closeAll(alice);
});
