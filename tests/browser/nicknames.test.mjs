// Names can be claimed by anyone (issue #15, problem 8): two people may both
// say they are "Bob". A nickname I give settles it on my page — shown
// instead of the claimed name, usable to pay — and anyone's full key can be
// copied from the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fresh, onBuiltPage } from "./people.mjs";

const { person, personAt, sees, tab, pay, closeAll } = onBuiltPage();

test("a squatted name is settled by my nickname, which I can pay by; keys can be copied", async () => {
  const network = fresh("nicknames");
  const clipboard = { options: { permissions: ["clipboard-read", "clipboard-write"] } };
  // The page is served from 127.0.0.1 (a secure context), so the clipboard API is there.
  const carol = await person(network, "Carol");
  const bob = await person(network, "Bob");
  const mallory = await person(network, "Bob"); // claims the same name
  for (const p of [carol, bob, mallory]) await sees(p, "#status", "2 peers linked");
  await tab(carol, "peers");
  await sees(carol, "#people-list", `Bob (${bob.key.slice(0, 6)})`);
  await sees(carol, "#people-list", `Bob (${mallory.key.slice(0, 6)})`);

  // Carol names the Bob she knows.
  const row = `#people-list li[data-key="${bob.key}"]`;
  await carol.page.fill(`${row} input.nickname`, "Bob the plumber");
  await carol.page.press(`${row} input.nickname`, "Tab");
  await sees(carol, "#people-list", "Bob the plumber");
  await sees(carol, "#people-list", "(calls themselves Bob)");
  await pay(carol, "Bob the plumber", 20, "the sink");
  await sees(carol, "#transactions", "you → Bob the plumber");
  await sees(bob, "#transactions", "the sink");
  await sees(bob, "#my-balances", "20.00 EUR");
  assert.doesNotMatch(await mallory.page.textContent("#my-balances"), /20\.00/);

  // Copying keys: mine from the header, another's from the list.
  const dana = await personAt(`net=${network}`, "Dana", clipboard);
  await dana.page.click("#copy-key");
  assert.equal(await dana.page.evaluate(() => navigator.clipboard.readText()), dana.key);
  await tab(dana, "peers");
  await dana.page.click(`#people-list li[data-key="${bob.key}"] button`);
  assert.equal(await dana.page.evaluate(() => navigator.clipboard.readText()), bob.key);
  await closeAll(carol, bob, mallory, dana);
});
