// Who I am on this network: my name (a record others read), my key, the
// backup offered on the first visit, and restoring a backup here.
import { html, render } from "lit-html";
import { TrustfoldNode } from "trustfold";
import { PEOPLE, short, unfairName } from "../names.js";
import { fileName, inviteFragment, shownName } from "../network.js";
import { changes } from "../words.js";
import { readStored, writeStored } from "../stored.js";
import { secondPress } from "../second-press.js";

const $ = (selector) => document.querySelector(selector);

/** Where the name last given in this browser (on any network) is kept. */
const LAST_NAME = "trustfold-last-name";
/** That name, read once (not at every draw) and kept as it is set. */
let lastName = readStored(LAST_NAME);

/**
 * Wires the name field, the backup and restore forms, and the notices to
 * `app`; `network` is what `open` took, `info` the node's NetworkInfo.
 */
export function mountIdentity(app, network, info) {
  const setName = (name) =>
    app.guarded("#name-error", () => {
      const { node, me } = app;
      // Said here, next to the box: a name others would not be shown.
      if (name && unfairName(name)) throw new Error(unfairName(name));
      // My own record object, so that nobody else's object carries my name
      // (someone may have made one under my key first).
      if (!node.recordBy(PEOPLE, me, me)) {
        if (node.record(PEOPLE, me)) node.deleteRecord(PEOPLE, me);
        node.createRecord(PEOPLE, me);
      }
      node.setField(PEOPLE, me, "name", name);
      if (name) writeStored(LAST_NAME, (lastName = name));
    });
  $("#name-label").addEventListener("change", (event) => setName(event.target.value.trim()));
  $("#name-suggest").addEventListener("click", () => setName(lastName ?? ""));
  $("#backup").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    $("#backup-saved").hidden = true;
    const ok = await app.guarded("#backup-error", () => {
      const problem = passphraseProblem(f.passphrase.value, f.again.value);
      if (problem) throw new Error(problem);
      const bytes = app.node.exportBackup(f.passphrase.value);
      const link = Object.assign(document.createElement("a"), {
        href: URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" })),
        download: `trustfold-${fileName(info.name)}-${app.me.slice(0, 8)}.backup`,
      });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      $("#backup-saved").textContent =
        `Saved as ${link.download} (in your downloads). Keep the file and the passphrase apart: neither opens your account alone.`;
      markBackupSaved(app.me);
    });
    if (ok) {
      f.passphrase.value = "";
      f.again.value = "";
      $("#backup-reminder").hidden = true;
      $("#backup-saved").hidden = false;
      $("#welcome").hidden = true;
    }
  });
  $("#backup-now").addEventListener("click", () => {
    $("#welcome").hidden = false;
    $("#backup input[name=passphrase]").focus();
  });
  // A restore over an identity that made changes here is asked once:
  // asked again (the same backup), it replaces that identity.
  const mayReplace = secondPress();
  $("#restore").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    await app.guarded("#restore-error", async () => {
      const bytes = new Uint8Array(await f.file.files[0].arrayBuffer());
      const key = TrustfoldNode.backupKey(bytes, f.passphrase.value); // checked before anything is replaced
      // A private network's backup carries its invite: restored elsewhere
      // than in that network, it rejoins it there (this network is untouched).
      const [held] = TrustfoldNode.backupNetworks(bytes, f.passphrase.value);
      if (held && held.room !== info.room) {
        const spec = { invite: held.invite, name: held.name, check: held.check };
        $("#status").textContent = "Restoring into the network of the backup…";
        (await TrustfoldNode.restore(spec, bytes, f.passphrase.value)).close();
        markBackupSaved(key); // restored from it: a backup of it exists
        location.hash = inviteFragment(held);
        return;
      }
      await app.node.commit(); // edits still pending count as made
      const s = app.state();
      if (s.transactions.some((t) => t.from === app.me)) {
        throw new Error("this browser already made payments as a new identity: open the backup in another network or browser");
      }
      // Its name, records or trust would stay signed by a key no browser
      // holds any more (unless its own backup was saved): asked first.
      const made = app.node.syncStatus().made; // read now, after the commit
      if (!mayReplace(key, key !== app.me && made > 0)) {
        throw new Error(
          `Restoring replaces the identity this browser has here, which made ${changes(made)} ` +
            "(its name, records or trust): they stay signed by it, and only its own backup could bring it back. " +
            "Press “Restore” again to replace it.",
        );
      }
      app.node.close();
      $("#status").textContent = "Restoring… (close this network's other tabs if it waits)";
      await TrustfoldNode.forget(network);
      (await TrustfoldNode.restore(network, bytes, f.passphrase.value)).close();
      markBackupSaved(key); // restored from it: a backup of it exists
      $("#status").textContent = `Restored ${short(key)}; reopening…`;
      location.reload();
    });
  });
  $("#update button").addEventListener("click", () => location.reload());
  $("#account").addEventListener("click", () => {
    $("#welcome").hidden = false;
    $("#backup input[name=passphrase]").focus();
  });
  $("#welcome-later").addEventListener("click", () => ($("#welcome").hidden = true));
}

/** What is wrong with a passphrase for a backup, in words, or null. */
export function passphraseProblem(passphrase, again) {
  if ([...passphrase].length < 12) {
    return "The passphrase is too short: use at least 12 characters (a few words only you would put together).";
  }
  if (new Set(passphrase).size < 5) return "The passphrase repeats too few characters: mix more of them.";
  if (passphrase !== again) return "The two passphrases differ: type the same one twice.";
  return null;
}

/** Where this browser remembers that `me`'s backup was saved (not the backup itself). */
const savedKey = (me) => `trustfold.backup-saved.${me}`;

function markBackupSaved(me) {
  // Storage refused (private mode): the reminder comes back next time, which is the safe side.
  writeStored(savedKey(me), new Date().toISOString());
}

/** Shows the reminder on a later visit when this identity's backup was never saved here. */
export function remindOfBackup(me, newIdentity) {
  // Unreadable: remind, the safe side.
  $("#backup-reminder").hidden = newIdentity || readStored(savedKey(me)) !== null;
}

/**
 * The welcome's word on starting with others, for the network `info`
 * (`describeNetwork`): a newcomer on the open network was not told how to
 * make one for a group or join one, and one who came by an invite link
 * was not told where they were.
 */
export function renderWelcomeStart(info) {
  const name = shownName(info.name);
  render(
    info.kind === "private"
      ? html`<strong>You are in “${name}”,</strong> ${
          "a private network: only people with its invite can read it or join. Set your name above so that " +
          "the others know you; to invite someone, press “Invite…” at the top and send them its link."
        }`
      : html`<strong>Starting with others.</strong> ${
          `This is the open network “${name}”: anyone who knows its name can read it. For your group, make a ` +
          "private network with “New network…” and send each person its invite link: opening the link joins them."
        }`,
    $("#welcome-start"),
  );
}

/**
 * The name field, from the snapshot `s`: a name being typed stays, since
 * lit sets the value only when my recorded name changes.
 */
export function renderIdentity(s) {
  const mine = s.names.get(s.me) ?? "";
  // Each network has an account of its own, so a new one starts nameless:
  // the name last given in this browser is offered, not taken.
  $("#name-suggest").hidden = Boolean(mine) || !lastName;
  $("#name-suggest").textContent = lastName ? `Call me “${lastName}” here too` : "";
  render(
    html`<input id="my-name" size="14" placeholder="shown to others" autocomplete="nickname" .value=${mine}>`,
    $("#name-label"),
  );
  // Names are claimed, not owned: a name someone else claims too is shown
  // to others with the start of each key (naming's `claimed`), and the
  // person is told so.
  const shownAs = mine ? s.claimed(s.me) : null;
  const shared = shownAs !== null && shownAs !== mine;
  $("#name-shared").hidden = !shared;
  $("#name-shared").textContent = shared
    ? `Someone else here is called ${mine} too: others see you as “${shownAs}”. Pick another name if you like.`
    : "";
}
