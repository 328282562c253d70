// The Ledger's search (www/tx-search.js), without a browser: a search
// typed key by key, narrowed from the last key's matches, chooses exactly
// the payments a search over all of them chooses, whatever is typed,
// erased or filtered between keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { choose } from "../../www/tx-search.js";

/** A small deterministic generator (a seed from TRUSTFOLD_SEED reproduces). */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const ME = "me";
const PEOPLE = [ME, "ann", "bob", "cy"];

function payments(random, n) {
  const letters = "abr ed9 ";
  return Array.from({ length: n }, (_, i) => ({
    event: `e${i}`,
    from: PEOPLE[Math.floor(random() * PEOPLE.length)],
    to: PEOPLE[Math.floor(random() * PEOPLE.length)],
    status: random() < 0.8 ? "included" : "excluded",
    memo: Array.from({ length: 1 + Math.floor(random() * 8) }, () => letters[Math.floor(random() * letters.length)]).join(""),
  }));
}

test("a search typed key by key chooses what a search over every payment chooses", () => {
  const seed = Number(process.env.TRUSTFOLD_SEED ?? 17);
  const random = rng(seed);
  const list = payments(random, 600);
  const words = list.map((t) => `${t.from} ${t.to} ${t.memo}`.toLowerCase());
  const filters = ["all", "mine", "counting", "not"];
  let query = "";
  let filter = "all";
  let last = null;
  let narrowed = 0;
  for (let step = 0; step < 2000; step++) {
    const r = random();
    if (r < 0.6) query += "abr ed9"[Math.floor(random() * 7)];
    else if (r < 0.85) query = query.slice(0, -1);
    else if (r < 0.95) filter = filters[Math.floor(random() * filters.length)];
    else query = "";
    const q = query.trim();
    if (last?.at && last.filter === filter && q.includes(last.query)) narrowed += 1;
    const got = choose(list, q ? words : null, ME, q, filter, last);
    const all = choose(list, q ? words : null, ME, q, filter, null);
    assert.deepEqual(got.result.map((t) => t.event), all.result.map((t) => t.event), `seed ${seed}, step ${step}: "${q}" ${filter}`);
    last = got;
  }
  assert.ok(narrowed > 500, `narrowed ${narrowed} times: the narrowing path ran`);
});

test("a search narrows: a key typed looks only through the last matches", () => {
  const list = [
    { event: "1", from: ME, to: "ann", status: "included", memo: "bread" },
    { event: "2", from: "bob", to: ME, status: "included", memo: "beer" },
    { event: "3", from: "ann", to: "bob", status: "excluded", memo: "bread 9" },
  ];
  const words = list.map((t) => `${t.from} ${t.to} ${t.memo}`);
  const b = choose(list, words, ME, "b", "all", null);
  assert.deepEqual(b.result.map((t) => t.event), ["1", "2", "3"]);
  // The words read for the narrowing: only those of the last matches.
  const read = [];
  const watched = new Proxy(words, { get: (w, k) => (/^\d+$/.test(k) && read.push(Number(k)), w[k]) });
  const br = choose(list, watched, ME, "bread", "all", { ...b, result: [list[0], list[2]], at: [0, 2] });
  assert.deepEqual(br.result.map((t) => t.event), ["1", "3"]);
  assert.deepEqual(read, [0, 2]);
  assert.deepEqual(choose(list, words, ME, "bread", "mine", br).result.map((t) => t.event), ["1"], "another filter: all looked through again");
  assert.equal(choose(list, null, ME, "", "all", br).at, null, "no positions kept without a search");
});
