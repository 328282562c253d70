// Values derived from the transactions (www/derived.js), without a browser:
// a value brought up to date from the last read is the value made from the
// whole list, whatever the reads in between.
import { test } from "node:test";
import assert from "node:assert/strict";
import { derived, grown, keepDerived } from "../../www/derived.js";

const row = (event, unit, amount, status = "included") => ({ event, unit, amount, status });

/** Units by how many payments used them, and the rows by event, both grown. */
function values(list, adds) {
  const counts = grown(list, "test counts", () => new Map(), (count, t, fresh) => {
    adds.n++;
    if (fresh) count.set(t.unit, (count.get(t.unit) ?? 0) + 1);
  });
  const byEvent = grown(list, "test by event", () => new Map(), (m, t) => m.set(t.event, t));
  return { counts: new Map(counts), byEvent: new Map(byEvent) };
}

function fromScratch(list) {
  const counts = new Map();
  for (const t of list) counts.set(t.unit, (counts.get(t.unit) ?? 0) + 1);
  return { counts, byEvent: new Map(list.map((t) => [t.event, t])) };
}

test("a grown value equals the value made from the whole list, after rows are added or changed", () => {
  const first = Array.from({ length: 1000 }, (_, i) => row(`e${i}`, i % 3 ? "EUR" : "HOUR", BigInt(i)));
  const adds = { n: 0 };
  assert.deepEqual(values(first, adds), fromScratch(first));
  assert.equal(adds.n, 1000);

  // A payment more, and one excluded: the node hands out a new object for it.
  const second = [...first, row("e1000", "CHF", 5n)];
  second[10] = row("e10", "EUR", 10n, "excluded");
  adds.n = 0;
  const after = values(second, adds);
  assert.deepEqual(after, fromScratch(second));
  assert.equal(after.byEvent.get("e10").status, "excluded", "the changed row replaces the old one");
  assert.equal(adds.n, 2, "only the new and the changed row are taken in");

  // Asked again for the same read: kept, nothing taken in.
  adds.n = 0;
  values(second, adds);
  assert.equal(adds.n, 0);
});

test("a list that is not the last one grown is made again from the whole list", () => {
  const adds = { n: 0 };
  const base = Array.from({ length: 100 }, (_, i) => row(`b${i}`, "EUR", 1n));
  values(base, adds);
  // Another order (another node, or a rebuilt log): made again.
  const shuffled = [...base].reverse();
  adds.n = 0;
  assert.deepEqual(values(shuffled, adds), fromScratch(shuffled));
  assert.equal(adds.n, 100);
  // Shorter: made again.
  const shorter = shuffled.slice(0, 50);
  adds.n = 0;
  assert.deepEqual(values(shorter, adds), fromScratch(shorter));
  assert.equal(adds.n, 50);
  // Mostly new rows: made again rather than grown.
  const mostlyNew = [...shorter, ...Array.from({ length: 200 }, (_, i) => row(`n${i}`, "HOUR", 2n))];
  adds.n = 0;
  assert.deepEqual(values(mostlyNew, adds), fromScratch(mostlyNew));
  assert.equal(adds.n, 250);
});

test("a value made ahead is found by the next read of it, for what it depends on only", () => {
  const list = [row("a", "EUR", 1n)];
  let computed = 0;
  const compute = () => (computed += 1, "computed");
  keepDerived(list, "words", "ahead", "naming 1");
  assert.equal(derived(list, "words", compute, "naming 1"), "ahead");
  assert.equal(computed, 0);
  // Another naming since: made again; a value made ahead afterwards for
  // that naming leaves the one kept.
  assert.equal(derived(list, "words", compute, "naming 2"), "computed");
  keepDerived(list, "words", "late", "naming 2");
  assert.equal(derived(list, "words", compute, "naming 2"), "computed", "a value kept stays");
  // Made ahead for a naming not read yet: found.
  keepDerived(list, "words", "ahead 3", "naming 3");
  assert.equal(derived(list, "words", compute, "naming 3"), "ahead 3");
  assert.equal(computed, 1);
});
