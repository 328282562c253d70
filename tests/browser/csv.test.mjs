// The CSV export's cells (www/csv.js), without a browser: what a stranger
// writes in a memo never runs as a spreadsheet formula.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cell, transactionsCsv, transactionsCsvInSteps } from "../../www/csv.js";

test("cells a spreadsheet would run as a formula are neutralised; quotes are doubled", () => {
  assert.equal(cell("=HYPERLINK(\"http://x\")"), `"'=HYPERLINK(""http://x"")"`);
  for (const start of ["+", "-", "@", "\t", "\r"]) assert.equal(cell(`${start}1`), `"'${start}1"`);
  assert.equal(cell("lunch"), `"lunch"`);
  assert.equal(cell("-12.50", { fromPeople: false }), `"-12.50"`, "amounts the page writes stay numbers");
});

test("a transaction's row says who paid whom, the amount as shown, and the memo neutralised", () => {
  const text = transactionsCsv(
    [{ time: 0n, from: "a".repeat(64), to: "b".repeat(64), amount: 1250n, unit: "EUR", memo: "=1+1", status: "included" }],
    { who: (k) => (k[0] === "a" ? "Alice" : "Bob"), shown: () => "12.50", status: () => "counts" },
  );
  const [header, row, end] = text.split("\r\n");
  assert.equal(header, `"time","from","from key","to","to key","amount","unit","memo","in my view"`);
  assert.equal(
    row,
    `"1970-01-01T00:00:00.000Z","Alice","${"a".repeat(64)}","Bob","${"b".repeat(64)}","12.50","EUR","'=1+1","counts"`,
  );
  assert.equal(end, "");
});

test("made in steps, the CSV is the same text, and says how far it is after each step", async () => {
  const list = Array.from({ length: 1200 }, (_, i) => ({
    time: BigInt(i) * 1000n, from: "a".repeat(64), to: "b".repeat(64), amount: BigInt(i), unit: "EUR", memo: `-${i}`, status: "included",
  }));
  const words = { who: (k) => (k[0] === "a" ? "Alice" : "Bob"), shown: (amount) => String(amount), status: () => "counts" };
  const steps = [];
  const parts = await transactionsCsvInSteps(list, words, { budget: 0, progress: (done, total) => steps.push([done, total]) });
  assert.equal(parts.join(""), transactionsCsv(list, words));
  assert.deepEqual(steps, [[500, 1200], [1000, 1200], [1200, 1200]], "one step of rows per pause when out of time");
  assert.deepEqual(await transactionsCsvInSteps([], words), [transactionsCsv([], words)], "no rows: the header");
});
