// The service worker that lets the node page open with no network: it keeps
// one cache per build holding the page's shell (html, js, wasm) and answers
// from it first. The node's data lives in IndexedDB, not here.
// webpack.config.js (SwManifest) replaces the placeholder below with
// { version, assets }: the files index.html needs and a hash of their names
// and contents, so a new build means a new sw.js, hence an update.
const { version, assets } = self.__SW_MANIFEST;
const PREFIX = "trustfold-shell-";
const CACHE = PREFIX + version;
const url = (path) => new URL(path, self.registration.scope).href;
const SHELL = url("index.html");
const shellPaths = [new URL(self.registration.scope).pathname, new URL(SHELL).pathname];

self.addEventListener("install", (event) => {
  // Take over at once: every asset of one build comes from one cache, so an
  // open tab cannot mix old js with new wasm after the swap.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(assets.map((a) => new Request(url(a), { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// A page loaded without a controller (first visit, shift-reload) asks to be
// claimed so it is offline-ready without another reload.
self.addEventListener("message", (event) => {
  if (event.data === "claim") event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const where = new URL(request.url);
  // Only this site's GETs; /signal (the WebSocket) never reaches a service
  // worker, but keep it out explicitly should it ever be fetched over http.
  if (request.method !== "GET" || where.origin !== self.location.origin || where.pathname === "/signal") return;
  event.respondWith(respond(request, where));
});

async function respond(request, where) {
  const cache = await caches.open(CACHE);
  if (request.mode === "navigate") {
    // The page keeps its state in the query or hash: any of them is the shell.
    if (shellPaths.includes(where.pathname)) return (await cache.match(SHELL)) ?? fetch(request);
    // Other pages (not precached) from the network; offline, the shell.
    try {
      const response = await fetch(request);
      if (response.ok) return response;
      return (await cache.match(SHELL)) ?? response;
    } catch (e) {
      return (await cache.match(SHELL)) ?? Response.error();
    }
  }
  return (await cache.match(request, { ignoreSearch: true })) ?? fetch(request);
}
