// Which debts the Debts panel shows, in what order, and which list their payments as first drawn (www/panels/debts.js), without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openAtFirst } from "../../www/debts-open.js";
import { DEBTS_PER_PAGE, debtsInOrder, debtsPage } from "../../www/debts-order.js";

const debt = (account, transfers) => ({ account, unit: "EUR", transfers });

test("short lists open as first drawn until 60 payments are listed; the rest when asked", () => {
  // 200 members of a year's first thousand payments: a hundred debts of a few payments.
  const debts = Array.from({ length: 100 }, (_, i) => debt(`k${i}`, 5));
  debts.splice(3, 0, debt("long", 11));
  const shown = new Map();
  openAtFirst(debts, shown);
  const open = debts.filter((d) => shown.get(`${d.account} EUR`));
  assert.equal(open.length, 12, "12 lists of 5 payments");
  assert.equal(shown.get("long EUR"), false, "more than 10 payments: when asked");
  assert.equal(shown.get("k0 EUR"), true);
  assert.equal(shown.get("k99 EUR"), false);

  // What the person opened and closed is kept; a new debt finds the lists full.
  shown.set("k99 EUR", true);
  shown.set("k0 EUR", false);
  const later = [...debts, debt("new", 1)];
  later[0] = debt("k0", 12);
  openAtFirst(later, shown);
  assert.equal(shown.get("k99 EUR"), true);
  assert.equal(shown.get("k0 EUR"), false);
  assert.equal(shown.get("new EUR"), false);
});

test("debts are mine first, then by name and unit, a page of 20 at a time", () => {
  const names = new Map([["kb", "Bob"], ["ka", "alice"], ["kc", "Carol"]]);
  const who = (key) => names.get(key) ?? key;
  const balances = [
    { account: "kc", unit: "EUR", balance: -5n },
    { account: "kb", unit: "HOURS", balance: -2n },
    { account: "me", unit: "EUR", balance: -1n },
    { account: "kb", unit: "EUR", balance: -7n },
    { account: "ka", unit: "EUR", balance: 3n }, // not in debt
    { account: "kz", unit: "EUR", balance: -4n }, // unnamed: its key
  ];
  const debts = debtsInOrder(balances, "me", who);
  assert.deepEqual(
    debts.map((d) => `${d.account} ${d.unit} ${d.amount}`),
    ["me EUR 1", "kb EUR 7", "kb HOURS 2", "kc EUR 5", "kz EUR 4"],
  );

  // 191 debts: ten pages, the last of 11; a page past the last is the last.
  const many = Array.from({ length: 191 }, (_, i) => ({ account: `k${i}`, unit: "EUR", amount: 1n }));
  assert.equal(DEBTS_PER_PAGE, 20);
  const first = debtsPage(many, 0);
  assert.deepEqual([first.page, first.pages, first.first, first.shown.length], [0, 10, 0, 20]);
  assert.equal(first.shown[0].account, "k0");
  const last = debtsPage(many, 12);
  assert.deepEqual([last.page, last.first, last.shown.length], [9, 180, 11]);
  assert.equal(last.shown[10].account, "k190");
  assert.deepEqual(debtsPage([], 3), { page: 0, pages: 1, first: 0, shown: [] });
});
