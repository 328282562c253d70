// Both sides of crates/web/src/workers.rs: the pool on the page, and the
// worker it starts from this file's own URL (under the name checked here, so
// an app's own worker that imports the package is left alone).
const NAME = "trustfold-verify";
if (typeof WorkerGlobalScope != "undefined" && self instanceof WorkerGlobalScope && self.name == NAME) {
  let pkg;
  self.onmessage = async ({ data }) => {
    try {
      if (data.module) {
        pkg = import("../../../trustfold.js").then(async (p) => (await p.default({ module_or_path: data.module }), p));
        // Said by the first check that awaits it (as `failed`), not as an
        // unhandled rejection first: a worker started while the network is
        // down cannot fetch the package, and the page checks without it.
        pkg.catch(() => {});
      } else {
        const verdicts = (await pkg).verifyInWorker(data.bytes, data.ends);
        postMessage({ id: data.id, verdicts }, [verdicts.buffer]);
      }
    } catch (e) {
      postMessage({ failed: String(e) || "failed" });
    }
  };
}

/**
 * A pool stopped by a failure starts again this long after it (ms), at
 * most `RETRIES` times: a worker started while the network was down
 * cannot fetch the package, and every later catch-up of the session was
 * checked on the page's thread. A worker that hangs costs a batch its
 * 20 s wait at each try, so the tries are few and far apart.
 */
const RETRY_AFTER_MS = 5 * 60 * 1000;
const RETRIES = 2;

export class VerifyPool {
  constructor(module, size) {
    this.module = module;
    this.size = Math.min(16, size || Math.min(8, navigator.hardwareConcurrency || 1));
    this.workers = [];
    this.jobs = new Map();
    this.next = this.checked = 0;
    this.failed = null;
    this.failedAt = 0;
    this.retries = 0;
    this.closed = false;
  }
  report() {
    return { size: this.size, running: this.workers.length, checked: this.checked, failed: this.failed, retries: this.retries };
  }
  /** Stops the pool for good: its node is gone, so it never starts again. */
  close() {
    this.closed = true;
    this.stop("closed");
  }
  /** Stops the workers after a failure (`why`); `start` may retry later. */
  stop(why) {
    if (!this.failed) [this.failed, this.failedAt] = [why, Date.now()];
    for (const w of this.workers) w.terminate();
    this.workers = [];
    for (const answer of this.jobs.values()) answer(null);
    this.jobs.clear();
  }
  start() {
    if (this.failed && !this.closed && this.retries < RETRIES && Date.now() - this.failedAt >= RETRY_AFTER_MS) {
      this.retries += 1;
      this.failed = null;
    }
    try {
      while (!this.failed && this.workers.length < this.size) {
        const w = new Worker(new URL("./verify.js", import.meta.url), { type: "module", name: NAME });
        w.onmessage = ({ data }) => {
          if ("failed" in data) return this.stop(data.failed);
          this.jobs.get(data.id)?.(data.verdicts);
          this.jobs.delete(data.id);
        };
        w.onerror = w.onmessageerror = (e) => this.stop(e.message || "no worker");
        w.postMessage({ module: this.module });
        this.workers.push(w);
      }
    } catch (e) {
      this.stop(String(e) || "no worker");
    }
  }
  async verify(bytes, ends) {
    this.start();
    if (this.failed) return null;
    // A worker that hangs (its script never loads, the browser stopped it)
    // must not hold the node: past this, the pool stops and answers null.
    const late = setTimeout(() => this.stop("timed out"), 20000 + 2 * ends.length);
    const parts = [];
    const per = Math.ceil(ends.length / this.size);
    for (let first = 0; first < ends.length; first += per) {
      const last = Math.min(first + per, ends.length);
      const from = first && ends[first - 1];
      const part = { id: this.next++, bytes: bytes.slice(from, ends[last - 1]), ends: ends.slice(first, last).map((e) => e - from) };
      const count = last - first;
      parts.push(new Promise((answer) => this.jobs.set(part.id, (a) => answer(a?.length == count ? a : null))));
      this.workers[parts.length - 1].postMessage(part, [part.bytes.buffer, part.ends.buffer]);
    }
    const answers = await Promise.all(parts);
    clearTimeout(late);
    if (answers.includes(null)) return null;
    this.checked += ends.length;
    const verdicts = new Uint8Array(ends.length);
    answers.reduce((at, a) => (verdicts.set(a, at), at + a.length), 0);
    return verdicts;
  }
}
