// The Peers panel (who this browser is linked to, how far sync has come,
// everyone known) and the status line in the header.
import { html, render } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { short } from "../names.js";
import { connectionsWords, droppedWords } from "../links.js";

const $ = (selector) => document.querySelector(selector);
const peersWord = (n) => `${n} ${n === 1 ? "peer" : "peers"}`;
// "Change" is the page's word for an event: what a person made (a payment,
// an edit, a ban), as in "changes made here wait to be sent".
const changesWord = (n) => `${n} ${n === 1 ? "change" : "changes"}`;

/** Copies `text` to the clipboard and says so on `button` for a moment. */
export async function copyTo(button, text) {
  const label = button.dataset.label ?? (button.dataset.label = button.textContent);
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Copy failed: select the key instead";
  }
  setTimeout(() => (button.textContent = label), 2000);
}

/** Draws the Peers panel from the snapshot `s`; `petnames` are my nicknames (petnames.js), `redraw` draws again. */
export function renderPeers(s, petnames, redraw) {
  const { status, peers, who } = s;
  render(
    `${peersWord(peers.length)} linked; ${changesWord(status.known)} here` +
      (status.waiting ? `, ${status.waiting} waiting for earlier ones` : "") +
      (status.missing ? `, ${status.missing} asked for` : "") +
      "." +
      // Linked to no one is not alone: say who carries changes meanwhile.
      (status.relay.state === "open" ? " The relay keeps your changes for people who are offline now." : "") +
      (connectionsWords(status.connectionsLeft) ? ` ${connectionsWords(status.connectionsLeft)}` : "") +
      (droppedWords(status.dropped, who) ? ` ${droppedWords(status.dropped, who)}` : ""),
    $("#peer-summary"),
  );
  // Per link: in step, or how far apart (what I owe them, what they have that I lack).
  const link = (p) =>
    p.unsent > 0
      ? `${changesWord(p.unsent)} to send`
      : p.headsMissing > 0 || status.missing || status.waiting
        ? "receiving, catching up"
        : "in sync";
  render(
    peers.map(
      (p) => html`<tr>
        <td title=${p.key ?? ""}>${p.key === s.me ? "you, in another tab or device" : p.key ? who(p.key) : `connection ${p.id}`}</td>
        <td>${link(p)}</td>
        <td>${p.eventsReceived} received, ${p.eventsSent} sent</td>
      </tr>`,
    ),
    $("#peer-table tbody"),
  );
  const claimed = (key) => s.names.get(key);
  // Keyed: a nickname moves its person in the list, and without keys lit
  // reused each item by position, so the next person's box showed the
  // nickname typed (and the focus stayed there). A moved item loses the
  // focus in the browser: it is given back.
  const focused = $("#people-list").contains(document.activeElement) ? document.activeElement : null;
  render(
    repeat(
      s.knownKeys,
      (key) => key,
      (key) => html`<li data-key=${key}>
        <span>${who(key)}</span>
        ${petnames.all().has(key) && claimed(key) ? html`<span class="muted">(calls themselves ${claimed(key)})</span>` : ""}
        <code title=${key}>${short(key)}</code>
        <label>Nickname <input class="nickname" size="12" placeholder="yours only"
          .value=${petnames.all().get(key) ?? ""}
          @change=${(event) => {
            // Said here: a nickname that looks like someone else's name
            // would make two people one on this page (and pay the wrong one).
            const clash = s.nicknameClash(key, event.target.value);
            $("#people-error").textContent = clash ?? "";
            if (clash) {
              event.target.value = petnames.all().get(key) ?? "";
              return;
            }
            petnames.set(key, event.target.value);
            redraw();
          }}></label>
        <button type="button" class="quiet" @click=${(event) => copyTo(event.target, key)}>Copy key</button>
      </li>`,
    ),
    $("#people-list"),
  );
  if (focused?.isConnected && document.activeElement !== focused) focused.focus();
}

/**
 * What "Work offline" does, or while working offline what waits: `waiting` is
 * the number of changes made here that nobody has yet (the node's
 * `unconfirmed`; null: not working offline).
 */
export function offlineWords(waiting) {
  if (waiting === null) return "Stop syncing for a while; what you do meanwhile syncs when you are back.";
  if (waiting <= 0) return "Not syncing: what you do now is kept here and sent when you go online.";
  return `Not syncing: ${madeHereWait(waiting)} to be sent when you go online.`;
}

/** "1 change made here waits", "2 changes made here wait". */
function madeHereWait(n) {
  return n === 1 ? "1 change made here waits" : `${n} changes made here wait`;
}

/**
 * The status line (with what waits to be sent while nobody can be
 * reached), the catching-up bar and the online pill, from the snapshot `s`;
 * `offline`: the person chose to work offline.
 */
export function renderStatus(s, offline) {
  const { status } = s;
  $("#work-offline-hint").textContent = offlineWords(offline ? status.unconfirmed : null);
  const waiting = status.waiting > 0 ? `, ${changesWord(status.waiting)} waiting for earlier ones.` : ".";
  // With nobody to send to (no browser linked, the relay not up), what was
  // made here and nobody has yet is said: it leaves only with a link.
  const alone = offline || (status.peers === 0 && status.relay?.state !== "open");
  const unsentWords = alone && status.unconfirmed > 0 ? ` ${madeHereWait(status.unconfirmed)} to be sent.` : "";
  $("#status").textContent =
    `${count(s.transactions.length, "payment")} known, ${count(status.known, "change")} in all; ` +
    `${peersWord(status.peers)} linked${waiting}${unsentWords}`;
  const behind = status.waiting + status.missing;
  $("#progress").hidden = behind === 0;
  $("#progress").value = status.known / Math.max(1, status.known + behind);
  const online = navigator.onLine && !offline;
  // Online says little if nothing can be reached: with no peer linked, the
  // relay decides whether changes still go anywhere.
  const relay = status.relay;
  const reach = status.peers
    ? "online"
    : relay?.state === "open"
      ? "online, via the relay"
      : relay?.state === "none" || relay?.error === "NO_RELAY"
        ? "online, alone"
        : relay?.state === "connecting" && !relay.reconnects
          ? "online, connecting…"
          : "online, relay unreachable";
  $("#online").textContent = online ? reach : offline ? "working offline" : "offline";
  // Green only when something can be reached: online with nobody and no
  // relay up is the browser's network, not this network's.
  const reached = status.peers > 0 || relay?.state === "open";
  $("#online").className = `pill ${!online ? "offline" : reached ? "online" : "unreached"}`;
}

/** The people offered when a form asks for a person: each by name (or key), the key as label. */
export function renderKnownKeys(s) {
  render(
    s.knownKeys.map((key) => html`<option value=${s.names.get(key) ?? key} label=${key}></option>`),
    $("#known-keys"),
  );
}

/** "1 payment", "2 payments". */
function count(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
