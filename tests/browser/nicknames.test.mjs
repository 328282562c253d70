// Names can be claimed by anyone (issue #15, problem 8): two people may both
// say they are "Bob". A nickname I give settles it on my page — shown
// instead of the claimed name, usable to pay — and anyone's full key can be
// copied from the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fresh, onBuiltPage } from "./people.mjs";
import { pixelsApart } from "./support.mjs";

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
  // The list lays out only the people near the screen (content-visibility),
  // which clips each item: it must look exactly as laid out in full — the
  // bullets, and the focus ring of the Copy key button Tab just moved to.
  const shown = await carol.page.locator("#people-list").screenshot();
  const style = await carol.page.addStyleTag({ content: "#people-list > li { content-visibility: visible !important; overflow-clip-margin: 0 !important; }" });
  await carol.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const full = await carol.page.locator("#people-list").screenshot();
  await style.evaluate((e) => e.remove());
  // Antialiasing of the ring's corners may differ by a shade; a clipped
  // bullet or ring is a whole run of pixels of another colour.
  assert.deepEqual(await pixelsApart(carol.page, shown, full), [], "the people list looks the same laid out only near the screen as laid out in full");
  // The same nickname for the other Bob is refused: it would make them one.
  const other = `#people-list li[data-key="${mallory.key}"]`;
  await carol.page.fill(`${other} input.nickname`, "bob the Plumber");
  await carol.page.press(`${other} input.nickname`, "Tab");
  await sees(carol, "#people-error", `“bob the Plumber” is already your nickname for ${bob.key.slice(0, 8)}…: choose another.`);
  assert.equal(await carol.page.inputValue(`${other} input.nickname`), "", "not kept");
  await pay(carol, "Bob the plumber", 20, "the sink");
  await sees(carol, "#transactions", "you → Bob the plumber");
  await sees(bob, "#transactions", "the sink");
  await sees(bob, "#my-balances", "20.00 EUR");
  assert.doesNotMatch(await mallory.page.textContent("#my-balances"), /20\.00/);

  // A key nobody has seen (Bob's, one digit changed) is asked about
  // before it is paid; pressing Pay again pays it.
  const typo = bob.key.slice(0, 63) + (bob.key.endsWith("0") ? "1" : "0");
  await tab(carol, "ledger");
  await carol.page.fill("#pay input[name=to]", typo);
  await sees(carol, "#pay-to", "nobody with this key has made a change in this network yet");
  await carol.page.fill("#pay input[name=amount]", "3");
  await carol.page.fill("#pay input[name=memo]", "typo");
  await carol.page.click("#pay button");
  await sees(carol, "#pay-error", `${typo.slice(0, 8)}…: nobody with this key has made a change in this network yet. Check the key`);
  assert.doesNotMatch(await carol.page.textContent("#transactions"), /typo/, "nothing paid yet");
  await carol.page.click("#pay button");
  await sees(carol, "#transactions", "typo");
  // Two reasons at once (a stranger's key, 100 times the largest
  // payment) are asked together: one more press pays.
  const stranger = "ef".repeat(32);
  await carol.page.fill("#pay input[name=to]", stranger);
  await carol.page.fill("#pay input[name=amount]", "5000");
  await carol.page.fill("#pay input[name=memo]", "both");
  await carol.page.click("#pay button");
  await sees(carol, "#pay-error", "nobody with this key has made a change in this network yet");
  await sees(carol, "#pay-error", "5000.00 EUR is 100 times or more the largest payment here in EUR");
  await carol.page.click("#pay button");
  await sees(carol, "#transactions", "both");

  // Copying keys: mine from the header, another's from the list.
  const dana = await personAt(`net=${network}`, "Dana", clipboard);
  await dana.page.click("#copy-key");
  assert.equal(await dana.page.evaluate(() => navigator.clipboard.readText()), dana.key);
  await tab(dana, "peers");
  await dana.page.click(`#people-list li[data-key="${bob.key}"] button`);
  assert.equal(await dana.page.evaluate(() => navigator.clipboard.readText()), bob.key);
  await closeAll(carol, bob, mallory, dana);
});

test("a nickname that moves a person in the list moves their row: no one else's box shows it", async () => {
  const network = fresh("nickname-rows");
  const carol = await person(network, "Carol");
  const ann = await person(network, "Ann");
  const bea = await person(network, "Bea");
  for (const p of [carol, ann, bea]) await sees(p, "#status", "2 peers linked");
  await tab(carol, "peers");
  await sees(carol, "#people-list", "Bea");
  const rowOf = (who) => `#people-list li[data-key="${who.key}"]`;
  // Ann, then Bea; named Zoe, Ann's row goes after Bea's.
  await carol.page.fill(`${rowOf(ann)} input.nickname`, "Zoe");
  await carol.page.press(`${rowOf(ann)} input.nickname`, "Tab");
  await sees(carol, "#people-list", "Zoe");
  const order = await carol.page.$$eval("#people-list li", (items) => items.map((li) => li.dataset.key));
  assert.deepEqual(order, [bea.key, ann.key]);
  assert.equal(await carol.page.inputValue(`${rowOf(bea)} input.nickname`), "", "Bea's box is empty");
  assert.equal(await carol.page.inputValue(`${rowOf(ann)} input.nickname`), "Zoe");
  // The focus went on with Ann's row (Tab left her box for her Copy key).
  assert.equal(await carol.page.evaluate(() => document.activeElement.closest("li")?.dataset.key), ann.key);
  await closeAll(carol, ann, bea);
});
