// The networks a browser opened (www/known-networks.js), without a browser:
// every name opens its own network again, and an entry that
// rememberNetwork did not write (another script's, a damaged one) is
// never listed or turned into a link.
import { test } from "node:test";
import assert from "node:assert/strict";
import { knownNetworks, rememberNetwork, knownFragment, MAX_KNOWN } from "../../www/known-networks.js";
import { networkFromAddress } from "../../www/network.js";

/** A localStorage of its own. */
const storage = (init = {}) => {
  const map = new Map(Object.entries(init));
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, String(v)), map };
};
const opens = (fragment) => networkFromAddress({ hash: `#${fragment}`, search: "" });
const invite = "ab".repeat(32);

test("a remembered network's link opens that network, whatever its name", () => {
  for (const name of ["main", "a&b", "a#b", "100%", "a b+c", "été 🎉", "\u202Eevil", "x=y&invite=00"]) {
    assert.equal(opens(knownFragment({ kind: "open", name, room: name })), name);
    assert.deepEqual(opens(knownFragment({ kind: "private", name, room: "r", invite })), { invite, name, check: null });
    // With its check (before the name: a link cut in the name keeps it).
    const check = "0123abcd";
    assert.deepEqual(opens(knownFragment({ kind: "private", name, room: "r", invite, check })), { invite, name, check });
  }
});

test("the site's address alone opens the network opened last, or main the first time", () => {
  const bare = { hash: "", search: "" };
  assert.equal(networkFromAddress(bare, []), "main");
  const s = storage();
  rememberNetwork({ kind: "private", name: "Our coop", room: "r", invite, check: "0123abcd" }, s);
  assert.deepEqual(networkFromAddress(bare, knownNetworks(s)), { invite, name: "Our coop", check: "0123abcd" });
  rememberNetwork({ kind: "open", name: "market", room: "market", invite: null }, s);
  assert.equal(networkFromAddress(bare, knownNetworks(s)), "market");
  // An address naming a network opens that one, main too.
  assert.equal(networkFromAddress({ hash: "#net=main", search: "" }, knownNetworks(s)), "main");
  assert.equal(networkFromAddress({ hash: "", search: "?network=x" }, knownNetworks(s)), "x");
});

test("the latest opened comes first, each once, at most MAX_KNOWN", () => {
  const s = storage();
  for (let i = 0; i < MAX_KNOWN + 5; i++) rememberNetwork({ kind: "open", name: `n${i}`, room: `n${i}`, invite: null }, s);
  rememberNetwork({ kind: "open", name: "n10", room: "n10", invite: null }, s);
  const names = knownNetworks(s).map((n) => n.name);
  assert.equal(names.length, MAX_KNOWN);
  assert.deepEqual(names.slice(0, 2), ["n10", `n${MAX_KNOWN + 4}`]);
  assert.equal(names.filter((n) => n === "n10").length, 1);
});

test("entries rememberNetwork would not write are left out", () => {
  const damaged = [
    "{", "null", "5", '{"a":1}', '[null,1,"x",{}]',
    '[{"kind":"__proto__","name":"a","room":"b"}]',
    // An invite that is not 64 hex digits would steer the link elsewhere.
    '[{"kind":"private","name":"Family","room":"r","invite":"x&net=evil"}]',
    // A lone surrogate cannot go into a link.
    '[{"kind":"open","name":"\\ud800","room":"r"}]',
  ];
  for (const value of damaged) assert.deepEqual(knownNetworks(storage({ "trustfold-networks": value })), [], value);
  const s = storage();
  const huge = "x".repeat(100_000);
  rememberNetwork({ kind: "open", name: huge, room: huge, invite: null }, s);
  assert.equal(s.map.size, 0, "a name too long to list is not stored");
});
