// Hark's service worker: go-app's default worker (v10.1.11) with one change
// that matters: it only answers for the app shell. go-app's default answers
// every GET from the cache first, which would swallow /api/ requests and
// EventSource streams; here anything under /api/ (and any other request that
// is not a GET of this origin) is not intercepted at all, so the browser
// sends it to the network as if there were no worker. Push notifications,
// which Hark does not use, are left out.
const cacheName = "app-" + "{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};

self.addEventListener("install", (event) => {
  console.log("installing app worker {{.Version}}");
  event.waitUntil(installWorker());
});

async function installWorker() {
  const cache = await caches.open(cacheName);
  await cache.addAll(resourcesToCache);
  await self.skipWaiting();
}

self.addEventListener("activate", (event) => {
  event.waitUntil(activateWorker());
});

// activateWorker drops the caches of older releases. It does not claim
// open pages: go-app's page script reports "update available" when a worker
// activates while the page has a controller, so claiming on the first visit
// would announce an update that is not one. A release replacing an older
// worker still takes over its pages (skipWaiting), which is the update.
async function activateWorker() {
  const keys = await caches.keys();
  await Promise.all(
    keys.filter((key) => key !== cacheName).map((key) => caches.delete(key))
  );
  console.log("app worker {{.Version}} is activated");
}

// isShell reports whether the worker should answer a request: a GET of this
// origin outside the API and the operator endpoints.
function isShell(request) {
  if (request.method !== "GET") {
    return false;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return false;
  }
  const path = url.pathname;
  return !(
    path.startsWith("/api/") ||
    path === "/api" ||
    path === "/healthz" ||
    path === "/metrics"
  );
}

self.addEventListener("fetch", (event) => {
  if (!isShell(event.request)) {
    return; // not intercepted: straight to the network
  }
  event.respondWith(fetchShell(event.request));
});

// fetchShell is cache first for the shell; a page navigation that is neither
// cached nor reachable gets the cached "/" so the app still opens offline.
async function fetchShell(request) {
  const cached = await caches.match(request);
  if (cached) {
    return cached;
  }
  try {
    return await fetch(request);
  } catch (err) {
    if (request.mode === "navigate") {
      const shell = await caches.match("/");
      if (shell) {
        return shell;
      }
    }
    throw err;
  }
}
