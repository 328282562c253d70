// The node page as `make run` serves it (the real signalling server,
// target/debug/trustfold-server, serving dist/ built by `make www`), used
// the way a person uses it: clicks and typing only, in separate browser
// contexts (separate identities) linked by real WebRTC. Screenshots of each
// panel go to target/screenshots/ (artefacts, not committed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, launch, watch, signallingServer } from "./support.mjs";
import { WAIT, fresh, usersOf } from "./people.mjs";

let server, url, browser;
/** What the helpers of people.mjs use: filled in by `before`. */
const served = {};
const shots = path.join(root, "target", "screenshots");

before(async () => {
  const site = path.join(root, "dist");
  if (!fs.existsSync(path.join(site, "index.html"))) throw new Error("dist/ is missing: run make www first");
  fs.mkdirSync(shots, { recursive: true });
  server = await signallingServer(site);
  url = server.url;
  browser = await launch();
  Object.assign(served, { url, browser });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const { person, linked, sees, knows, tab, pay, decide, closeAll } = usersOf(served);

test("the page pays, refuses a bad key with its reason, and shows the same after a reload", async () => {
  const alice = await person(fresh("page"), "Alice");
  await pay(alice, "ab".repeat(32), 5, "coffee");
  await sees(alice, "#my-balances", "-5.00 EUR");
  await alice.page.fill("#pay input[name=to]", "not a key");
  await alice.page.fill("#pay input[name=amount]", "1");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "Nobody here is called");
  await alice.page.reload();
  await sees(alice, "#my-balances", "-5.00 EUR");
  await sees(alice, "#status", "1 payment known");
  assert.equal(await alice.page.evaluate(() => "node" in window), false, "no script on the page reaches the node by a global");
  assert.equal(await alice.page.isHidden("#welcome"), true, "the backup offer is for the first visit only");
  await closeAll(alice);
});

test("the dispute scenario: a viewer who trusts the disputer sees the debt and why; one who does not sees none", async () => {
  const network = fresh("dispute");
  const [alice, bob, carol] = await linked(network, "Alice", "Bob", "Carol");

  await tab(alice, "ledger");
  await alice.page.fill("#pay input[name=to]", "Bob");
  await sees(alice, "#pay-to", bob.key); // the key a name stands for shows before paying
  await pay(alice, "Bob", 100, "repairs");
  await sees(alice, "#pay-to", "Paid Bob 100.00 EUR “repairs”."); // and what was paid, after
  await sees(bob, "#transactions", "repairs");
  await pay(bob, "Carol", 100, "rent");
  await sees(carol, "#transactions", "rent");

  // Alice disputes her payment to Bob, typing at once: the box is there
  // and focused the moment she clicks, so no keystroke is lost.
  await alice.page.click("#transactions tr:has-text('repairs') button:has-text('Dispute')");
  await alice.page.keyboard.type("never done");
  assert.equal(await alice.page.inputValue("tr.ask input[name=reason]"), "never done");
  // Before publishing, the form says whose balances a dispute moves.
  assert.match(await alice.page.textContent("tr.ask"), /whoever trusts you\. Everyone else still counts it \(Bob too, unless Bob trusts you\)/);
  assert.match(await alice.page.textContent("tr.ask"), /A dispute says publicly that this payment of yours should not count \(it never arrived, say\); no money goes back/);
  await alice.page.click("tr.ask button:has-text('Publish dispute')");
  await sees(alice, "#transactions", "disputed by you");
  await sees(carol, "#transactions", "Disputed by Alice");
  // Her reason is said once, and she is not offered to dispute it again.
  const row = alice.page.locator("#transactions tr:has-text('repairs')");
  assert.equal((await row.textContent()).split("never done").length - 1, 1, await row.textContent());
  assert.equal(await row.locator("button:has-text('Dispute')").count(), 0);
  assert.equal(await row.locator("button:has-text('Retract')").count(), 1);
  // Its status is the word for what she did, not "excluded".
  assert.equal((await row.locator("span.status").textContent()).trim(), "disputed");

  // Carol trusts Alice: the preview says what changes, then the debt appears.
  const preview = await decide(carol, "trust", "Alice");
  assert.match(preview, /Alice → Bob 100\.00 EUR .*would stop counting/);
  assert.match(preview, /Bob: 0\.00 EUR → -100\.00 EUR/);
  await tab(carol, "debts");
  await sees(carol, "#debt-list", "Bob owes 100.00 EUR");
  await sees(carol, "#debt-list", "Counted: paid you 100.00 EUR."); // with whom
  assert.match(await carol.page.textContent("#debt-list"), /because Alice → Bob 100\.00 EUR was disputed by Alice \(“never done”\)/);

  // Bob does not trust Alice: in his view he owes nothing (Alice is the
  // one below zero, having paid him).
  await tab(bob, "debts");
  await sees(bob, "#debt-list", "Alice owes 100.00 EUR");
  assert.doesNotMatch(await bob.page.textContent("#debt-list"), /You owe/);

  // Carol's agreement panel explains the difference with Bob in words.
  await tab(carol, "agreement");
  await sees(carol, "#agreement-list", "Bob");
  await sees(carol, "#agreement-list", "because Alice disputes it; Bob does not trust Alice");
  await sees(carol, "#agreement-list li.differ", "Bob");

  // Screenshots of each panel, and each shows its key elements.
  const panels = {
    ledger: ["#my-balances .card", "#pay button", "#transactions tbody tr", "#balances tbody tr"],
    debts: ["#debt-list li.debt"],
    trust: ["#trust-form", "#trusted-list li", "#banned-list", "#quorum-form"],
    agreement: ["#my-digest", "#agreement-list li"],
    records: ["#record-form", "#field-form", "#record-table"],
    peers: ["#peer-table tbody tr", "#people-list li"],
    pictures: ["#balance-plot svg", "#trust-graph svg"],
  };
  // At 1280 px and at a phone's 390 px, every panel.
  for (const width of [1280, 390]) {
    await carol.page.setViewportSize({ width, height: 900 });
    for (const [panel, selectors] of Object.entries(panels)) {
      await tab(carol, panel);
      for (const selector of selectors) await carol.page.waitForSelector(selector, { state: "visible", ...WAIT });
      await carol.page.screenshot({ path: path.join(shots, `${panel}-${width}.png`), fullPage: true });
    }
  }
  // On a phone a payment is a card: its status shows without scrolling sideways.
  await tab(carol, "ledger");
  const status = await carol.page.locator("#transactions tbody tr .status").first().boundingBox();
  assert.ok(status && status.x + status.width <= 390, `the status is on screen at 390 px: ${JSON.stringify(status)}`);
  // …and a short one: when, who and how much on one line (a newcomer's 25
  // payments made a page 13,000 px long, one line a cell).
  const tops = await carol.page.$$eval("#transactions tbody tr:first-child td", (tds) =>
    tds.slice(0, 3).map((td) => Math.round(td.getBoundingClientRect().top)),
  );
  assert.equal(new Set(tops).size, 1, `when, who and amount on one line at 390 px: ${tops}`);
  await carol.page.setViewportSize({ width: 1100, height: 900 });

  // Alice retracts her dispute: in Carol's view Bob owes nothing again.
  await tab(alice, "ledger");
  await alice.page.click("#transactions tr:has-text('repairs') button:has-text('Retract')");
  await tab(carol, "debts");
  await sees(carol, "#debt-list", "Alice owes 100.00 EUR");
  assert.doesNotMatch(await carol.page.textContent("#debt-list"), /Bob owes/);
  // Carol pays Bob's payment back, once.
  await tab(carol, "ledger");
  // Paying back moves money: it asks first, saying how much and to whom.
  await carol.page.click("#transactions tr:has-text('rent') button:has-text('Pay back')");
  await sees(carol, "tr.ask", "Pay 100.00 EUR back to Bob, as a new payment the other way?");
  assert.doesNotMatch(await carol.page.textContent("#transactions"), /Pays back/, "nothing paid yet");
  await carol.page.click("tr.ask button:has-text('Pay back 100.00 EUR')");
  await sees(carol, "#transactions", "Pays back: rent");
  await sees(carol, "#my-balances", "0.00 EUR");
  assert.equal(await carol.page.locator("#transactions tr:has-text('rent') button:has-text('Pay back')").count(), 0);
  // The payment paid back says so, and excluding it as well is said to
  // take it from her a second time (a newcomer's session did both).
  const paidBack = carol.page.locator("#transactions tr:has-text('Bob → you')").filter({ hasText: "paid back" });
  await paidBack.waitFor({ timeout: 20000 });
  await paidBack.locator("button:has-text('Exclude')").click();
  await sees(carol, "tr.ask", "You paid 100.00 EUR of it back already: that payment back stays, so leaving this one out as well takes it from your balance a second time.");
  await carol.page.click("tr.ask button:has-text('Cancel')");
  await closeAll(alice, bob, carol);
});

test("a ban masks someone's text edits on one page and not on another, and two people typing at once converge", async () => {
  const network = fresh("text");
  const [alice, bob, carol] = await linked(network, "Alice", "Bob", "Carol");

  // Alice makes a record with a text field.
  await tab(alice, "records");
  await alice.page.fill("#record-form input[name=id]", "plan");
  await alice.page.click("#record-form button");
  await alice.page.fill("#field-form input[name=field]", "body");
  await alice.page.fill("#field-form input[name=value]", "Hello");
  await alice.page.click("#field-form button");
  const area = "textarea[data-record=plan][data-field=body]";
  for (const p of [alice, bob, carol]) {
    await tab(p, "records");
    await p.page.waitForSelector(area, WAIT);
  }

  // Both type at once: Bob at the end, Alice at the start.
  await bob.page.click(area);
  await bob.page.press(area, "End");
  await alice.page.click(area);
  await alice.page.press(area, "Home");
  await Promise.all([bob.page.keyboard.type(" from Bob", { delay: 20 }), alice.page.keyboard.type("Hi! ", { delay: 20 })]);
  const value = (p) => p.page.inputValue(area);
  for (const p of [alice, bob, carol]) {
    await p.page.waitForFunction((a) => document.querySelector(a)?.value === "Hi! Hello from Bob", area, WAIT);
  }
  assert.equal(await value(alice), await value(bob));

  // Carol bans Bob: his edits leave her view, not Alice's.
  await carol.page.click("#tab-ledger"); // leave the text field unfocused
  // The preview says what stops counting in words (his edits, counted, and
  // what they do to the text), never by id.
  const banPreview = await decide(carol, "ban", "Bob");
  assert.match(banPreview, /(1 edit of a record|\d+ edits of records) would stop counting/);
  assert.match(banPreview, /A ban leaves out what Bob did \(their payments, edits and trust\), not what others paid Bob\./);
  assert.match(banPreview, /Record “plan” in notes: body would change from “Hi! Hello from Bob” to “Hi! Hello”/);
  assert.doesNotMatch(banPreview, /event [0-9a-f]{8}/);
  await tab(carol, "records");
  await carol.page.waitForFunction((a) => document.querySelector(a)?.value === "Hi! Hello", area, WAIT);
  assert.equal(await value(alice), "Hi! Hello from Bob");

  // Carol published her ban: Alice, trusting Carol, follows it…
  await knows(alice, carol);
  await decide(alice, "trust", "Carol");
  await tab(alice, "records");
  await alice.page.waitForFunction((a) => document.querySelector(a)?.value === "Hi! Hello", area, WAIT);
  // …unless she chooses not to follow published bans (previewed first).
  await tab(alice, "trust");
  await alice.page.click("#follow-bans");
  await sees(alice, "#preview", "Ignoring bans published by others would change your view");
  await alice.page.click("#preview-apply");
  await tab(alice, "records");
  await alice.page.waitForFunction((a) => document.querySelector(a)?.value === "Hi! Hello from Bob", area, WAIT);
  await closeAll(alice, bob, carol);
});

test("values two people set at once both show, and one click keeps one everywhere", async () => {
  const network = fresh("versions");
  const [alice, bob] = await linked(network, "Alice", "Bob");
  await tab(alice, "records");
  await alice.page.fill("#record-form input[name=id]", "task");
  await alice.page.click("#record-form button");
  await alice.page.selectOption("#field-form select[name=kind]", "value");
  await alice.page.fill("#field-form input[name=field]", "status");
  await alice.page.fill("#field-form input[name=value]", "open");
  await alice.page.click("#field-form button");
  const cell = "input[data-record=task][data-field=status]";
  await tab(bob, "records");
  await bob.page.waitForFunction((c) => document.querySelector(c)?.value === "open", cell, WAIT);

  // Both work offline and set the field, each to their own value.
  for (const [p, value] of [[alice, "done"], [bob, "blocked"]]) {
    await tab(p, "peers");
    await p.page.click("#work-offline");
    await sees(p, "#online", "working offline");
    await sees(p, "#work-offline-hint", "what you do now is kept here and sent when you go online");
    await tab(p, "records");
    await p.page.fill(cell, value);
    await p.page.press(cell, "Tab");
    // What was made offline is said to wait.
    await tab(p, "peers");
    await sees(p, "#work-offline-hint", "1 change made here waits to be sent when you go online");
  }
  for (const p of [alice, bob]) {
    await tab(p, "peers");
    await p.page.click("#work-offline");
    await sees(p, "#work-offline-hint", "Stop syncing for a while");
    await tab(p, "records");
  }
  for (const p of [alice, bob]) await sees(p, "#record-table", "2 versions, written without seeing each other:");
  // Each version says whose it is.
  await sees(alice, "#record-table", "keep “blocked” (Bob)");
  await sees(alice, "#record-table", "keep “done” (you)");
  await sees(bob, "#record-table", "keep “done” (Alice)");
  await alice.page.click("#record-table button.keep:has-text('blocked')");
  for (const p of [alice, bob]) {
    await p.page.waitForFunction(
      (c) => document.querySelector(c)?.value === "blocked" && !document.querySelector("#record-table .conflict"),
      cell,
      WAIT,
    );
  }

  // Bob types in the field; Alice's value arriving meanwhile does not
  // replace what he is typing, and once he leaves the field his is set.
  const changes = () => Number(/(\d+) changes? in all/.exec(document.querySelector("#status").textContent)?.[1]);
  const before = await bob.page.evaluate(changes);
  await bob.page.click(cell);
  await bob.page.fill(cell, "in prog");
  await alice.page.fill(cell, "review");
  await alice.page.press(cell, "Tab");
  // Alice's change has reached Bob's node: his count of changes grew.
  await bob.page.waitForFunction(`(${changes})() > ${before}`, null, WAIT);
  // Drawn since (a draw follows the node's change within a frame).
  await bob.page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  assert.equal(await bob.page.isVisible("#record-table"), true);
  assert.equal(await bob.page.inputValue(cell), "in prog", "what Bob types stays");
  await bob.page.press(cell, "Tab");
  for (const p of [alice, bob]) {
    await p.page.waitForFunction((c) => document.querySelector(c)?.value === "in prog", cell, WAIT);
  }
  await closeAll(alice, bob);
});

/** Waits until `p`'s page has a link to another browser. */
const hasALink = (p) =>
  p.page.waitForFunction(() => /[1-9]\d* peers? linked/.test(document.querySelector("#status").textContent), null, WAIT);

test("working offline counts the changes nobody has yet, not those another tab brought in", async () => {
  const network = fresh("waiting");
  const [alice, bob] = await linked(network, "Alice", "Bob");
  // Alice's second tab stays online while the first works offline.
  const page = await alice.context.newPage();
  const other = { context: alice.context, page, errors: watch(page), name: "Alice's other tab" };
  await page.goto(`${url}/#net=${network}`);
  await hasALink(other);
  await tab(alice, "peers");
  // Her other tab is named as hers, not as a stranger called "you".
  await sees(alice, "#peer-table", "you, in another tab or device");
  assert.doesNotMatch(await alice.page.textContent("#status"), /\bevents?\b/, "the status line says changes");
  await alice.page.click("#work-offline");
  await sees(alice, "#online", "working offline");
  await sees(alice, "#work-offline-hint", "what you do now is kept here");

  // Bob's payment reaches the offline tab through the other: it is not Alice's to send.
  await pay(bob, "Alice", 3, "lunch");
  await tab(alice, "ledger");
  await sees(alice, "#transactions", "lunch");
  await tab(alice, "peers");
  await sees(alice, "#work-offline-hint", "what you do now is kept here");
  // Her other tab works offline too: nothing of hers can be sent.
  await tab(other, "peers");
  await other.page.click("#work-offline");
  await sees(other, "#online", "working offline");
  await pay(alice, "Bob", 2, "tea");
  await sees(alice, "#status", "1 change made here waits to be sent.");
  // Its row says so; Bob's payment, not hers to send, does not.
  await tab(alice, "ledger");
  await alice.page.waitForSelector("#transactions tr:has-text('tea') .waits", WAIT);
  assert.equal(await alice.page.locator("#transactions tr:has-text('lunch') .waits").count(), 0);
  await tab(alice, "peers");
  await sees(alice, "#work-offline-hint", "1 change made here waits to be sent");

  // The other tab goes online and sends it: once Bob has it, the tab still
  // working offline is told by its sibling, and says nothing waits.
  await other.page.click("#work-offline");
  await sees(bob, "#transactions", "tea");
  await sees(alice, "#work-offline-hint", "what you do now is kept here");
  await sees(alice, "#online", "working offline");
  assert.doesNotMatch(await alice.page.textContent("#status"), /waits to be sent/);
  await tab(alice, "ledger");
  await alice.page.waitForSelector("#transactions tr:has-text('tea') .waits", { state: "detached", ...WAIT });
  assert.deepEqual(other.errors, []);
  await closeAll(alice, bob);
});

test("working offline is remembered across a reload: nothing is sent until Go online", async () => {
  const network = fresh("offline-kept");
  const [alice, bob] = await linked(network, "Alice", "Bob");
  await tab(alice, "peers");
  await alice.page.click("#work-offline");
  await sees(alice, "#online", "working offline");
  await pay(alice, "Bob", 7, "kept-back");
  await alice.page.reload();
  await alice.page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me").textContent));
  await sees(alice, "#online", "working offline");
  await sees(alice, "#status", "1 change made here waits to be sent.");
  assert.equal(await alice.page.textContent("#work-offline"), "Go online");
  await alice.page.waitForTimeout(1500);
  assert.doesNotMatch(await bob.page.textContent("#transactions"), /kept-back/, "nothing sent while offline");
  await tab(alice, "peers");
  await alice.page.click("#work-offline");
  await sees(bob, "#transactions", "kept-back");
  await sees(alice, "#online", "online");
  await closeAll(alice, bob);
});

test("a backup downloaded in one browser restores the account in another, which catches up", async () => {
  const network = fresh("backup");
  const first = await person(network);
  await first.page.fill("#backup input[name=passphrase]", "correct horse battery");
  await first.page.fill("#backup input[name=again]", "correct horse battery");
  const [download] = await Promise.all([first.page.waitForEvent("download"), first.page.click("#backup button")]);
  const file = await download.path();
  assert.ok(fs.statSync(file).size > 0);
  await first.page.waitForSelector("#welcome", { state: "hidden" });
  await pay(first, "ab".repeat(32), 5, "before the move");

  const second = await person(network);
  assert.notEqual(second.key, first.key, "a new browser starts with a new identity");
  await second.page.setInputFiles("#restore input[name=file]", file);
  await second.page.fill("#restore input[name=passphrase]", "wrong");
  await second.page.click("#restore button");
  await sees(second, "#restore-error", "That passphrase does not open this backup.");
  // The identity this browser has here named itself: restoring over it asks first.
  await second.page.fill("#my-name", "Dave");
  await second.page.press("#my-name", "Tab");
  await second.page.fill("#restore input[name=passphrase]", "correct horse battery");
  await second.page.click("#restore button");
  await sees(second, "#restore-error", "Restoring replaces the identity this browser has here, which made ");
  assert.match(await second.page.textContent("#restore-error"), /which made [1-9]\d* changes? \(its name, records or trust\)/);
  assert.equal(await second.page.textContent("#me"), second.key, "nothing replaced yet");
  await second.page.click("#restore button");
  await second.page.waitForFunction((key) => document.querySelector("#me").textContent === key, first.key, WAIT);
  assert.equal(await second.page.isHidden("#backup-reminder"), true, "restored from a backup: no reminder to make one");
  await sees(second, "#transactions", "before the move");
  await sees(second, "#my-balances", "-5.00 EUR");
  await closeAll(first, second);
});

test("nobody can rename someone else, and a name two people claim is never guessed", async () => {
  const network = fresh("names");
  const [alice, bob, mallory] = await linked(network, "Alice", "Bob", "Mallory");

  // Mallory edits Bob's name record through the Records panel…
  await tab(mallory, "records");
  await mallory.page.fill("#collection-form input[name=collection]", "people");
  await mallory.page.click("#collection-form button");
  const bobsName = `input[data-record="${bob.key}"][data-field=name]`;
  await mallory.page.waitForSelector(bobsName, WAIT);
  await mallory.page.fill(bobsName, "Mallory's friend");
  await mallory.page.press(bobsName, "Tab");
  // …and calls herself Bob.
  await mallory.page.fill("#my-name", "Bob");
  await mallory.page.press("#my-name", "Tab");

  // Alice still sees Bob as Bob, and "Bob" is now claimed twice.
  await alice.page.waitForFunction(
    () => [...document.querySelectorAll("#known-keys option")].filter((o) => o.value === "Bob").length === 2,
    null,
    WAIT,
  );
  await tab(alice, "ledger");
  await alice.page.fill("#pay input[name=to]", "Bob");
  await alice.page.fill("#pay input[name=amount]", "10");
  await alice.page.click("#pay button");
  await sees(alice, "#pay-error", "Several people are called “Bob”");
  const offered = await alice.page.$$eval("#known-keys option", (options) => options.map((o) => o.value));
  assert.ok(!offered.includes("Mallory's friend"), `names offered: ${offered}`);
  await tab(alice, "peers");
  await sees(alice, "#people-list", `Bob (${bob.key.slice(0, 6)})`); // two Bobs, told apart
  // Both Bobs are told their name is shared, and how others see them.
  await sees(bob, "#name-shared", `Someone else here is called Bob too: others see you as “Bob (${bob.key.slice(0, 6)})”`);
  await sees(mallory, "#name-shared", `others see you as “Bob (${mallory.key.slice(0, 6)})”`);
  assert.equal(await alice.page.isHidden("#name-shared"), true, "Alice's name is hers alone");
  await closeAll(alice, bob, mallory);
});

test("the page is usable with the keyboard alone", async () => {
  const network = fresh("keys");
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${url}/#net=${network}`);
  await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me").textContent));
  // Tab to the name field and type a name.
  await page.focus("body");
  for (let i = 0; i < 20 && !(await page.evaluate(() => document.activeElement?.id === "my-name")); i++) {
    await page.keyboard.press("Tab");
  }
  await page.keyboard.type("Kim");
  await page.keyboard.press("Tab");
  assert.equal(await page.inputValue("#my-name"), "Kim", "the name field is reached by Tab");
  // Arrow keys move between panels; the selected tab is the one focused.
  await page.focus("#tab-ledger");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tab-debts");
  assert.equal(await page.isVisible("#debts"), true);
  await page.keyboard.press("ArrowLeft");
  assert.equal(await page.isVisible("#ledger"), true);
  // Pay with the keyboard: Tab through the form, Enter submits.
  await page.focus("#pay input[name=to]");
  await page.keyboard.type("cd".repeat(32));
  await page.keyboard.press("Tab");
  await page.keyboard.type("12");
  await page.keyboard.press("Tab"); // unit (EUR)
  await page.keyboard.press("Tab");
  await page.keyboard.type("by keyboard");
  await page.keyboard.press("Enter");
  // A key nobody has seen is asked about; Enter again pays it.
  await page.waitForFunction(() => document.querySelector("#pay-error").textContent.includes("Press Pay again"));
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#transactions").textContent.includes("by keyboard"));
  await page.waitForFunction(() => document.querySelector("#my-balances").textContent.includes("-12.00 EUR"));
  // Every control can take focus: no clickable thing is left out of the tab order.
  const unreachable = await page.$$eval("main button, main input, main select, main textarea", (all) =>
    all.filter((e) => e.offsetParent !== null && e.tabIndex < 0).map((e) => e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unreachable, []);
  assert.deepEqual(errors, []);
  await context.close();
});
