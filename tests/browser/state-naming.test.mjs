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

test("the payments a preview names are found along the list, in order or not, and nothing else", () => {
  const { node } = standIn();
  const rows = Array.from({ length: 50 }, (_, i) => ({ event: `${i}`.padStart(64, "e"), amount: BigInt(i) }));
  node.transactions = () => rows;
  const s = stateReader(node, ME).read();
  const id = (i) => `${i}`.padStart(64, "e");
  const found = s.paymentsAmong([id(3), id(17), id(49)]);
  assert.deepEqual([...found.keys()], [id(3), id(17), id(49)]);
  assert.equal(found.get(id(17)), rows[17], "the list's own row");
  // Out of the list's order, or unknown: what is a payment is still found.
  const mixed = s.paymentsAmong([id(20), id(5), "f".repeat(64), id(30)]);
  assert.deepEqual([...mixed.keys()].sort(), [id(20), id(30), id(5)].sort());
  assert.equal(s.paymentsAmong([]).size, 0);
});

test("the Agreement's comparison names the payments its rows differ on, found in steps", () => {
  const { node } = standIn();
  const id = (i) => `${i}`.padStart(64, "e");
  const rows = Array.from({ length: 45000 }, (_, i) => ({ event: id(i), amount: BigInt(i) }));
  node.transactions = () => rows;
  node.peers = () => [{ key: BOB }];
  node.viewDigest = () => ({ included: "mine" });
  node.compareViews = () => ({
    onlyMine: [{ event: id(44000), kind: "transfer" }, { event: "d".repeat(64), kind: "doc" }],
    onlyTheirs: [{ event: id(7), kind: "transfer" }],
  });
  node.editsAmong = () => [];
  const reader = stateReader(node, ME);
  const s = reader.read();
  const steps = reader.agreement(s, ["notes"]);
  let step = steps.next();
  let pauses = 0;
  while (!step.done) {
    pauses++;
    step = steps.next();
  }
  assert.ok(pauses >= 2, `looked through 45,000 payments in steps (${pauses} pauses)`);
  assert.deepEqual([...step.value.payments.keys()].sort(), [id(44000), id(7)].sort());
  assert.equal(step.value.payments.get(id(7)), rows[7]);
});

test("a person whose view counts what mine counts agrees; one counting something else does not", () => {
  const { node } = standIn();
  const CAROL = "c".repeat(64);
  node.peers = () => [{ key: BOB }, { key: CAROL }];
  node.viewDigest = () => ({ included: "mine" });
  // Only the comparison is asked: no digest of each person's view.
  const differs = { onlyMine: [], onlyTheirs: [{ event: "d".repeat(64), kind: "doc" }] };
  node.compareViews = (policy) => (policy.me === BOB ? differs : { onlyMine: [], onlyTheirs: [] });
  node.editsAmong = () => [];
  const reader = stateReader(node, ME);
  const steps = reader.agreement(reader.read(), ["notes"]);
  let step = steps.next();
  while (!step.done) step = steps.next();
  const same = Object.fromEntries(step.value.rows.map((r) => [r.key, r.same]));
  assert.deepEqual(same, { [BOB]: false, [CAROL]: true });
  assert.equal(step.value.digest, "mine");
});
