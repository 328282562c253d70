// The typing benchmark (BENCHMARKS.md, "Typing the editing trace"; issue
// #17): the editing trace (tests/data/automerge-paper.json.gz, 259,778
// keystrokes) typed one keystroke per task into trustfold's `spliceText`,
// Yjs + y-indexeddb and @automerge/automerge, in one page
// (bench-browser/www/typing.js, bundled here with webpack). Each run is a
// newly started browser with a new profile; the three take turns in an
// order that rotates from run to run.
//
//   node bench-browser/typing.mjs [--runs N] [--edits N] [--editors a,b,…]
//
// --edits N types the trace's first N keystrokes (default: all of them);
// --editors picks among trustfold, yjs and automerge (default: all three),
// and `loop`: no editor, the loop's one task per keystroke alone.
// Yjs + y-indexeddb takes ≈ 4.5 ms a keystroke here (223 s for the first
// 50,000; the whole trace did not finish in 12 min, ≈ 20 min a run by that
// rate): `make bench-typing` types the whole trace without it, then the
// first 50,000 keystrokes with all three.
// Writes target/bench-browser/typing.json (and a timestamped copy).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execSync } from "node:child_process";
import webpack from "webpack";
import { chromium } from "playwright-core";
import { root, serve, watch, CHROMIUM, CHROMIUM_FLAGS } from "../tests/browser/support.mjs";

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}
const RUNS = option("runs", 3);
const EDITS = option("edits", Infinity);
const OUT = path.join(root, "target/bench-browser");
const SITE = path.join(OUT, "typing");
const i = args.indexOf("--editors");
const EDITORS = i >= 0 ? args[i + 1].split(",") : ["trustfold", "yjs", "automerge"];
const log = (...xs) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...xs);

// The page: typing.js and its libraries, bundled as an app would bundle them.
await fs.rm(SITE, { recursive: true, force: true });
const compiler = webpack({
  mode: "production",
  context: path.join(root, "bench-browser/www"),
  entry: { typing: "./typing.js" },
  output: { path: SITE, filename: "[name].js" },
  resolve: { alias: { trustfold: path.join(root, "pkg") } },
  performance: { hints: false },
});
const stats = await new Promise((ok, fail) => compiler.run((e, s) => (e ? fail(e) : ok(s))));
await new Promise((ok) => compiler.close(ok));
if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
await fs.writeFile(
  path.join(SITE, "index.html"),
  '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>typing</title><script type="module" src="typing.js"></script>',
);

const pages = await serve({ "/": SITE, "/trace/": path.join(root, "tests/data") });
const git = (cmd) => execSync(`git ${cmd}`, { cwd: root }).toString().trim();
const started = new Date();
const results = {
  meta: { started: started.toISOString(), commit: git("rev-parse --short HEAD"), nproc: os.cpus().length, loadavg_start: os.loadavg(), runs: RUNS },
  runs: [],
};
try {
  for (let r = 0; r < RUNS; r++) {
    const profile = path.join(OUT, `typing-profile-${r}`);
    await fs.rm(profile, { recursive: true, force: true });
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors = watch(page);
      await page.goto(`${pages.url}/`);
      await page.waitForFunction(() => document.title === "ready", null, { timeout: 60_000 });
      results.trace = await page.evaluate((n) => typing.load(n), Number.isFinite(EDITS) ? EDITS : undefined);
      const order = EDITORS.map((_, k) => EDITORS[(k + r) % EDITORS.length]);
      const run = { run: r + 1, order, loadavg_start: os.loadavg() };
      for (const name of order) {
        const got = await page.evaluate((name) => typing.run(name), name);
        if (!got.same_text) throw new Error(`${name}: the text differs from the trace's`);
        run[name] = got;
        log(`run ${r + 1}: ${name} ${(got.ms / 1000).toFixed(2)} s${got.events !== undefined ? `, ${got.events} events signed` : ""}`);
      }
      if (errors.length) run.page_errors = errors.map(String);
      results.runs.push(run);
    } finally {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    }
  }
} finally {
  await pages.close();
}

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
};
const per = (f) => stat(results.runs.map(f));
// Each tenth against the first tenth: the slowest of tenths 2–10.
const drift = (t) => Math.max(...t.slice(1)) / t[0];
const has = (e) => EDITORS.includes(e);
results.summary = {
  ms: Object.fromEntries(EDITORS.map((e) => [e, per((r) => r[e].ms)])),
  trustfold_over_automerge: has("trustfold") && has("automerge") ? per((r) => r.trustfold.ms / r.automerge.ms) : null,
  trustfold_over_yjs: has("trustfold") && has("yjs") ? per((r) => r.trustfold.ms / r.yjs.ms) : null,
  events_signed: has("trustfold") ? per((r) => r.trustfold.events) : null,
  tenth_drift: Object.fromEntries(EDITORS.map((e) => [e, per((r) => drift(r[e].tenths))])),
};
results.meta.loadavg_end = os.loadavg();
const json = JSON.stringify(results, null, 2);
const tag = `${EDITORS.join("-")}-${results.trace.edits}`;
await fs.writeFile(path.join(OUT, "typing.json"), json);
await fs.writeFile(path.join(OUT, `typing-${tag}-${started.toISOString().replace(/[:.]/g, "-")}.json`), json);

const s = results.summary;
const f = (x, d) => x.toFixed(d);
const range = (st, d = 0) => `${f(st.median, d)} (${f(st.min, d)}–${f(st.max, d)})`;
console.log(`typing the editing trace, ${results.meta.commit}, ${results.trace.edits} keystrokes, one a task; median (min–max) of ${RUNS} runs`);
for (const e of EDITORS) console.log(`  ${e}: ${range(s.ms[e])} ms; slowest tenth / first tenth ${range(s.tenth_drift[e], 2)}`);
if (s.trustfold_over_automerge) console.log(`  trustfold / automerge ${range(s.trustfold_over_automerge, 2)} (goal ≤ 1.5)`);
if (s.trustfold_over_yjs) console.log(`  trustfold / Yjs ${range(s.trustfold_over_yjs, 2)} (goal < 1)`);
if (has("trustfold")) console.log(`  trustfold's tenths ≤ 1.3× the first: ${s.tenth_drift.trustfold.median <= 1.3 ? "met" : "MISSED"}; events signed ${range(s.events_signed)}`);
console.log(`results: ${path.relative(root, path.join(OUT, "typing.json"))}`);
