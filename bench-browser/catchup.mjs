// The catch-up benchmark (BENCHMARKS.md, "Browser: catch-up over WebRTC"):
// two pages in two browsers (persistent contexts: separate identities,
// IndexedDB on disk), the real signalling server, real WebRTC data channels
// with host candidates only. Run through `scripts/bench-browser.sh --catchup`,
// which builds pkg/, the bench wasm, the fixtures and the server first.
//
//   node bench-browser/catchup.mjs [--runs N] [--events N] [--no-phases] [--workers N]
//
// Page A (one browser for the whole invocation) opens the node of a fresh
// network and takes the first N events of open.bin (the 100,000 transfers)
// through node.receive() in batches of 10,000 — setup, not timed as a
// result. Then, N runs, each with a new browser B (new profile, new identity,
// no events):
//   (a) trustfold: A is connected; B calls node.connect(url); timed until the
//       peer changes B hears add up to N events; B's view digest must equal A's;
//   (b) raw anchor: a plain RTCPeerConnection pair between the same two pages
//       (iceServers: [], offer and answer passed by this driver), the same
//       event bytes back to back in 60 KiB messages with bufferedAmount flow
//       control (trustfold's thresholds), B counts bytes and acks at the end;
//   (a) and (b) alternate which goes first. Without any network, each in a
//   newly started browser with a new profile (like B's):
//   (c) receive() of the same events into a fresh node, in the frames' groups
//       (what sync does per frame), and in one call (receive_batch pipelined);
//   (d) the sync path without transport or façade (bench wasm: sync::Session
//       answers, Node::from_peer takes each frame), and its parts one by one:
//       Event::from_bytes (signature verification), IdbStore::put_events per
//       frame, Replica::insert;
//   (e) storage alone in plain JS: IndexedDB puts of the same records, one
//       transaction per frame's group, and all in one transaction.
//   (f) the verification ceiling: the same events checked by the package's
//       worker check (verifyInWorker) in 1 worker, and in one per core, with
//       nothing else to do.
// --workers N sets B's verifying workers for (a) and (c) (0: the page's
// thread); by default the package's (one per core).
// The order of [(a), (b)], (c) in groups, (c) in one call, (d), (d)'s parts,
// (e) per frame, (e) in one rotates from run to run, with a 2 s pause before each.
// Writes target/bench-browser/catchup.json (and a timestamped copy).
//
// With --private (BENCHMARKS.md, "Private networks (issue #13)") it measures
// instead a clear catch-up against a sealed one: two A pages, each in its own
// browser, hold the first N transfers, one in an open network (open.bin) and
// one in the fixtures' private network (open-sealed.bin, the same transfers
// sealed); each run, a new browser B catches up from each, the order
// alternating from run to run; no anchors (b)–(e). Writes private-catchup.json.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execSync } from "node:child_process";
import { chromium } from "playwright-core";
import { root, serve, watch, signallingServer, CHROMIUM, CHROMIUM_FLAGS } from "../tests/browser/support.mjs";

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}
const RUNS = option("runs", 3);
const OUT = path.join(root, "target/bench-browser");
const MESSAGE = 60 * 1024;
const FILL_BATCH = 10_000;
const PHASES = !args.includes("--no-phases");
const PRIVATE = args.includes("--private");
/** --workers N: B's verifying workers (node.setVerifyWorkers; 0: the page's thread). Default: the package's. */
const WORKERS = args.includes("--workers") ? option("workers") : null;
/** --second-tab: B has a second tab open on the same network; its long tasks while it takes in B's catch-up. */
const SECOND_TAB = args.includes("--second-tab");
/** A pause before each measurement (the last browser has closed; A noticed that B left). */
const SETTLE_MS = 2000;


async function browser(name) {
  const profile = path.join(OUT, `catchup-profile-${name}`);
  await fs.rm(profile, { recursive: true, force: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = watch(page);
  return {
    page,
    errors,
    close: async () => {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
};

function git(cmd) {
  try {
    return execSync(`git ${cmd}`, { cwd: root }).toString().trim();
  } catch {
    return null;
  }
}

const log = (...xs) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...xs);

const started = new Date();
const manifest = JSON.parse(await fs.readFile(path.join(OUT, "fixtures/manifest.json"), "utf8"));
const EVENTS = option("events", manifest.open.transfers);
const meta = {
  started: started.toISOString(),
  workers: WORKERS ?? "default",
  commit: process.env.BENCH_SOURCE ?? git("rev-parse --short HEAD"),
  src_dirty: process.env.BENCH_SOURCE ? false : git("status --porcelain -- src") !== "",
  nproc: os.cpus().length,
  loadavg_start: os.loadavg(),
  runs: RUNS,
  events: EVENTS,
  message_bytes: MESSAGE,
  fixture: "the first EVENTS records of open.bin: signed transfers by 1,000 authors (100 each), parents first",
};
const pages = await serve({
  "/": path.join(root, "bench-browser/www"),
  "/pkg/": path.join(root, "pkg"),
  "/bench-pkg/": path.join(OUT, "pkg"),
  "/fixtures/": path.join(OUT, "fixtures"),
});
// Without the server's relay (issue #14): connect() also links the relay of
// the same server, so with it B would catch up from A and from the relay at
// once. This benchmark measures the catch-up over WebRTC.
const signalling = await signallingServer(undefined, { relay: false });
const signalUrl = signalling.url.replace("http:", "ws:") + "/signal";
const net = `catchup-${Math.random().toString(36).slice(2)}`;
if (PRIVATE) {
  const results = { meta, setup: {}, runs: [] };
  const sealedNet = manifest.open_sealed.invite; // { invite, name }
  const variants = {
    clear: { net, file: manifest.open.file },
    sealed: { net: sealedNet, file: manifest.open_sealed.file },
  };
  const holders = {};
  try {
    // One A per network, each in its own browser, connected throughout.
    for (const [name, v] of Object.entries(variants)) {
      const h = await browser(`A-${name}`);
      holders[name] = h;
      await h.page.goto(`${pages.url}/catchup.html`);
      await h.page.waitForFunction(() => document.title === "ready");
      results.setup[`${name}_fixture`] = await h.page.evaluate(([n, file]) => cu.load(n, file), [EVENTS, v.file]);
      results.setup[`${name}_open`] = await h.page.evaluate((net) => cu.open(net), v.net);
      log(`A (${name}): filling ${EVENTS} events through receive() in batches of ${FILL_BATCH} (setup, not timed)`);
      const fill = await h.page.evaluate((b) => cu.fill(b), FILL_BATCH);
      results.setup[`${name}_fill`] = fill;
      if (fill.stored !== EVENTS || fill.applied !== EVENTS || fill.refused !== 0) {
        throw new Error(`A's fill (${name}) is wrong: ${JSON.stringify(fill)}`);
      }
      log(`A (${name}): filled in ${(fill.ms / 1000).toFixed(1)} s`);
      await h.page.evaluate((url) => cu.connect(url), signalUrl);
    }
    await new Promise((r) => setTimeout(r, 1000)); // both have joined their rooms
    for (let r = 0; r < RUNS; r++) {
      const run = { run: r + 1, loadavg_start: os.loadavg(), order: r % 2 === 0 ? ["clear", "sealed"] : ["sealed", "clear"] };
      for (const name of run.order) {
        const v = variants[name];
        await new Promise((ok) => setTimeout(ok, SETTLE_MS));
        const b = await browser(`B${r + 1}-${name}`);
        try {
          await b.page.goto(`${pages.url}/catchup.html`);
          await b.page.waitForFunction(() => document.title === "ready");
          await b.page.evaluate(([n, file]) => cu.load(n, file), [EVENTS, v.file]);
          const opened = await b.page.evaluate((net) => cu.open(net), v.net);
          if (opened.events !== 0) throw new Error(`B is not empty: ${opened.events} events`);
          await holders[name].page.evaluate(() => cu.wireSent()); // resets A's counters
          const got = await b.page.evaluate(([url, n]) => cu.catchUp(url, n, 900_000), [signalUrl, EVENTS]);
          got.sender = await holders[name].page.evaluate(() => cu.wireSent());
          got.digest_equal = got.digest.included === results.setup[`${name}_fill`].digest.included;
          if (!got.digest_equal) throw new Error(`B's digest differs from A's (${name}): ${JSON.stringify(got)}`);
          if (b.errors.length) got.page_errors = b.errors.map(String);
          run[name] = got;
          log(`run ${r + 1}: ${name} catch-up ${(got.all_events_ms / 1000).toFixed(2)} s (${got.frame_bytes_arrived} B of frames)`);
        } finally {
          await b.close();
        }
      }
      run.loadavg_end = os.loadavg();
      results.runs.push(run);
    }
  } finally {
    for (const h of Object.values(holders)) await h.close();
    signalling.stop();
    await pages.close();
  }
  const per = (f) => stats(results.runs.map(f));
  results.summary = {
    events: EVENTS,
    clear_event_bytes: results.setup.clear_fixture.event_bytes,
    sealed_event_bytes: results.setup.sealed_fixture.event_bytes,
    clear_ms: per((r) => r.clear.all_events_ms),
    sealed_ms: per((r) => r.sealed.all_events_ms),
    clear_frame_bytes: per((r) => r.clear.frame_bytes_arrived),
    sealed_frame_bytes: per((r) => r.sealed.frame_bytes_arrived),
    clear_last_frame_arrived_ms: per((r) => r.clear.last_arrival_ms),
    sealed_last_frame_arrived_ms: per((r) => r.sealed.last_arrival_ms),
    // Per run: sealed time / clear time (the goal: <= 1.1).
    sealed_over_clear: per((r) => r.sealed.all_events_ms / r.clear.all_events_ms),
  };
  meta.finished = new Date().toISOString();
  meta.loadavg_end = os.loadavg();
  const json = JSON.stringify(results, null, 2);
  await fs.writeFile(path.join(OUT, "private-catchup.json"), json);
  await fs.writeFile(path.join(OUT, `private-catchup-${started.toISOString().replace(/[:.]/g, "-")}.json`), json);
  const f = (x, d = 1) => x.toFixed(d);
  const range = (st, d = 1) => `${f(st.median, d)} (${f(st.min, d)}–${f(st.max, d)})`;
  const s = results.summary;
  console.log(`private-network catch-up over WebRTC, ${meta.commit}${meta.src_dirty ? " (src/ modified)" : ""}, load ${meta.loadavg_start.map((x) => f(x, 2)).join(" ")} → ${meta.loadavg_end.map((x) => f(x, 2)).join(" ")}`);
  console.log(`${EVENTS} transfers (${s.clear_event_bytes} B clear, ${s.sealed_event_bytes} B sealed); median (min–max) of ${RUNS} runs`);
  console.log(`  connect() → all events: clear ${range(s.clear_ms, 0)} ms, sealed ${range(s.sealed_ms, 0)} ms; sealed/clear ${range(s.sealed_over_clear, 3)} — goal ≤ 1.1: ${s.sealed_over_clear.median <= 1.1 ? "met" : "MISSED"}`);
  console.log(`  last frame arrived: clear ${range(s.clear_last_frame_arrived_ms, 0)} ms, sealed ${range(s.sealed_last_frame_arrived_ms, 0)} ms; frame bytes clear ${range(s.clear_frame_bytes, 0)}, sealed ${range(s.sealed_frame_bytes, 0)}`);
  console.log(`results: ${path.relative(root, path.join(OUT, "private-catchup.json"))}`);
  process.exit(0);
}
const results = { meta, setup: {}, runs: [] };
let a;
try {
  // Page A: the node holding every event, connected for the whole invocation.
  a = await browser("A");
  await a.page.goto(`${pages.url}/catchup.html`);
  await a.page.waitForFunction(() => document.title === "ready");
  results.setup.fixture = await a.page.evaluate((n) => cu.load(n), EVENTS);
  results.setup.a_open = await a.page.evaluate((net) => cu.open(net), net);
  log(`A: filling ${EVENTS} events through receive() in batches of ${FILL_BATCH} (setup, not timed)`);
  results.setup.a_fill = await a.page.evaluate((b) => cu.fill(b), FILL_BATCH);
  const fill = results.setup.a_fill;
  if (fill.stored !== EVENTS || fill.applied !== EVENTS || fill.refused !== 0) {
    throw new Error(`A's fill is wrong: ${JSON.stringify(fill)}`);
  }
  log(`A: filled in ${(fill.ms / 1000).toFixed(1)} s`);
  await a.page.evaluate((url) => cu.connect(url), signalUrl);
  await new Promise((r) => setTimeout(r, 1000)); // A has joined the room
  const aDigest = fill.digest;

  /** A newly started browser with a new profile, the page loaded and the fixture fetched. */
  async function fresh(name, fn) {
    const c = await browser(name);
    try {
      await c.page.goto(`${pages.url}/catchup.html`);
      await c.page.waitForFunction(() => document.title === "ready");
      await c.page.evaluate((n) => cu.load(n), EVENTS);
      const out = await fn(c.page);
      if (c.errors.length) out.page_errors = c.errors.map(String);
      return out;
    } finally {
      await c.close();
    }
  }

  for (let r = 0; r < RUNS; r++) {
    const run = { run: r + 1, loadavg_start: os.loadavg() };
    // (a) and (b): browser B, empty, and A.
    const pair = () => fresh(`B${r + 1}`, async (b) => {
      run.b_open = await b.evaluate(([net, w]) => cu.open(net, w), [net, WORKERS]);
      if (run.b_open.events !== 0) throw new Error(`B is not empty: ${run.b_open.events} events`);
      const trustfold = async () => {
        await a.page.evaluate(() => cu.wireSent()); // resets A's counters
        // CATCHUP_PROFILE=file: a CPU profile of B's page during the
        // catch-up (Chrome DevTools' .cpuprofile), for finding long tasks.
        const cdp = process.env.CATCHUP_PROFILE ? await b.context().newCDPSession(b) : null;
        if (cdp) {
          await cdp.send("Profiler.enable");
          await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
          await cdp.send("Profiler.start");
        }
        let tab = null;
        if (SECOND_TAB) {
          tab = await b.context().newPage();
          await tab.goto(`${pages.url}/catchup.html`);
          await tab.waitForFunction(() => document.title === "ready");
          await tab.evaluate((net) => cu.open(net), net);
          await tab.evaluate(() => cu.watchTab());
        }
        run.catchup = await b.evaluate(([url, n]) => cu.catchUp(url, n, 600_000), [signalUrl, EVENTS]);
        if (tab) {
          run.catchup.second_tab = await tab.evaluate((n) => cu.tabDone(n, 120_000), EVENTS);
          await tab.close();
        }
        if (cdp) {
          const { profile } = await cdp.send("Profiler.stop");
          await fs.writeFile(process.env.CATCHUP_PROFILE, JSON.stringify(profile));
        }
        run.catchup.sender = await a.page.evaluate(() => cu.wireSent());
        run.catchup.digest_equal = run.catchup.digest.included === aDigest.included;
        run.catchup.state_digest_equal = run.catchup.digest.state === aDigest.state;
        if (!run.catchup.digest_equal) throw new Error(`B's digest differs from A's: ${JSON.stringify(run.catchup)}`);
        log(`run ${r + 1}: trustfold catch-up ${(run.catchup.all_events_ms / 1000).toFixed(2)} s (link ${run.catchup.link_ms?.toFixed(0)} ms)`);
      };
      const rawAnchor = async () => {
        const offer = await a.page.evaluate(() => cu.rawOffer());
        const answer = await b.evaluate(([sdp, n]) => cu.rawAnswer(sdp, n), [offer, results.setup.fixture.event_bytes]);
        const setup = await a.page.evaluate((sdp) => cu.rawAccept(sdp), answer);
        const sent = await a.page.evaluate((size) => cu.rawSend(size), MESSAGE);
        const got = await b.evaluate(() => cu.rawReceived());
        await a.page.evaluate(() => cu.rawClose());
        await b.evaluate(() => cu.rawClose());
        if (got.bytes !== sent.bytes) throw new Error(`raw: sent ${sent.bytes}, received ${got.bytes}`);
        run.raw = { ...setup, ...sent, receiver: got };
        log(`run ${r + 1}: raw data channel ${(sent.until_ack_ms / 1000).toFixed(2)} s (setup ${setup.setup_ms.toFixed(0)} ms)`);
      };
      run.pair_order = r % 2 === 0 ? ["trustfold", "raw"] : ["raw", "trustfold"];
      for (const side of run.pair_order) await (side === "trustfold" ? trustfold() : rawAnchor());
      return {};
    });
    // (c) and (d): without any network, each in a newly started browser of
    // its own, so that every IndexedDB figure starts from an empty profile
    // as B's catch-up does (run in B's browser after its catch-up, with
    // 100,000 records in the origin's IndexedDB, the sync path without
    // network took 61–67 s against 46–49 s run before it).
    const local = (mode) => () => fresh(`L${r + 1}-${mode}`, async (page) => {
      const got = await page.evaluate(([net, mode, w]) => cu.localReceive(net, mode, w), [`local-${mode}`, mode, WORKERS]);
      if (got.stored !== EVENTS || got.refused !== 0 || got.digest.included !== aDigest.included) {
        throw new Error(`local receive (${mode}) is wrong: ${JSON.stringify(got)}`);
      }
      run[`local_receive_${mode}`] = got;
      log(`run ${r + 1}: local receive(), ${mode}: ${(got.receive_ms / 1000).toFixed(2)} s`);
      return got;
    });
    const withoutNetwork = () => fresh(`L${r + 1}-sync`, async (page) => {
      const got = await page.evaluate((db) => cu.syncWithoutNetwork(db), "sync-local");
      if (!got.digest_equal || got.b_events !== EVENTS) {
        throw new Error(`sync without network is wrong: ${JSON.stringify(got)}`);
      }
      run.sync_without_network = got;
      log(`run ${r + 1}: sync path without network ${(got.total_ms / 1000).toFixed(2)} s`);
      return got;
    });
    const parts = () => fresh(`L${r + 1}-phases`, async (page) => {
      run.phases = await page.evaluate((db) => cu.phases(db), "phases");
      log(`run ${r + 1}: phases ${JSON.stringify(run.phases)}`);
      return run.phases;
    });
    const rawIdb = (mode) => () => fresh(`L${r + 1}-idb-${mode}`, async (page) => {
      const got = await page.evaluate((mode) => cu.rawIdb("raw-idb", mode), mode);
      run[`raw_idb_${mode}`] = got;
      log(`run ${r + 1}: raw IndexedDB puts, ${mode}: ${(got.put_ms / 1000).toFixed(2)} s`);
      return got;
    });
    // The verification ceilings: one worker, and one per core, checking the
    // same events with nothing else to do.
    const ceiling = () => fresh(`L${r + 1}-ceiling`, async (page) => {
      for (const n of [1, os.cpus().length]) {
        const got = await page.evaluate((n) => cu.verifyCeiling(n), n);
        if (got.valid !== EVENTS) throw new Error(`ceiling (${n}): ${JSON.stringify(got)}`);
        run[`verify_ceiling_${n === 1 ? "one" : "all"}`] = got;
        log(`run ${r + 1}: verification ceiling, ${n} worker(s): ${(got.ms / 1000).toFixed(2)} s`);
      }
      return {};
    });
    // The order rotates from run to run, so that none is always first or last.
    const jobs = [["catchup+raw", pair], ["local_frames", local("frames")], ["local_all", local("all")], ["verify_ceiling", ceiling]];
    if (PHASES) {
      jobs.push(["sync_without_network", withoutNetwork], ["phases", parts]);
      jobs.push(["raw_idb_frames", rawIdb("frames")], ["raw_idb_all", rawIdb("all")]);
    }
    run.order = [];
    for (let k = 0; k < jobs.length; k++) {
      const [name, job] = jobs[(k + r) % jobs.length];
      run.order.push(name);
      await new Promise((ok) => setTimeout(ok, SETTLE_MS));
      const out = await job();
      if (out.page_errors) (run.page_errors ??= {})[name] = out.page_errors;
    }
    run.loadavg_end = os.loadavg();
    results.runs.push(run);
  }
  if (a.errors.length) results.a_page_errors = a.errors.map(String);
} finally {
  await a?.close();
  signalling.stop();
  await pages.close();
}

// Throughputs: event bytes per second; ratio (a) / (b) per run.
const bytes = results.setup.fixture.event_bytes;
const runs = results.runs;
const per = (f) => stats(runs.map(f));
const mibps = (ms) => bytes / (ms / 1000) / (1024 * 1024);
const evps = (ms) => EVENTS / (ms / 1000);
results.summary = {
  event_bytes: bytes,
  events: EVENTS,
  catchup_ms: per((r) => r.catchup.all_events_ms),
  catchup_link_ms: per((r) => r.catchup.link_ms),
  catchup_first_events_ms: per((r) => r.catchup.first_events_ms),
  catchup_transfer_ms: per((r) => r.catchup.transfer_ms),
  catchup_last_frame_arrived_ms: per((r) => r.catchup.last_arrival_ms),
  catchup_events_processed_at_last_arrival: per((r) => r.catchup.events_processed_at_last_arrival),
  catchup_sender_span_ms: per((r) => r.catchup.sender.sending_span_ms),
  catchup_frame_bytes: per((r) => r.catchup.frame_bytes_arrived),
  save_snapshots_after_catchup_ms: per((r) => r.catchup.save_snapshots_after_ms),
  catchup_max_bytes_in_flight: per((r) => r.catchup.max_bytes_in_flight),
  catchup_long_tasks: per((r) => r.catchup.long_tasks),
  catchup_longest_task_ms: per((r) => r.catchup.longest_task_ms),
  catchup_idb_write_transactions: per((r) => r.catchup.idb_write_transactions),
  catchup_long_task_ms_total: per((r) => r.catchup.long_task_ms_total),
  catchup_events_per_s: per((r) => evps(r.catchup.all_events_ms)),
  catchup_mib_per_s: per((r) => mibps(r.catchup.all_events_ms)),
  raw_setup_ms: per((r) => r.raw.setup_ms),
  raw_ms: per((r) => r.raw.until_ack_ms),
  raw_receiver_first_to_last_ms: per((r) => r.raw.receiver.first_to_last_ms),
  raw_mib_per_s: per((r) => mibps(r.raw.until_ack_ms)),
  raw_events_per_s: per((r) => evps(r.raw.until_ack_ms)),
  // The ratio: trustfold from connect() to all events vs raw transfer.
  ratio: per((r) => r.raw.until_ack_ms / r.catchup.all_events_ms),
  // Like for like on set-up: both with their connection set-up, and both without.
  ratio_both_with_setup: per((r) => (r.raw.until_ack_ms + r.raw.setup_ms) / r.catchup.all_events_ms),
  ratio_both_without_setup: per((r) => r.raw.until_ack_ms / (r.catchup.all_events_ms - r.catchup.link_ms)),
  local_receive_frames_ms: per((r) => r.local_receive_frames.receive_ms),
  local_receive_all_ms: per((r) => r.local_receive_all.receive_ms),
  catchup_over_local_frames: per((r) => r.catchup.all_events_ms / r.local_receive_frames.receive_ms),
  catchup_over_local_all: per((r) => r.catchup.all_events_ms / r.local_receive_all.receive_ms),
  verify_ceiling_one_ms: per((r) => r.verify_ceiling_one.ms),
  verify_ceiling_all_ms: per((r) => r.verify_ceiling_all.ms),
  // The other bound: catch-up throughput as a fraction of the
  // all-core verification ceiling (goal >= 0.9 where that is the lower).
  catchup_over_ceiling: per((r) => r.verify_ceiling_all.ms / r.catchup.all_events_ms),
  ceiling_over_raw: per((r) => r.raw.until_ack_ms / r.verify_ceiling_all.ms),
  catchup_workers_checked: per((r) => r.catchup.verify_workers?.checked ?? 0),
  catchup_js_heap_peak: per((r) => r.catchup.js_heap_peak),
  catchup_wasm_memory: per((r) => r.catchup.wasm_memory),
};
if (PHASES) {
  Object.assign(results.summary, {
    sync_without_network_ms: per((r) => r.sync_without_network.total_ms),
    sync_without_network_a_answer_ms: per((r) => r.sync_without_network.a_answer_ms),
    frames: runs[0].sync_without_network.frames,
    frame_bytes: runs[0].sync_without_network.frame_bytes,
    verify_ms: per((r) => r.phases.event_from_bytes_ms),
    idb_put_per_frame_ms: per((r) => r.phases.idb_put_events_per_frame_ms),
    insert_ms: per((r) => r.phases.replica_insert_ms),
    raw_idb_frames_ms: per((r) => r.raw_idb_frames.put_ms),
    raw_idb_all_ms: per((r) => r.raw_idb_all.put_ms),
    // If nothing but plain IndexedDB writes were left, at most this fraction of raw.
    idb_only_ratio_ceiling_frames: per((r) => r.raw.until_ack_ms / r.raw_idb_frames.put_ms),
    idb_only_ratio_ceiling_all: per((r) => r.raw.until_ack_ms / r.raw_idb_all.put_ms),
    verify_share_of_catchup: per((r) => r.phases.event_from_bytes_ms / r.catchup.all_events_ms),
    idb_share_of_catchup: per((r) => r.phases.idb_put_events_per_frame_ms / r.catchup.all_events_ms),
    // If nothing but verification were left, at most this fraction of raw.
    verify_only_ratio_ceiling: per((r) => r.raw.until_ack_ms / r.phases.event_from_bytes_ms),
    verify_events_per_s: per((r) => evps(r.phases.event_from_bytes_ms)),
  });
}
const s = results.summary;
results.goal = {
  goal: "catch-up throughput >= 0.5 of raw data-channel throughput of the same bytes",
  median_ratio: s.ratio.median,
  met: s.ratio.median >= 0.5,
};
meta.finished = new Date().toISOString();
meta.loadavg_end = os.loadavg();
const json = JSON.stringify(results, null, 2);
await fs.writeFile(path.join(OUT, "catchup.json"), json);
await fs.writeFile(path.join(OUT, `catchup-${started.toISOString().replace(/[:.]/g, "-")}.json`), json);

const f = (x, d = 1) => x.toFixed(d);
const range = (st, d = 1, k = 1) => `${f(st.median * k, d)} (${f(st.min * k, d)}–${f(st.max * k, d)})`;
console.log(`catch-up over WebRTC, ${meta.commit}${meta.src_dirty ? " (src/ modified)" : ""}, load ${meta.loadavg_start.map((x) => f(x, 2)).join(" ")} → ${meta.loadavg_end.map((x) => f(x, 2)).join(" ")}`);
console.log(`${EVENTS} events, ${bytes} bytes of event data; median (min–max) of ${RUNS} runs`);
console.log(`  (a) trustfold connect() → all events ${range(s.catchup_ms, 0)} ms = ${range(s.catchup_events_per_s, 0)} events/s = ${range(s.catchup_mib_per_s, 2)} MiB/s (link up ${range(s.catchup_link_ms, 0)} ms, first events ${range(s.catchup_first_events_ms, 0)} ms)`);
console.log(`      wire: the last frame arrived ${range(s.catchup_last_frame_arrived_ms, 0)} ms after connect(), when B had processed ${range(s.catchup_events_processed_at_last_arrival, 0)} events; A sent for ${range(s.catchup_sender_span_ms, 0)} ms; ${range(s.catchup_frame_bytes, 0)} B of frames; a snapshot save afterwards ${range(s.save_snapshots_after_catchup_ms, 0)} ms`);
console.log(`      held at the receiver (arrived, not yet stored and applied): at most ${range(s.catchup_max_bytes_in_flight, 0)} B (estimate); the page's JS heap at most ${range(s.catchup_js_heap_peak, 0)} B (sampled every 20 ms), its wasm memory ${range(s.catchup_wasm_memory, 0)} B at the end (the workers' not counted)`);
console.log(`      the receiver's page thread: ${range(s.catchup_long_tasks, 0)} tasks over 50 ms, the longest ${range(s.catchup_longest_task_ms, 0)} ms, ${range(s.catchup_long_task_ms_total, 0)} ms in all (goal: none over 50 ms)`);
console.log(`      the receiver's IndexedDB transactions that write: ${range(s.catchup_idb_write_transactions, 0)}`);
if (SECOND_TAB) {
  const tabs = results.runs.map((r) => r.catchup.second_tab);
  const st = (k) => stats(tabs.map((t) => t[k]));
  console.log(`      B's second tab took in ${range(st("events"), 0)} events: ${range(st("long_tasks"), 0)} tasks over 50 ms, the longest ${range(st("longest_task_ms"), 0)} ms, ${range(st("long_task_ms_total"), 0)} ms in all; its queue of B's announcements held at most ${range(st("backlog_peak_bytes"), 0)} B (sampled every 5 ms), dropped ${range(st("backlog_overflows"), 0)} times for a read of the store`);
}
console.log(`  (b) raw data channel ${range(s.raw_ms, 0)} ms = ${range(s.raw_mib_per_s, 2)} MiB/s (set-up ${range(s.raw_setup_ms, 0)} ms)`);
console.log(`  ratio (a)/(b) ${range(s.ratio, 3)}; both with set-up ${range(s.ratio_both_with_setup, 3)}; both without ${range(s.ratio_both_without_setup, 3)} — goal ≥ 0.5: ${results.goal.met ? "met" : "MISSED"}`);
console.log(`  verification ceiling (verifyInWorker, nothing else): 1 worker ${range(s.verify_ceiling_one_ms, 0)} ms, ${meta.nproc} workers ${range(s.verify_ceiling_all_ms, 0)} ms; of raw ${range(s.ceiling_over_raw, 3)}; catch-up / ceiling ${range(s.catchup_over_ceiling, 3)} (goal ≥ 0.9 where the ceiling is below 0.5 of raw); B's workers (${WORKERS ?? "default"}) checked ${range(s.catchup_workers_checked, 0)} events`);
console.log(`  B without network: receive() in frame groups ${range(s.local_receive_frames_ms, 0)} ms, in one call ${range(s.local_receive_all_ms, 0)} ms; catch-up / those ${range(s.catchup_over_local_frames, 2)}, ${range(s.catchup_over_local_all, 2)}`);
if (PHASES) {
  console.log(`  sync path without network (Session + Node::from_peer) ${range(s.sync_without_network_ms, 0)} ms (A's answer ${range(s.sync_without_network_a_answer_ms, 0)} ms; ${s.frames} frames, ${s.frame_bytes} B)`);
  console.log(`  parts: verify (Event::from_bytes) ${range(s.verify_ms, 0)} ms = ${range(s.verify_events_per_s, 0)} events/s; IdbStore::put_events per frame ${range(s.idb_put_per_frame_ms, 0)} ms; Replica::insert ${range(s.insert_ms, 0)} ms`);
  console.log(`  plain-JS IndexedDB puts of the same records: a transaction per frame ${range(s.raw_idb_frames_ms, 0)} ms, one transaction ${range(s.raw_idb_all_ms, 0)} ms`);
  console.log(`  at most, of raw: verification alone ${range(s.verify_only_ratio_ceiling, 3)}; plain IndexedDB alone ${range(s.idb_only_ratio_ceiling_frames, 3)} (per frame), ${range(s.idb_only_ratio_ceiling_all, 3)} (one transaction)`);
}
console.log(`results: ${path.relative(root, path.join(OUT, "catchup.json"))}`);
