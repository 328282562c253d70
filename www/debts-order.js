// Which debts the Debts panel shows, in what order: a page at a time.

/**
 * Debts shown at once: each is summed from its debtor's payments when
 * shown, and a year of history among 200 people has ≈ 190 debts of
 * hundreds of payments each — summing and drawing them all took over
 * 100 ms in one task (BENCHMARKS.md, "Debts a page at a time").
 */
export const DEBTS_PER_PAGE = 20;

/**
 * The debts among `balances` (those below zero), mine first, then by the
 * debtor's name as `who` says it, then unit: an order a person can find
 * someone in, which does not move as amounts change while they page.
 * Each is `{ account, unit, amount }` (what is owed, above zero).
 */
export function debtsInOrder(balances, me, who) {
  const debts = balances
    .filter((b) => b.balance < 0n)
    .map((b) => ({ account: b.account, unit: b.unit, amount: -b.balance, name: b.account === me ? "" : who(b.account) }));
  debts.sort(
    (a, b) =>
      (b.account === me) - (a.account === me) ||
      a.name.localeCompare(b.name) ||
      (a.account < b.account ? -1 : a.account > b.account ? 1 : 0) ||
      (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0),
  );
  return debts.map(({ account, unit, amount }) => ({ account, unit, amount }));
}

/**
 * Page `page` of `debts` (0 is the first; past the last, the last):
 * `{ page, pages, first, shown }`, `first` the index of its first debt.
 */
export function debtsPage(debts, page) {
  const pages = Math.max(1, Math.ceil(debts.length / DEBTS_PER_PAGE));
  const at = Math.min(Math.max(0, page), pages - 1);
  const first = at * DEBTS_PER_PAGE;
  return { page: at, pages, first, shown: debts.slice(first, first + DEBTS_PER_PAGE) };
}
