// Offline support for the node page: the service worker that caches the app
// shell (sw.js, emitted by webpack.config.js), and a signalling connection
// that comes back by itself, so payments made offline (stored in IndexedDB)
// reach the other browsers once the network returns.

/**
 * Registers /sw.js for the whole site. Resolves once the worker controls
 * this page — from then on a reload works with no network — or at once
 * where service workers are unavailable (http on a non-local host, some
 * private modes). Never rejects and never logs: the result says what
 * happened ({ ok, controlled, error? }).
 */
export async function registerServiceWorker({ timeout = 15000 } = {}) {
  if (!("serviceWorker" in navigator)) return { ok: false, controlled: false, error: "unsupported" };
  try {
    const sw = navigator.serviceWorker;
    await sw.register("/sw.js", { scope: "/" });
    const registration = await sw.ready;
    if (!sw.controller) {
      // First visit or shift-reload: the worker is active but this page
      // loaded without it; ask it to claim the page.
      const claimed = new Promise((ok) => sw.addEventListener("controllerchange", ok, { once: true }));
      registration.active?.postMessage("claim");
      await Promise.race([claimed, new Promise((ok) => setTimeout(ok, timeout))]);
    }
    return sw.controller ? { ok: true, controlled: true } : { ok: false, controlled: false, error: "not claimed in time" };
  } catch (e) {
    return { ok: false, controlled: false, error: String(e?.message ?? e) };
  }
}

/**
 * Keeps `node` in the signalling room at `url` (ws://…/signal): connects now
 * and again — disconnect(), then connect() — when the browser comes back
 * online or the signalling connection is lost (`node.signalling`), with a
 * backoff while the server is unreachable. Returns a function that stops it
 * and disconnects.
 */
export function keepConnected(node, url, { minDelay = 1000, maxDelay = 30000, every = 1000 } = {}) {
  let delay = minDelay;
  let next = 0; // when a lost connection may be tried again (ms since epoch)

  const connect = () => {
    node.disconnect(); // no-op when not connected; connect() refuses twice
    // Offline, a socket would only fail (and log a console error): wait
    // for the `online` event instead.
    if (navigator.onLine === false) return;
    try {
      node.connect(url);
    } catch {
      // Retried by the watch below.
    }
  };

  const watch = setInterval(() => {
    const state = node.signalling;
    if (state === "open") delay = minDelay;
    if ((state === "closed" || state === "none") && navigator.onLine !== false && Date.now() >= next) {
      next = Date.now() + delay;
      delay = Math.min(delay * 2, maxDelay);
      connect();
    }
  }, every);

  const online = () => {
    delay = minDelay;
    next = 0;
    connect();
  };
  addEventListener("online", online);
  connect();

  return () => {
    clearInterval(watch);
    removeEventListener("online", online);
    node.disconnect();
  };
}
