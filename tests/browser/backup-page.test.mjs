// The backup protects the account (issue #15, problem 6): a weak or
// mistyped passphrase is refused in words, a saved backup is confirmed, and
// a later visit reminds whoever never saved one.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { fresh, onBuiltPage } from "./people.mjs";

const { person, sees, closeAll } = onBuiltPage();

/** Reloads `p`'s page and waits for its node to open again. */
async function reload(p) {
  await p.page.reload();
  await p.page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me").textContent));
}

test("a weak or mistyped passphrase is refused, a saved backup is confirmed, and nobody who saved one is reminded", async () => {
  const network = fresh("backup-checks");
  const alice = await person(network);
  assert.equal(await alice.page.isVisible("#welcome"), true, "a new identity is offered a backup");
  // And told how to start with others (a newcomer's session: nothing said it).
  await sees(alice, "#welcome-start", `This is the open network “${network}”: anyone who knows its name can read it. For your group, make a private network with “New network…”`);
  const attempt = async (passphrase, again) => {
    await alice.page.fill("#backup input[name=passphrase]", passphrase);
    await alice.page.fill("#backup input[name=again]", again);
    await alice.page.click("#backup button");
  };
  // The browser's own minlength check would stop "abc" before the page
  // sees it; the page's words are what a person reads either way.
  await alice.page.evaluate(() => document.querySelector("#backup").setAttribute("novalidate", ""));
  await attempt("abc", "abc");
  await sees(alice, "#backup-error", "The passphrase is too short");
  await attempt("otter violin tuesday porch", "otter violin tuesday perch");
  await sees(alice, "#backup-error", "The two passphrases differ");
  assert.equal(
    await alice.page.evaluate(() => document.querySelector("#backup").nextElementSibling.id),
    "backup-error",
    "said under the form it is about, not under Restore",
  );
  const [download] = await Promise.all([
    alice.page.waitForEvent("download"),
    attempt("otter violin tuesday porch", "otter violin tuesday porch"),
  ]);
  assert.match(download.suggestedFilename(), /^trustfold-.*\.backup$/);
  await sees(alice, "#backup-saved", `Saved as ${download.suggestedFilename()}`);
  assert.equal(await alice.page.isVisible("#welcome"), false);
  // A backup cut short is said to be damaged, under Restore.
  const whole = fs.readFileSync(await download.path());
  await alice.page.click("#account");
  await alice.page.setInputFiles("#restore input[name=file]", {
    name: "cut.backup",
    mimeType: "application/octet-stream",
    buffer: whole.subarray(0, 40),
  });
  await alice.page.fill("#restore input[name=passphrase]", "otter violin tuesday porch");
  await alice.page.click("#restore button");
  await sees(alice, "#restore-error", "This file is not a trustfold backup, or it is damaged or cut short.");
  await reload(alice);
  assert.equal(await alice.page.isVisible("#backup-reminder"), false, "saved: no reminder");

  // Bob closes the offer without saving: his next visit reminds him.
  const bob = await person(network, "Bob");
  assert.equal(await bob.page.isVisible("#backup-reminder"), false, "not on the first visit");
  await reload(bob);
  await sees(bob, "#backup-reminder", "You have not saved a backup of this identity");
  await bob.page.click("#backup-now");
  assert.equal(await bob.page.isVisible("#welcome"), true);
  await closeAll(alice, bob);
});
