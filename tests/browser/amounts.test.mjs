// Amounts as people write them (issue #15, problem 1): 12.50 EUR is typed,
// stored as 1250 cents and shown as 12.50 on every page; a unit's decimals
// come from the library (the same on every page), and an amount with more
// decimals than its unit has is refused in words before anything is signed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fresh, onBuiltPage } from "./people.mjs";

const { linked, sees, tab, pay, closeAll } = onBuiltPage();

test("12.50 EUR typed by the payer shows as 12.50 EUR on both pages; too many decimals are refused in words", async () => {
  const network = fresh("amounts");
  const [alice, bob] = await linked(network, "Alice", "Bob");

  await tab(alice, "ledger");
  // The hint says how EUR is typed before anything is.
  await sees(alice, "#pay-unit-hint", "EUR has 2 decimals (like 12.50)");

  // Four decimals: refused, in words, and nothing is paid.
  await alice.page.fill("#pay input[name=to]", "Bob");
  await alice.page.fill("#pay input[name=amount]", "12.5055");
  await alice.page.fill("#pay input[name=memo]", "too precise");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "EUR has at most 2 decimals.");
  assert.doesNotMatch(await alice.page.textContent("#transactions"), /too precise/);
  // "1,000": a thousand or one? Asked, not guessed (it used to pay 1.00).
  await alice.page.fill("#pay input[name=amount]", "1,000");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "Is that a thousands separator? Type the amount without one, like 1000, or with at most 2 decimals, like 1.50.");
  assert.doesNotMatch(await alice.page.textContent("#transactions"), /too precise/);

  // A comma works as the decimal separator too.
  await pay(alice, "Bob", "12,5", "lunch");
  assert.equal(await alice.page.textContent("#pay-error"), "", "a success clears the error");
  await sees(alice, "#my-balances", "-12.50 EUR");
  await sees(alice, "#transactions", "12.50 EUR");
  await sees(bob, "#transactions", "lunch");
  await sees(bob, "#my-balances", "12.50 EUR");
  await sees(bob, "#transactions", "12.50 EUR");
  // An amount a hundred times the largest paid here asks first.
  await alice.page.fill("#pay input[name=amount]", "99999");
  await alice.page.fill("#pay input[name=memo]", "held down");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "99999.00 EUR is 100 times or more the largest payment here in EUR (12.50 EUR): check the amount");
  assert.doesNotMatch(await alice.page.textContent("#transactions"), /held down/);
  await alice.page.fill("#pay input[name=amount]", "");
  await alice.page.fill("#pay input[name=memo]", "");

  // A unit that looks like one in use is pointed out before anyone pays in it.
  await alice.page.fill("#pay input[name=unit]", "eu0");
  await sees(alice, "#pay-unit-hint", "EU0 looks like EUR, which people here pay in");
  await alice.page.fill("#pay input[name=unit]", "UER");
  await sees(alice, "#pay-unit-hint", "UER looks like EUR");
  // "€" is EUR written another way, but a unit of its own: said, and a
  // payment in it asks first (a newcomer's balances split in two).
  await alice.page.fill("#pay input[name=unit]", "€");
  await sees(alice, "#pay-unit-hint", "€ and EUR are one currency, but balances in each are kept apart: people here pay in EUR");
  await alice.page.fill("#pay input[name=amount]", "1");
  await alice.page.fill("#pay input[name=memo]", "euro sign");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "so check which one you mean. Press Pay again to pay it anyway.");
  // Said once: the question, not the hint under the unit too.
  assert.doesNotMatch(await alice.page.textContent("#pay-unit-hint"), /one currency/);
  assert.doesNotMatch(await alice.page.textContent("#transactions"), /euro sign/);
  await alice.page.click("#pay button");
  await sees(alice, "#transactions", "euro sign");

  // A unit counted whole (HOUR) takes no decimals; the page says so.
  await alice.page.fill("#pay input[name=unit]", "hour");
  await sees(alice, "#pay-unit-hint", "HOUR is counted in whole numbers");
  await sees(alice, "#pay-unit-hint", "Nobody here has paid in HOUR yet");
  await alice.page.fill("#pay input[name=amount]", "1.5");
  await alice.page.fill("#pay input[name=memo]", "half an hour");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "HOUR is counted in whole numbers: no decimals.");
  // A minus sign is not "not a number": the page says what to do instead.
  await alice.page.fill("#pay input[name=amount]", "−3");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "A payment is always from you: to be paid, ask the other person to pay you.");
  await pay(alice, "Bob", "2", "two hours");
  await sees(bob, "#my-balances", "2 HOUR");
  // Everyone's balances: one row a person, each unit in it.
  await alice.page.waitForFunction(() => document.querySelector("#balances")?.textContent.includes("HOUR"));
  const mine = await alice.page.$$eval("#balances tbody tr", (rows) =>
    rows.filter((r) => r.cells[0].textContent.trim() === "you").map((r) => r.cells[1].textContent),
  );
  assert.equal(mine.length, 1, `one row for me: ${mine}`);
  assert.match(mine[0], /EUR.*HOUR|HOUR.*EUR/);
  // No code or internal id reaches the person.
  for (const p of [alice, bob]) {
    const text = await p.page.textContent("#ledger");
    assert.doesNotMatch(text, /amount_|INVALID_ARGUMENT|EventId/);
  }
  await closeAll(alice, bob);
});
