// When my view changes because of someone else, the page says so, with who
// and why (issue #15, problem 2); a banned person keeps their name
// (problem 3); the Peers panel follows people arriving while it is open
// (problem 4); an edit of my record that someone I follow excluded is
// named in a notice, as is its return. People use the page by clicks and
// typing only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fresh, onBuiltPage } from "./people.mjs";

const { person, linked, sees, tab, pay, decide, closeAll } = onBuiltPage();

test("a ban I follow changes my balance: a notice says who banned whom and what it did; the banned keep their names", async () => {
  const network = fresh("follow");
  const [alice, bob, carol] = await linked(network, "Alice", "Bob", "Carol");

  await pay(bob, "Carol", 30, "repairs");
  await sees(carol, "#my-balances", "30.00 EUR");
  await decide(carol, "trust", "Alice");
  await tab(carol, "ledger");

  // Alice bans Bob and publishes it; Carol follows Alice's bans. Bob
  // edited no record, only his name, which he keeps: no edit is said to
  // stop counting.
  const preview = await decide(alice, "ban", "Bob");
  // Said as what Alice would do: Bob is not on her ban list yet.
  assert.match(preview, /Bob → Carol 30\.00 EUR “repairs” would stop counting \(you would ban Bob\)/);
  assert.doesNotMatch(preview, /edits? of (a )?records? would stop counting/);
  await sees(
    carol,
    "#notices",
    "Bob → you 30.00 EUR “repairs” no longer counts in your view: Bob is banned by Alice, whose bans you follow.",
  );
  await sees(carol, "#notices", "Your balance: 30.00 EUR → 0.00 EUR.");
  // And one that says what else goes with it (his edits of records too).
  await sees(carol, "#notices", "Bob is now left out of your view — banned by Alice, whose bans you follow");
  await tab(carol, "trust");
  await sees(carol, "#followed-bans", "Bob");
  await sees(carol, "#followed-bans", "banned by Alice, whose bans you follow");
  // The notices stay until dismissed.
  for (let n = await carol.page.locator("#notices button").count(); n > 0; n--) {
    await carol.page.locator("#notices button").first().click();
    await carol.page.waitForFunction((left) => document.querySelectorAll("#notices button").length < left, n);
  }
  await carol.page.waitForFunction(() => document.querySelector("#notices").textContent.trim() === "");

  // Alice's own ban makes no notice on her page (she saw its preview), and
  // Bob keeps his name there: on her ban list, and to pay by name.
  assert.equal((await alice.page.textContent("#notices")).trim(), "");
  await tab(alice, "trust");
  await sees(alice, "#banned-list", "Bob");
  assert.doesNotMatch(await alice.page.textContent("#banned-list"), /[0-9a-f]{8}…/);
  await pay(alice, "Bob", 1, "still named");
  await sees(alice, "#transactions", "you → Bob");
  await tab(carol, "ledger");
  await sees(carol, "#transactions", "still named");
  assert.match(await carol.page.textContent("#transactions"), /Bob/);
  // Bob is told who bans him, and what follows from it.
  await sees(bob, "#notices", "Alice bans you: whoever follows Alice's bans no longer counts your payments and edits of records.");
  // Bob reads Carol's view as hers: the bans she follows, not his.
  await tab(bob, "agreement");
  await sees(bob, "#agreement-list", "Carol leaves out");
  await sees(bob, "#agreement-list", "banned by Alice, whose bans Carol follows");
  await closeAll(alice, bob, carol);
});

test("the Peers panel shows a person arriving while it is open", async () => {
  const network = fresh("peers-open");
  const alice = await person(network, "Alice");
  await tab(alice, "peers");
  await sees(alice, "#peer-summary", "0 peers linked");
  await sees(alice, "#peer-summary", "The relay keeps your changes for people who are offline now.");
  const bob = await person(network, "Bob");
  await sees(alice, "#peer-summary", "1 peer linked");
  await sees(alice, "#peer-table", "Bob");
  await sees(alice, "#peer-table", "in sync");
  assert.equal(await alice.page.isVisible("#peers"), true, "still on the Peers panel");
  await closeAll(alice, bob);
});

test("a ban's preview says which records and texts would change, not one line per edit", async () => {
  const network = fresh("preview-records");
  const [alice, bob] = await linked(network, "Alice", "Bob");

  // Bob makes a record with a text, then edits it a few times.
  await tab(bob, "records");
  await bob.page.fill("#record-form input[name=id]", "roof");
  await bob.page.click("#record-form button");
  await bob.page.fill("#field-form input[name=field]", "title");
  await bob.page.fill("#field-form input[name=value]", "Fix the roof");
  await bob.page.click("#field-form button");
  const area = "textarea[data-record=roof][data-field=title]";
  await bob.page.waitForSelector(area);
  await bob.page.click(area);
  await bob.page.press(area, "End");
  await bob.page.keyboard.type(" on Saturday");
  await tab(alice, "records");
  await alice.page.waitForFunction(
    (a) => document.querySelector(a)?.value === "Fix the roof on Saturday",
    area,
    { timeout: 20000 },
  );

  // Alice previews banning Bob.
  await tab(alice, "trust");
  await alice.page.fill("#trust-form input[name=who]", "Bob");
  await alice.page.click("#trust-form button[value=ban]");
  await alice.page.waitForSelector("#preview:not([hidden])");
  const preview = await alice.page.textContent("#preview");
  assert.match(preview, /Record “roof” in notes would disappear/);
  assert.match(preview, /(1 edit of a record|\d+ edits of records) would stop counting/);
  assert.doesNotMatch(preview, /an edit of a record would stop counting/);
  assert.doesNotMatch(preview, /[0-9a-f]{8}/, "no event ids or keys");
  await alice.page.click("#preview-cancel");
  await closeAll(alice, bob);
});

test("an edit of my record excluded by someone I trust: a notice names the record, the field, who and why; retracting it says it counts again", async () => {
  const network = fresh("edit-excluded");
  const [alice, bob, carol] = await linked(network, "Alice", "Bob", "Carol");
  await decide(carol, "trust", "Alice");
  // Needing more people than can agree (Carol and Alice) is said; back to one.
  for (const [quorum, said] of [[3, true], [1, false]]) {
    await carol.page.fill("#quorum-form input[name=quorum]", String(quorum));
    await carol.page.click("#quorum-form button");
    await carol.page.waitForSelector("#preview:not([hidden])");
    // Said in the preview, before it is applied, too.
    const unreachable = "With it, counting you, 2 people can agree, fewer than the 3 needed";
    if (said) await sees(carol, "#preview-text", unreachable);
    else assert.doesNotMatch(await carol.page.textContent("#preview-text"), /fewer than the/);
    await carol.page.click("#preview-apply");
    await carol.page.waitForSelector("#preview", { state: "hidden" });
    if (said) await sees(carol, "#quorum-note", "Counting you, 2 people can agree, fewer than the 3 needed");
    else await carol.page.waitForSelector("#quorum-note", { state: "hidden" });
  }

  // Carol makes a record; Bob adds a value to it.
  await tab(carol, "records");
  await carol.page.fill("#record-form input[name=id]", "roof");
  await carol.page.click("#record-form button");
  await tab(bob, "records");
  await bob.page.waitForSelector("#record-names option[value=roof]", { state: "attached", timeout: 20000 });
  await bob.page.fill("#field-form input[name=id]", "roof");
  await bob.page.fill("#field-form input[name=field]", "when");
  await bob.page.selectOption("#field-form select[name=kind]", "value");
  await bob.page.fill("#field-form input[name=value]", "Saturday");
  await bob.page.click("#field-form button");
  await holds(carol, "Saturday");

  // Alice excludes Bob's edit from the record's history, with a reason.
  await tab(alice, "records");
  await holds(alice, "Saturday");
  await alice.page.click('button[aria-label="History of roof"]');
  await sees(alice, "#record-history", "Bob changed when");
  await alice.page.click("#record-history li:has-text('Bob changed when') button:has-text('Exclude')");
  await alice.page.fill("#record-history input[name=reason]", "not agreed yet");
  await alice.page.click("#record-history button:has-text('Publish exclusion')");
  await sees(alice, "#record-history", "does not count in your view: excluded by you");
  assert.equal((await alice.page.textContent("#notices")).trim(), "", "her own exclusion makes no notice");

  // Carol follows Alice: the value is gone and a notice says why.
  await sees(
    carol,
    "#notices",
    "Bob’s edit of “roof” in “notes” (“when”) no longer counts in your view: excluded by Alice: “not agreed yet”.",
  );
  await holds(carol, "Saturday", false);
  assert.doesNotMatch(await carol.page.textContent("#notices"), /[0-9a-f]{8}/, "no event ids or keys");
  // Her Agreement panel names the edit she and Bob count differently by
  // its record and field, not as "an edit of a record".
  await tab(carol, "agreement");
  await sees(
    carol,
    "#agreement-list",
    "you exclude Bob’s edit of “roof” in “notes” (“when”) because Alice excludes it; Bob does not trust Alice",
  );
  await tab(carol, "records");

  // Alice takes it back: Carol is told the edit counts again.
  await alice.page.click("#record-history button:has-text('Retract')");
  await sees(carol, "#notices", "Bob’s edit of “roof” in “notes” (“when”) counts again in your view");
  await holds(carol, "Saturday");
  await closeAll(alice, bob, carol);
});

/** Waits until a value field of the Records table holds `value` (or, with `shown` false, none does). */
async function holds(p, value, shown = true) {
  await p.page.waitForFunction(
    ([value, shown]) =>
      [...document.querySelectorAll("#record-table input")].some((i) => i.value === value) === shown,
    [value, shown],
    { timeout: 20000 },
  );
}

test("lifting a ban I published previews what applying it does: the payment counts again, and unpublished it says why nothing changes", async () => {
  const network = fresh("unban");
  const [alice, bob] = await linked(network, "Alice", "Bob");
  await pay(bob, "Alice", 3, "change");
  await sees(alice, "#my-balances", "3.00 EUR");

  // Alice bans Bob and publishes it (the box is ticked by default).
  await decide(alice, "ban", "Bob");
  await tab(alice, "ledger");
  await alice.page.waitForFunction(() => !document.querySelector("#my-balances").textContent.includes("3.00"));
  // Bob reads in Agreement why Alice leaves his payment out, in words
  // that agree with him ("you is on…" before).
  await tab(bob, "agreement");
  await sees(bob, "#agreement-list", "Alice leaves out you → Alice 3.00 EUR “change”: you are on Alice's ban list; you count it");
  assert.doesNotMatch(await bob.page.textContent("#agreement-list"), /[0-9a-f]{8}/, "no keys or digests in the rows");

  // Unpublished, lifting her ban changes nothing: her published ban still
  // counts for her, and the preview says so.
  await tab(alice, "trust");
  await alice.page.uncheck("#trust-form input[name=publish]");
  await alice.page.click("#banned-list button");
  await sees(alice, "#preview-text", "changes nothing in your view now");
  await sees(alice, "#preview-text", "The ban on Bob that you published still counts for you");

  // Ticking the box previews the published unban: before, the preview
  // said "changes nothing" and applying it moved Alice's balance. While
  // the new preview is made, the one drawn before stays with Apply off:
  // before, Apply stayed on and a click did nothing.
  const whileMade = await alice.page.evaluate(() => {
    document.querySelector("#trust-form input[name=publish]").click();
    return [document.querySelector("#preview-apply").disabled, document.querySelector("#preview").getAttribute("aria-busy")];
  });
  assert.deepEqual(whileMade, [true, "true"], "Apply is off while the new preview is made");
  await sees(alice, "#preview-text", "Lifting the ban on Bob would change your view:");
  await alice.page.waitForSelector("#preview-apply:enabled", { timeout: 5000 }); // on again once it is drawn
  await sees(alice, "#preview-list", "would count again");
  await sees(alice, "#preview-list", "you: 0.00 EUR → 3.00 EUR");
  await alice.page.click("#preview-apply");
  await alice.page.waitForSelector("#preview", { state: "hidden" });
  await tab(alice, "ledger");
  await sees(alice, "#my-balances", "3.00 EUR");
  await closeAll(alice, bob);
});

test("a payment someone I trust excluded can be counted anyway, without untrusting them; Retract takes it back", async () => {
  const [alice, bob, carol] = await linked(fresh("count-anyway"), "Alice", "Bob", "Carol");
  await pay(bob, "Carol", 10, "tickets");
  await sees(carol, "#my-balances", "10.00 EUR");
  await decide(carol, "trust", "Alice");
  // Alice excludes Bob's payment to Carol: in Carol's view it no longer counts.
  await tab(alice, "ledger");
  await sees(alice, "#transactions", "tickets");
  await alice.page.click("#transactions tr:has-text('tickets') button:has-text('Exclude')");
  await alice.page.fill("tr.ask input[name=reason]", "never happened");
  await alice.page.click("tr.ask button:has-text('Publish exclusion')");
  await tab(carol, "ledger");
  const row = carol.page.locator("#transactions tr:has-text('tickets')");
  await row.filter({ hasText: "excluded by Alice" }).waitFor({ timeout: 20000 });
  await sees(carol, "#my-balances", "0.00 EUR");
  // Carol counts it anyway: she still trusts Alice, and the payment counts for her.
  await row.locator("button:has-text('Count it anyway')").click();
  await sees(carol, "tr.ask", "Alice's exclusion stops counting for you and for whoever trusts you, so the payment counts again there");
  await carol.page.fill("tr.ask input[name=reason]", "it did happen");
  await carol.page.click("tr.ask button:has-text('Count it anyway')");
  await sees(carol, "#my-balances", "10.00 EUR");
  await row.filter({ hasText: "Excluded by Alice: “never happened” (you count the payment anyway: “it did happen”)" }).waitFor({ timeout: 20000 });
  assert.equal(await row.locator("button:has-text('Count it anyway')").count(), 0);
  await tab(carol, "trust");
  await sees(carol, "#trusted-list", "Alice"); // still trusted
  // Retract: Alice's exclusion counts again.
  await tab(carol, "ledger");
  await row.locator("button:has-text('Retract')").click();
  await sees(carol, "#my-balances", "0.00 EUR");
  await row.filter({ hasText: "excluded by Alice" }).waitFor({ timeout: 20000 });
  await closeAll(alice, bob, carol);
});

test("payments to me are told as they arrive, in one notice that counts them; one of many that someone I trust excludes is told too", async () => {
  const [alice, bob, carol] = await linked(fresh("arrived"), "Alice", "Bob", "Carol");
  await decide(carol, "trust", "Alice");
  await tab(carol, "ledger");
  // One payment: said as it is.
  await pay(bob, "Carol", 1, "first");
  await sees(carol, "#notices", "Bob paid you 1.00 EUR “first”.");
  // More: one notice counts and sums them.
  const memos = ["second", "third", "fourth", "fifth", "sixth"];
  for (const [i, memo] of memos.entries()) await pay(bob, "Carol", i + 2, memo);
  await sees(carol, "#my-balances", "21.00 EUR");
  await sees(carol, "#notices", "6 payments to you arrived, 21.00 EUR in all, from Bob.");
  assert.equal(await carol.page.locator("#notices .notice").count(), 1, "one notice for them all");
  await carol.page.click("#notices button:has-text('Dismiss')");
  await carol.page.waitForFunction(() => document.querySelector("#notices").textContent.trim() === "");
  // Alice excludes one of six: a change to one row of many, which the
  // page once compared with itself and never told.
  await tab(alice, "ledger");
  await sees(alice, "#transactions", "third");
  await alice.page.click("#transactions tr:has-text('third') button:has-text('Exclude')");
  await alice.page.fill("tr.ask input[name=reason]", "never happened");
  await alice.page.click("tr.ask button:has-text('Publish exclusion')");
  await sees(carol, "#notices", "Bob → you 3.00 EUR “third” no longer counts in your view");
  await sees(carol, "#notices", "Your balance: 21.00 EUR → 18.00 EUR.");
  // Payments I make myself are not news to me.
  await pay(carol, "Bob", 5, "back to Bob");
  await sees(carol, "#my-balances", "13.00 EUR");
  assert.doesNotMatch(await carol.page.textContent("#notices"), /back to Bob/);
  await closeAll(alice, bob, carol);
});
