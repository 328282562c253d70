// Shared by the perf scripts: a persistent Chromium profile per history
// size (IndexedDB survives between runs), long-task observation, CDP profiles.
import { chromium } from "playwright-core";
import fs from "node:fs";

export const URL_BASE = process.env.PERF_URL ?? "http://127.0.0.1:18931";
/** Where the profiles, results and CPU profiles go (scripts/bench-page.sh sets it). */
export const OUT = process.env.BENCH_PAGE_DIR ?? "target/bench-page";

/** Long tasks are recorded from the document's start into window.__lt. */
const INIT = `
  window.__lt = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lt.push({ s: e.startTime, d: e.duration }); })
      .observe({ type: "longtask", buffered: true });
  } catch (e) { console.log("no longtask", e); }
  // The page redraws every 2 s (index.js setInterval(render, 2000)); the
  // measurements of single interactions pause that tick (window.__pauseTick)
  // so that its cost, measured on its own as "idle", is not counted twice.
  // Every animation-frame callback's duration (the page draws in one), and
  // input/click events' handler time (Event Timing), below 50 ms too.
  window.__raf = [];
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => raf((t) => { const a = performance.now(); try { cb(t); } finally { window.__raf.push({ s: a, d: performance.now() - a }); } });
  window.__ev = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__ev.push({ s: e.startTime, d: e.processingEnd - e.processingStart, name: e.name }); })
      .observe({ type: "event", durationThreshold: 16, buffered: true });
  } catch (e) {}
  const si = window.setInterval;
  window.setInterval = function (cb, ms, ...rest) {
    if (ms === 2000 && typeof cb === "function") return si.call(window, () => { if (!window.__pauseTick) cb(); }, ms, ...rest);
    return si.call(window, cb, ms, ...rest);
  };
`;

export async function launch(profile) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox"],
    viewport: { width: 1100, height: 900 },
  });
  await context.addInitScript(INIT);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => console.error("pageerror", e.message));
  page.on("console", (m) => m.type() === "error" && console.error("console", m.text()));
  return { context, page };
}

export async function openNet(page, net) {
  await page.goto(`${URL_BASE}/#net=${net}`);
  await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me").textContent), null, { timeout: 600000 });
}

export const frames = (page) =>
  page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(performance.now())))));

export const now = (page) => page.evaluate(() => performance.now());

/** Long tasks between t0 and t1 (page clock): longest, total blocked (over 50 ms), total long-task time, count. */
export async function tasks(page, t0, t1) {
  const { lt, rf, ev } = await page.evaluate(([a, b]) => {
    const f = (l) => l.filter((e) => e.s + e.d >= a && e.s <= b);
    return { lt: f(window.__lt), rf: f(window.__raf), ev: f(window.__ev) };
  }, [t0, t1]);
  const maxRaf = Math.round(rf.reduce((m, e) => Math.max(m, e.d), 0));
  const maxEvt = Math.round(ev.reduce((m, e) => Math.max(m, e.d), 0));
  const longest = lt.reduce((m, e) => Math.max(m, e.d), 0);
  const tbt = lt.reduce((m, e) => m + Math.max(0, e.d - 50), 0);
  const sum = lt.reduce((m, e) => m + e.d, 0);
  return { longest: Math.round(longest), tbt: Math.round(tbt), longSum: Math.round(sum), n: lt.length, wall: Math.round(t1 - t0), maxRaf, maxEvt };
}

/** Runs `action` and `done` (waiting), then two frames; returns the long tasks of that span. */
export async function measure(page, action, done = async () => {}) {
  const t0 = await now(page);
  await action();
  await done();
  const t1 = await frames(page);
  await new Promise((r) => setTimeout(r, 100)); // the observer's entries arrive after the task
  return tasks(page, t0, t1);
}

/** A CPU profile of `fn` (sampling every 200 µs), written to `file`. */
export async function profiled(page, file, fn) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const r = await fn();
  const { profile } = await cdp.send("Profiler.stop");
  fs.writeFileSync(file, JSON.stringify(profile));
  await cdp.detach();
  return r;
}
