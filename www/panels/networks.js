// Which network this is (in the header and the Networks panel), the invite
// to a private network (its link, a copy button and a QR code of the link,
// with what holding it allows), and making a new private network. The
// network is the node's answer (`NetworkInfo`): the page never reads an
// invite itself.
import { html, render, nothing } from "lit-html";
import { TrustfoldNode } from "trustfold";
import { NETWORK_KIND, errorText } from "../words.js";
import { inviteFragment, inviteLink, shownName } from "../network.js";
import { forgetNetwork, isNetwork, knownFragment, knownNetworks } from "../known-networks.js";
import { qrCode } from "../pictures/qr.js";
import { readStored, writeStored } from "../stored.js";
import { secondPress } from "../second-press.js";

const $ = (selector) => document.querySelector(selector);

/** Set in sessionStorage by "Create": the room whose invite to show once the page has opened it. */
const JUST_MADE = "trustfold-new-network";

/**
 * Wires the new-network form to `app` and the header's button to the
 * panel (`selectTab`); `app.wasm` says whether the package is loaded.
 * Making a network goes to its link: the page reloads into it.
 */
export function mountNetworks(app, selectTab) {
  // A link pasted here opens as it would from the address bar: only its
  // fragment is read (an invite works on this site whatever site sent it);
  // anything else is an open network's name.
  // A name that is also a private network's opened here asks first: a
  // person told "join Our coop" would otherwise land in an open network
  // of that name, which anyone can read, without a word.
  const mayOpen = secondPress();
  $("#open-link").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = event.target.elements.link.value.trim();
    const at = typed.indexOf("#");
    const same = (n) => n.kind === "private" && n.name.toLowerCase() === typed.toLowerCase();
    const mine = at < 0 ? knownNetworks().find(same) : undefined;
    if (mine && !mayOpen(typed)) {
      render(
        html`You have a private network called “${shownName(mine.name)}”:
          <a href="#${knownFragment(mine)}">open it</a>. A name opens an open network, which anyone who knows the
          name can read: press Open again to open that one.`,
        $("#open-link-note"),
      );
      return;
    }
    render(nothing, $("#open-link-note"));
    location.hash = at >= 0 ? typed.slice(at + 1) : `net=${encodeURIComponent(typed)}`;
  });
  $("#new-network").addEventListener("submit", (event) => {
    event.preventDefault();
    $("#network-error").textContent = "";
    try {
      if (!app.wasm) throw new Error("The page is still loading: try again in a moment.");
      const name = event.target.elements.name.value.trim();
      // Said here, next to the box: a name others would see disguised.
      if (/\p{Cf}/u.test(name)) throw new Error("A network's name cannot hold invisible characters or direction marks.");
      const bytes = new TextEncoder().encode(name).length;
      if (bytes > 64) {
        throw new Error(`That name is too long: ${bytes} bytes, 64 at most (accented letters take 2 each, emoji 4).`);
      }
      const info = TrustfoldNode.createInvite(name);
      writeStored(JUST_MADE, info.room, "session");
      location.hash = inviteFragment(info); // a new address: the page opens the new network
    } catch (e) {
      $("#network-error").textContent = errorText(e);
    }
  });
  // The header's button: the invite of a private network; in an open one, the form for a new network.
  $("#network").addEventListener("click", (event) => {
    if (!event.target.closest("button")) return;
    selectTab($("#tab-networks"));
    if (!$("#invite-link")) $("#new-network input[name=name]").focus();
  });
}

/** Was the network of `info` just made here (so its invite is what its maker wants to see)? Asked once. */
export function justMade(info) {
  const made = readStored(JUST_MADE, "session") === info.room;
  writeStored(JUST_MADE, null, "session");
  return made;
}

/**
 * The networks opened in this browser, latest first, each a link that opens
 * it and a button that forgets it (a shared computer); `info` is this
 * page's network, marked as the one shown.
 */
export function renderKnownNetworks(info) {
  const forget = (n) => {
    forgetNetwork(n);
    renderKnownNetworks(info);
  };
  const known = knownNetworks();
  $("#known-section").hidden = known.length === 0;
  // Anyone can name a network like mine: same names are told apart by the
  // start of the network's identity (as people are by their key's).
  const named = (n) => known.filter((m) => m.name === n.name).length;
  render(
    known.map((n) => {
      const apart = n.kind === "private" && named(n) > 1 ? ` (${n.room.slice(0, 6)})` : "";
      const label = html`${NETWORK_KIND[n.kind].label} “<bdi>${shownName(n.name)}</bdi>”${apart}`;
      if (isNetwork(n, info)) return html`<li>${label} <span class="muted">(this one)</span></li>`;
      return html`<li><a href="#${knownFragment(n)}">${label}</a>
        <button type="button" class="quiet forget" @click=${() => forget(n)}>Forget</button></li>`;
    }),
    $("#known-networks"),
  );
}

/** The header: which kind of network this is, its name, and who can read it. */
export function renderNetworkHeader(info) {
  const kind = NETWORK_KIND[info.kind];
  render(
    html`<span class="kind ${info.kind}">${kind.label}</span>
      <span class="network-name">“${shownName(info.name)}”</span>
      <span class="network-who">${kind.who}</span>
      <button type="button" class="quiet" id="network-button">${info.kind === "private" ? "Invite…" : "New network…"}</button>`,
    $("#network"),
  );
}

/**
 * The panel's part about this network: for a private one the invite (link,
 * copy, QR code, the warning); for an open one what it is.
 */
export function renderNetworks(info, ui) {
  const kind = NETWORK_KIND[info.kind];
  const name = shownName(info.name);
  if (info.kind !== "private") {
    render(
      html`<p class="warning" id="network-open"><strong>${kind.label}:</strong> ${kind.who}. Its name
          “${name}” is all it takes to read everything in it and to write in it; the server that
          introduces browsers sees the name too. For a group of your own, make a private network below.</p>`,
      $("#network-about"),
    );
    return;
  }
  const link = inviteLink(info);
  const copy = async () => {
    const box = $("#invite-link");
    try {
      await navigator.clipboard.writeText(link);
      ui.copied = "The link is copied.";
    } catch {
      box.select(); // no clipboard here (a page not served over https): copying is left to the person
      ui.copied = "Copy the selected link (Ctrl+C, or ⌘C on a Mac).";
    }
    renderNetworks(info, ui);
  };
  render(
    html`<p><strong>${kind.label} “${name}”:</strong> ${kind.who}. The server that introduces browsers
        sees only a number standing for the network, never its name or what is said in it.</p>
      <h3>Invite someone</h3>
      <div class="invite">
        <div class="invite-link">
          <form @submit=${(event) => (event.preventDefault(), copy())}>
            <label>The invite link
              <input id="invite-link" readonly .value=${link} @focus=${(event) => event.target.select()}></label>
            <button id="copy-invite">Copy</button>
          </form>
          <p class="muted" id="copy-status" role="status">${ui.copied ?? nothing}</p>
          <p class="warning" id="invite-warning"><strong>Whoever has this link can read everything in this
            network and join it</strong> — now and later, and it cannot be taken back. Send it only to the
            people you mean to invite, in a private message, or let them scan the code.</p>
          <p class="muted">This browser remembers the network (under “Networks in this browser”); on
            another device or browser the link is the only way in, for you too.</p>
        </div>
        ${qrCode(link, `QR code of the invite link to “${name}”`)}
      </div>`,
    $("#network-about"),
  );
}
