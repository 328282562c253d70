// Which debts list their payments as first drawn in the Debts panel.

/** A debt made of at most this many payments lists them at once; a longer one when asked. */
const LISTED_AT_ONCE = 10;

/**
 * The most payments listed at once over all debts, in the order drawn:
 * 200 members, each debt of a few payments, drew a thousand lines in one
 * task (≈ 120 ms, half of it laying them out). The others list theirs when asked.
 */
const LISTED_IN_ALL = 60;

/**
 * Whether each debt's list is open as first drawn, in `shown` (by
 * "account unit"): a short list (at most LISTED_AT_ONCE payments) while
 * the lists open hold at most LISTED_IN_ALL payments together. A debt
 * keeps what it was first drawn with until the person says otherwise: a
 * short list open by default stays open as payments arrive.
 */
export function openAtFirst(debts, shown) {
  let listed = 0;
  for (const d of debts) {
    const id = `${d.account} ${d.unit}`;
    if (!shown.has(id)) shown.set(id, d.transfers <= LISTED_AT_ONCE && listed + d.transfers <= LISTED_IN_ALL);
    if (shown.get(id)) listed += d.transfers;
  }
}
