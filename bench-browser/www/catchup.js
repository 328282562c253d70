// The catch-up bench page (BENCHMARKS.md, "Browser: catch-up over WebRTC").
// It uses the npm package (/pkg/, built by scripts/build-pkg.sh) as an app
// would, and the bench crate's wasm (/bench-pkg/) only for the attribution.
// bench-browser/catchup.mjs drives two of these pages, in two browsers, by
// calling window.cu's functions; every time is performance.now() of the page
// that measures it.
import init, { TrustfoldNode } from "/pkg/trustfold.js";
import { encodeBlock, encodeBlocks } from "./blocks.js";

// The package's wasm exports: its memory's size is the wasm heap's peak
// (a wasm memory only grows).
const wasm = await init();

/** Bytes of events per Events frame, as sync::Session packs them (MAX_FRAME - 1024). */
const EVENTS_PER_FRAME = 64 * 1024 - 1024;
/** The raw anchor's flow control: trustfold's thresholds (src/wasm/webrtc.rs). */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

// What crosses trustfold's data channels (label "trustfold"), seen from JS:
// the wasm transport calls RTCDataChannel's send() and sets its onmessage,
// so wrapping those two on the prototype (before any node connects) times
// the wire without touching the package. Sender: sends; receiver: arrivals.
const wire = { sent: 0, sent_bytes: 0, first_send: undefined, last_send: undefined, arrivals: [] };
{
  const proto = RTCDataChannel.prototype;
  const send = proto.send;
  proto.send = function (data) {
    if (this.label === "trustfold") {
      const t = performance.now();
      wire.sent += 1;
      wire.sent_bytes += data.byteLength ?? data.length;
      wire.first_send ??= t;
      wire.last_send = t;
    }
    return send.call(this, data);
  };
  const onmessage = Object.getOwnPropertyDescriptor(proto, "onmessage");
  Object.defineProperty(proto, "onmessage", {
    ...onmessage,
    set(handler) {
      if (this.label !== "trustfold" || typeof handler !== "function") return onmessage.set.call(this, handler);
      return onmessage.set.call(this, (event) => {
        wire.arrivals.push([performance.now(), event.data.byteLength]);
        return handler(event);
      });
    },
  });
}

const fx = {}; // the fixture: events (views), their bytes back to back, the file's prefix
let raw = null; // the raw anchor's connection, on either side

function request(req) {
  return new Promise((ok, fail) => {
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Fetches open.bin (or `file`: open-sealed.bin, the same transfers sealed)
 * and keeps its first `count` records (the transfers).
 */
async function load(count, file) {
  const manifest = await (await fetch("/fixtures/manifest.json")).json();
  const res = await fetch(`/fixtures/${file ?? manifest.open.file}`);
  if (!res.ok) throw new Error(`fixture: ${res.status}`);
  const data = new Uint8Array(await res.arrayBuffer());
  const view = new DataView(data.buffer);
  const events = [];
  let at = 0;
  let bytes = 0;
  while (events.length < count && at < data.length) {
    const len = view.getUint32(at, true);
    events.push(data.subarray(at + 36, at + 36 + len));
    bytes += len;
    at += 36 + len;
  }
  if (events.length !== count) throw new Error(`fixture has ${events.length} records, not ${count}`);
  const concat = new Uint8Array(bytes);
  let o = 0;
  for (const e of events) {
    concat.set(e, o);
    o += e.length;
  }
  // Frame-sized groups, as the sync protocol sends them.
  const groups = [];
  let size = 0;
  for (const e of events) {
    if (groups.length === 0 || (size + e.length > EVENTS_PER_FRAME && size > 0)) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(e);
    size += e.length;
  }
  Object.assign(fx, { events, concat, groups, prefix: data.subarray(0, at), manifest });
  return {
    events: events.length, event_bytes: bytes, frame_groups: groups.length,
    transfers_in_fixture: manifest.open.transfers,
  };
}

/**
 * Opens the node of `net` (this browser's identity, IndexedDB on disk), with
 * `workers` verifying workers if given (the package's default otherwise).
 */
async function open(net, workers) {
  const t0 = performance.now();
  window.node = await TrustfoldNode.open(net);
  if (workers != null) node.setVerifyWorkers(workers);
  window.heard = { peer: 0, tab: 0, first: undefined, last: undefined, changes: 0, timeline: [] };
  node.subscribe((c) => {
    if (c.source === "tab") heard.tab += c.events;
    if (c.source !== "peer") return;
    const t = performance.now();
    heard.peer += c.events;
    heard.changes += 1;
    heard.first ??= t;
    heard.last = t;
    heard.timeline.push([t, heard.peer]);
  });
  return { open_ms: performance.now() - t0, events: node.openReport.events, key: node.publicKey };
}

/** Puts the fixture into this page's node through receive() (page A's setup; not the benchmark). */
async function fill(batch) {
  const t0 = performance.now();
  let stored = 0;
  let applied = 0;
  let refused = 0;
  for (let i = 0; i < fx.events.length; i += batch) {
    const r = await node.receive(fx.events.slice(i, i + batch));
    stored += r.stored;
    applied += r.applied;
    refused += r.refused.length;
  }
  return { ms: performance.now() - t0, stored, applied, refused, digest: node.viewDigest() };
}

/**
 * The benchmark (a): connect() with an empty node while A, holding every
 * event, is in the room; done when the peer changes have brought them all.
 */
// IndexedDB transactions that write (each costs the page's thread ≈ 1–3 ms
// here, whatever it writes): counted by wrapping the prototype's
// transaction(), as the wire is above.
const idb = { writes: 0 };
{
  const proto = IDBDatabase.prototype;
  const transaction = proto.transaction;
  proto.transaction = function (stores, mode, ...rest) {
    if (mode === "readwrite") idb.writes += 1;
    return transaction.call(this, stores, mode, ...rest);
  };
}

async function catchUp(url, expected, timeoutMs) {
  const before = node.viewDigest();
  // Tasks over 50 ms on the page's thread while it catches up (Chromium's
  // longtask entries: what would delay a keystroke or a click).
  const long = [];
  const observer = new PerformanceObserver((list) => long.push(...list.getEntries()));
  observer.observe({ type: "longtask" });
  const t0 = performance.now();
  const writesBefore = idb.writes;
  node.connect(url);
  let linked;
  // The page's JS heap, sampled (Chromium's performance.memory).
  let heapPeak = performance.memory?.usedJSHeapSize ?? 0;
  const heapPoll = setInterval(() => (heapPeak = Math.max(heapPeak, performance.memory?.usedJSHeapSize ?? 0)), 20);
  const poll = setInterval(() => {
    if (linked === undefined && node.peers().length > 0) {
      linked = performance.now();
      clearInterval(poll);
    }
  }, 2);
  while (heard.peer < expected) {
    if (performance.now() - t0 > timeoutMs) {
      clearInterval(poll);
      throw new Error(`catch-up timed out: ${heard.peer} of ${expected} events after ${timeoutMs} ms`);
    }
    await sleep(5);
  }
  clearInterval(poll);
  clearInterval(heapPoll);
  const idbWrites = idb.writes - writesBefore;
  const done = heard.last;
  observer.disconnect();
  const during = long.filter((e) => e.startTime >= t0 && e.startTime <= done);
  // The wire as the receiver saw it: when the frames arrived, and how much
  // had arrived but was not processed yet when the last one came.
  const arrivals = wire.arrivals.filter(([t]) => t >= t0);
  const lastArrival = arrivals.length ? arrivals[arrivals.length - 1][0] : undefined;
  const processedByLastArrival = heard.timeline.filter(([t]) => t <= lastArrival).pop()?.[1] ?? 0;
  // Bytes held at the receiver (arrived, not yet stored and applied), at
  // each arrival: events processed are counted at the mean event size of
  // what arrived (framing is < 0.5 % of it). An estimate of the hardening
  // issue's window from the outside.
  const arrivedBytes = arrivals.reduce((n, [, b]) => n + b, 0);
  const meanEvent = arrivedBytes / Math.max(1, heard.peer);
  let arrivedSoFar = 0;
  let maxInFlight = 0;
  for (const [t, b] of arrivals) {
    arrivedSoFar += b;
    const processed = heard.timeline.filter(([at]) => at <= t).pop()?.[1] ?? 0;
    maxInFlight = Math.max(maxInFlight, arrivedSoFar - processed * meanEvent);
  }
  // Then (not timed): one snapshot save, which the package schedules 2 s
  // after a burst of changes, so again and again during a long catch-up.
  const s0 = performance.now();
  await node.saveSnapshots();
  const snapshotMs = performance.now() - s0;
  return {
    empty_before: before,
    connect_at_ms: t0,
    link_ms: linked === undefined ? null : linked - t0,
    first_events_ms: heard.first - t0,
    all_events_ms: done - t0,
    transfer_ms: done - heard.first,
    events: heard.peer,
    peer_changes: heard.changes,
    digest: node.viewDigest(),
    peers: node.peers().length,
    frames_arrived: arrivals.length,
    frame_bytes_arrived: arrivals.reduce((n, [, b]) => n + b, 0),
    first_arrival_ms: arrivals.length ? arrivals[0][0] - t0 : null,
    last_arrival_ms: lastArrival === undefined ? null : lastArrival - t0,
    events_processed_at_last_arrival: processedByLastArrival,
    save_snapshots_after_ms: snapshotMs,
    max_bytes_in_flight: maxInFlight,
    long_tasks: during.length,
    longest_task_ms: during.reduce((m, e) => Math.max(m, e.duration), 0),
    long_task_ms_total: during.reduce((n, e) => n + e.duration, 0),
    js_heap_peak: heapPeak,
    wasm_memory: wasm.memory.buffer.byteLength,
    verify_workers: node.verifyWorkers,
    idb_write_transactions: idbWrites,
  };
}

/**
 * A second tab of the receiver (--second-tab): from now, its tasks over
 * 50 ms while it takes in what the catching-up tab announces.
 */
function watchTab() {
  window.tabLong = [];
  window.tabWatchFrom = performance.now();
  window.tabObserver = new PerformanceObserver((list) => tabLong.push(...list.getEntries()));
  tabObserver.observe({ type: "longtask" });
}

/** Waits until this second tab has taken in `expected` events; its long tasks. */
async function tabDone(expected, timeoutMs) {
  const t0 = performance.now();
  let backlogPeak = 0;
  while (heard.tab < expected) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`second tab: ${heard.tab} of ${expected} events`);
    backlogPeak = Math.max(backlogPeak, node.syncStatus().tabBacklog.bytes);
    await sleep(5);
  }
  tabObserver.disconnect();
  const during = tabLong.filter((e) => e.startTime >= tabWatchFrom);
  return {
    events: heard.tab,
    long_tasks: during.length,
    longest_task_ms: during.reduce((m, e) => Math.max(m, e.duration), 0),
    long_task_ms_total: during.reduce((n, e) => n + e.duration, 0),
    // Other tabs' announcements queued here at most (sampled every 5 ms),
    // and how often the bound dropped them for a read of the store.
    backlog_peak_bytes: backlogPeak,
    backlog_overflows: node.syncStatus().tabBacklog.overflows,
  };
}

/**
 * The verification ceiling of `n` workers: the fixture's events split in n
 * equal parts, each checked by the package's worker check (verifyInWorker)
 * in a worker of its own, all at once; the time from posting to the last
 * answer. The workers load the package first (not timed).
 */
async function verifyCeiling(n) {
  const workers = Array.from({ length: n }, () => new Worker("/verify-ceiling.js", { type: "module" }));
  const answer = (w) => new Promise((ok, fail) => ((w.onmessage = ({ data }) => ok(data)), (w.onerror = (e) => fail(new Error(e.message)))));
  await Promise.all(workers.map((w) => (w.postMessage({ warm: true }), answer(w))));
  const per = Math.ceil(fx.events.length / n);
  const parts = workers.map((_, k) => {
    const events = fx.events.slice(k * per, (k + 1) * per);
    const ends = new Uint32Array(events.length);
    const bytes = new Uint8Array(events.reduce((s, e) => s + e.length, 0));
    events.reduce((at, e, i) => (bytes.set(e, at), (ends[i] = at + e.length)), 0);
    return { bytes, ends };
  });
  const t0 = performance.now();
  const answers = await Promise.all(workers.map((w, k) => (w.postMessage(parts[k], [parts[k].bytes.buffer, parts[k].ends.buffer]), answer(w))));
  const ms = performance.now() - t0;
  for (const w of workers) w.terminate();
  return { workers: n, ms, valid: answers.reduce((s, a) => s + a.valid, 0), worker_ms: answers.map((a) => a.ms) };
}

/** The sender's view of trustfold's channels since the last call. */
function wireSent() {
  const out = { ...wire, arrivals: undefined, sending_span_ms: wire.last_send - wire.first_send };
  Object.assign(wire, { sent: 0, sent_bytes: 0, first_send: undefined, last_send: undefined, arrivals: [] });
  return out;
}

/** B's local ingest without any network: a fresh node of `net`, then receive() in `mode`. */
async function localReceive(net, mode, workers) {
  const t0 = performance.now();
  const local = await TrustfoldNode.open(net);
  if (workers != null) local.setVerifyWorkers(workers);
  const t1 = performance.now();
  const batches = mode === "frames" ? fx.groups : [fx.events];
  let stored = 0;
  let refused = 0;
  for (const b of batches) {
    const r = await local.receive(b);
    stored += r.stored;
    refused += r.refused.length;
  }
  const t2 = performance.now();
  const digest = local.viewDigest();
  local.close();
  await request(indexedDB.deleteDatabase(`trustfold-${net}`));
  return { mode, calls: batches.length, open_ms: t1 - t0, receive_ms: t2 - t1, stored, refused, digest };
}

/**
 * Storage alone, in plain JS: the same (id, bytes) records put into a fresh
 * IndexedDB database laid out as IdbStore's, one read-write transaction per
 * frame's group awaited one after the other (what the sync path does), or
 * all in one transaction.
 */
async function rawIdb(name, mode) {
  const view = new DataView(fx.prefix.buffer, fx.prefix.byteOffset, fx.prefix.byteLength);
  const records = [];
  for (let at = 0; at < fx.prefix.length; ) {
    const len = view.getUint32(at, true);
    records.push([fx.prefix.slice(at + 4, at + 36), fx.prefix.slice(at + 36, at + 36 + len)]);
    at += 36 + len;
  }
  const groups = [];
  let i = 0;
  for (const g of fx.groups) {
    groups.push(records.slice(i, i + g.length));
    i += g.length;
  }
  const open = indexedDB.open(name);
  open.onupgradeneeded = () => {
    open.result.createObjectStore("blocks", { autoIncrement: true });
    for (const store of ["meta", "snapshots"]) open.result.createObjectStore(store);
  };
  const db = await request(open);
  const t0 = performance.now();
  for (const group of mode === "frames" ? groups : [records]) {
    await new Promise((ok, fail) => {
      const tx = db.transaction(["blocks"], "readwrite");
      const store = tx.objectStore("blocks");
      for (const block of mode === "frames" ? [encodeBlock(group)] : encodeBlocks(group)) store.put(block);
      tx.oncomplete = ok;
      tx.onerror = () => fail(tx.error);
      tx.onabort = () => fail(tx.error ?? new Error("aborted"));
    });
  }
  const ms = performance.now() - t0;
  db.close();
  await request(indexedDB.deleteDatabase(name));
  return { mode, transactions: mode === "frames" ? groups.length : 1, records: records.length, put_ms: ms };
}

let bench;
/** The bench crate's wasm, holding the same records as fixture "catchup". */
async function benchWasm() {
  if (!bench) {
    bench = await import("/bench-pkg/bench_browser.js");
    await bench.default();
    bench.load_fixture("catchup", fx.prefix);
  }
  return bench;
}

async function syncWithoutNetwork(db) {
  return JSON.parse(await (await benchWasm()).catchup_local("catchup", db));
}

async function phases(db) {
  return JSON.parse(await (await benchWasm()).catchup_phases("catchup", db));
}

// The raw anchor (b): a plain RTCPeerConnection pair between the same two
// pages, signalling passed by the driver; host candidates only.

function gathered(pc) {
  return new Promise((ok) => {
    if (pc.iceGatheringState === "complete") return ok();
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") ok();
    });
  });
}

/** Sender side: makes the offer (with its candidates). */
async function rawOffer() {
  const t0 = performance.now();
  const pc = new RTCPeerConnection({ iceServers: [] });
  const channel = pc.createDataChannel("raw", { ordered: true });
  channel.binaryType = "arraybuffer";
  const opened = new Promise((ok) => (channel.onopen = ok));
  const acked = new Promise((ok) => (channel.onmessage = (e) => ok({ at: performance.now(), data: e.data })));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  raw = { pc, channel, opened, acked, t0 };
  return pc.localDescription.sdp;
}

/** Receiver side: answers, and counts what arrives; acks once it has `expected` bytes. */
async function rawAnswer(sdp, expected) {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const got = { bytes: 0, messages: 0, first: undefined, last: undefined };
  pc.ondatachannel = (e) => {
    const channel = e.channel;
    channel.binaryType = "arraybuffer";
    channel.onmessage = (m) => {
      const t = performance.now();
      got.first ??= t;
      got.bytes += m.data.byteLength;
      got.messages += 1;
      if (got.bytes >= expected && got.last === undefined) {
        got.last = t;
        channel.send("done");
      }
    };
  };
  await pc.setRemoteDescription({ type: "offer", sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  raw = { pc, got };
  return pc.localDescription.sdp;
}

/** Sender side: takes the answer; resolves when the channel is open. */
async function rawAccept(sdp) {
  await raw.pc.setRemoteDescription({ type: "answer", sdp });
  await raw.opened;
  return { setup_ms: performance.now() - raw.t0 };
}

/** Sender side: the event bytes in `size`-byte messages, with bufferedAmount flow control. */
async function rawSend(size) {
  const { channel } = raw;
  channel.bufferedAmountLowThreshold = LOW_WATER;
  const data = fx.concat;
  let messages = 0;
  let waits = 0;
  const t0 = performance.now();
  for (let o = 0; o < data.length; o += size) {
    if (channel.bufferedAmount > HIGH_WATER) {
      waits += 1;
      await new Promise((ok) => {
        channel.onbufferedamountlow = () => {
          channel.onbufferedamountlow = null;
          ok();
        };
      });
    }
    channel.send(data.subarray(o, Math.min(o + size, data.length)));
    messages += 1;
  }
  const sent = performance.now();
  const ack = await raw.acked;
  return { bytes: data.length, messages, message_bytes: size, waits, send_loop_ms: sent - t0, until_ack_ms: ack.at - t0 };
}

/** Receiver side: what arrived. */
function rawReceived() {
  const { got } = raw;
  return { bytes: got.bytes, messages: got.messages, first_to_last_ms: got.last - got.first };
}

function rawClose() {
  raw?.pc.close();
  raw = null;
}

window.cu = {
  load, open, fill, catchUp, watchTab, tabDone, localReceive, syncWithoutNetwork, phases, rawIdb, verifyCeiling,
  rawOffer, rawAnswer, rawAccept, rawSend, rawReceived, rawClose, wireSent,
  digest: () => node.viewDigest(),
  connect: (url) => node.connect(url),
};
document.title = "ready";
