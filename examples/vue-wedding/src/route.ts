/** The two screens, from the URL (no router library: the app is two pages). */
export type Route =
  | { name: 'home' }
  | { name: 'vendor'; weddingId: number; vendorKey: string }
  | { name: 'not-found'; reason: string }

/**
 * `/` lists the vendor links; `/wedding/<weddingId>?vendor=<vendor key>` is one vendor's screen. A trailing slash
 * is allowed; anything else is not found, with the reason.
 */
export function parseRoute(pathname: string, search: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/' || path === '/index.html') return { name: 'home' }
  const match = /^\/wedding\/(\d+)$/.exec(path)
  if (!match) return { name: 'not-found', reason: `There is no page at ${pathname}.` }
  const weddingId = Number(match[1])
  if (!Number.isSafeInteger(weddingId) || weddingId <= 0) return { name: 'not-found', reason: `${match[1]} is not a wedding id.` }
  const vendorKey = new URLSearchParams(search).get('vendor')
  if (!vendorKey) return { name: 'not-found', reason: 'Pick a vendor: add ?vendor=photographer (or venue, caterer, florist) to the address.' }
  return { name: 'vendor', weddingId, vendorKey }
}

/** The address of a vendor's screen. */
export const vendorHref = (weddingId: number, vendorKey: string) => `/wedding/${weddingId}?vendor=${encodeURIComponent(vendorKey)}`
