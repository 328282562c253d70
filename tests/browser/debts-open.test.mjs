// Which debts list their payments as first drawn (www/panels/debts.js), without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openAtFirst } from "../../www/debts-open.js";

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
