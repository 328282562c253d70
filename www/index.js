// The node page: open it to join. `#invite=…&name=…` is a private
// network's invite, `#net=NAME` an open network's name (also
// `?network=NAME`; see network.js); the first visit makes an identity and
// offers a backup, later visits resume it. It shows the state saved last
// time at once, then the state computed from the log, and keeps every
// panel current: this tab, other tabs, and other browsers in the network
// (WebRTC, found through the signalling server that serves this page).
//
// Once per frame the state reader takes a snapshot of the node (state.js);
// each shown panel (panels/) draws itself from it with lit-html, which
// changes only what differs, so what a person is typing keeps its node,
// focus and caret. The wording is the page's (words.js), from structures.
import init, { TrustfoldNode } from "trustfold";
import { registerServiceWorker, keepConnected } from "./offline.js";
import { picturesCss } from "./pictures/svg.js";
import { stateReader, viewKey, viewKeyOf } from "./state.js";
import { short } from "./names.js";
import { errorText } from "./words.js";
import { mountLedger, prepareLedger, renderLedger, renderCachedBalances } from "./panels/ledger.js";
import { noticeState, renderNotices, updateNotices } from "./panels/notices.js";
import { mountDebts, renderDebts } from "./panels/debts.js";
import { mountTrust, renderTrust } from "./panels/trust.js";
import { renderAgreement } from "./panels/agreement.js";
import { mountRecords, renderRecords, syncFocusedText } from "./panels/records.js";
import { copyTo, renderPeers, renderStatus, renderKnownKeys } from "./panels/peers.js";
import { mountPictures, renderPictures } from "./panels/pictures.js";
import { mountIdentity, remindOfBackup, renderIdentity, renderWelcomeStart } from "./panels/identity.js";
import { mountNetworks, renderNetworks, renderNetworkHeader, renderKnownNetworks, justMade } from "./panels/networks.js";
import { renderRelayStatus, renderRelayLimits } from "./panels/relay.js";
import { inviteFragment, namesNetwork, networkFromAddress, sameNetwork, shownName } from "./network.js";
import { knownFragment, knownNetworks, rememberNetwork } from "./known-networks.js";
import { readStored, writeStored } from "./stored.js";
import { allInSteps, pause, stepWithin } from "./steps.js";

/**
 * The network the address names: an open network's name, or a private
 * one's `{ invite, name }`. The site's address alone: the network opened
 * here last, its link put in the address as if followed.
 */
const known = knownNetworks();
const network = networkFromAddress(location, known);
if (!namesNetwork() && known.length) history.replaceState(null, "", `#${knownFragment(known[0])}`);

const $ = (selector) => document.querySelector(selector);

/** Payments made into objects per step as the page opens (≈ 12 ms each). */
const PREPARED_PER_STEP = 20000;

/**
 * The budget of a task of the open's steps: 0, one step a task whatever
 * the clock says. Each step makes objects (about 12 ms of them), and
 * collecting the garbage comes on top in the same task. With 40 ms, three
 * steps to a task made the open's longest task 63–74 ms against 55; with
 * 15 ms, a clock rounded to 100 ms (Firefox's resistFingerprinting, Tor
 * Browser) measured each step as 0 ms and ran nine in one task.
 */
const OPEN_STEP_MS = 0;

/** Every payment made into an object ahead of the first frame, a step at a time. */
function* preparingTransactions(node) {
  while (node.prepareTransactions(PREPARED_PER_STEP) > 0) yield;
}

/**
 * What only the page knows (not the node): reasons being typed, the trust
 * change waiting for "Apply", the open collection, the chosen plot unit,
 * and when the Agreement panel was last computed.
 */
const ui = {
  asking: new Map(), // event → "dispute" | "exclude"
  preview: null,
  collection: "notes",
  chosenRecord: null, // { collection, id }: the field form's record, made or typed last
  plotUnit: null,
  offline: false, // "Work offline" pressed
  agreement: { at: 0, for: "", later: null, shown: null, running: null, progress: null, paused: false, changed: false, digest: null, digestFor: "" },
  copied: null, // what the invite's Copy button did
  relay: null, // what the relay's line remembers between frames (panels/relay.js)
  notices: noticeState(), // what changed in my view because of others (panels/notices.js)
  debts: { page: 0, shown: new Map() }, // the page of debts, and each debt's list of payments opened or closed (panels/debts.js)
};

/** The page's side of every panel: the node, the latest snapshot, and how to act and redraw. */
const app = {
  ui, // what the page remembers between frames (above)
  wasm: false, // the package is loaded (TrustfoldNode's static calls work)
  info: null, // the network (NetworkInfo), once the package has read it
  node: null,
  me: null,
  reader: null,
  snapshot: null,
  busy: false, // an action in flight: a second click is not a second payment
  /** The latest snapshot (read now if no frame has been drawn yet); throws NOT_OPEN before the node is. */
  state() {
    if (!this.reader) throw Object.assign(new Error("the node is still opening"), { code: "NOT_OPEN" });
    return (this.snapshot ??= this.reader.read());
  },
  /** Runs an action, showing its error in words in `where`; true when it worked. */
  async guarded(where, action) {
    if (this.busy) return false;
    this.busy = true;
    $(where).textContent = "";
    try {
      this.state(); // every action needs the node open
      await action();
      return true;
    } catch (e) {
      $(where).textContent = errorText(e);
      return false;
    } finally {
      this.busy = false;
    }
  },
  refresh: () => render(),
  /** Draws now, not at the next frame (before focusing what it draws). */
  drawNow: () => {
    if (app.node) draw();
  },
};

// ---------------------------------------------------------------- panels

const tabs = [...document.querySelectorAll("[role=tab]")];
function selectTab(tab) {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute("aria-selected", String(selected));
    t.tabIndex = selected ? 0 : -1;
    $(`#${t.getAttribute("aria-controls")}`).hidden = !selected;
  }
  ui.agreement.for = ""; // a panel opened shows what is current
  ui.agreement.at = 0;
  render();
}
for (const tab of tabs) {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    next.focus();
    selectTab(next);
  });
}
const visible = (id) => !$(`#${id}`).hidden;

/**
 * The Agreement panel's comparison: `{ shown, progress, digest, stale }`:
 * the last one finished (null before the first), how far the running one
 * got (null when none runs), my view's digest now, and whether the rows
 * shown are from before the latest changes. Each person's view is a full
 * fold of the log, so a comparison runs one person after another in tasks
 * of at most ≈ 40 ms that leave the page free between them (`stepAgreement`), at
 * most one at a time, starting again 3 s after the last one ended if the
 * log or my policy changed since. Hidden, it pauses; shown again, it goes
 * on if nothing changed, and starts afresh if something did.
 */
function agreementNow(s) {
  const a = ui.agreement;
  const at = viewKey(s.status, s.policy);
  if (a.running && a.paused) {
    a.paused = false;
    if (a.for === at) setTimeout(stepAgreement, 0);
    else a.running = null; // changed while hidden: afresh, below
  }
  if (!a.running && !(at === a.for && a.shown)) {
    if (a.shown && Date.now() - a.at < 3000) {
      a.later ??= setTimeout(() => {
        a.later = null;
        render();
      }, 3000);
    } else {
      a.for = at;
      a.changed = false;
      a.running = app.reader.agreement(s, ui.collections ? [...ui.collections.all()].sort() : []);
      a.progress = { done: 0, of: s.knownKeys.length };
      setTimeout(stepAgreement, 0);
    }
  }
  // My own digest is one fold, not one per person: always the current one.
  if (a.digestFor !== at) [a.digest, a.digestFor] = [app.node.viewDigest().included, at];
  const stale = Boolean(a.shown) && (Boolean(a.running) || a.for !== at);
  return { shown: a.shown, progress: a.running ? a.progress : null, digest: a.digest, stale };
}

/** How long one task of the Agreement's comparison may take, in ms. */
const AGREEMENT_TASK_MS = 40;

/** Runs the comparison's next steps while they fit in one task, then gives the page back; draws what it got. */
function stepAgreement() {
  const a = ui.agreement;
  if (!a.running || a.paused) return;
  if (!visible("agreement")) {
    a.paused = true; // nobody looks: go on when the panel opens again
    return;
  }
  // A change in the middle (and its undo) would leave rows of two views:
  // the comparison is then made again once it ends.
  if (viewKeyOf(app.node) !== a.for) a.changed = true;
  // Another step only if it fits too: a step is one person's fold
  // (≈ 10 ms with a year of history), and several in one task could be
  // over the 50 ms a page may be held.
  let next;
  try {
    next = stepWithin(a.running, AGREEMENT_TASK_MS);
  } catch (e) {
    a.running = null;
    a.for = ""; // not kept as if it had been compared
    throw e;
  }
  if (next.done) {
    a.shown = next.value;
    a.running = null;
    a.at = Date.now();
    if (a.changed) a.for = "";
  } else {
    a.progress = next.value;
    setTimeout(stepAgreement, 0);
  }
  render();
}

let drawn = null; // the promise of the frame being drawn, if one is scheduled
let soon = null; // a redraw due shortly (the relay's line is changing)
/**
 * A read taking longer than this (ms) is drawn in a task of its own: after
 * a payment with a year of history, listing every payment again and
 * drawing made one task of ≈ 60 ms.
 */
const DRAW_APART_AFTER_MS = 10;

/**
 * Redraws what is shown, once per frame however many changes arrive;
 * resolves once drawn. A long read and its drawing are two tasks; the
 * drawing uses that read unless the node or what is shown changed in
 * between.
 */
function render() {
  if (!app.node) return Promise.resolve();
  drawn ??= new Promise((done) =>
    requestAnimationFrame(() => {
      drawn = null;
      let apart = false;
      try {
        const want = wanted();
        const start = performance.now();
        const s = readFor(want);
        if (performance.now() - start < DRAW_APART_AFTER_MS) return paint(s);
        apart = true;
        setTimeout(() => {
          if (app.snapshot !== s) {
            // The node changed since (a keystroke in a record, say): the
            // frame on its way draws what is now, never this older read
            // over what was just typed.
            render().then(done);
            return;
          }
          try {
            if (JSON.stringify(wanted()) === JSON.stringify(want)) paint(s);
            else draw(); // another panel shown meanwhile: read for it
          } finally {
            done();
          }
        }, 0);
      } finally {
        if (!apart) done();
      }
    }),
  );
  return drawn;
}

/** What the shown panels need read (see `stateReader`'s `read`). */
function wanted() {
  return {
    debts: visible("debts"),
    records: visible("records") ? ui.collection : null,
    historyOf: ui.historyOf,
    mine: ui.collections ? [...ui.collections.all()].sort() : [],
  };
}

/** Reads the snapshot for `want`, kept as the page's latest. */
function readFor(want) {
  return (app.snapshot = app.reader.read(want));
}

function draw() {
  paint(readFor(wanted()));
}

/** Draws every shown panel from the snapshot `s`. */
function paint(s) {
  renderIdentity(s);
  renderStatus(s, ui.offline);
  if (s.status.known > s.status.made) ui.oldLink = false; // others are here: the right network
  $("#old-link").hidden = !ui.oldLink;
  // The relay's line changes without a change of the log (an acknowledgement,
  // a lost link): while it is about to change, look again soon.
  if (renderRelayStatus(s, ui)) soon ??= setTimeout(() => ((soon = null), render()), 300);
  renderKnownKeys(s);
  updateNotices(s, ui.notices);
  renderNotices(ui.notices, render);
  if (visible("ledger")) renderLedger(s, ui, app);
  if (visible("debts")) renderDebts(s, ui, render);
  if (visible("trust")) renderTrust(s, ui);
  if (visible("agreement")) {
    renderAgreement(s, agreementNow(s));
  }
  if (visible("records")) renderRecords(s, ui, app);
  if (visible("peers")) renderPeers(s, app.reader.petnames, () => {
    app.snapshot = null; // names changed: read again
    render();
  });
  if (visible("pictures")) renderPictures(s, ui);
  if (visible("networks")) renderRelayLimits(s, ui, app.info);
}

// ---------------------------------------------------------------- start

async function main() {
  document.head.append(Object.assign(document.createElement("style"), { textContent: picturesCss }));
  mountLedger(app);
  mountDebts(ui, render);
  mountTrust(app, ui);
  mountPictures(app, ui);
  mountNetworks(app, selectTab);
  const worker = registerServiceWorker();
  await init();
  app.wasm = true;
  // The node's reading of the address (MALFORMED_INVITE, BAD_NETWORK_NAME
  // for a damaged link), before anything is opened.
  const info = (app.info = TrustfoldNode.describeNetwork(network));
  // A link without a check: a typo in it would open another, empty
  // network, so an empty one is said to maybe be that (until it is not).
  ui.oldLink = info.kind === "private" && !network.check;
  // The link as the node read it (with its check, without what a pasted
  // sentence added after it), so the address copied from here is right.
  if (info.kind === "private" && location.hash.slice(1) !== inviteFragment(info)) {
    history.replaceState(null, "", `#${inviteFragment(info)}`);
  }
  renderNetworkHeader(info);
  renderNetworks(info, ui); // what it shows needs no node: shown even if opening fails
  document.title = `${shownName(info.name)} · trustfold`;
  mountRecords(app, ui, info);
  mountIdentity(app, network, info);
  // Its maker is shown the invite first: who to share it with is what comes next.
  if (justMade(info)) selectTab($("#tab-networks"));
  const cached = await TrustfoldNode.cachedState(network);
  if (cached) {
    $("#status").textContent = `Loading ${cached.events} ${cached.events === 1 ? "change" : "changes"}… (showing the balances saved last time)`;
    renderCachedBalances(cached.balances(), short);
    cached.free();
  }
  const node = await TrustfoldNode.open(network);
  // The first frame reads every payment, and a year of history is 100,000
  // made into objects (≈ 60 ms in one task): made ahead in steps, with a
  // pause between them, before the page draws from the node.
  await allInSteps(preparingTransactions(node), OPEN_STEP_MS);
  // Opened: found again from any other network's page.
  rememberNetwork(info);
  renderKnownNetworks(info);
  // The test build (webpack --env test) hands the node to the tests; in
  // the production build __TEST_HOOK__ is false and this line is dropped.
  if (__TEST_HOOK__) window.node = node;
  app.node = node;
  app.me = node.publicKey;
  app.reader = stateReader(node, app.me);
  // The first frame's reads, and what the ledger derives from every
  // payment, made ahead a step at a time too: in the frame's
  // one task they held the page ≈ 120 ms with a year of history.
  try {
    await allInSteps(app.reader.prepare(), OPEN_STEP_MS);
    const first = app.reader.read();
    await allInSteps(prepareLedger(first, ui), OPEN_STEP_MS);
    await pause();
  } catch {
    // Made ahead only to spare the first frame: what failed here is read
    // there, as before, and its error shown where the frame shows it,
    // not as a network that could not open.
  }
  $("#me").textContent = app.me;
  $("#me").title = `your public key: ${app.me}`;
  $("#copy-key").addEventListener("click", (event) => copyTo(event.target, app.me));
  renderWelcomeStart(info);
  if (node.openReport.newIdentity) $("#welcome").hidden = false;
  remindOfBackup(app.me, node.openReport.newIdentity);
  node.subscribe(() => {
    app.snapshot = null; // what actions read next is read again
    syncFocusedText(app, ui); // now, before the next keystroke is diffed
    render();
  });
  render();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const signal = `${scheme}//${location.host}/signal`;
  // Working offline is remembered for this network in this browser: a
  // reload or a new tab does not send what was being kept back.
  const offlineKey = `trustfold-offline:${info.kind}:${info.room}`;
  const showOffline = () => {
    $("#work-offline").setAttribute("aria-pressed", String(ui.offline));
    $("#work-offline").textContent = ui.offline ? "Go online" : "Work offline";
  };
  ui.offline = readStored(offlineKey) === "1";
  showOffline();
  let stop = ui.offline ? () => {} : keepConnected(node, signal);
  $("#work-offline").addEventListener("click", () => {
    ui.offline = !ui.offline;
    showOffline();
    // Storage refused (private mode): this page still works offline until it is left.
    writeStored(offlineKey, ui.offline ? "1" : null);
    if (ui.offline) stop();
    else stop = keepConnected(node, signal);
    render();
  });
  // Peers come and go, and the browser goes on- and offline, without a change in the log.
  setInterval(render, 2000);
  addEventListener("online", render);
  addEventListener("offline", render);
  const registered = await worker;
  // A later change of worker is a new build taking over: offer the reload
  // rather than mixing an old page with new files.
  if (registered.controlled) {
    navigator.serviceWorker.addEventListener("controllerchange", () => ($("#update").hidden = false));
  }
}

// Another network's address (a link followed, "Create", the back button):
// the page is for one network, so it starts again for that one.
addEventListener("hashchange", () => {
  if (!sameNetwork(networkFromAddress(location, knownNetworks()), network)) location.reload();
});

main().catch((e) => {
  const nameless = typeof network === "object" && network.name === "";
  const why =
    network === ""
      ? "The link names no network."
      : nameless
        ? "The invite link is cut short (it gives no name for the network): ask for the whole link again."
        : errorText(e);
  $("#status").textContent = `Could not open this network. ${why} Paste the whole link under “Open a link” below, or open or make another network there.`;
  // The networks this browser opened before are still there to go back to.
  renderKnownNetworks(null);
  $("#status").className = "error";
  // No identity and no network here: their controls would do nothing.
  for (const part of [".who", "#this-network", "#relay-section"]) $(part).hidden = true;
  // Nothing but the Networks panel works without a node: the Pay form and
  // the rest are hidden rather than left to fail on use.
  for (const t of tabs) t.hidden = t.id !== "tab-networks";
  selectTab($("#tab-networks"));
});

