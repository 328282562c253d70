// Drives the browser benchmarks (bench-browser/www) in headless Debian
// chromium and writes target/bench-browser/results.json. Run through
// scripts/bench-browser.sh, which builds the wasm and the fixtures first.
//
//   node bench-browser/run.mjs [--runs N] [--cold N]
//
// --runs: ingest iterations in one page (default 5); --cold: cold starts per
// side of the open benchmark (default 5). With --private (BENCHMARKS.md,
// "Private networks (issue #13)") it runs only the private-network ingest
// page instead: --runs iterations of receive_batch of the 10,000 transfers
// clear and sealed, interleaved, and writes target/bench-browser/private.json. Every browser here is a persistent
// context (a profile directory on disk), so IndexedDB lives on disk as it
// does for a user; the in-memory incognito contexts of `launch()` in
// tests/browser/support.mjs would flatter IndexedDB. Each cold open is the
// first thing a newly started browser does with that profile.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { execSync } from "node:child_process";
import { chromium } from "playwright-core";
import { root, serve, watch, CHROMIUM, CHROMIUM_FLAGS } from "../tests/browser/support.mjs";

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}
const RUNS = option("runs", 5);
const COLD = option("cold", 5);
const PRIVATE = args.includes("--private");
const OUT = path.join(root, "target/bench-browser");
const PROFILE = path.join(OUT, "profile");
const DB = "open-100k";


async function inFreshBrowser(fn) {
  const context = await chromium.launchPersistentContext(PROFILE, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    return await fn(page);
  } finally {
    await context.close();
  }
}

async function runPage(page, url, timeout = 600_000) {
  const errors = watch(page);
  await page.goto(url);
  await page.waitForFunction(
    () => window.benchResult !== undefined || window.benchError !== undefined,
    null,
    { timeout, polling: 250 },
  );
  const [result, error] = await page.evaluate(() => [window.benchResult, window.benchError]);
  if (error !== undefined) throw new Error(`${url}: ${error}`);
  if (errors.length) console.error(`${url}: page errors:`, errors.map(String));
  return result;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
};

async function gzipSizes() {
  const pkg = path.join(root, "pkg");
  const files = ["trustfold_bg.wasm", "trustfold.js"];
  const snippets = path.join(pkg, "snippets");
  for (const entry of await fs.readdir(snippets, { recursive: true }).catch(() => [])) {
    if (entry.endsWith(".js")) files.push(path.join("snippets", entry));
  }
  const out = { files: {}, raw_total: 0, gzip9_total: 0 };
  for (const f of files) {
    const bytes = await fs.readFile(path.join(pkg, f));
    const gz = zlib.gzipSync(bytes, { level: 9 }).length;
    const stat = await fs.stat(path.join(pkg, f));
    out.files[f] = { bytes: bytes.length, gzip9: gz, mtime: stat.mtime.toISOString() };
    out.raw_total += bytes.length;
    out.gzip9_total += gz;
  }
  return out;
}

function git(cmd) {
  try {
    return execSync(`git ${cmd}`, { cwd: root }).toString().trim();
  } catch {
    return null;
  }
}

const started = new Date();
const meta = {
  started: started.toISOString(),
  // BENCH_SOURCE names the source when it is not a git work tree (an export of a commit).
  commit: process.env.BENCH_SOURCE ?? git("rev-parse --short HEAD"),
  src_dirty: process.env.BENCH_SOURCE ? false : git("status --porcelain -- src") !== "",
  nproc: os.cpus().length,
  loadavg_start: os.loadavg(),
  runs: RUNS,
  cold: COLD,
};
const manifest = JSON.parse(await fs.readFile(path.join(OUT, "fixtures/manifest.json"), "utf8"));
const server = await serve({
  "/": path.join(root, "bench-browser/www"),
  "/pkg/": path.join(OUT, "pkg"),
  "/fixtures/": path.join(OUT, "fixtures"),
});
if (PRIVATE) {
  const results = { meta, manifest };
  try {
    await fs.rm(PROFILE, { recursive: true, force: true });
    results.private = await inFreshBrowser((page) => runPage(page, `${server.url}/?mode=ingest-private&runs=${RUNS}`));
  } finally {
    await server.close();
    await fs.rm(PROFILE, { recursive: true, force: true });
  }
  const its = results.private.iterations;
  const ms = (f) => stats(its.map(f));
  results.private.summary = {
    clear_receive_batch_ms: ms((i) => i.clear.receive_batch_ms),
    sealed_receive_batch_ms: ms((i) => i.sealed.receive_batch_ms),
    idb_store_clear_ms: ms((i) => i.idb_store_clear.put_events_ms),
    idb_store_sealed_ms: ms((i) => i.idb_store_sealed.put_events_ms),
    // Per iteration: sealed time / clear time (the issue's goal: <= 1.1).
    sealed_over_clear: ms((i) => i.sealed.receive_batch_ms / i.clear.receive_batch_ms),
    idb_store_sealed_over_clear: ms((i) => i.idb_store_sealed.put_events_ms / i.idb_store_clear.put_events_ms),
  };
  meta.finished = new Date().toISOString();
  meta.loadavg_end = os.loadavg();
  const json = JSON.stringify(results, null, 2);
  await fs.writeFile(path.join(OUT, "private.json"), json);
  await fs.writeFile(path.join(OUT, `private-${started.toISOString().replace(/[:.]/g, "-")}.json`), json);
  const f = (x, d = 1) => x.toFixed(d);
  const range = (st, d = 1) => `${f(st.median, d)} (${f(st.min, d)}–${f(st.max, d)})`;
  const s = results.private.summary;
  const p = results.private.phases;
  console.log(`private-network ingest, ${meta.commit}${meta.src_dirty ? " (src/ modified)" : ""}, load ${meta.loadavg_start.map((x) => f(x, 2)).join(" ")} → ${meta.loadavg_end.map((x) => f(x, 2)).join(" ")}`);
  console.log(`${results.private.events} transfers (${manifest.ingest.bytes} B clear, ${manifest.ingest_sealed.bytes} B sealed), median (min–max) of ${RUNS} interleaved iterations:`);
  console.log(`  receive_batch clear ${range(s.clear_receive_batch_ms)} ms, sealed ${range(s.sealed_receive_batch_ms)} ms; sealed/clear ${range(s.sealed_over_clear, 3)} — goal ≤ 1.1: ${s.sealed_over_clear.median <= 1.1 ? "met" : "MISSED"}`);
  console.log(`  IdbStore::put_events clear ${range(s.idb_store_clear_ms)} ms, sealed ${range(s.idb_store_sealed_ms)} ms; sealed/clear ${range(s.idb_store_sealed_over_clear, 3)}`);
  console.log(`  sealed parts (${p.events} events, ${p.authors} authors): Event::from_bytes clear ${f(p.event_from_bytes_clear_ms)} ms, sealed ${f(p.event_from_bytes_sealed_ms)} ms; admission check of every event ${f(p.admission_check_every_event_ms)} ms; decryption ${f(p.decryption_ms)} ms; Event::opened ${f(p.opened_ms)} ms; Network::admit (fresh cache) ${f(p.network_admit_ms)} ms`);
  console.log(`results: ${path.relative(root, path.join(OUT, "private.json"))}`);
  process.exit(0);
}
const results = { meta, manifest };
try {
  await fs.rm(PROFILE, { recursive: true, force: true });

  // (3) size of the npm package's wasm and JS.
  results.size = await gzipSizes();

  // (1) ingest, with its two anchors, interleaved in one page.
  results.ingest = await inFreshBrowser((page) => runPage(page, `${server.url}/?mode=ingest&runs=${RUNS}`));
  const its = results.ingest.iterations;
  const ms = (f) => its.map(f);
  results.ingest.summary = {
    receive_batch_ms: stats(ms((i) => i.trustfold.receive_batch_ms)),
    raw_idb_put_ms: stats(ms((i) => i.raw_idb.put_ms)),
    raw_idb_issue_ms: stats(ms((i) => i.raw_idb.issue_ms)),
    idb_store_put_events_ms: stats(ms((i) => i.idb_store.put_events_ms)),
    verify_batch_ms: stats(ms((i) => i.verify_batch.verify_batch_ms)),
    verify_batch_with_key_decoding_ms: stats(ms((i) => i.verify_batch.verify_batch_with_key_decoding_ms)),
    trustfold_events_per_s: stats(ms((i) => (results.ingest.events * 1000) / i.trustfold.receive_batch_ms)),
    // Throughput fractions, per iteration: anchor time / trustfold time.
    ratio_vs_raw_idb: stats(ms((i) => i.raw_idb.put_ms / i.trustfold.receive_batch_ms)),
    ratio_vs_verify_batch: stats(ms((i) => i.verify_batch.verify_batch_ms / i.trustfold.receive_batch_ms)),
    ratio_vs_slower_anchor: stats(
      ms((i) => Math.max(i.raw_idb.put_ms, i.verify_batch.verify_batch_ms) / i.trustfold.receive_batch_ms),
    ),
  };

  // (2) cold open: fill the database once, then every measurement is the
  // first thing a freshly started browser does.
  const o = manifest.open;
  const q = new URLSearchParams({
    db: DB, account: o.probe.account, unit: o.probe.unit,
    collection: o.doc.collection, record: o.doc.record, field: o.doc.field,
  });
  results.open = { setup: await inFreshBrowser((page) => runPage(page, `${server.url}/?mode=setup-open&${q}`)) };
  results.open.trustfold = [];
  results.open.raw = [];
  for (let r = 0; r < COLD; r++) {
    const sides = r % 2 === 0 ? ["trustfold", "raw"] : ["raw", "trustfold"];
    for (const side of sides) {
      const mode = side === "trustfold" ? "cold-trustfold" : "cold-raw";
      // OPEN_PROFILE=file: a CPU profile of the first cold open from the log
      // (Chrome DevTools' format; bench-browser/profile-top.mjs reads it).
      const profiled = side === "trustfold" && r === 0 && process.env.OPEN_PROFILE;
      results.open[side].push(await inFreshBrowser(async (page) => {
        const cdp = profiled ? await page.context().newCDPSession(page) : null;
        if (cdp) {
          await cdp.send("Profiler.enable");
          await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
          await cdp.send("Profiler.start");
        }
        const result = await runPage(page, `${server.url}/?mode=${mode}&${q}`);
        if (cdp) {
          const { profile } = await cdp.send("Profiler.stop");
          await fs.writeFile(process.env.OPEN_PROFILE, JSON.stringify(profile));
        }
        return result;
      }));
    }
  }
  results.open.phases = await inFreshBrowser((page) => runPage(page, `${server.url}/?mode=open-phases&${q}`));
  const tf = results.open.trustfold;
  const raw = results.open.raw;
  results.open.summary = {
    complete: tf.every((t) => t.events === o.events && t.skipped === 0 && t.digest === o.digest
      && t.doc_chars === o.doc.chars && t.balance === o.probe.balance),
    cached_state_ok: tf.every((t) => t.cached_found && t.cached_state_current
      && t.cached_balance === o.probe.balance && t.cached_doc_chars === o.doc.chars),
    saved_documents: stats(tf.map((t) => t.saved_documents)),
    events_applied: stats(tf.map((t) => t.events)),
    skipped: stats(tf.map((t) => t.skipped)),
    wasm_init_ms: stats(tf.map((t) => t.wasm_init.ms)),
    idb_open_ms: stats(tf.map((t) => t.idb_open_ms)),
    cached_state_ms: stats(tf.map((t) => t.cached_state_ms)),
    first_state_ms: stats(tf.map((t) => t.first_state_ms)),
    first_state_since_navigation_ms: stats(tf.map((t) => t.first_state_at_ms)),
    node_open_ms: stats(tf.map((t) => t.node_open_ms)),
    log_state_ms: stats(tf.map((t) => t.log_state_ms)),
    log_state_since_navigation_ms: stats(tf.map((t) => t.log_state_at_ms)),
    doc_read_ms: stats(tf.map((t) => t.doc_read_ms)),
    doc_state_ms: stats(tf.map((t) => t.doc_state_ms)),
    raw_get_all_ms: stats(raw.map((t) => t.total_ms)),
    raw_then_get_all_keys_ms: stats(raw.map((t) => t.then_get_all_keys_ms)),
    raw_done_since_navigation_ms: stats(raw.map((t) => t.done_at_ms)),
    first_state_over_raw: stats(tf.map((t, i) => t.first_state_ms / raw[i].total_ms)),
    open_long_tasks: stats(tf.map((t) => t.long_tasks ?? 0)),
    open_longest_task_ms: stats(tf.map((t) => t.longest_task_ms ?? 0)),
    open_wasm_memory_bytes: stats(tf.map((t) => t.wasm_memory_bytes ?? 0)),
    log_state_over_raw: stats(tf.map((t, i) => t.log_state_ms / raw[i].total_ms)),
  };

  const s = results.ingest.summary;
  const os_ = results.open.summary;
  results.goals = {
    ingest_vs_slower_anchor: { goal: ">= 0.75", median: s.ratio_vs_slower_anchor.median, met: s.ratio_vs_slower_anchor.median >= 0.75 },
    // The issue's goal counts from navigation start: the page's module and
    // the wasm's loading count too, not only trustfold's own part.
    open_first_state: {
      goal: "<= 300 ms from navigation start", median_ms: os_.first_state_since_navigation_ms.median,
      met: os_.complete && os_.cached_state_ok && os_.first_state_since_navigation_ms.median <= 300,
      what: "IdbStore::open + Node::cached_state (balances and records as last saved), from navigation start, freshly started browser",
    },
    open_state_from_log: {
      goal: "<= 300 ms (if the goal is read as the state computed from the log)", median_ms: os_.log_state_ms.median,
      met: os_.complete && os_.log_state_ms.median <= 300,
    },
    // Node's zlib at level 9 compresses ≈ 0.5 % worse than GNU gzip -9,
    // the measure of the goal (scripts/build-pkg.sh prints it).
    size: { goal: "<= 800 kB (800,000 B) gzipped, measured with GNU gzip -9", bytes: results.size.gzip9_total, met: results.size.gzip9_total <= 800_000 },
  };
} finally {
  await server.close();
  await fs.rm(PROFILE, { recursive: true, force: true });
}
meta.finished = new Date().toISOString();
meta.loadavg_end = os.loadavg();
const json = JSON.stringify(results, null, 2);
await fs.writeFile(path.join(OUT, "results.json"), json);
await fs.writeFile(path.join(OUT, `results-${started.toISOString().replace(/[:.]/g, "-")}.json`), json);

const f = (x, d = 1) => x.toFixed(d);
const range = (st, d = 1, k = 1) => `${f(st.median * k, d)} (${f(st.min * k, d)}–${f(st.max * k, d)})`;
const s = results.ingest.summary;
const os_ = results.open.summary;
console.log(`browser benchmarks, ${meta.commit}${meta.src_dirty ? " (src/ modified)" : ""}, load ${meta.loadavg_start.map((x) => f(x, 2)).join(" ")} → ${meta.loadavg_end.map((x) => f(x, 2)).join(" ")}`);
console.log(`size: wasm+js gzip -9 ${results.size.gzip9_total} B (${Object.entries(results.size.files).map(([k, v]) => `${k} ${v.gzip9}`).join(", ")}) (Node's zlib) — goal ≤ 800,000 with GNU gzip -9: see scripts/build-pkg.sh`);
console.log(`ingest ${results.ingest.events} events, median (min–max) of ${RUNS}:`);
console.log(`  trustfold receive_batch ${range(s.receive_batch_ms)} ms = ${range(s.trustfold_events_per_s, 0)} events/s`);
console.log(`  raw IndexedDB puts ${range(s.raw_idb_put_ms)} ms (put() calls ${range(s.raw_idb_issue_ms)} ms; IdbStore::put_events ${range(s.idb_store_put_events_ms)} ms); verify_batch ${range(s.verify_batch_ms)} ms (with key decoding ${range(s.verify_batch_with_key_decoding_ms)} ms)`);
console.log(`  throughput vs raw IDB ${range(s.ratio_vs_raw_idb, 3)}, vs verify_batch ${range(s.ratio_vs_verify_batch, 3)}, vs the slower ${range(s.ratio_vs_slower_anchor, 3)} — goal ≥ 0.75: ${results.goals.ingest_vs_slower_anchor.met ? "met" : "MISSED"}`);
console.log(`  phases: ${JSON.stringify(results.ingest.phases)}`);
console.log(`cold open of ${manifest.open.events} events (${manifest.open.transfers} transfers + ${manifest.open.doc_events} Doc events), ${COLD} cold starts each:`);
console.log(`  complete state from the log: ${os_.complete}; cached state current and right: ${os_.cached_state_ok}; saved documents used ${range(os_.saved_documents, 0)}`);
console.log(`  first state (IdbStore::open ${range(os_.idb_open_ms)} + cached state ${range(os_.cached_state_ms)}) ${range(os_.first_state_ms)} ms, ${range(os_.first_state_since_navigation_ms)} ms after navigation (wasm init ${range(os_.wasm_init_ms)} ms) — goal ≤ 300 ms after navigation: ${results.goals.open_first_state.met ? "met" : "MISSED"}`);
console.log(`  Node::open ${range(os_.node_open_ms)} ms → state from the log ${range(os_.log_state_ms)} ms (${range(os_.log_state_since_navigation_ms)} after navigation); document text read ${range(os_.doc_read_ms)} ms → document ${range(os_.doc_state_ms)} ms`);
console.log(`  the page's thread during the open: ${range(os_.open_long_tasks)} tasks over 50 ms, the longest ${range(os_.open_longest_task_ms)} ms (goal: none over 50 ms); wasm memory after the open ${range(os_.open_wasm_memory_bytes)} B (its peak)`);
console.log(`  raw IndexedDB open+getAll ${range(os_.raw_get_all_ms)} ms (then getAllKeys ${range(os_.raw_then_get_all_keys_ms)} ms); state from the log / raw ${range(os_.log_state_over_raw, 2)}, first state / raw ${range(os_.first_state_over_raw, 3)}`);
console.log(`  setup: ${JSON.stringify(results.open.setup)}`);
console.log(`  phases: ${JSON.stringify(results.open.phases)}`);
console.log(`results: ${path.relative(root, path.join(OUT, "results.json"))}`);
