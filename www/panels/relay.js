// The relay of this server, as the page shows it: one calm line in the
// header (saved, sending, unreachable, refused for a quota, no relay here)
// and, in the Networks panel, the limits the relay published. Both read
// `node.relay` from the snapshot (state, unsent, notice code, limits) and
// word it with words.js; nothing the relay sent as text is shown.
import { html, render, nothing } from "lit-html";
import { relayWords, relayLimitsWords } from "../words.js";

const $ = (selector) => document.querySelector(selector);

/**
 * The header's line from the snapshot `s`. `ui.relay` is what the page
 * remembers between frames: whether the link failed since it was last up,
 * and the limits last published (a lost link is opened anew). Returns true
 * while the line is about to change (connecting, or sending), so the page
 * looks again soon rather than at its next slow tick.
 */
export function renderRelayStatus(s, ui) {
  const relay = s.status.relay;
  const memory = (ui.relay ??= { lost: false, limits: null });
  // Not connected on purpose (working offline, the browser offline), or up: nothing is lost.
  if (relay.state === "open" || relay.state === "none") memory.lost = false;
  if (relay.state === "closed") memory.lost = true;
  if (relay.limits) memory.limits = relay.limits;
  const { text, tone } = relayWords(relay, memory.lost, s.status.known);
  const line = $("#relay-status");
  // Set only when it changes: the line is live, and read out when it does.
  if (line.textContent !== text) line.textContent = text;
  line.className = `relay ${tone}`;
  line.hidden = !text;
  return relay.state === "connecting" || (relay.state === "open" && relay.unsent > 0);
}

/**
 * The Networks panel's part about the relay: what it promises, from its
 * published limits; `info` is the network (a private one's relay cannot
 * read it).
 */
export function renderRelayLimits(s, ui, info) {
  const relay = s.status.relay;
  const limits = relay.limits ?? ui.relay?.limits;
  let body;
  if (relay.notice?.code === "NO_RELAY" && relay.state !== "open") {
    body = html`<p>This server runs no relay: what you do reaches people only while both of you are online.</p>`;
  } else if (limits) {
    body = relayLimitsWords(limits).map((sentence) => html`<p>${sentence}</p>`);
  } else {
    body = html`<p class="muted">What this server's relay promises shows here once the page has reached it.</p>`;
  }
  render(
    html`<p class="muted">A relay keeps what is said in a network at the server, so it reaches people who are
        not online at the same time. It cannot change anything: every page checks every change
        again.${info?.kind === "private" ? " In a private network it cannot read what is said." : nothing}</p>
      ${body}`,
    $("#relay-about"),
  );
}
