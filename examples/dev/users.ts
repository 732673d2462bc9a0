/**
 * The demo identities of examples/demo-seed.sql. Dev only: the launcher signs a token for each with the local stack's
 * JWT secret and hands them to the apps, which sign in by picking one (`?user=alice`, `?vendor=florist`).
 */
export const USERS = {
  alice: 'a11ce000-0000-4000-8000-000000000001',
  bob: 'b0b00000-0000-4000-8000-000000000002',
} as const

/** Wedding 1's vendors by their key (the `?vendor=` parameter): the vendor row's role, and the login's user id. */
export const VENDORS = {
  venue: { vendorId: '00000000-0000-4000-8000-00000000a001', userId: '00000000-0000-4000-8000-0000000000c1', name: 'Lindenhof Estate' },
  photographer: { vendorId: '00000000-0000-4000-8000-00000000a002', userId: 'b0b00000-0000-4000-8000-000000000002', name: 'Bob Lens Photography' },
  caterer: { vendorId: '00000000-0000-4000-8000-00000000a003', userId: '00000000-0000-4000-8000-0000000000c3', name: 'Golden Fork Catering' },
  florist: { vendorId: '00000000-0000-4000-8000-00000000a004', userId: '00000000-0000-4000-8000-0000000000c4', name: 'Petal & Stem' },
} as const

/** What the launcher injects into each app's page as `window.__SUPASYNC_DEV__`. */
export interface DevConfig {
  /** The local stack's API URL (REST and Realtime behind it). */
  url: string
  anonKey: string
  /** A signed-in token (24 h) per demo user name and per vendor key. */
  tokens: Record<string, string>
}
