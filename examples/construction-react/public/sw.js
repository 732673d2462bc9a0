// The app shell offline: a phone that reloads the foreman's page without signal still gets the page and its scripts
// (the outbox is in IndexedDB; the rows come back with the network). Network first, so a connected phone always runs
// the newest code; the cache only answers when the network does not. Same-origin GETs only: the Supabase API is
// another origin and is never cached here.
const CACHE = 'construction-shell-v1'

self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone()
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)))
        }
        return response
      })
      .catch(async () => (await caches.match(request)) ?? Response.error()),
  )
})

// The page loaded before this worker controlled it: it sends the URLs it loaded, to be cached now.
self.addEventListener('message', (event) => {
  const urls = Array.isArray(event.data?.cache) ? event.data.cache : []
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => Promise.allSettled(urls.map((url) => cache.add(url))))
      .then(() => event.source?.postMessage({ cached: urls.length })),
  )
})
