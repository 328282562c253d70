// Long work on the page's thread in steps of about 30 ms, with a pause
// between them: a keystroke or a click waits at most one step. A year of
// history is 100,000 payments, and walking them all at once froze the
// page for most of a second (BENCHMARKS.md, "A year of history in the page").

/** Lets the page answer input before the next step. */
export const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Calls `work(start, end)` on consecutive slices of `count` items, `slice`
 * at a time, until `budget` ms have passed, then pauses; `progress(done)`
 * after each step. Resolves to true when all are done, or false when
 * `stopped()` said to stop before a step.
 */
export async function inSteps(count, work, { slice = 500, budget = 30, progress = () => {}, stopped = () => false } = {}) {
  let done = 0;
  while (done < count) {
    if (stopped()) return false;
    const until = performance.now() + budget;
    do {
      const end = Math.min(done + slice, count);
      work(done, end);
      done = end;
    } while (done < count && performance.now() < until);
    progress(done);
    if (done < count) await pause();
  }
  return true;
}
