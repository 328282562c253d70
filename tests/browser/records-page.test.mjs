// Records as people expect (issue #15, problem 10): collections others open
// are listed for everyone, and deleting a shared record asks first and can
// be undone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fresh, onBuiltPage } from "./people.mjs";

const { linked, sees, tab, closeAll } = onBuiltPage();

test("a collection Alice opens is listed on Bob's page; a delete asks, and Undo brings the record back for both", async () => {
  const network = fresh("records-page");
  const [alice, bob] = await linked(network, "Alice", "Bob");

  await tab(alice, "records");
  await alice.page.fill("#collection-form input[name=collection]", "tasks");
  await alice.page.click("#collection-form button");
  await alice.page.fill("#record-form input[name=id]", "roof");
  await alice.page.click("#record-form button");
  // A blank name, or one in use, is said, not made.
  await alice.page.fill("#record-form input[name=id]", "   ");
  await alice.page.click("#record-form button");
  await sees(alice, "#records-error", "A record needs a name: type one.");
  await alice.page.fill("#record-form input[name=id]", "roof");
  await alice.page.click("#record-form button");
  await sees(alice, "#records-error", "“roof” is already in “tasks”.");
  await alice.page.fill("#field-form input[name=field]", "title");
  await alice.page.fill("#field-form input[name=value]", "Fix the roof");
  await alice.page.click("#field-form button");

  await tab(bob, "records");
  await sees(bob, "#collection-list", "tasks");
  await bob.page.click("#collection-list button:has-text('tasks')");
  const area = "textarea[data-record=roof][data-field=title]";
  await bob.page.waitForFunction((a) => document.querySelector(a)?.value === "Fix the roof", area, { timeout: 20000 });

  // Who changed it, when.
  await bob.page.click("button[aria-label='History of roof']");
  await sees(bob, "#record-history", "Alice made the record");
  assert.match(await bob.page.textContent("#record-history"), /Alice (made the record and set|changed) title/);

  // Saving over what someone wrote asks first; saving again replaces it for both.
  await bob.page.waitForSelector("#field-form select[name=id] option[value=roof]", { state: "attached", timeout: 20000 });
  await bob.page.selectOption("#field-form select[name=id]", "roof");
  await bob.page.fill("#field-form input[name=field]", "title");
  await bob.page.fill("#field-form input[name=value]", "Paint the fence");
  await bob.page.click("#field-form button");
  await sees(bob, "#records-error", "“title” of “roof” holds “Fix the roof”: saving replaces it for everyone.");
  assert.equal(await bob.page.inputValue(area), "Fix the roof", "nothing replaced yet");
  await bob.page.click("#field-form button");
  await alice.page.waitForFunction((a) => document.querySelector(a)?.value === "Paint the fence", area, { timeout: 20000 });

  // Cancelling the question deletes nothing.
  alice.page.once("dialog", (d) => d.dismiss());
  await alice.page.click("button[aria-label='Delete roof']");
  assert.equal(await alice.page.isVisible(area), true);
  // Accepting deletes it for both; Undo brings it back for both.
  alice.page.once("dialog", (d) => {
    assert.match(d.message(), /Delete “roof” for everyone/);
    d.accept();
  });
  await alice.page.click("button[aria-label='Delete roof']");
  await bob.page.waitForSelector(area, { state: "detached", timeout: 20000 });
  await sees(alice, "#records-undo", "Deleted “roof”.");
  await alice.page.click("#records-undo button");
  await bob.page.waitForFunction((a) => document.querySelector(a)?.value === "Paint the fence", area, { timeout: 20000 });
  assert.equal(await alice.page.isVisible("#records-undo"), false);
  await closeAll(alice, bob);
});
