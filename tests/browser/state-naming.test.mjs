// The page's snapshot reader (www/state.js) with a stand-in node, without
// a browser: what is derived from the naming keeps while names read the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stateReader } from "../../www/state.js";

const ME = "a".repeat(64);
const BOB = "b".repeat(64);

/** Just what `read()` asks of a node: a log of `known` events naming Bob `bobName`. */
function standIn() {
  const log = { known: 1, bobName: "Bob" };
  const node = {
    syncStatus: () => ({ known: log.known, unconfirmed: 0 }),
    policy: () => ({ me: ME, trusted: [], banned: [], quorum: 1, followBans: false }),
    selfClaims: () => [{ author: BOB, record: { id: BOB, fields: { name: { value: log.bobName, conflicts: [] } } } }],
    publishers: () => [],
    voidEvents: () => [],
    bannedAuthors: () => [],
    balances: () => [],
    transactions: () => [],
    peers: () => [],
  };
  return { node, log };
}

test("a new event keeps the naming while names read the same; a new name makes it again", () => {
  const { node, log } = standIn();
  const read = stateReader(node, ME).read;
  const first = read();
  assert.equal(first.who(BOB), "Bob");
  log.known = 2; // a payment: the names are read again, as a new Map
  const second = read();
  assert.notEqual(second.names, first.names, "read again");
  // The same function: each payment's search words are kept under it.
  assert.equal(second.who, first.who);
  log.known = 3;
  log.bobName = "Robert";
  const third = read();
  assert.notEqual(third.who, first.who);
  assert.equal(third.who(BOB), "Robert");
});
