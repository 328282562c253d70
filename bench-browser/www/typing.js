// The typing benchmark page (BENCHMARKS.md, "Typing the editing trace"):
// the editing trace typed keystroke by keystroke, one task per keystroke as
// a page gets them, into three editors in this one page — trustfold's
// `spliceText` (its default batching, its events written to IndexedDB),
// Yjs with y-indexeddb, and @automerge/automerge (one change per keystroke,
// saved to IndexedDB at the end). bench-browser/typing.mjs bundles this file
// with webpack and calls `window.typing.run`.
import init, { TrustfoldNode } from "trustfold";
import * as Y from "yjs";
import { IndexeddbPersistence } from "y-indexeddb";
// Under webpack, the package's entry with its wasm inlined (base64), ready on import.
import * as A from "@automerge/automerge";

await init();

/**
 * One task per keystroke: the next one waits for the browser's next task,
 * queued as a message (as input events are queued), so the timers of the
 * editors (trustfold's commit timer) run between keystrokes as they would.
 * Not `scheduler.yield()`: its continuations go before timers, which then
 * never run while the loop types; not `setTimeout(0)`: clamped to 4 ms.
 */
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()();
const nextTask = () => new Promise((ok) => (waiting.push(ok), channel.port2.postMessage(null)));

const request = (r) => new Promise((ok, fail) => ((r.onsuccess = () => ok(r.result)), (r.onerror = () => fail(r.error))));

let trace;
/** The trace's first `edits` keystrokes ([position, deleted, inserted]) and the text they leave. */
async function load(edits) {
  const res = await fetch("/trace/automerge-paper.json.gz");
  const json = await new Response(res.body.pipeThrough(new DecompressionStream("gzip"))).json();
  const patches = json.txns.flatMap((t) => t.patches).slice(0, edits);
  // The text after those keystrokes, replayed on a plain string (the
  // trace is ASCII: positions are the same in every unit).
  let text = json.startContent;
  for (const [at, del, ins] of patches) text = text.slice(0, at) + ins + text.slice(at + del);
  trace = { patches, text };
  return { edits: patches.length, chars: text.length };
}

/** Types the trace with `keystroke(i, patch)`: total and per-tenth times. */
async function typeAll(keystroke) {
  const { patches } = trace;
  const tenth = Math.ceil(patches.length / 10);
  const tenths = [];
  const t0 = performance.now();
  let mark = t0;
  for (let i = 0; i < patches.length; i++) {
    keystroke(patches[i]);
    await nextTask();
    if ((i + 1) % tenth === 0 || i + 1 === patches.length) {
      const now = performance.now();
      tenths.push(now - mark);
      mark = now;
    }
  }
  return { t0, tenths };
}

const editors = {
  /** No editor: the loop and its one task per keystroke alone (what every editor's time includes). */
  async loop() {
    const { t0, tenths } = await typeAll(() => {});
    return { ms: performance.now() - t0, tenths, same_text: true };
  },

  async trustfold() {
    const net = `typing-${Date.now()}`;
    const node = await TrustfoldNode.open(net);
    node.createRecord("docs", "paper");
    node.setText("docs", "paper", "body", "");
    await node.commit();
    const before = node.syncStatus().known;
    const { t0, tenths } = await typeAll(([at, del, ins]) => node.spliceText("docs", "paper", "body", at, del, ins));
    await node.commit(); // the last keystrokes signed and written
    const ms = performance.now() - t0;
    const events = node.syncStatus().known - before;
    const text = node.record("docs", "paper").fields.body.value.text;
    node.close();
    await request(indexedDB.deleteDatabase(`trustfold-${net}`));
    return { ms, tenths, events, same_text: text === trace.text };
  },

  async yjs() {
    const name = `typing-yjs-${Date.now()}`;
    const doc = new Y.Doc();
    const idb = new IndexeddbPersistence(name, doc);
    await idb.whenSynced;
    const text = doc.getText("body");
    const { t0, tenths } = await typeAll(([at, del, ins]) => {
      if (del) text.delete(at, del);
      if (ins) text.insert(at, ins);
    });
    // Written: a read of the updates' store waits for every write before it.
    const db = await idb._db;
    await request(db.transaction("updates").objectStore("updates").count());
    const ms = performance.now() - t0;
    const same = text.toString() === trace.text;
    await idb.destroy();
    await request(indexedDB.deleteDatabase(name));
    return { ms, tenths, same_text: same };
  },

  async automerge() {
    const name = `typing-am-${Date.now()}`;
    let doc = A.from({ body: "" });
    const { t0, tenths } = await typeAll(([at, del, ins]) => {
      doc = A.change(doc, (d) => A.splice(d, ["body"], at, del, ins));
    });
    const bytes = A.save(doc);
    const open = indexedDB.open(name);
    open.onupgradeneeded = () => open.result.createObjectStore("docs");
    const db = await request(open);
    await new Promise((ok, fail) => {
      const tx = db.transaction("docs", "readwrite");
      tx.objectStore("docs").put(bytes, "paper");
      tx.oncomplete = ok;
      tx.onerror = tx.onabort = () => fail(tx.error);
    });
    const ms = performance.now() - t0;
    db.close();
    await request(indexedDB.deleteDatabase(name));
    return { ms, tenths, saved_bytes: bytes.length, same_text: doc.body === trace.text };
  },
};

/** Types the loaded trace into `name`'s editor. */
async function run(name) {
  const heap0 = performance.memory?.usedJSHeapSize;
  const out = await editors[name]();
  return { editor: name, ...out, js_heap_growth: performance.memory ? performance.memory.usedJSHeapSize - heap0 : null };
}

window.typing = { load, run };
document.title = "ready";
