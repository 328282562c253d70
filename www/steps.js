// Long work on the page's thread in steps, with a pause between tasks: a
// keystroke or a click waits at most one task. A year of history is
// 100,000 payments, and walking them all at once froze the page for most
// of a second (BENCHMARKS.md, "A year of history in the page").

/** Lets the page answer input before the next step. */
export const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Runs steps of `steps` (an iterator: each `next()` is one step) in this
 * task while they fit in `budget` ms: another step only if the time so
 * far and the longest step yet would still be under it, so a task holds
 * the page about `budget` ms at most, as long as no single step is
 * longer. Runs at least one step, and exactly one with a budget of 0
 * (whatever the clock: a browser may round it to 100 ms, and steps then
 * measure 0 ms). Returns the last step's result (`{ done, value }`).
 */
export function stepWithin(steps, budget) {
  const start = performance.now();
  let longest = 0;
  let next;
  do {
    const before = performance.now();
    next = steps.next();
    longest = Math.max(longest, performance.now() - before);
  } while (!next.done && performance.now() - start + longest < budget);
  return next;
}

/**
 * Runs every step of `steps`, as many per task as fit in `budget` ms
 * (`stepWithin`), with a pause between tasks. Resolves to the iterator's
 * return value.
 */
export async function allInSteps(steps, budget = 40) {
  for (;;) {
    const next = stepWithin(steps, budget);
    if (next.done) return next.value;
    await pause();
  }
}

/**
 * The value `make()`'s steps return (`make` gives a new iterator each
 * call), made in steps (`allInSteps`) — unless `key()` (what the steps
 * read, such as the node's log and policy) changed between the first step
 * and the last: then the parts would be of two states, and it is made
 * again in one task.
 */
export async function madeInSteps(make, key, budget = 40) {
  const from = key();
  const made = await allInSteps(make(), budget);
  // With no budget to keep to, every step runs in this task.
  return key() === from ? made : stepWithin(make(), Infinity).value;
}

/**
 * Calls `work(start, end)` on consecutive slices of `count` items, `slice`
 * at a time, as many per task as fit in `budget` ms (`stepWithin`), then
 * pauses; `progress(done)` after each task. Resolves to true when all are
 * done, or false when `stopped()` said to stop before a task.
 */
export async function inSteps(count, work, { slice = 500, budget = 30, progress = () => {}, stopped = () => false } = {}) {
  let done = 0;
  function* slices() {
    while (done < count) {
      const end = Math.min(done + slice, count);
      work(done, end);
      done = end;
      yield;
    }
  }
  const steps = slices();
  while (done < count) {
    if (stopped()) return false;
    stepWithin(steps, budget);
    progress(done);
    if (done < count) await pause();
  }
  return true;
}
