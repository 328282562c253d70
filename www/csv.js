// CSV exports of the ledger, for a spreadsheet. Memos and names are written
// by other people: a cell a spreadsheet would run as a formula (starting
// with = + - @, or a tab or carriage return before one) is neutralised with
// a leading apostrophe, as OWASP advises ("CSV injection"). Amounts are
// written by the page, as numbers.
import { inSteps } from "./steps.js";

/** One cell: quoted, quotes doubled; text from people neutralised. */
export function cell(value, { fromPeople = true } = {}) {
  let text = String(value ?? "");
  if (fromPeople && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

/** Rows (arrays of cells already made with `cell`) as CSV text, CRLF line ends. */
export function csv(header, rows) {
  return [header.map((h) => cell(h, { fromPeople: false })), ...rows].map((r) => r.join(",")).join("\r\n") + "\r\n";
}

const TRANSACTION_HEADER = ["time", "from", "from key", "to", "to key", "amount", "unit", "memo", "in my view"];

/** One transaction's cells (see `transactionsCsv`). */
function transactionCells(t, { who, shown, status, memo = (t) => t.memo }) {
  return [
    cell(new Date(Number(t.time)).toISOString(), { fromPeople: false }),
    cell(who(t.from)),
    cell(t.from, { fromPeople: false }),
    cell(who(t.to)),
    cell(t.to, { fromPeople: false }),
    cell(shown(t.amount, t.unit), { fromPeople: false }),
    cell(t.unit),
    cell(memo(t)),
    cell(status(t.status), { fromPeople: false }),
  ];
}

/**
 * The transactions as CSV: when (ISO 8601), who paid whom (as this page
 * names them, and their keys), the amount with its unit's decimals, the
 * memo and whether it counts in my view. `shown(amount, unit)` formats
 * amounts, `who(key)` names people, `status` words a status, `memo(t)`
 * words a memo (marking a payment back).
 */
export function transactionsCsv(transactions, words) {
  return csv(TRANSACTION_HEADER, transactions.map((t) => transactionCells(t, words)));
}

/**
 * The same text as `transactionsCsv`, made in steps (`inSteps`: ≈ 30 ms
 * each, `budget`), `progress(done, total)` after each: a year of history is
 * 100,000 rows, ≈ 0.7 s made at once, during which the page would not
 * answer. Resolves to the text in parts, each made by `part(text)` in its
 * step (a `Blob` encodes its text as it is made), for `download`.
 */
export async function transactionsCsvInSteps(transactions, words, { progress = () => {}, budget = 30, part = (text) => text } = {}) {
  const parts = [part(csv(TRANSACTION_HEADER, []))];
  await inSteps(
    transactions.length,
    (start, end) => {
      const rows = transactions.slice(start, end).map((t) => transactionCells(t, words).join(","));
      parts.push(part(rows.join("\r\n") + "\r\n"));
    },
    { budget, progress: (done) => progress(done, transactions.length) },
  );
  return parts;
}

/** Everyone's balances as CSV: who, key, unit, balance. */
export function balancesCsv(balances, { who, shown }) {
  return csv(
    ["who", "key", "unit", "balance"],
    balances.map((b) => [
      cell(who(b.account)),
      cell(b.account, { fromPeople: false }),
      cell(b.unit),
      cell(shown(b.balance, b.unit), { fromPeople: false }),
    ]),
  );
}

/** Offers `parts` (a string, or an array of strings or blobs) as a file download named `name`. */
export function download(name, parts) {
  const link = Object.assign(document.createElement("a"), {
    // A byte order mark first: Excel reads a CSV without one in the
    // machine's old code page, and "€" shows as "â‚¬".
    href: URL.createObjectURL(new Blob(["\uFEFF"].concat(parts), { type: "text/csv;charset=utf-8" })),
    download: name,
  });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}
