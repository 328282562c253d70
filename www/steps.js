// Long work on the page's thread in steps, with a pause between tasks: a
// keystroke or a click waits at most one task. A year of history is
// 100,000 payments, and walking them all at once froze the page for most
// of a second (BENCHMARKS.md, "A year of history in the page").

/** Lets the page answer input before the next step. */
export const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The clock's smallest step in ms: a few microseconds in Chromium; 100 ms
 * or so where a browser rounds it against fingerprinting (Firefox's
 * resistFingerprinting, Tor Browser). Infinity if it did not move within
 * 100,000 reads (a few ms, once): a clock that coarse cannot time a step.
 * The least of three ticks, so that a pause between two reads (garbage
 * collected meanwhile) is not taken for the clock's step.
 */
function measureClockStep() {
  const moved = (from) => {
    let now = from;
    for (let i = 0; i < 100000 && now === from; i++) now = performance.now();
    return now;
  };
  const start = performance.now();
  let at = moved(start); // a tick's start: the next change is a whole tick
  if (at === start) return Infinity;
  let step = Infinity;
  for (let tick = 0; tick < 3; tick++) {
    const next = moved(at);
    if (next === at) return Infinity;
    step = Math.min(step, next - at);
    at = next;
  }
  return step;
}

let clockStep; // measured at the first step run with a budget to keep

/**
 * Runs steps of `steps` (an iterator: each `next()` is one step) in this
 * task while they fit in `budget` ms: another step only if the time so
 * far and the longest step yet, plus the clock's own step (what a step
 * measured as 0 ms may have taken), would still be under it. So a task
 * holds the page about `budget` ms at most, as long as no single step is
 * longer; where the clock is coarser than the budget, a task runs one
 * step. Runs at least one step, exactly one with a budget of 0, and
 * every one with a budget of Infinity. Returns the last step's result (`{ done, value }`).
 */
export function stepWithin(steps, budget) {
  if (budget > 0 && budget < Infinity) clockStep ??= measureClockStep();
  const start = performance.now();
  let longest = 0;
  let next;
  do {
    const before = performance.now();
    next = steps.next();
    longest = Math.max(longest, performance.now() - before);
  } while (!next.done && (budget === Infinity || performance.now() - start + longest + (clockStep ?? 0) < budget));
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
