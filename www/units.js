// Units people could take one for the other. A payment in a unit nobody
// else uses is a payment nobody's balance counts with theirs: "EU0" or
// "UER" for EUR is a typo that splits a ledger, so the pay form points it
// out. Pure (no package), so it is tested without a browser.

/** Characters read one for the other in a unit: 0/O, 1/I/L, 5/S, 8/B, 2/Z. */
const CONFUSABLE = { 0: "O", 1: "I", L: "I", 5: "S", 8: "B", 2: "Z" };
const plain = (unit) => [...unit].map((c) => CONFUSABLE[c] ?? c).join("");

/**
 * Whether two different units are easy to take one for the other: the same
 * once look-alike characters are read alike, or one typo apart (a letter
 * changed, added, left out or two swapped).
 */
export function lookAlike(a, b) {
  if (a === b) return false;
  const [x, y] = [plain(a), plain(b)];
  if (x === y) return true;
  if (Math.abs(x.length - y.length) > 1) return false;
  if (x.length === y.length) {
    const diff = [...x].flatMap((c, i) => (c === y[i] ? [] : [i]));
    if (diff.length === 1) return true;
    return diff.length === 2 && diff[1] === diff[0] + 1 && x[diff[0]] === y[diff[1]] && x[diff[1]] === y[diff[0]];
  }
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  for (let i = 0; i < long.length; i++) if (long.slice(0, i) + long.slice(i + 1) === short) return true;
  return false;
}

/** The currency signs the core reads as a currency, and that currency's code. */
const SIGN_OF = { "€": "EUR", "£": "GBP", $: "USD", "¥": "JPY", "₹": "INR", "₿": "BTC" };

/**
 * Whether two different units are one currency written two ways ("€" and
 * "EUR"): balances in each are kept apart, as for any two units.
 */
export function sameCurrency(a, b) {
  return a !== b && (SIGN_OF[a] === b || SIGN_OF[b] === a);
}
