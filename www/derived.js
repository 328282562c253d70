// Values derived from one read of the transactions, kept with that read.
//
// With a year of history the list holds 100,000 payments. The page draws a
// frame for every change and every keystroke in a search or the pay form;
// walking the whole list again in each of them froze the page. The list is
// read from the node only when the log or my policy changed (state.js), so
// what is computed from it once stays right until the next read.

const kept = new WeakMap();

/**
 * `compute(list)`, computed once per `list` (an array read from the node)
 * and `name`; `depends` (compared with `===`) recomputes it when it changes,
 * such as the naming function a search matches against.
 */
export function derived(list, name, compute, depends = null) {
  let values = kept.get(list);
  if (!values) kept.set(list, (values = new Map()));
  const value = values.get(name);
  if (value && value.depends === depends) return value.result;
  const result = compute(list);
  values.set(name, { depends, result });
  return result;
}
