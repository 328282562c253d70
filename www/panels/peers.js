// The Peers panel (who this browser is linked to, how far sync has come,
// everyone known) and the status line in the header.
import { html, render } from "lit-html";
import { short } from "../names.js";

const $ = (selector) => document.querySelector(selector);
const peersWord = (n) => `${n} ${n === 1 ? "peer" : "peers"}`;

/** Draws the Peers panel from the snapshot `s`. */
export function renderPeers(s) {
  const { status, peers, who } = s;
  render(
    `${peersWord(peers.length)} linked; ${status.known} events here` +
      (status.waiting ? `, ${status.waiting} waiting for earlier ones` : "") +
      (status.missing ? `, ${status.missing} asked for` : "") +
      ".",
    $("#peer-summary"),
  );
  const link = status.missing || status.waiting ? "linked, catching up" : "linked";
  render(
    peers.map(
      (p) => html`<tr>
        <td title=${p.key ?? ""}>${p.key ? who(p.key) : `connection ${p.id}`}</td>
        <td>${link}</td>
        <td>${p.eventsReceived} received, ${p.eventsSent} sent</td>
      </tr>`,
    ),
    $("#peer-table tbody"),
  );
  render(
    s.knownKeys.map((key) => html`<li><span>${who(key)}</span> <code title=${key}>${short(key)}</code></li>`),
    $("#people-list"),
  );
}

/**
 * The status line, the catching-up bar and the online pill, from the
 * snapshot `s`; `offline` says whether the person chose to work offline.
 */
export function renderStatus(s, offline) {
  const { status } = s;
  const waiting = status.waiting > 0 ? `, ${status.waiting} events waiting for earlier ones.` : ".";
  $("#status").textContent =
    `${count(s.transactions.length, "payment")} known, ${count(status.known, "event")}; ${peersWord(status.peers)} linked${waiting}`;
  const behind = status.waiting + status.missing;
  $("#progress").hidden = behind === 0;
  $("#progress").value = status.known / Math.max(1, status.known + behind);
  const online = navigator.onLine && !offline;
  $("#online").textContent = online ? (status.peers ? "online" : "online, alone") : offline ? "working offline" : "offline";
  $("#online").className = `pill ${online ? "online" : "offline"}`;
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
