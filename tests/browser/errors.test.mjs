// Every JS error path carries a documented code.
//
// README lists every code an Error thrown by the package can carry (the
// table after `<!-- error-codes: … -->`). Here each code has a provoker: a
// script run in a real page (Debian's chromium) that makes the package throw
// that code — or, for events `receive` refuses, report it in
// `refused[i].code` — and asserts the code exactly: a provoker that throws
// anything else (an Error without a code, another code, a non-Error) or
// nothing fails. A code README lists must be provoked here or named in
// NOT_PROVOKED with the reason; a code provoked here must be in README.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { root, packageInPage, repeatedKey, eventsInBlocks } from "./support.mjs";

/** The codes README documents, in its order: `{ codes, problem }`. */
function documentedCodes() {
  const lines = fs.readFileSync(path.join(root, "README.md"), "utf8").split("\n");
  const start = lines.findIndex((l) => /^<!--\s*error-codes:.*-->\s*$/.test(l));
  if (start < 0) return { codes: [], problem: "README.md has no `<!-- error-codes: … -->` comment" };
  const table = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") break;
    table.push(line.trim());
  }
  const header = /^\|\s*code\s*\|\s*when\s*\|$/.test(table[0] ?? "");
  if (!header || !/^\|\s*-+\s*\|\s*-+\s*\|$/.test(table[1] ?? "")) {
    const start = table.slice(0, 2).join(" / ");
    return { codes: [], problem: `the error-codes table does not start with | code | when | and |---|---|: ${start}` };
  }
  const codes = [];
  for (const row of table.slice(2)) {
    const m = row.match(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*(.*\S)\s*\|$/);
    if (!m) return { codes: [], problem: `an error-codes row is not | \`CODE\` | when |: ${row}` };
    if (codes.includes(m[1])) return { codes: [], problem: `README lists ${m[1]} twice` };
    codes.push(m[1]);
  }
  if (codes.length === 0) return { codes, problem: "the error-codes table in README.md is empty" };
  return { codes, problem: null };
}

const README = documentedCodes();

/**
 * Codes README documents that no browser test can provoke, and why. Each
 * reason was checked against the Rust (paths as of this test's writing).
 */
const NOT_PROVOKED = {
  NOT_OWNER:
    "a node signs only as its own identity: open refuses a store whose identity is not the " +
    "owner of its policy (DAMAGED_STORE, provoked above), so no JS call reaches the core's " +
    "NotOwner (edits by another identity); the native suite provokes it (tests/documents.rs).",
  PENDING_FULL:
    "never reaches JS: events with missing parents from receive() or a peer wait as orphans " +
    "(src/node/ingest.rs admit → sync::Orphans, bounded by eviction: room_refused, not an error) " +
    "and reach the log only once their parents are known; the log's own pending buffer " +
    "(src/log.rs PendingFull, 10,000 events / 64 MiB) is filled only by loading stored events at " +
    "open (errors become openReport.skipped strings) or by another tab's announcement " +
    "(runtime.rs heard(): errors ignored). The native suite provokes it on the log " +
    "(tests/validation/insertion.rs).",
};

/**
 * Provokers that found a bug in the package: they run, and their failure is
 * reported as a TODO instead of failing the suite. Remove an entry once the
 * bug is fixed (a provoker listed here that passes is reported too).
 */
const KNOWN_BUGS = {};

// ---------------------------------------------------------------------------
// The browser.

let server, browser, close;

before(async () => {
  ({ server, browser, close } = await packageInPage());
});

after(() => close?.());

const network = () => `codes-${Math.random().toString(36).slice(2)}`;
const key = repeatedKey;

/**
 * Helpers every page gets before its own scripts run: `__outcome(fn)` runs
 * `fn` and says what it threw, exactly; `__idb` reads and writes this
 * origin's IndexedDB behind the package's back.
 */
function pageHelpers() {
  window.__outcome = async (fn) => {
    try {
      const value = await fn();
      return { threw: false, value: String(value) };
    } catch (e) {
      return {
        threw: true,
        isError: e instanceof Error,
        hasCode: e !== null && typeof e === "object" && "code" in e,
        code: e?.code ?? null,
        detail: e?.detail ?? null,
        name: e?.name ?? typeof e,
        message: String(e?.message ?? e),
      };
    }
  };
  const done = (request) =>
    new Promise((ok, fail) => {
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
  window.__idb = {
    open: (name, version) => {
      const request = version === undefined ? indexedDB.open(name) : indexedDB.open(name, version);
      return done(request);
    },
    /** Runs `fn(objectStore)` in a read-write transaction; resolves once committed. */
    async write(name, space, fn) {
      const db = await window.__idb.open(name);
      const tx = db.transaction(space, "readwrite");
      fn(tx.objectStore(space));
      await new Promise((ok, fail) => {
        tx.oncomplete = ok;
        tx.onerror = () => fail(tx.error);
        tx.onabort = () => fail(tx.error);
      });
      db.close();
    },
    async getAll(name, space) {
      const db = await window.__idb.open(name);
      const values = await done(db.transaction(space).objectStore(space).getAll());
      db.close();
      return values;
    },
    async get(name, space, key) {
      const db = await window.__idb.open(name);
      const value = await done(db.transaction(space).objectStore(space).get(key));
      db.close();
      return value;
    },
  };
}

/** A page of a fresh context (its own IndexedDB, locks and tabs) with the package loaded. */
async function freshPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const uncaught = [];
  page.on("pageerror", (e) => uncaught.push(e));
  await page.addInitScript(pageHelpers);
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.title === "ready");
  return { context, page, uncaught };
}

/** Opens the node of `net` in `page` as `window[name]`; its public key. */
function open(page, net, name = "node") {
  return page.evaluate(async ([net, name]) => {
    window[name] = await window.trustfold.TrustfoldNode.open(net);
    return window[name].publicKey;
  }, [net, name]);
}

/** The stored bytes of every event of `net`'s database, as plain arrays. */
function storedEvents(page, net) {
  return storedIn(page, `trustfold-${net}`);
}

/** The stored bytes of every event of the IndexedDB database `name`, as plain arrays. */
async function storedIn(page, name) {
  const blocks = await page.evaluate(
    async (name) => (await __idb.getAll(name, "blocks")).map((b) => Array.from(b)), name);
  return eventsInBlocks(blocks);
}

/**
 * A new private network opened in `page` as `window[name]`: its
 * NetworkInfo (the invite made by `createInvite`), kept as `window[name +
 * "Info"]`.
 */
function openPrivate(page, name) {
  return page.evaluate(async (name) => {
    const { TrustfoldNode } = window.trustfold;
    const info = TrustfoldNode.createInvite(`network ${name}`);
    window[`${name}Info`] = info;
    window[name] = await TrustfoldNode.open({ invite: info.invite, name: info.name });
    return info;
  }, name);
}

// ---------------------------------------------------------------------------
// Asserting codes. `seen` records each code asserted, so a provoker that
// never asserts its own code fails.

/**
 * Runs `script(arg)` in the page (a function; it may use the page's
 * globals: `node`, `trustfold`, `__idb`) and asserts it throws an Error
 * whose `code` is exactly `code`.
 */
async function throws(t, code, what, script, arg) {
  const outcome = await t.page.evaluate(
    ([source, arg]) => window.__outcome(() => (0, eval)(`(${source})`)(arg)),
    [script.toString(), arg],
  );
  const { threw, isError, hasCode, name, message, detail } = outcome;
  const expected = `${what}: expected code ${code}`;
  assert.ok(threw, `${expected}, but nothing was thrown (resolved to ${outcome.value})`);
  assert.ok(isError, `${expected}, but a non-Error was thrown: ${name}: ${message}`);
  assert.ok(hasCode, `${expected}, but the Error has no code (${name}: ${message})`);
  assert.equal(outcome.code, code, `${expected}, got ${outcome.code} (${message})`);
  t.seen.push(code);
  t.notes.push(`${what}: ${code} (${message}${detail ? `; detail ${detail}` : ""})`);
  return outcome;
}

/**
 * `node.receive(events)` (byte arrays) must resolve, store nothing and
 * refuse exactly the one event, with `code`.
 */
async function refuses(t, code, what, events) {
  const outcome = await t.page.evaluate(
    (events) =>
      window.__outcome(async () =>
        JSON.stringify(await node.receive(events.map((e) => new Uint8Array(e)))),
      ),
    events,
  );
  const expected = `${what}: expected a refusal with code ${code}`;
  assert.ok(!outcome.threw, `${expected}, but receive threw ${outcome.code}: ${outcome.message}`);
  const { stored, applied, refused } = JSON.parse(outcome.value);
  assert.deepEqual({ stored, applied }, { stored: 0, applied: 0 }, `${expected}, but it was taken in`);
  assert.equal(refused.length, 1, `${expected}, got ${JSON.stringify(refused)}`);
  const [{ index, message, detail }] = refused;
  assert.equal(index, 0);
  assert.equal(refused[0].code, code, `${expected}, got ${refused[0].code} (${message})`);
  t.seen.push(code);
  t.notes.push(`${what}: refused, ${code} (${message}${detail ? `; detail ${detail}` : ""})`);
}

/** Ed25519 signature of `message` with the 32-byte `seed` (the stored identity). */
function sign(seed, message) {
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(seed)]);
  const secret = crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const publicKey = crypto.createPublicKey(secret).export({ format: "der", type: "spki" }).subarray(-32);
  return { signature: crypto.sign(null, Buffer.from(message), secret), publicKey: publicKey.toString("hex") };
}

/** Index of `needle` in `haystack` (byte arrays), asserting it occurs exactly once. */
function onlyIndexOf(haystack, needle, what) {
  const hay = Buffer.from(haystack);
  const at = hay.indexOf(Buffer.from(needle));
  assert.ok(at >= 0, `${what} not found`);
  assert.equal(hay.indexOf(Buffer.from(needle), at + 1), -1, `${what} occurs twice`);
  return at;
}

// ---------------------------------------------------------------------------
// The provokers, one per code (a few codes have several paths). Each gets
// `t = { page, context, seen, notes }`, a fresh context of its own.

const PROVOKERS = {
  async INVALID_ARGUMENT(t) {
    await open(t.page, network());
    await throws(t, "INVALID_ARGUMENT", "pay to a key that is not 64 hex digits",
      () => node.pay("not a key", 1n, "EUR"));
    await throws(t, "INVALID_ARGUMENT", "pay a negative amount",
      (to) => node.pay(to, -1n, "EUR"), key(2));
    // README's UNKNOWN_EVENT row names reversals, but payBack checks the
    // payment first (Replica::reversal_of → ReversalError::UnknownPayment),
    // which crates/web/src/errors.rs maps to INVALID_ARGUMENT, the row
    // "a payment that cannot be paid back".
    await throws(t, "INVALID_ARGUMENT", "payBack of a payment this node does not have",
      (id) => node.payBack(id), "cd".repeat(32));
  },

  async MALFORMED_EVENT(t) {
    await open(t.page, network());
    await refuses(t, "MALFORMED_EVENT", "junk bytes", [Array.from({ length: 120 }, (_, i) => (i * 37) & 0xff)]);
    await refuses(t, "MALFORMED_EVENT", "three bytes", [[1, 2, 3]]);
  },

  async BAD_SIGNATURE(t) {
    // A valid event of another node (another network in this browser), read
    // from its database, with one byte of its signature (the last 64) flipped.
    const other = network();
    await open(t.page, other, "other");
    await t.page.evaluate((to) => other.pay(to, 5n, "EUR", "for bad signature"), key(4));
    const [event] = await storedEvents(t.page, other);
    assert.ok(event, "the other node stored its payment");
    await open(t.page, network());
    const forged = [...event];
    forged[forged.length - 64] ^= 0x01;
    await refuses(t, "BAD_SIGNATURE", "a payment with one signature byte flipped", [forged]);
    // The same event unaltered is taken in: it was the flipped byte.
    const intact = await t.page.evaluate(async (e) => {
      const r = await node.receive([new Uint8Array(e)]);
      return { stored: r.stored, refused: r.refused.length };
    }, event);
    assert.deepEqual(intact, { stored: 1, refused: 0 });
  },

  async INVALID_EVENT(t) {
    const me = await open(t.page, network());
    await throws(t, "INVALID_EVENT", "pay oneself", (to) => node.pay(to, 1n, "EUR"), me);
    await throws(t, "INVALID_EVENT", "pay zero", (to) => node.pay(to, 0n, "EUR"), key(2));

    // In a receive report: another node's payment re-signed by its own key
    // (read from its database) after its payee was changed to its author.
    const other = network();
    const author = await open(t.page, other, "other");
    await t.page.evaluate((to) => other.pay(to, 5n, "EUR", "for invalid event"), key(4));
    const [event] = await storedEvents(t.page, other);
    const seed = await t.page.evaluate(
      async (net) => Array.from(await __idb.get(`trustfold-${net}`, "meta", "identity")),
      other,
    );
    const content = event.slice(0, -64);
    assert.equal(sign(seed, content).signature.toString("hex"), Buffer.from(event.slice(-64)).toString("hex"),
      "the stored identity signed the stored event");
    const at = onlyIndexOf(content, Buffer.from(key(4), "hex"), "the payee's key");
    const selfPay = [...content];
    selfPay.splice(at, 32, ...Buffer.from(author, "hex"));
    const signed = sign(seed, selfPay);
    assert.equal(signed.publicKey, author);
    await refuses(t, "INVALID_EVENT", "a validly signed payment to its own author",
      [[...selfPay, ...signed.signature]]);
  },

  async UNKNOWN_EVENT(t) {
    await open(t.page, network());
    await throws(t, "UNKNOWN_EVENT", "exclude an event nobody has",
      (id) => node.exclude(id, "never seen"), "ab".repeat(32));
    await throws(t, "UNKNOWN_EVENT", "dispute an event nobody has",
      (id) => node.dispute(id, "never seen"), "ab".repeat(32));
    await throws(t, "UNKNOWN_EVENT", "retract a statement nobody has",
      (id) => node.retract(id), "ab".repeat(32));
  },

  async DOCUMENT_ERROR(t) {
    await open(t.page, network());
    await throws(t, "DOCUMENT_ERROR", "setField on a record that does not exist",
      () => node.setField("notes", "nothing here", "done", true));
    await throws(t, "DOCUMENT_ERROR", "deleteField of a record that does not exist",
      () => node.deleteField("notes", "nothing here", "done"));
  },

  async QUOTA_EXCEEDED(t) {
    // The origin's quota, lowered through the DevTools protocol to 1 byte
    // before anything is stored (Chromium applies an override only to an
    // origin whose IndexedDB was not used yet): the browser refuses the
    // first write, the new identity, when its transaction commits.
    const cdp = await t.context.newCDPSession(t.page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: server.url, quotaSize: 1 });
    await throws(t, "QUOTA_EXCEEDED", "open a new node with no room to store its identity",
      (net) => trustfold.TrustfoldNode.open(net), network());
  },

  async STORAGE_BLOCKED(t) {
    const net = network();
    await t.page.evaluate(async (net) => (await __idb.open(`trustfold-${net}`, 99)).close(), net);
    await throws(t, "STORAGE_BLOCKED", "open a database that exists in a newer version",
      (net) => trustfold.TrustfoldNode.open(net), net);
  },

  async STORAGE_CLOSED(t) {
    await open(t.page, network());
    await t.page.evaluate(() => node.close());
    await throws(t, "STORAGE_CLOSED", "pay after close()", (to) => node.pay(to, 1n, "EUR"), key(2));
    await throws(t, "STORAGE_CLOSED", "ban after close()", (who) => node.ban(who), key(9));
  },

  async STORAGE_FAILED(t) {
    // IndexedDB failing as a broken disk makes it fail: a write refused
    // with an UnknownError (what Chromium reports for I/O errors).
    await open(t.page, network());
    await t.page.evaluate(() => {
      IDBObjectStore.prototype.put = function () {
        throw new DOMException("simulated disk failure", "UnknownError");
      };
    });
    await throws(t, "STORAGE_FAILED", "pay while IndexedDB writes fail",
      (to) => node.pay(to, 1n, "EUR"), key(2));
  },

  async DAMAGED_STORE(t) {
    const net = network();
    await open(t.page, net);
    await t.page.evaluate(() => node.close());
    await t.page.evaluate(
      (net) => __idb.write(`trustfold-${net}`, "meta", (meta) => meta.put(new Uint8Array([1, 2, 3]), "identity")),
      net,
    );
    await throws(t, "DAMAGED_STORE", "open with a 3-byte stored identity",
      (net) => trustfold.TrustfoldNode.open(net), net);
    // A store whose identity record is gone but whose policy (naming its
    // owner) is not: refused, never opened as a new identity writing under
    // the owner's policy (restoring the owner's backup repairs it).
    const lost = network();
    await open(t.page, lost);
    const owner = await t.page.evaluate(async (who) => {
      await node.ban(who); // stores the policy
      window.ownersBackup = node.exportBackup("owner's passphrase");
      node.close();
      return node.publicKey;
    }, key(9));
    await t.page.evaluate((net) => __idb.write(`trustfold-${net}`, "meta", (meta) => meta.delete("identity")), lost);
    await throws(t, "DAMAGED_STORE", "open a store whose identity record is lost",
      (net) => trustfold.TrustfoldNode.open(net), lost);
    const restored = await t.page.evaluate(async (net) => {
      const node = await trustfold.TrustfoldNode.restore(net, ownersBackup, "owner's passphrase");
      return { key: node.publicKey, banned: node.policy().banned };
    }, lost);
    assert.deepEqual(restored, { key: owner, banned: [key(9)] }, "the owner's backup repairs it");
  },

  async OTHER_IDENTITY(t) {
    const [a, b] = [network(), network()];
    await open(t.page, a, "alice");
    await open(t.page, b, "bob");
    await t.page.evaluate(() => {
      window.backup = alice.exportBackup("correct horse battery");
      bob.close();
    });
    await throws(t, "OTHER_IDENTITY", "restore identity A into a network holding identity B",
      (net) => trustfold.TrustfoldNode.restore(net, backup, "correct horse battery"), b);
  },

  async WRONG_PASSPHRASE(t) {
    await open(t.page, network());
    await t.page.evaluate(() => (window.backup = node.exportBackup("correct horse battery")));
    await throws(t, "WRONG_PASSPHRASE", "restore with another passphrase",
      (net) => trustfold.TrustfoldNode.restore(net, backup, "wrong"), network());
    await throws(t, "WRONG_PASSPHRASE", "backupKey with another passphrase",
      () => trustfold.TrustfoldNode.backupKey(backup, "wrong"));
  },

  async BACKUP_OUT_OF_MEMORY(t) {
    // The package's wasm memory grown from JS to (nearly) the 4 GiB a
    // wasm32 memory can have, leaving less than the 19 MiB Argon2id needs.
    await open(t.page, network());
    const left = await t.page.evaluate(async () => {
      const { memory } = await (await import("/pkg/trustfold.js")).default(); // the instance loaded already
      const pages = () => memory.buffer.byteLength / 65536;
      try {
        memory.grow(65536 - 64 - pages()); // 4 MiB left, for everything but Argon2
      } catch {
        for (let step = 32768; step >= 1; step /= 2) {
          while (true) {
            try {
              memory.grow(step);
            } catch {
              break;
            }
          }
        }
      }
      return 65536 - pages();
    });
    assert.ok(left * 64 < 19 * 1024, `${left} pages of wasm memory left: Argon2id would fit`);
    await throws(t, "BACKUP_OUT_OF_MEMORY", "exportBackup without 19 MiB of memory left",
      () => node.exportBackup("correct horse battery"));
  },

  async MALFORMED_BACKUP(t) {
    await open(t.page, network());
    await t.page.evaluate(() => (window.backup = node.exportBackup("correct horse battery")));
    await throws(t, "MALFORMED_BACKUP", "restore bytes that are not a backup",
      (net) => trustfold.TrustfoldNode.restore(net, new TextEncoder().encode("not a backup"), "pw"), network());
    await throws(t, "MALFORMED_BACKUP", "restore a truncated backup",
      (net) => trustfold.TrustfoldNode.restore(net, backup.slice(0, backup.length - 1), "correct horse battery"),
      network());
  },

  async UNSUPPORTED_BACKUP_VERSION(t) {
    // "TFBK" | version | …: the version byte is the fifth (src/backup.rs).
    await open(t.page, network());
    await throws(t, "UNSUPPORTED_BACKUP_VERSION", "restore a backup of format version 3", (net) => {
      const backup = node.exportBackup("correct horse battery");
      if (new TextDecoder().decode(backup.slice(0, 4)) !== "TFBK" || backup[4] !== 1) {
        throw new Error("the backup format changed: update this provoker");
      }
      backup[4] = 3; // versions 1 and 2 exist (2 carries invites)
      return trustfold.TrustfoldNode.restore(net, backup, "correct horse battery");
    }, network());
  },

  async NO_RANDOMNESS(t) {
    await t.page.evaluate(() => {
      crypto.getRandomValues = () => {
        throw new DOMException("no entropy", "OperationError");
      };
    });
    await throws(t, "NO_RANDOMNESS", "open with crypto.getRandomValues failing",
      (net) => trustfold.TrustfoldNode.open(net), network());
  },

  async LOCK_REFUSED(t) {
    await open(t.page, network());
    await t.page.evaluate(() => {
      navigator.locks.request = () => Promise.reject(new DOMException("no lock for you", "AbortError"));
    });
    await throws(t, "LOCK_REFUSED", "pay with the Web Lock refused", (to) => node.pay(to, 1n, "EUR"), key(2));
  },

  async TABS_UNAVAILABLE(t) {
    await t.page.evaluate(() => {
      window.BroadcastChannel = function BroadcastChannel() {
        throw new DOMException("no channels here", "SecurityError");
      };
    });
    await throws(t, "TABS_UNAVAILABLE", "open with BroadcastChannel failing",
      (net) => trustfold.TrustfoldNode.open(net), network());
  },

  async CONNECT_FAILED(t) {
    await open(t.page, network());
    // (A bare "not a url" is no failure: WebSocket resolves it against the
    // page as http://…/not%20a%20url, and the connection fails later.)
    await throws(t, "CONNECT_FAILED", "connect to an address WebSocket refuses",
      () => node.connect("ftp://127.0.0.1/signal"));
    await throws(t, "CONNECT_FAILED", "connect to an address that does not parse",
      () => node.connect("ws://[not a url"));
  },

  async MALFORMED_INVITE(t) {
    await throws(t, "MALFORMED_INVITE", "open an invite whose secret is not hex",
      () => trustfold.TrustfoldNode.open({ invite: "zz", name: "coop" }));
    await throws(t, "MALFORMED_INVITE", "describeNetwork of an invite one byte short",
      (invite) => trustfold.TrustfoldNode.describeNetwork({ invite, name: "coop" }), "ab".repeat(31));
    await throws(t, "MALFORMED_INVITE", "cachedState of an invite with a letter that is not hex",
      (invite) => trustfold.TrustfoldNode.cachedState({ invite, name: "coop" }), `${"ab".repeat(31)}ag`);
  },

  async BAD_NETWORK_NAME(t) {
    await throws(t, "BAD_NETWORK_NAME", "createInvite with an empty name",
      () => trustfold.TrustfoldNode.createInvite(""));
    await throws(t, "BAD_NETWORK_NAME", "describeNetwork of an empty open network's name",
      () => trustfold.TrustfoldNode.describeNetwork(""));
    await throws(t, "BAD_NETWORK_NAME", "createInvite with a name of 65 bytes",
      () => trustfold.TrustfoldNode.createInvite("x".repeat(65)));
    await throws(t, "BAD_NETWORK_NAME", "open an invite whose name holds a control character",
      (invite) => trustfold.TrustfoldNode.open({ invite, name: "co\u0007op" }), "ab".repeat(32));
  },

  async NOT_ADMITTED(t) {
    // A sealed payment of a private network, read from its database.
    const info = await openPrivate(t.page, "sealer");
    await t.page.evaluate((to) => sealer.pay(to, 5n, "EUR", "sealed"), key(4));
    const [sealed] = await storedIn(t.page, `trustfold ${info.room}`);
    assert.equal(sealed?.[0], 3, "a sealed event (format 3)");
    // A clear payment of an open network.
    const clearNet = network();
    await open(t.page, clearNet, "clear");
    await t.page.evaluate((to) => clear.pay(to, 5n, "EUR", "clear"), key(4));
    const [cleartext] = await storedEvents(t.page, clearNet);
    // Offered to an open network's node, to another private network's, and
    // (the clear one) to a private network's: none is let in.
    await t.page.evaluate(() => clear.close());
    await open(t.page, network());
    await refuses(t, "NOT_ADMITTED", "a sealed event offered to an open network", [sealed]);
    await t.page.evaluate(() => node.close());
    await openPrivate(t.page, "node");
    await refuses(t, "NOT_ADMITTED", "another private network's sealed event", [sealed]);
    await refuses(t, "NOT_ADMITTED", "a clear event offered to a private network", [cleartext]);
  },

  async OTHER_NETWORK(t) {
    // A store is for one network: one whose record of it names another
    // (as a copied database would) is not opened.
    const net = network();
    await open(t.page, net);
    await t.page.evaluate(() => node.close());
    await t.page.evaluate(
      (net) => __idb.write(`trustfold-${net}`, "meta", (meta) => meta.put(new Uint8Array(32).fill(7), "network")),
      net,
    );
    await throws(t, "OTHER_NETWORK", "open a store that records another network",
      (net) => trustfold.TrustfoldNode.open(net), net);
  },

  async ALREADY_CONNECTED(t) {
    // Nothing listens there: the first connect returns all the same.
    await open(t.page, network());
    await t.page.evaluate(() => node.connect("ws://127.0.0.1:9/signal"));
    await throws(t, "ALREADY_CONNECTED", "connect twice",
      () => node.connect("ws://127.0.0.1:9/signal"));
  },
};

// ---------------------------------------------------------------------------

test("README lists the error codes", () => {
  assert.equal(README.problem, null, README.problem);
  console.log(`README documents ${README.codes.length} codes`);
});

test("every documented code is provoked or explained, every provoked code documented", () => {
  const provoked = Object.keys(PROVOKERS);
  const explained = Object.keys(NOT_PROVOKED);
  const neither = README.codes.filter((c) => !provoked.includes(c) && !explained.includes(c));
  assert.deepEqual(neither, [], "codes README lists with no provoker and no reason in NOT_PROVOKED");
  const undocumented = [...provoked, ...explained].filter((c) => !README.codes.includes(c));
  assert.deepEqual(undocumented, [], "codes provoked or explained here that README does not list");
  const both = provoked.filter((c) => explained.includes(c));
  assert.deepEqual(both, [], "codes both provoked and listed as not provoked");
  const stray = Object.keys(KNOWN_BUGS).filter((c) => !provoked.includes(c));
  assert.deepEqual(stray, [], "KNOWN_BUGS entries without a provoker");
});

for (const [code, provoke] of Object.entries(PROVOKERS)) {
  // A provoker that found a bug runs as a TODO (reported, not failing)
  // until the bug is fixed: then remove its KNOWN_BUGS entry.
  const todo = KNOWN_BUGS[code];
  test(`${code} is thrown (or reported) where README says`, { todo }, async (tc) => {
    const { context, page, uncaught } = await freshPage();
    const t = { page, context, seen: [], notes: [] };
    try {
      await provoke(t);
      for (const note of t.notes) tc.diagnostic(note);
      assert.ok(t.seen.includes(code), `the provoker of ${code} never asserted it`);
      assert.deepEqual(t.seen.filter((c) => c !== code), [], `the provoker of ${code} asserted other codes`);
      assert.deepEqual(uncaught.map(String), [], "uncaught errors in the page");
      if (todo) tc.diagnostic(`${code} passes now: remove it from KNOWN_BUGS`);
    } finally {
      await context.close();
    }
  });
}
