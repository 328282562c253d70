// A browser that refuses web storage (site data blocked, some private
// modes) still opens the page and works: the page only forgets what it
// would have remembered (a nickname, the last name given, that a backup
// was saved). IndexedDB, where the node keeps everything, is not refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fresh, onBuiltPage } from "./people.mjs";

const { personAt, opened, sees, tab, makeRecord, closeAll } = onBuiltPage();

/** Every read of localStorage or sessionStorage throws, as Chromium's does when site data is blocked. */
const REFUSE = `for (const name of ["localStorage", "sessionStorage"]) {
  Object.defineProperty(window, name, {
    get() { throw new DOMException("The operation is insecure.", "SecurityError"); },
  });
}`;

test("a browser that refuses web storage still opens the page, and what is made there stays", async () => {
  const network = fresh("no-storage");
  const alice = await personAt(`net=${network}`, "Alice", { init: REFUSE });
  assert.equal(await alice.page.evaluate(() => { try { localStorage; return "read"; } catch (e) { return e.name; } }), "SecurityError");
  const area = await makeRecord(alice, "tasks", "roof", "title", "Fix the roof");
  // Working offline is not remembered, but works.
  await tab(alice, "peers");
  await alice.page.click("#work-offline");
  await sees(alice, "#online", "working offline");
  await alice.page.click("#work-offline");
  // What she made is in IndexedDB: a reload shows her name and the record
  // (the collection's name is typed again: the list of names was not kept).
  await alice.page.waitForTimeout(1500);
  await alice.page.reload();
  await opened(alice);
  await alice.page.waitForFunction(() => document.querySelector("#my-name")?.value === "Alice");
  await tab(alice, "records");
  await alice.page.fill("#collection-form input[name=collection]", "tasks");
  await alice.page.click("#collection-form button");
  await alice.page.waitForFunction((a) => document.querySelector(a)?.value === "Fix the roof", area);
  await closeAll(alice);
});
