// The relay as the page shows it (issue #14), in real Chromium with the
// real server, through the UI only: the header's line says where a
// person's changes are (saved on the relay, unreachable and kept here, no
// relay on this server, refused for a quota) and the Networks panel words
// the limits the server published — the numbers of the flags it was
// started with, not defaults. Runs dist/ as served (`npx webpack`).
// Screenshots of each state go to target/screenshots/relay-*.png
// (artefacts, not committed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, launch, signallingServer, freePort, repeatedKey } from "./support.mjs";
import { fresh, usersOf } from "./people.mjs";

/** What the helpers of people.mjs use: the browser, and the server of the test running. */
const served = {};
const shots = path.join(root, "target", "screenshots");
const site = path.join(root, "dist");

before(async () => {
  if (!fs.existsSync(path.join(site, "index.html"))) throw new Error("dist/ is missing: run npx webpack first");
  fs.mkdirSync(shots, { recursive: true });
  served.browser = await launch();
});

after(async () => {
  await served.browser?.close();
});

const { personAt, sees, tab, pay } = usersOf(served);

const SAVED = "Saved on the relay";
/** Linked with nothing made yet: nothing is said to be saved. */
const LINKED = "Linked to the relay: what is made here is kept there too";
const KEPT = "your changes are kept here and go directly to people online";
const ONLY_ONLINE = "your new changes reach people only while both of you are online";

/** Starts the server with `options` (support.mjs) as the one the people of the test use. */
async function serverWith(options = {}) {
  const server = await signallingServer(site, options);
  served.url = server.url;
  return server;
}

/** Someone with a fresh identity on the open network `network`, the welcome closed. */
async function someone(network) {
  const p = await personAt(`net=${network}`);
  await p.page.click("#welcome-later");
  return p;
}

/** Waits until the header's relay line says `text` (and nothing else). */
async function relaySays(p, text, timeout = 20000) {
  try {
    await p.page.waitForFunction((t) => document.querySelector("#relay-status").textContent === t, text, { timeout });
  } catch (e) {
    const shown = await p.page.textContent("#relay-status");
    throw new Error(`“${text}” never showed as the relay's line, which says “${shown}”`, { cause: e });
  }
}

/**
 * The page's console errors, less the ones a browser logs by itself while
 * the server is down (its sockets and fetches fail).
 */
const pageErrors = (p) =>
  p.errors.filter((e) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|Failed to fetch/.test(e.message));

const shot = (p, name) => p.page.screenshot({ path: path.join(shots, `relay-${name}.png`), fullPage: true });

test("the page says its changes are saved on the relay (linked only, before it has any), and words the limits the server published", async () => {
  const server = await serverWith({
    flags: [
      ...["--relay-max-events", "1234567", "--relay-max-bytes", "5000000"],
      ...["--relay-author-share", "20", "--relay-idle", "45", "--relay-author-rate", "345/3456"],
    ],
  });
  const alice = await someone(fresh("relay-saved"));
  await relaySays(alice, LINKED);
  await pay(alice, repeatedKey(0xab), 12, "saved-on-the-relay");
  await relaySays(alice, SAVED);
  await shot(alice, "saved");

  await tab(alice, "networks");
  const words = [
    "This relay keeps up to 1,234,567 changes (5 MB) per network; each person may use a fifth of that, " +
      "and it takes up to 345 changes a minute from one person.",
    "It never deletes what it stored.",
    "After 45 seconds with nobody here, the relay sets this network aside: whoever comes back first may wait a moment while it is brought back.",
  ];
  for (const sentence of words) await sees(alice, "#relay-about", sentence);
  await shot(alice, "limits");
  assert.deepEqual(pageErrors(alice), [], "no console errors");
  await alice.context.close();
  await server.stopped();
});

test("with the server gone the page says its changes are kept here, and saved again once it is back", async () => {
  const port = await freePort();
  const relayDir = fs.mkdtempSync(path.join(root, "target", "relay-page-"));
  const relayDb = path.join(relayDir, "relay.sqlite");
  let server = await serverWith({ relayDb, addr: `127.0.0.1:${port}` });
  const network = fresh("relay-back");
  const alice = await someone(network);
  await relaySays(alice, LINKED);

  await sees(alice, "#online", "online, via the relay");
  assert.equal(await alice.page.getAttribute("#online", "class"), "pill online");

  await server.stopped();
  await relaySays(alice, `Relay unreachable — retrying; ${KEPT}.`);
  // The header says so too, not just "online" (issue #14's note).
  await sees(alice, "#online", "online, relay unreachable");
  assert.equal(await alice.page.getAttribute("#online", "class"), "pill unreached", "not green: nothing is reached");
  // A payment while the relay is away is kept here.
  await pay(alice, repeatedKey(0xcd), 7, "made-while-away");
  await relaySays(alice, `Relay unreachable — retrying; ${KEPT}.`);
  await shot(alice, "unreachable");

  // The server comes back on the same address, with what its relay stored.
  server = await serverWith({ relayDb, addr: `127.0.0.1:${port}` });
  await relaySays(alice, SAVED, 45000);
  await shot(alice, "back");
  assert.deepEqual(pageErrors(alice), [], "no console errors");
  await alice.context.close();

  // Saved means saved: someone opening the network alone gets the payment from the relay.
  const bob = await someone(network);
  await sees(bob, "#transactions", "made-while-away");
  assert.deepEqual(pageErrors(bob), [], "no console errors");
  await bob.context.close();
  await server.stopped();
  fs.rmSync(relayDir, { recursive: true, force: true });
});

test("a payment past a person's share of the relay makes the page say so, also after the relay restarts", async () => {
  // 8 changes a network, a quarter each: 2 for Alice.
  const flags = ["--relay-max-events", "8", "--relay-author-share", "25"];
  const port = await freePort();
  const relayDir = fs.mkdtempSync(path.join(root, "target", "relay-page-"));
  const relayDb = path.join(relayDir, "relay.sqlite");
  let server = await serverWith({ flags, relayDb, addr: `127.0.0.1:${port}` });
  const alice = await someone(fresh("relay-share"));
  await relaySays(alice, LINKED);
  await pay(alice, repeatedKey(0xab), 1, "first");
  await pay(alice, repeatedKey(0xab), 2, "second");
  await relaySays(alice, SAVED);
  await pay(alice, repeatedKey(0xab), 3, "third");
  const overShare =
    `You have used your share of the relay (a quarter of what it keeps for this network): ${ONLY_ONLINE}.`;
  await relaySays(alice, overShare);
  await shot(alice, "author-quota");
  await alice.page.setViewportSize({ width: 390, height: 800 });
  await shot(alice, "author-quota-390");

  // A new link hears it again (the page offers the refused payment again),
  // so the line does not settle on "saved" for what the relay does not hold.
  await server.stopped();
  await relaySays(alice, `Relay unreachable — retrying; ${KEPT}.`);
  server = await serverWith({ flags, relayDb, addr: `127.0.0.1:${port}` });
  await relaySays(alice, overShare, 45000);
  assert.deepEqual(pageErrors(alice), [], "no console errors");
  await alice.context.close();
  await server.stopped();
  fs.rmSync(relayDir, { recursive: true, force: true });
});

test("a payment past the network's quota makes the page say the relay is full", async () => {
  const server = await serverWith({ flags: ["--relay-max-events", "2", "--relay-author-share", "100"] });
  const alice = await someone(fresh("relay-full"));
  await pay(alice, repeatedKey(0xab), 1, "first");
  await pay(alice, repeatedKey(0xab), 2, "second");
  await relaySays(alice, SAVED);
  await pay(alice, repeatedKey(0xab), 3, "third");
  await relaySays(alice, `The relay is full for this network: ${ONLY_ONLINE}.`);
  await shot(alice, "network-full");
  assert.deepEqual(pageErrors(alice), [], "no console errors");
  await alice.context.close();
  await server.stopped();
});

test("a payment past a person's rate at the relay makes the page say the rest come later", async () => {
  // One change a minute, two at once: the third payment waits.
  const server = await serverWith({ flags: ["--relay-author-rate", "1/2"] });
  const alice = await someone(fresh("relay-author-rate"));
  await pay(alice, repeatedKey(0xab), 1, "first");
  await pay(alice, repeatedKey(0xab), 2, "second");
  await relaySays(alice, SAVED);
  await pay(alice, repeatedKey(0xab), 3, "third");
  await relaySays(
    alice,
    "The relay takes at most 1 change a minute from one person: the rest of yours are sent again shortly.",
  );
  await shot(alice, "author-rate");
  assert.deepEqual(pageErrors(alice), [], "no console errors");
  await alice.context.close();
  await server.stopped();
});

test("a relay that closes the link for too much at once is said in words", async () => {
  // One frame a second, no burst: a payment on top of the join's round is too much.
  const server = await serverWith({ flags: ["--relay-rate", "1/1"] });
  const alice = await someone(fresh("relay-rate"));
  await pay(alice, repeatedKey(0xab), 1, "first");
  await pay(alice, repeatedKey(0xab), 2, "second");
  await relaySays(alice, `The relay closed the link: this page sent too much at once. Retrying — ${KEPT}.`);
  await shot(alice, "rate-limited");
  assert.deepEqual(pageErrors(alice), [], "no console errors");
  await alice.context.close();
  await server.stopped();
});

test("on a server without a relay the page says there is none", async () => {
  const server = await serverWith({ relay: false });
  const alice = await someone(fresh("no-relay"));
  await relaySays(alice, `No relay on this server: ${KEPT}.`);
  await sees(alice, "#online", "online, alone");
  await tab(alice, "networks");
  await sees(alice, "#relay-about", "This server runs no relay");
  await shot(alice, "none");
  assert.deepEqual(pageErrors(alice), [], "no console errors");
  await alice.context.close();
  await server.stopped();
});
