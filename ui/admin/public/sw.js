/*
 * The admin UI's service worker: caches the app shell (index.html, hashed /assets/*, icons,
 * manifest) so the UI starts offline and is installable. Never API answers: /admin/*, /v1/*,
 * /health, /metrics and anything not a GET pass straight to the network, uncached (they carry
 * personal data and must be current). index.html is network-first (a new build is picked up at
 * once); hashed assets are cache-first (their names change when their content does).
 */
const CACHE = 'vg-admin-shell-v1';
const API = /^\/(admin|v1|health|metrics|ws|widget)(\/|$|\.)/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(['/', '/manifest.webmanifest', '/icon.svg'])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || API.test(url.pathname)) return;
  if (req.mode === 'navigate') {
    // Any client-side route is the same shell.
    event.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone();
            void caches.open(CACHE).then((c) => c.put('/', copy));
          }
          return res;
        })
        .catch(() => caches.match('/').then((r) => r || Response.error())),
    );
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(
      caches.match(req).then(
        (hit) =>
          hit ||
          fetch(req).then((res) => {
            if (res.ok) {
              const copy = res.clone();
              void caches.open(CACHE).then((c) => c.put(req, copy));
            }
            return res;
          }),
      ),
    );
  }
});
