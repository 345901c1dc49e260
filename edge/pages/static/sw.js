// Service worker for the floor pages: keeps the page shells and their scripts on the device so a
// PDA that reloads with Wi-Fi down still opens its page (its data is in IndexedDB). The API is
// never touched here: scans go through the page's own queue, in order, when the network is back.
// The server fills in VERSION (a hash of the static files) and SHELL (what to keep) when serving.

const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = `haolin-floor-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith("haolin-floor-") && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (err) {
    const hit = (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) event.respondWith(cacheFirst(event.request));
  else if (event.request.mode === "navigate" && url.pathname.startsWith("/floor/")) event.respondWith(networkFirst(event.request));
});
