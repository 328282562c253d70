// Which units the page takes one for the other (www/units.js), without a
// browser: a typo or a look-alike character in a
// unit is pointed out before someone pays in a unit nobody else uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { lookAlike, sameCurrency } from "../../www/units.js";

test("look-alike units: one typo apart, or the same once 0/O, 1/I, 5/S, 8/B, 2/Z read alike", () => {
  for (const [a, b] of [["EUR", "EU0"], ["EUR", "EUO"], ["EUR", "UER"], ["EUR", "EURO"], ["EUR", "EU"], ["HOUR", "H0UR"], ["USD", "U5D"]]) {
    assert.equal(lookAlike(a, b), true, `${a} ~ ${b}`);
  }
  for (const [a, b] of [["EUR", "EUR"], ["EUR", "USD"], ["EUR", "GBP"], ["HOUR", "DAY"], ["EUR", "JPY"], ["CHF", "EUR"]]) {
    assert.equal(lookAlike(a, b), false, `${a} vs ${b}`);
  }
});

test("a currency sign and its code are one currency written two ways", () => {
  for (const [a, b] of [["€", "EUR"], ["EUR", "€"], ["£", "GBP"], ["$", "USD"], ["¥", "JPY"]]) assert.equal(sameCurrency(a, b), true, `${a} ~ ${b}`);
  for (const [a, b] of [["€", "€"], ["€", "USD"], ["EUR", "GBP"], ["HOUR", "EUR"]]) assert.equal(sameCurrency(a, b), false, `${a} vs ${b}`);
});
