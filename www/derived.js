// Values derived from one read of the transactions, kept with that read.
//
// With a year of history the list holds 100,000 payments. The page draws a
// frame for every change and every keystroke in a search or the pay form;
// walking the whole list again in each of them froze the page. The list is
// read from the node only when the log or my policy changed (state.js), so
// what is computed from it once stays right until the next read.
//
// A new read is the last one with a few rows more or changed: the node
// lists payments in the order it stored them (the log only grows) and hands
// out the same object for a row that did not change. So a value that can
// take rows in one by one is brought up to date from the last read's
// (`grown`) instead of made again from 100,000 rows after every payment.

const kept = new WeakMap();

/** Per name, the last read a grown value was made for, and the value. */
const lastGrown = new Map();

/** More new or changed rows than this part of the list: the value is made again. */
const MOSTLY_NEW = 1 / 4;

/** The values kept with `list` (name → { depends, result }). */
function valuesOf(list) {
  let values = kept.get(list);
  if (!values) kept.set(list, (values = new Map()));
  return values;
}

/**
 * `compute(list)`, computed once per `list` (an array read from the node)
 * and `name`; `depends` (compared with `===`) recomputes it when it changes,
 * such as the naming function a search matches against.
 */
export function derived(list, name, compute, depends = null) {
  const values = valuesOf(list);
  const value = values.get(name);
  if (value && value.depends === depends) return value.result;
  const result = compute(list);
  values.set(name, { depends, result });
  return result;
}

/**
 * Keeps `result` as `derived(list, name, …, depends)` would compute it,
 * for a value made ahead in steps: the next `derived` call finds it. A
 * value already kept for the same `depends` stays.
 */
export function keepDerived(list, name, result, depends = null) {
  const values = valuesOf(list);
  if (values.get(name)?.depends === depends) return;
  values.set(name, { depends, result });
}

/**
 * Like `derived`, for a value that takes rows in: `start()` makes an empty
 * one, `add(value, row, fresh)` takes a row in (`fresh`: a row the value
 * has not seen; otherwise a changed version of one it has, for the same
 * event). Made from the whole list once, then brought up to date from the
 * last read's value with the rows new or changed since. The value moves to
 * the newer read: the older one no longer holds it (its holder may still
 * see it grown).
 */
export function grown(list, name, start, add) {
  return derived(list, name, () => {
    const last = lastGrown.get(name);
    const rows = last && changedSince(last.list, list);
    let value;
    if (rows) {
      value = last.value;
      kept.get(last.list)?.delete(name);
      for (const i of rows.changed) add(value, list[i], false);
      for (let i = last.list.length; i < list.length; i++) add(value, list[i], true);
    } else {
      value = start();
      for (const row of list) add(value, row, true);
    }
    lastGrown.set(name, { list, value });
    return value;
  });
}

/**
 * The positions of `list` whose row is not `before`'s (same event, new
 * object), if `list` is `before` with rows changed or added at its end and
 * not mostly new; otherwise null. (Rows from `before.length` on are new.)
 */
export function changedSince(before, list) {
  if (before === list || list.length < before.length) return null;
  const changed = [];
  const most = list.length * MOSTLY_NEW;
  if (list.length - before.length > most) return null;
  for (let i = 0; i < before.length; i++) {
    if (list[i] === before[i]) continue;
    if (list[i].event !== before[i].event || changed.push(i) > most) return null;
  }
  return { changed };
}
