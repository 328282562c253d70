// Transfers as JS objects, made here from columns the façade fills in one
// call (crates/web/src/transaction_rows.rs). Setting each field of 100,000
// objects from wasm was a call across the boundary per field, ≈ 0.25 s of
// the page's thread; a loop here makes the same objects in a few
// milliseconds. Nothing is decided here: each field is a column's value.

/**
 * The rows in order: row `i` is `previous[fromPrevious[i]]` where that is
 * 0 or more, else the next new row of `c`'s columns (frozen if `c.freeze`).
 */
export function transactionRows(previous, fromPrevious, c) {
  const rows = new Array(fromPrevious.length);
  const keys = new Array(c.keys.length / 64);
  const key = (k) => (keys[k] ??= c.keys.substring(k * 64, k * 64 + 64));
  let next = 0;
  let memoStart = 0;
  let reversesAt = 0;
  let extra = 0;
  for (let i = 0; i < rows.length; i++) {
    const j = fromPrevious[i];
    if (j >= 0) {
      rows[i] = previous[j];
      continue;
    }
    const r = next++;
    const memoEnd = c.memoEnds[r];
    let reverses = null;
    if (c.hasReverses[r]) {
      reverses = c.reverses.substring(reversesAt, reversesAt + 64);
      reversesAt += 64;
    }
    let why = null;
    let contests = [];
    if (extra < c.extras.length && c.extras[extra].row === r) {
      ({ why, contests } = c.extras[extra++]);
    }
    const row = {
      event: c.ids.substring(r * 64, r * 64 + 64),
      from: key(c.from[r]),
      to: key(c.to[r]),
      amount: c.amounts[r],
      unit: c.units[c.unit[r]],
      memo: c.memos.substring(memoStart, memoEnd),
      time: c.times[r],
      reverses,
      reversed: c.reversed[r],
      status: c.statuses[c.status[r]],
      why,
      contests,
    };
    memoStart = memoEnd;
    // Handed out again by later reads: an app writing to one would change
    // what those return.
    rows[i] = c.freeze ? Object.freeze(row) : row;
  }
  return rows;
}
