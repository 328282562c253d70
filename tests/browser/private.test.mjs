// Private networks through the page (issue #13), in real Chromium with the
// real signalling server: a network made through the page's UI, joined by
// its invite link, and a stranger who sits in the same signalling room (she
// knows the room: it is all the server sees) and in the open network of the
// same name — she gets no link and nothing of theirs, and nothing of hers
// reaches them. The same probe in an open network does find what was said,
// so it can fail. A member's event whose body cannot be read is reported
// by its author's name and counts for nothing.
//
// Runs the test build of the page (`webpack --env test`, built here into
// target/dist-private/), which is dist/ plus `window.node`: the test reads
// the stores and the nodes behind the page; the people act by clicks and
// typing. Screenshots of the new-network flow and the invite (1280 and 390
// px wide) go to $SCREENSHOTS, else target/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import decodeQR from "qr/decode.js";
import { root, launch, watch, signallingServer, testSite, eventsInBlocks } from "./support.mjs";
import { WAIT, fresh, usersOf } from "./people.mjs";

let server, browser;
/** What the helpers of people.mjs use: filled in by `before`. */
const served = {};
const { person, linked, personAt, opened, sees, knows, tab, pay, closeAll } = usersOf(served);
const shots = process.env.SCREENSHOTS ?? path.join(root, "target", "screenshots");

before(async () => {
  fs.mkdirSync(shots, { recursive: true });
  server = await signallingServer(await testSite("dist-private"));
  browser = await launch();
  Object.assign(served, { url: server.url, browser });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

// ---------------------------------------------------------------- helpers

/**
 * Run first in a stranger's pages: records the signalling messages the
 * page sends and receives (`window.__signalling`), to show which room she
 * joined and whom the server introduced her to.
 */
function recordSignalling() {
  const log = (window.__signalling = { sent: [], received: [] });
  const json = (text) => {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  };
  const Native = window.WebSocket;
  // The signalling socket only: the page's relay link is a WebSocket too.
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.signalling = String(args[0]).endsWith("/signal");
      if (this.signalling) this.addEventListener("message", (event) => log.received.push(json(event.data)));
    }
    send(data) {
      if (this.signalling) log.sent.push(json(data));
      return super.send(data);
    }
  };
}

/** What `selector` shows on `p`'s page, its white space as a reader sees it. */
const shown = (p, selector) =>
  p.page.evaluate((s) => document.querySelector(s).textContent.replace(/\s+/g, " ").trim(), selector);

/** The network `p`'s node is for (its NetworkInfo), from the test hook. */
const networkOf = (p) => p.page.evaluate(() => window.node.network);

/** Alice makes a private network named `name` through the page: the Networks panel, then "Create". */
async function createNetwork(p, name, screenshot) {
  await p.page.click("#network-button");
  await p.page.waitForSelector("#new-network", { state: "visible" });
  await p.page.fill("#new-network input[name=name]", name);
  if (screenshot) await screenshot("new-network");
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#new-network button")]);
  await opened(p, null);
}

/** The QR code on `p`'s page, drawn on a canvas and read back by the `qr` package's decoder. */
async function qrText(p) {
  const image = await p.page.evaluate(async () => {
    const svg = document.querySelector("svg.qr").cloneNode(true);
    const size = 8 * svg.viewBox.baseVal.width; // 8 pixels a module
    svg.setAttribute("width", size);
    svg.setAttribute("height", size);
    const blob = new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" });
    const picture = new Image();
    picture.src = URL.createObjectURL(blob);
    await picture.decode();
    const canvas = Object.assign(document.createElement("canvas"), { width: size, height: size });
    const context = canvas.getContext("2d");
    context.drawImage(picture, 0, 0);
    return { width: size, height: size, data: Array.from(context.getImageData(0, 0, size, size).data) };
  });
  return decodeQR({ ...image, data: Uint8Array.from(image.data) });
}

/** The bytes of every event `p`'s browser stored for the network `info` (IndexedDB, behind the page). */
async function storedEvents(p, info) {
  const database = info.kind === "private" ? `trustfold ${info.room}` : `trustfold-${info.name}`;
  return eventsInBlocks(await p.page.evaluate(async (name) => {
    const db = await new Promise((ok, fail) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    const blocks = await new Promise((ok, fail) => {
      const all = db.transaction("blocks").objectStore("blocks").getAll();
      all.onsuccess = () => ok(all.result);
      all.onerror = () => fail(all.error);
    });
    db.close();
    return blocks.map((block) => Array.from(block));
  }, database));
}

/**
 * Everything `p`'s browser keeps in IndexedDB (every database, store, key
 * and value) and localStorage, as one byte string: bytes as they are,
 * strings as UTF-8, anything else as JSON.
 */
async function everythingStored(p) {
  const parts = await p.page.evaluate(async () => {
    const done = (request) =>
      new Promise((ok, fail) => {
        request.onsuccess = () => ok(request.result);
        request.onerror = () => fail(request.error);
      });
    const text = new TextEncoder();
    const bytes = (value) => {
      if (value instanceof ArrayBuffer) return Array.from(new Uint8Array(value));
      if (ArrayBuffer.isView(value)) return Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      if (typeof value === "string") return Array.from(text.encode(value));
      if (Array.isArray(value)) return value.flatMap(bytes);
      if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [...bytes(k), ...bytes(v)]);
      return Array.from(text.encode(JSON.stringify(value) ?? ""));
    };
    const out = [];
    for (const { name } of await indexedDB.databases()) {
      const db = await done(indexedDB.open(name));
      for (const store of db.objectStoreNames) {
        const space = db.transaction(store).objectStore(store);
        const [keys, values] = [await done(space.getAllKeys()), await done(space.getAll())];
        out.push(bytes(name), bytes(keys), bytes(values));
      }
      db.close();
    }
    for (let i = 0; i < localStorage.length; i++) {
      out.push(bytes(localStorage.key(i)), bytes(localStorage.getItem(localStorage.key(i))));
    }
    return out.flat();
  });
  return Buffer.from(parts);
}

/** The author of a sealed event (format 3: the version byte, then the author's 32 bytes). */
const authorOf = (event) => Buffer.from(event.slice(1, 33)).toString("hex");

/** Ed25519 signature of `message` with the 32-byte `seed` (a stored identity). */
function sign(seed, message) {
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seed)]);
  return crypto.sign(null, Buffer.from(message), crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }));
}

// ---------------------------------------------------------------- tests

test("a private network made through the page and joined by its link: a stranger in its room and in the open network of its name gets nothing", async () => {
  const name = `Our coop ${Math.random().toString(36).slice(2, 7)}`;
  const memo = `rent-${crypto.randomBytes(6).toString("hex")}`;
  const screenshot = async (what) => {
    for (const width of [1280, 390]) {
      await alice.page.setViewportSize({ width, height: 900 });
      await alice.page.screenshot({ path: path.join(shots, `${what}-${width}.png`), fullPage: true });
    }
    await alice.page.setViewportSize({ width: 1100, height: 900 });
  };

  // Alice, on an open network, makes a private one: the page goes to its link.
  const alice = await person(fresh("before"));
  await sees(alice, "#network", "Open network");
  await sees(alice, "#network", "anyone who knows this name can read it");
  await createNetwork(alice, name, screenshot);
  const info = await networkOf(alice);
  assert.equal(info.kind, "private");
  assert.equal(info.name, name);
  assert.match(info.room, /^[0-9a-f]{64}$/);
  assert.match(info.check, /^[0-9a-f]{8}$/);
  const link = `${server.url}/#invite=${info.invite}&check=${info.check}&name=${encodeURIComponent(name)}`;
  assert.equal(alice.page.url(), link, "the page went to the invite link");
  await sees(alice, "#network", "Private network");
  await sees(alice, "#network", `“${name}”`);

  // Its maker is shown the invite: the link, a QR code of it, the warning.
  assert.equal(await alice.page.getAttribute("#tab-networks", "aria-selected"), "true");
  assert.equal(await alice.page.inputValue("#invite-link"), link);
  assert.match(await shown(alice, "#invite-warning"), /^Whoever has this link can read everything in this network and join it/);
  assert.equal(await qrText(alice), link, "the QR code reads as the link");
  await alice.page.click("#welcome-later");
  await screenshot("invite");
  await alice.page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await alice.page.click("#copy-invite");
  await sees(alice, "#copy-status", "The link is copied.");
  assert.equal(await alice.page.evaluate(() => navigator.clipboard.readText()), link);
  await alice.page.fill("#my-name", "Alice");
  await alice.page.press("#my-name", "Tab");
  alice.name = "Alice";

  // Bob opens the link.
  const bob = await personAt(link.split("#")[1], "Bob");
  assert.deepEqual(await networkOf(bob), info);
  // His welcome said where he is (a newcomer's session: nothing did).
  await sees(bob, "#welcome-start", `You are in “${name}”, a private network: only people with its invite can read it or join.`);
  for (const p of [alice, bob]) await sees(p, "#status", "1 peer linked");
  await knows(alice, bob);
  await knows(bob, alice);

  // They pay each other and edit a record's text together.
  await pay(alice, "Bob", 7, memo);
  await sees(bob, "#transactions", memo);
  await pay(bob, "Alice", 2, "thanks");
  await sees(alice, "#transactions", "thanks");
  await tab(alice, "records");
  await alice.page.fill("#record-form input[name=id]", "plan");
  await alice.page.click("#record-form button");
  await alice.page.fill("#field-form input[name=field]", "body");
  await alice.page.fill("#field-form input[name=value]", "Meet on Saturday");
  await alice.page.click("#field-form button");
  const area = "textarea[data-record=plan][data-field=body]";
  await tab(bob, "records");
  await bob.page.waitForSelector(area, WAIT);
  await bob.page.click(area);
  await bob.page.press(area, "End");
  await bob.page.keyboard.type(", bring tea", { delay: 10 });
  for (const p of [alice, bob]) {
    await p.page.waitForFunction((a) => document.querySelector(a)?.value === "Meet on Saturday, bring tea", area, WAIT);
  }
  const known = await alice.page.evaluate(() => window.node.syncStatus().known);
  await bob.page.waitForFunction((n) => window.node.syncStatus().known === n, known, WAIT);

  // Mallory knows the room (all the server sees): she opens the open
  // network whose name is the room, so her page joins the same room.
  const mallory = await personAt(`net=${info.room}`, "Mallory", { init: recordSignalling });
  const malloryOpen = await networkOf(mallory);
  assert.deepEqual([malloryOpen.kind, malloryOpen.room], ["open", info.room]);
  await sees(mallory, "#network", "Open network");
  await pay(mallory, "cd".repeat(32), 3, "mallory was here");
  // The server introduced her to both members…
  await mallory.page.waitForFunction(
    () => {
      const heard = new Set();
      for (const m of window.__signalling.received) {
        if (m?.type === "joined") m.peers.forEach((id) => heard.add(id));
        if (m?.type === "peer-joined") heard.add(m.id);
      }
      return heard.size >= 2;
    },
    null,
    WAIT,
  );
  const joined = await mallory.page.evaluate(() => window.__signalling.sent.filter((m) => m?.type === "join"));
  assert.deepEqual(joined.map((m) => m.room), [info.room], "her page joined their room");
  // …and still, for 8 s, she gets no link and they link only to each other.
  for (let i = 0; i < 8; i++) {
    await mallory.page.waitForTimeout(1000);
    assert.deepEqual(await mallory.page.evaluate(() => window.node.peers().length), 0, "Mallory linked to nobody");
    assert.deepEqual(await alice.page.evaluate(() => window.node.peers().map((p) => p.key)), [bob.key]);
    assert.deepEqual(await bob.page.evaluate(() => window.node.peers().map((p) => p.key)), [alice.key]);
  }
  await sees(mallory, "#status", "0 peers linked");
  assert.doesNotMatch(await mallory.page.textContent("body"), new RegExp(memo));
  const firstMallory = mallory.key;

  // She also opens the open network of its display name: nothing there either.
  await Promise.all([
    mallory.page.waitForEvent("load"),
    mallory.page.evaluate((n) => (location.hash = `net=${encodeURIComponent(n)}`), name),
  ]);
  await opened(mallory, "Mallory");
  assert.deepEqual(await networkOf(mallory), { kind: "open", name, room: name, invite: null, check: null });
  await sees(mallory, "#network", "anyone who knows this name can read it");
  await pay(mallory, "cd".repeat(32), 4, "mallory again");
  await mallory.page.waitForTimeout(3000);
  assert.equal(await mallory.page.evaluate(() => window.node.peers().length), 0);
  assert.doesNotMatch(await mallory.page.textContent("body"), new RegExp(memo));

  // Nothing of hers reached Alice's or Bob's store: every event is sealed,
  // by Alice or Bob, and as many as before she came.
  const strangers = [firstMallory, mallory.key];
  for (const p of [alice, bob]) {
    const events = await storedEvents(p, info);
    assert.equal(events.length, known, `${p.name} stored only their events`);
    assert.equal(await p.page.evaluate(() => window.node.syncStatus().known), known);
    assert.deepEqual(new Set(events.map((e) => e[0])), new Set([3]), "every event sealed (format 3)");
    assert.deepEqual(new Set(events.map(authorOf)), new Set([alice.key, bob.key]));
    const everything = await everythingStored(p);
    for (const key of strangers) {
      assert.equal(everything.indexOf(Buffer.from(key, "hex")), -1, `${p.name} holds nothing of Mallory's`);
    }
    const accounts = await p.page.evaluate(() => window.node.balances().map((b) => b.account));
    assert.deepEqual(accounts.filter((a) => strangers.includes(a)), []);
  }
  // And nothing of theirs is in Mallory's browser.
  const hers = await everythingStored(mallory);
  assert.ok(hers.includes(Buffer.from("mallory again")), "the scan reads what Mallory stored");
  assert.equal(hers.indexOf(Buffer.from(memo)), -1, "the memo is nowhere in Mallory's browser");
  for (const key of [alice.key, bob.key]) assert.equal(hers.indexOf(Buffer.from(key, "hex")), -1);
  await closeAll(alice, bob, mallory);
});

test("the same probe on an open network finds the memo: Mallory, opening its name, reads and stores it", async () => {
  const network = fresh("open-probe");
  const memo = `rent-${crypto.randomBytes(6).toString("hex")}`;
  const [alice, bob] = await linked(network, "Alice", "Bob");
  await pay(alice, "Bob", 7, memo);
  await sees(bob, "#transactions", memo);

  const mallory = await person(network, "Mallory");
  await sees(mallory, "#network", "Open network");
  await sees(mallory, "#transactions", memo);
  assert.ok((await mallory.page.evaluate(() => window.node.peers().length)) >= 1, "Mallory linked");
  const hers = await everythingStored(mallory);
  assert.notEqual(hers.indexOf(Buffer.from(memo)), -1, "the memo is in Mallory's browser");
  await closeAll(alice, bob, mallory);
});

test("a member's event whose body cannot be read is reported by its author's name and counts for nothing", async () => {
  const alice = await person(fresh("void"));
  await createNetwork(alice, `Void ${Math.random().toString(36).slice(2, 7)}`);
  await alice.page.fill("#my-name", "Alice");
  await alice.page.press("#my-name", "Tab");
  alice.name = "Alice";
  const info = await networkOf(alice);
  const fragment = (await alice.page.inputValue("#invite-link")).split("#")[1];
  const eve = await personAt(fragment, "Eve");
  await knows(alice, eve);

  // Eve, working offline, pays Alice: the event stays in her browser.
  await tab(eve, "peers");
  await eve.page.click("#work-offline");
  await sees(eve, "#online", "working offline");
  await pay(eve, "Alice", 5, "from Eve");
  const events = await storedEvents(eve, info);
  // Her last event (the highest seq: one byte after the author while below 128).
  const payment = events.filter((e) => authorOf(e) === eve.key).sort((a, b) => b[33] - a[33])[0];
  assert.ok(payment, "Eve's payment is stored");
  // Her device then garbles the sealed body (its last byte) and signs it
  // again with her key: a valid event of hers, admitted, that nobody can read.
  const seed = await eve.page.evaluate(async (name) => {
    const db = await new Promise((ok) => (indexedDB.open(name).onsuccess = (e) => ok(e.target.result)));
    const meta = db.transaction("meta").objectStore("meta");
    const seed = await new Promise((ok) => (meta.get("identity").onsuccess = (e) => ok(e.target.result)));
    db.close();
    return Array.from(seed);
  }, `trustfold ${info.room}`);
  const content = payment.slice(0, -64);
  const signature = Buffer.from(payment.slice(-64)).toString("hex");
  assert.equal(sign(seed, content).toString("hex"), signature, "the stored identity signed it");
  content[content.length - 1] ^= 0x01;
  const garbled = [...content, ...sign(seed, content)];
  await eve.context.close();

  const report = await alice.page.evaluate(async (e) => {
    const { stored, refused } = await window.node.receive([new Uint8Array(e)]);
    return { stored, refused: refused.length };
  }, garbled);
  assert.deepEqual(report, { stored: 1, refused: 0 }, "kept, as a void event");
  assert.deepEqual(await alice.page.evaluate(() => window.node.voidEvents().map((v) => v.reason)), ["undecryptable_body"]);
  await tab(alice, "trust");
  await sees(alice, "#void-notice", "1 change by Eve could not be read; it counts for nothing.");
  const notice = await alice.page.textContent("#void-notice");
  assert.doesNotMatch(notice, /[0-9a-f]{8}/, "no event id, no key");
  await alice.page.click("#welcome-later");
  await alice.page.screenshot({ path: path.join(shots, "void-notice-1280.png") });
  await tab(alice, "ledger");
  assert.doesNotMatch(await alice.page.textContent("#transactions"), /from Eve/);
  assert.doesNotMatch(await alice.page.textContent("#my-balances"), /5\.00 EUR/);
  await closeAll(alice);
});

test("a private network opened once is listed on every network's page in that browser, and opens from there", async () => {
  const main = fresh("known");
  const p = await person(main, "Kim");
  await createNetwork(p, "Our coop");
  // A new network is a new account, nameless: the name given before is offered.
  assert.equal(await p.page.inputValue("#my-name"), "");
  await p.page.click("#name-suggest:has-text('Call me “Kim” here too')");
  await p.page.waitForFunction(() => document.querySelector("#my-name").value === "Kim");
  assert.equal(await p.page.isHidden("#name-suggest"), true, "offered only while nameless");
  await pay(p, "ab".repeat(32), 5, "seeds");
  // Back in the open network, with no link kept.
  await Promise.all([p.page.waitForEvent("load"), p.page.evaluate((net) => (location.hash = `net=${net}`), main)]);
  await opened(p, null);
  await tab(p, "networks");
  await sees(p, "#known-networks", "Private network “Our coop”");
  await sees(p, "#known-networks", `Open network “${main}” (this one)`);
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#known-networks a:has-text('Our coop')")]);
  await opened(p, null);
  await sees(p, "#network", "Private network");
  await sees(p, "#transactions", "seeds");
  // The latest opened comes first.
  await tab(p, "networks");
  const listed = () =>
    p.page.$$eval("#known-networks li", (items) => items.map((li) => li.textContent.replace(/\s+/g, " ").trim()));
  assert.deepEqual(await listed(), ["Private network “Our coop” (this one)", `Open network “${main}” Forget`]);
  // Forgotten (a shared computer), it is listed no more, even after a reload.
  await p.page.click("#known-networks li:has-text('Open network') button.forget");
  assert.deepEqual(await listed(), ["Private network “Our coop” (this one)"]);
  await p.page.reload();
  await opened(p, null);
  await tab(p, "networks");
  await sees(p, "#known-networks", "(this one)");
  assert.deepEqual(await listed(), ["Private network “Our coop” (this one)"]);
  // Coming back by the site's address alone opens the network opened
  // last, with its link in the address (not an empty "main").
  const site = new URL(p.page.url());
  await p.page.goto(`${site.origin}${site.pathname}`);
  await opened(p, null);
  await sees(p, "#network", "Private network");
  await sees(p, "#transactions", "seeds");
  assert.match(new URL(p.page.url()).hash, /^#invite=/);
  // Its name typed to open it asks first: a name opens an open network,
  // which anyone can read; the private one is offered, and a second press
  // opens the open one all the same.
  await tab(p, "networks");
  await p.page.fill("#open-link input[name=link]", "our coop");
  await p.page.click("#open-link button");
  await sees(p, "#open-link-note", "You have a private network called “Our coop”");
  assert.match(new URL(p.page.url()).hash, /^#invite=/, "not opened yet");
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#open-link button")]);
  await opened(p, null);
  await sees(p, "#network", "Open network");
  assert.deepEqual(p.errors, []);
  await closeAll(p);
});

test("a damaged invite link is said in words, and the page still makes a new network", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors = watch(page);
  const p = { context, page, errors, name: "Kim" };
  await page.goto(`${server.url}/#invite=zz&name=Coop`);
  await sees(p, "#status", "Could not open this network. This invite link is damaged");
  // What cannot work without a node is not shown; a whole link can be pasted.
  for (const part of [".who", "#this-network", "#relay-section", "#known-section"]) {
    assert.equal(await p.page.isVisible(part), false, part);
  }
  await sees(p, "#status", "Paste the whole link under “Open a link” below");
  // Only what works without a node is offered: the Networks panel.
  await p.page.waitForSelector("#networks:not([hidden])");
  assert.equal(await p.page.isVisible("#pay"), false, "no Pay form on a network that did not open");
  assert.equal(await p.page.isVisible("#tab-ledger"), false);
  await Promise.all([p.page.waitForEvent("load"), page.evaluate(() => (location.hash = "net="))]);
  await sees(p, "#status", "Could not open this network. The link names no network.");
  await Promise.all([
    page.waitForEvent("load"),
    page.evaluate((hex) => (location.hash = `invite=${hex}&name=`), "ab".repeat(32)),
  ]);
  await sees(p, "#status", "Could not open this network. The invite link is cut short");
  await tab(p, "networks");
  // A name short in letters but long in bytes is said as such.
  await p.page.fill("#new-network input[name=name]", "🌱".repeat(20));
  await p.page.click("#new-network button");
  await sees(p, "#network-error", "That name is too long: 80 bytes, 64 at most");
  await p.page.fill("#new-network input[name=name]", "Fresh start");
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#new-network button")]);
  await opened(p, null);
  await sees(p, "#network", "Private network");
  assert.equal(await p.page.inputValue("#invite-link"), p.page.url());
  // The link carries a check: a character changed in its secret or in its
  // name is said, not opened as another (empty) network or under a name
  // its maker did not give.
  const fragment = new URLSearchParams(new URL(p.page.url()).hash.slice(1));
  const [secret, check] = [fragment.get("invite"), fragment.get("check")];
  assert.match(check ?? "", /^[0-9a-f]{8}$/);
  const typo = (secret[0] === "a" ? "b" : "a") + secret.slice(1);
  for (const changed of [`invite=${typo}&check=${check}&name=Fresh%20start`, `invite=${secret}&check=${check}&name=Fresh%20star`]) {
    await Promise.all([p.page.waitForEvent("load"), page.evaluate((h) => (location.hash = h), changed)]);
    await sees(p, "#status", "Could not open this network. This invite link is damaged");
  }
  // Pasted at the end of a sentence: the check says which name it was,
  // and the address is put right.
  await Promise.all([p.page.waitForEvent("load"), page.evaluate((h) => (location.hash = h), `invite=${secret}&check=${check}&name=Fresh%20start).`)]);
  await opened(p, null);
  await sees(p, "#network", "“Fresh start”");
  assert.equal(new URL(p.page.url()).hash, `#invite=${secret}&check=${check}&name=Fresh%20start`);
  assert.equal(await p.page.isVisible("#old-link"), false);
  // A link made before links had checks still opens the network; an empty
  // one is said maybe to come from a mistyped link.
  await Promise.all([p.page.waitForEvent("load"), page.evaluate((h) => (location.hash = h), `invite=${secret}&name=Fresh%20start`)]);
  await opened(p, null);
  await sees(p, "#network", "Private network");
  await sees(p, "#network", "Fresh start");
  await sees(p, "#old-link", "This invite link is of an older kind");
  // A damaged link again: the networks opened before are listed to go back to.
  await Promise.all([p.page.waitForEvent("load"), page.evaluate(() => (location.hash = "invite=zz&name=Coop"))]);
  await sees(p, "#status", "Could not open this network");
  await sees(p, "#known-networks", "Fresh start");
  // The whole link pasted under "Open a link" opens it.
  await p.page.fill("#open-link input[name=link]", `${server.url}/#invite=${secret}&check=${check}&name=Fresh%20start`);
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#open-link button")]);
  await opened(p, null);
  await sees(p, "#network", "“Fresh start”");
  await closeAll(p);
});

test("a private network's backup, restored in a new browser on another network, rejoins that network as the same person", async () => {
  const name = `Backup coop ${Math.random().toString(36).slice(2, 7)}`;
  const memo = `moved-${crypto.randomBytes(4).toString("hex")}`;
  const first = await person(fresh("before-backup"));
  await createNetwork(first, name);
  const info = await networkOf(first);
  await first.page.fill("#backup input[name=passphrase]", "correct horse battery");
  await first.page.fill("#backup input[name=again]", "correct horse battery");
  const [download] = await Promise.all([first.page.waitForEvent("download"), first.page.click("#backup button")]);
  const file = await download.path();
  await first.page.waitForSelector("#welcome", { state: "hidden" });
  await pay(first, "ab".repeat(32), 7, memo);

  // A new browser, opened on some open network, restores the file: it
  // lands in the private network as the same key and catches up from the
  // first browser (still open).
  const second = await person(fresh("elsewhere"));
  assert.notEqual(second.key, first.key, "a new browser starts with a new identity");
  await second.page.setInputFiles("#restore input[name=file]", file);
  await second.page.fill("#restore input[name=passphrase]", "correct horse battery");
  await second.page.click("#restore button");
  await second.page.waitForFunction((key) => document.querySelector("#me").textContent === key, first.key, WAIT);
  assert.deepEqual(await networkOf(second), info, "the backup's network, by its invite");
  await sees(second, "#network", "Private network");
  await sees(second, "#transactions", memo);
  await closeAll(first, second);
});
