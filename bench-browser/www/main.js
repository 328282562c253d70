// The bench page. Each mode does one job and puts a JSON-able object on
// window.benchResult (or a message on window.benchError); run.mjs drives it.
//
//   ?mode=ingest&runs=N     N iterations of: trustfold ingest of 10k events,
//                           raw IndexedDB puts of the same records, raw batch
//                           verification, and (for attribution) trustfold's
//                           IdbStore writing the same records (order rotated);
//                           then the phases
//   ?mode=ingest-private&runs=N
//                           private networks (issue #13): N iterations of
//                           trustfold ingest of the 10k events clear and the
//                           same 10k sealed (a node of the private network),
//                           and IdbStore writing each set's records (order
//                           rotated); then the sealed events' parts
//   ?mode=setup-open&db=D&collection=C
//                           fills database D with the 100k + trace fixture and
//                           saves the snapshots
//   ?mode=cold-trustfold&db=D&account=&unit=&collection=&record=&field=
//                           cached state, then Node::open of D, first thing
//                           after a browser start
//   ?mode=cold-raw&db=D     raw IndexedDB open + getAll of D's blocks, likewise
//   ?mode=open-phases&db=D&collection=&record=&field=
//                           Node::open's steps one by one
import { encodeBlocks } from "./blocks.js";

const scriptStart = performance.now();
const params = new URLSearchParams(location.search);
const mode = params.get("mode");

function show(value) {
  document.getElementById("out").textContent = JSON.stringify(value, null, 2);
}

function request(req) {
  return new Promise((ok, fail) => {
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
}

function openDb(name, upgrade) {
  const req = indexedDB.open(name);
  if (upgrade) req.onupgradeneeded = () => upgrade(req.result);
  req.onblocked = () => console.error(`open ${name} blocked`);
  return request(req);
}

function deleteDb(name) {
  return request(indexedDB.deleteDatabase(name));
}

async function fetchBytes(path) {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Fixture records as the raw anchor stores them: (id key, own copy of the bytes). */
function records(data) {
  const out = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at < data.length; ) {
    const len = view.getUint32(at, true);
    // slice(): each value its own buffer (a structured clone of a view clones its whole buffer).
    out.push([data.slice(at + 4, at + 36), data.slice(at + 36, at + 36 + len)]);
    at += 36 + len;
  }
  return out;
}

/** The raw write anchor: the same bytes in the same layout (blocks of 512
 * records), every block put in one read-write transaction. */
async function rawPut(name, recs) {
  const t0 = performance.now();
  const db = await openDb(name, (db) => {
    db.createObjectStore("blocks", { autoIncrement: true });
    db.createObjectStore("meta");
    db.createObjectStore("snapshots");
  });
  const values = encodeBlocks(recs);
  const t1 = performance.now();
  let issued;
  await new Promise((ok, fail) => {
    const tx = db.transaction(["blocks"], "readwrite");
    const store = tx.objectStore("blocks");
    for (const value of values) store.put(value);
    issued = performance.now();
    tx.oncomplete = ok;
    tx.onerror = () => fail(tx.error);
    tx.onabort = () => fail(tx.error ?? new Error("aborted"));
  });
  const t2 = performance.now();
  db.close();
  await deleteDb(name);
  // issue_ms: the put() calls (structured clone on this thread); the rest is the commit.
  return { idb_open_ms: t1 - t0, put_ms: t2 - t1, issue_ms: issued - t1 };
}

async function wasm() {
  const t0 = performance.now();
  const mod = await import("/pkg/bench_browser.js");
  const exports = await mod.default();
  return { mod, exports, init: { started_at_ms: t0, ms: performance.now() - t0 } };
}

async function ingest() {
  const runs = Number(params.get("runs") ?? 5);
  const manifest = await (await fetch("/fixtures/manifest.json")).json();
  const data = await fetchBytes(`/fixtures/${manifest.ingest.file}`);
  const { mod } = await wasm();
  if (mod.load_fixture("ingest", data) !== manifest.ingest.events) throw new Error("fixture count");
  const recs = records(data);
  const jobs = {
    trustfold: async (i) => JSON.parse(await mod.ingest_trustfold("ingest", `ingest-tf-${i}-${Date.now()}`, false)),
    raw_idb: (i) => rawPut(`ingest-raw-${i}-${Date.now()}`, recs),
    idb_store: async (i) => JSON.parse(await mod.ingest_idb_store("ingest", `ingest-store-${i}-${Date.now()}`)),
    verify_batch: async () => JSON.parse(mod.anchor_verify_batch("ingest")),
  };
  const names = Object.keys(jobs);
  const iterations = [];
  for (let i = 0; i < runs; i++) {
    const it = { order: [] };
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      it.order.push(name);
      it[name] = await jobs[name](i);
    }
    const tf = it.trustfold;
    if (tf.applied !== manifest.ingest.events || tf.refused !== 0 || tf.events_in_store !== manifest.ingest.events
        || tf.digest !== manifest.ingest.digest) {
      throw new Error(`ingest result wrong: ${JSON.stringify(tf)}`);
    }
    iterations.push(it);
    show(iterations);
  }
  const phases = JSON.parse(await mod.ingest_phases("ingest", `ingest-phases-${Date.now()}`));
  return { events: manifest.ingest.events, iterations, phases };
}

/**
 * Private networks (issue #13): receive_batch of the same 10,000 transfers,
 * clear (an open network's node) and sealed (a node of the fixtures' private
 * network), interleaved in every iteration with IdbStore::put_events of each
 * set's records (sealed events are larger); then the sealed parts.
 */
async function ingestPrivate() {
  const runs = Number(params.get("runs") ?? 5);
  const manifest = await (await fetch("/fixtures/manifest.json")).json();
  const { mod } = await wasm();
  for (const [name, fx] of [["ingest", manifest.ingest], ["ingest-sealed", manifest.ingest_sealed]]) {
    if (mod.load_fixture(name, await fetchBytes(`/fixtures/${fx.file}`)) !== fx.events) throw new Error(`${name}: count`);
  }
  const db = (what, i) => `private-${what}-${i}-${Date.now()}`;
  const jobs = {
    clear: async (i) => JSON.parse(await mod.ingest_trustfold("ingest", db("clear", i), false)),
    sealed: async (i) => JSON.parse(await mod.ingest_trustfold("ingest-sealed", db("sealed", i), true)),
    idb_store_clear: async (i) => JSON.parse(await mod.ingest_idb_store("ingest", db("store-clear", i))),
    idb_store_sealed: async (i) => JSON.parse(await mod.ingest_idb_store("ingest-sealed", db("store-sealed", i))),
  };
  const names = Object.keys(jobs);
  const iterations = [];
  for (let i = 0; i < runs; i++) {
    const it = { order: [] };
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      it.order.push(name);
      it[name] = await jobs[name](i);
    }
    for (const [side, fx] of [["clear", manifest.ingest], ["sealed", manifest.ingest_sealed]]) {
      const r = it[side];
      if (r.applied !== fx.events || r.refused !== 0 || r.events_in_store !== fx.events || r.digest !== fx.digest) {
        throw new Error(`${side} ingest result wrong: ${JSON.stringify(r)}`);
      }
    }
    iterations.push(it);
    show(iterations);
  }
  const phases = JSON.parse(mod.sealed_phases("ingest", "ingest-sealed"));
  return { events: manifest.ingest.events, iterations, phases };
}

async function setupOpen() {
  const db = params.get("db");
  const manifest = await (await fetch("/fixtures/manifest.json")).json();
  const data = await fetchBytes(`/fixtures/${manifest.open.file}`);
  const { mod } = await wasm();
  mod.load_fixture("open", data);
  await deleteDb(db);
  const result = JSON.parse(await mod.setup_open("open", db, params.get("collection")));
  if (result.stored !== manifest.open.events) throw new Error(`stored ${result.stored}`);
  return result;
}

async function coldTrustfold() {
  const { mod, exports, init } = await wasm();
  // Tasks over 50 ms on the page's thread during the open (Chromium's
  // longtask entries).
  const long = [];
  const observer = new PerformanceObserver((list) => long.push(...list.getEntries()));
  observer.observe({ type: "longtask" });
  const t0 = performance.now();
  const result = JSON.parse(
    await mod.open_trustfold(params.get("db"), params.get("account"), params.get("unit"),
      params.get("collection"), params.get("record"), params.get("field")),
  );
  // Entries are delivered after their task: wait a frame for the last.
  await new Promise((ok) => setTimeout(ok, 50));
  observer.disconnect();
  const during = long.filter((e) => e.startTime >= t0);
  return {
    script_start_at_ms: scriptStart, wasm_init: init, ...result,
    // A wasm memory only grows: its size now is its peak.
    wasm_memory_bytes: exports.memory.buffer.byteLength,
    long_tasks: during.length,
    longest_task_ms: during.reduce((m, e) => Math.max(m, e.duration), 0),
    // Each long task: [start after the open began, duration] (ms).
    long_task_list: during.map((e) => [Math.round(e.startTime - t0), Math.round(e.duration)]),
  };
}

async function coldRaw() {
  const t0 = performance.now();
  const db = await openDb(params.get("db"));
  const t1 = performance.now();
  const values = await request(db.transaction(["blocks"], "readonly").objectStore("blocks").getAll());
  const t2 = performance.now();
  let bytes = 0;
  for (const v of values) bytes += v.byteLength;
  // Afterwards (not cold any more): the keys, which IdbStore also reads.
  const t3 = performance.now();
  const keys = await request(db.transaction(["blocks"], "readonly").objectStore("blocks").getAllKeys());
  const t4 = performance.now();
  db.close();
  return {
    script_start_at_ms: scriptStart, start_ms: t0, idb_open_ms: t1 - t0, get_all_ms: t2 - t1,
    total_ms: t2 - t0, done_at_ms: t2, records: values.length, bytes,
    then_get_all_keys_ms: t4 - t3, keys: keys.length,
  };
}

async function openPhases() {
  const { mod } = await wasm();
  return JSON.parse(await mod.open_phases(params.get("db"), params.get("collection"),
    params.get("record"), params.get("field")));
}

const modes = {
  ingest,
  "ingest-private": ingestPrivate,
  "setup-open": setupOpen,
  "cold-trustfold": coldTrustfold,
  "cold-raw": coldRaw,
  "open-phases": openPhases,
};

try {
  if (!modes[mode]) throw new Error(`unknown mode ${mode}`);
  const result = await modes[mode]();
  show(result);
  window.benchResult = result;
} catch (e) {
  console.error(e);
  window.benchError = String(e?.stack ?? e);
}
