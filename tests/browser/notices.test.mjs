// The notices' logic (www/panels/notices.js) without a browser: what a
// person is told when payments arrive or change status between two reads
// of the transactions. The package's two formatting calls are stood in for
// (amounts in cents, the unit's code as its label); everything else is the
// page's own code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { register } from "node:module";

const STUB = `export const TrustfoldNode = {
  formatAmount: (amount, unit) => (Number(amount) / 100).toFixed(2),
  unitLabel: (unit) => unit,
  unitDecimals: () => 2,
};`;
register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      if (specifier === "trustfold") return { url: "data:text/javascript,${encodeURIComponent(STUB)}", shortCircuit: true };
      return next(specifier, context);
    }`)}`,
  import.meta.url,
);
const { noticeState, updateNotices } = await import("../../www/panels/notices.js");

let events = 0;
/** A payment row as the page reads it. */
const row = (from, to, amount, memo, unit = "EUR", status = "included", why = null) =>
  ({ event: `e${events++}`, from, to, amount: BigInt(amount), unit, memo, status, why });
/** A read: the rows, and the snapshot's other parts the notices look at. */
const read = (transactions) => ({
  me: "me",
  who: (key) => key,
  transactions,
  balances: [],
  bannedAuthors: [],
  published: new Map(),
  uncountedEdits: [],
  mine: null,
});
const texts = (state) => state.shown.map((n) => n.text);

test("what the page opened with is not news; payments to me that arrive are told in one notice that sums them", () => {
  const state = noticeState();
  const history = [row("bob", "me", 500, "old"), row("me", "bob", 100, "mine"), row("bob", "carol", 7, "theirs")];
  updateNotices(read(history), state);
  assert.deepEqual(texts(state), [], "the open's rows are not news");

  const one = [...history, row("bob", "me", 100, "first")];
  updateNotices(read(one), state);
  assert.deepEqual(texts(state), ["bob paid you 1.00 EUR “first”."]);

  // The same read drawn again tells nothing more.
  updateNotices(read(one), state);
  assert.deepEqual(texts(state), ["bob paid you 1.00 EUR “first”."]);

  const more = [...one, row("carol", "me", 250, "second"), row("me", "dan", 5000, "I paid"), row("dan", "me", 300, "in USD", "USD")];
  updateNotices(read(more), state);
  assert.deepEqual(texts(state), ["3 payments to you arrived, 3.50 EUR and 3.00 USD in all, from bob, carol and dan."]);
});

test("a payment that arrives not counting for me, or that I made, is not told as arrived", () => {
  const state = noticeState();
  const history = [row("bob", "me", 100, "a")];
  updateNotices(read(history), state);
  const later = [...history, row("mallory", "me", 100, "banned", "EUR", "excluded", { kind: "authorBanned", author: "mallory", ban: "local" }), row("me", "me", 5, "to myself")];
  updateNotices(read(later), state);
  assert.deepEqual(texts(state), []);
});

test("the arrival notice moves to the end as it grows, so the five kept never cut it off", () => {
  const state = noticeState();
  let rows = [row("bob", "me", 100, "a")];
  updateNotices(read(rows), state);
  rows = [...rows, row("bob", "me", 100, "b")];
  updateNotices(read(rows), state);
  // Four notices after it, of other things.
  for (let i = 0; i < 4; i++) state.shown.push({ id: state.next++, text: `other ${i}`, balance: "" });
  rows = [...rows, row("carol", "me", 100, "c")];
  updateNotices(read(rows), state);
  assert.equal(state.shown.length, 5);
  assert.equal(state.shown.at(-1).text, "2 payments to you arrived, 2.00 EUR in all, from bob and carol.");
});

test("one payment of mine among many that stops counting is told (the rows are compared by position, not a map with itself)", () => {
  const state = noticeState();
  const rows = Array.from({ length: 1000 }, (_, i) => row(i % 2 ? "bob" : "carol", i % 3 ? "me" : "dan", 100 + i, `p${i}`));
  updateNotices(read(rows), state);
  const excluded = { kind: "excluded", by: [{ author: "alice", reason: "never happened", dispute: false }] };
  const changed = rows.slice();
  changed[500] = { ...rows[500], status: "excluded", why: excluded };
  updateNotices(read(changed), state);
  assert.deepEqual(texts(state), ["carol → me 6.00 EUR “p500” no longer counts in your view: excluded by alice: “never happened”."]);
  // And back.
  const back = changed.slice();
  back[500] = { ...rows[500] };
  updateNotices(read(back), state);
  assert.equal(texts(state).at(-1), "carol → me 6.00 EUR “p500” counts again in your view (it was left out: excluded by alice: “never happened”).");
  // A read of mostly new rows (a policy that changed many) is compared by event.
  const renewed = back.map((t) => ({ ...t }));
  renewed[10] = { ...renewed[10], status: "excluded", why: excluded };
  updateNotices(read(renewed), state);
  assert.match(texts(state).at(-1), /“p10” no longer counts in your view/);
});
