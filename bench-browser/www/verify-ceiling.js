// A worker of the verification ceiling (catchup.js, verifyCeiling): the
// package's own worker check (verifyInWorker) on the events it is given,
// with nothing else — no decoding for the log, no IndexedDB, no network.
import init, { verifyInWorker } from "/pkg/trustfold.js";

const ready = init();
self.onmessage = async ({ data }) => {
  await ready;
  if (data.warm) return postMessage({ warm: true });
  const t0 = performance.now();
  const verdicts = verifyInWorker(data.bytes, data.ends);
  postMessage({ valid: verdicts.reduce((n, v) => n + v, 0), ms: performance.now() - t0 });
};
