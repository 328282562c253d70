// The Records panel's search (www/record-search.js), without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { matches } from "../../www/record-search.js";

const field = (value, ...conflicts) => ({ value, conflicts });

test("a record matches every word in its name or any version of a field's value", () => {
  const shelf = {
    id: "Shelf 3",
    fields: { status: field("open", "blocked"), note: field({ text: "Top board Cracked" }), count: field(4) },
  };
  for (const query of [["shelf"], ["cracked", "3"], ["4"], ["open"]]) assert.equal(matches(shelf, query), true, query.join(" "));
  // Bob's version, written as Alice wrote hers: found by what Bob wrote.
  assert.equal(matches(shelf, ["blocked"]), true);
  assert.equal(matches(shelf, ["shelf", "missing"]), false);
  assert.equal(matches({ id: "x", fields: { f: field(null), g: field({ unsupported: "counter" }) } }, ["counter"]), true);
});
