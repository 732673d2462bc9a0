/**
 * Registers the app-shell service worker (public/sw.js) and hands it the files this page loaded before it was in
 * control, so the next reload works without a network. Sets `data-offline-ready="true"` on <html> once they are
 * cached (the e2e tests wait for it before cutting the network).
 */
export function registerOfflineShell(): void {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker
    .register('/sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const urls = [location.href, ...performance.getEntriesByType('resource').map((entry) => entry.name)].filter((url) => new URL(url).origin === location.origin)
      navigator.serviceWorker.addEventListener('message', (event: MessageEvent<{ cached?: number }>) => {
        if (typeof event.data?.cached === 'number') document.documentElement.dataset.offlineReady = 'true'
      })
      registration.active?.postMessage({ cache: [...new Set(urls)] })
    })
    .catch((error: unknown) => console.warn('[construction] offline shell not available:', error))
}
