// Long work in steps (www/steps.js), without a browser: a task runs
// another step only while it still fits in the budget, so a person's
// click waits at most about one budget, and every step runs exactly once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { allInSteps, inSteps, madeInSteps, stepWithin } from "../../www/steps.js";

/** Keeps the thread busy `ms` ms, as a step of real work does. */
function busy(ms) {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test("a task runs another step only if it still fits in the budget", () => {
  let ran = 0;
  function* steps() {
    for (;;) {
      busy(15);
      ran += 1;
      yield ran;
    }
  }
  const it = steps();
  const next = stepWithin(it, 40);
  // 15 + 15 = 30 ms, and a third (to ≈ 45) would not fit in 40; on a
  // loaded machine a step may take longer and fewer run, never more.
  assert.ok(ran >= 1 && ran <= 2, `${ran} steps in one task`);
  assert.deepEqual(next, { value: ran, done: false });
  // A step longer than the budget still runs, alone.
  function* long() {
    busy(30);
    yield 1;
    busy(30);
    yield 2;
  }
  const one = long();
  assert.deepEqual(stepWithin(one, 20), { value: 1, done: false });
  assert.deepEqual(stepWithin(one, 20), { value: 2, done: false });
  assert.deepEqual(stepWithin(one, 20), { value: undefined, done: true });
});

test("with a clock rounded to 100 ms, as some browsers round it, a task runs one step", async () => {
  // What a browser that resists fingerprinting gives: steps measure 0 ms
  // until the clock ticks. Before, ten steps of 15 ms ran in one task.
  const real = performance.now.bind(performance);
  const realBusy = (ms) => {
    const until = real() + ms;
    while (real() < until);
  };
  performance.now = () => Math.floor(real() / 100) * 100;
  try {
    // A module of its own, which measures the rounded clock.
    const { stepWithin: coarse, allInSteps: coarseAll } = await import("../../www/steps.js?coarse-clock");
    let ran = 0;
    function* steps() {
      for (let i = 0; i < 10; i += 1) {
        realBusy(15);
        ran += 1;
        yield;
      }
      return "done";
    }
    const it = steps();
    coarse(it, 40);
    assert.equal(ran, 1, "one step in the first task");
    assert.equal(await coarseAll(it, 40), "done");
    assert.equal(ran, 10, "every step ran");
    let all = 0;
    coarse((function* () { for (; all < 5; all += 1) yield; })(), Infinity);
    assert.equal(all, 5, "with no budget, every step in one task");
  } finally {
    delete performance.now;
  }
});

test("every step runs once, with the page given back between tasks, and the result is the iterator's", async () => {
  let timerRan = false;
  setTimeout(() => (timerRan = true), 0);
  const seen = [];
  function* steps() {
    for (let i = 0; i < 6; i += 1) {
      busy(15);
      seen.push(timerRan);
      yield;
    }
    return "all done";
  }
  assert.equal(await allInSteps(steps(), 40), "all done");
  assert.equal(seen.length, 6);
  assert.equal(seen[0], false, "the first step runs at once");
  assert.equal(seen.at(-1), true, "a timer due meanwhile ran between tasks");
});

test("slices cover every item once, report progress, and stop when told", async () => {
  const covered = [];
  const progress = [];
  const all = await inSteps(2500, (start, end) => covered.push([start, end]), { slice: 1000, progress: (d) => progress.push(d) });
  assert.equal(all, true);
  assert.deepEqual(covered, [[0, 1000], [1000, 2000], [2000, 2500]]);
  assert.equal(progress.at(-1), 2500);
  let tasks = 0;
  const stopped = await inSteps(
    10,
    () => busy(20),
    { slice: 1, budget: 30, stopped: () => (tasks += 1) > 2 },
  );
  assert.equal(stopped, false, "stopped before the work was done");
});

test("a value made in steps over a state that changed meanwhile is made again, all of one state", async () => {
  const state = { version: 1 };
  // Each step reads the state as it is then, as the preview reads the node.
  function* parts() {
    const first = state.version;
    yield;
    const second = state.version;
    return [first, second];
  }
  assert.deepEqual(await madeInSteps(parts, () => state.version, 40), [1, 1], "nothing changed: made in steps");
  // A step of 0 ms budget ends each task: the change lands between steps.
  setTimeout(() => (state.version = 2), 0);
  const made = await madeInSteps(parts, () => state.version, 0);
  assert.deepEqual(made, [2, 2], "made again after the change, not [1, 2]");
});

test("a budget of 0 runs one step a task even with a clock rounded to 100 ms", (t) => {
  // Firefox's resistFingerprinting and Tor Browser round performance.now():
  // a 12 ms step then measures 0 ms, and a budget in ms says nothing.
  const real = performance;
  const realNow = () => real.now();
  const coarse = { now: () => Math.floor(realNow() / 100) * 100 };
  Object.defineProperty(globalThis, "performance", { value: coarse, configurable: true, writable: true });
  t.after(() => Object.defineProperty(globalThis, "performance", { value: real, configurable: true, writable: true }));
  let ran = 0;
  function* steps() {
    for (;;) {
      const until = realNow() + 12;
      while (realNow() < until);
      ran += 1;
      yield;
    }
  }
  stepWithin(steps(), 0);
  assert.equal(ran, 1);
});
