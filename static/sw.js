/* Service worker, served at /sw.js so that its scope is the whole site.
   Static files: cache first. Pages: always from the network (signed-in pages are never
   stored), with the precached /offline page when the network is gone. */
"use strict";

/* Codes scanned without a signal (IndexedDB), shared with the pages. */
importScripts("/static/js/offline-queue.js");

/* Bump on every change to a precached file so installed apps fetch the new ones. */
const CACHE_VERSION = "v3";
const CACHE_PREFIX = "cannarewards-";
const CACHE_NAME = `${CACHE_PREFIX}${CACHE_VERSION}`;
const OFFLINE_URL = "/offline";

const PRECACHE_URLS = [
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/offline-queue.js",
  "/static/js/offline-scan.js",
  "/static/vendor/htmx.min.js",
  "/static/icons/favicon.svg",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/icons/icon-maskable-512.png",
  "/static/icons/apple-touch-icon.png",
  "/manifest.webmanifest",
];

/* Paths this worker must leave entirely to the browser. */
const BYPASS_PATHS = [/^\/admin(\/|$)/, /^\/webhooks(\/|$)/, /^\/healthz$/, /^\/sw\.js$/];

function isBypassed(path) {
  return BYPASS_PATHS.some((pattern) => pattern.test(path));
}

function isCacheable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

/* The offline page is fetched without cookies so that it never holds a member's data:
   /offline must answer 200 to a request without cookies (no age gate, no sign-in). */
async function precacheOfflinePage(cache) {
  const response = await fetch(new Request(OFFLINE_URL, { credentials: "omit", cache: "reload" }));
  if (!isCacheable(response)) {
    throw new Error(`offline page answered ${response.status}${response.redirected ? " (redirected)" : ""}`);
  }
  await cache.put(OFFLINE_URL, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE_NAME);
      await cache.addAll(PRECACHE_URLS.map((url) => new Request(url, { cache: "reload" })));
      await precacheOfflinePage(cache);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

async function cacheFirst(request) {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (isCacheable(response)) await cache.put(request, response.clone());
  return response;
}

async function networkOnlyPage(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const offline = await caches.match(OFFLINE_URL, { cacheName: CACHE_NAME });
    if (offline) return offline;
    throw error;
  }
}

async function networkThenCache(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(request, { cacheName: CACHE_NAME });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;

  const url = new URL(request.url);
  if (url.origin !== self.location.origin || isBypassed(url.pathname)) return;

  if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkOnlyPage(request));
  } else if (url.pathname === "/manifest.webmanifest") {
    event.respondWith(networkThenCache(request));
  }
  /* Anything else (htmx fragments, JSON) goes to the network untouched. */
});

/* Background Sync: claim the codes saved while offline, and tell open pages what they earned
   (a page that is closed shows the points on the next visit). Codes that could not be sent
   stay saved; the page claims them with its own fresh form token. */
const SYNC_TAG = "claim-codes";

async function claimSavedCodes() {
  const outcome = await self.OfflineQueue.claimAll();
  const windows = await self.clients.matchAll({ type: "window" });
  for (const answer of outcome.claimed) {
    windows.forEach((client) => client.postMessage({ type: "offline-claimed", ...answer }));
  }
  /* A failed sync is tried again later by the browser. */
  if (outcome.waiting) throw new Error(`${outcome.waiting} saved codes wait for the next sync`);
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(claimSavedCodes());
});
