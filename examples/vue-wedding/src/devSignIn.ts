/**
 * DEV ONLY sign-in. The demo launcher (examples/dev/startDemo.ts, run by `npm start`) signs a token per demo user and
 * per wedding vendor with the local stack's JWT secret and puts them into the page as `window.__SUPASYNC_DEV__`;
 * `?vendor=photographer` picks one. A real app signs its vendors in with Supabase Auth (magic link, OAuth…) and
 * never ships tokens in a page.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { createSupasync, type Supasync } from '@supasync/core'
import { createQueue, indexedDbStorage, supabaseExecutor, type Queue } from '@supasync/queue'
import { VENDORS, type DevConfig } from '../../dev/users'

declare global {
  interface Window {
    /** Injected by the demo launcher before any module runs (dev only). */
    __SUPASYNC_DEV__?: DevConfig
  }
}

export const devConfig: DevConfig | undefined = typeof window === 'undefined' ? undefined : window.__SUPASYNC_DEV__

/** Vendor keys the launcher signed a token for (wedding 1's vendors of the seed). */
export const DEV_VENDOR_KEYS = Object.keys(VENDORS) as (keyof typeof VENDORS)[]

/** One vendor's signed-in session for this page load: the supabase client, the supasync instance and the outbox. */
export interface Session {
  vendorKey: string
  /** The login's user id (the token's `sub`). */
  userId: string
  supabase: SupabaseClient
  sync: Supasync
  queue: Queue
}

/** Why a vendor cannot sign in here (no launcher, unknown key); undefined when they can. */
export function signInProblem(config: DevConfig | undefined, vendorKey: string): string | undefined {
  if (!config) {
    return 'No dev sign-in on this page. Start the example with `npm start` at the repository root: it starts the local stack and serves this app with a token for each vendor (dev only).'
  }
  if (!config.tokens[vendorKey]) return `The launcher signed no token for the vendor "${vendorKey}". Known vendors: ${DEV_VENDOR_KEYS.join(', ')}.`
  return undefined
}

/** Signs in as `vendorKey` with the launcher's token (see signInProblem first). */
export function signIn(config: DevConfig, vendorKey: string): Session {
  const token = config.tokens[vendorKey]
  if (!token) throw new Error(signInProblem(config, vendorKey))
  // accessToken: supabase-js sends this token to PostgREST and Realtime (no Supabase Auth session in dev).
  const supabase = createClient(config.url, config.anonKey, { accessToken: async () => token })
  const sync = createSupasync(supabase)
  const userId = (VENDORS as Record<string, { userId: string } | undefined>)[vendorKey]?.userId ?? vendorKey
  const queue = createQueue({
    executor: supabaseExecutor(supabase),
    // One outbox per vendor, in IndexedDB: an edit made in the basement kitchen survives a reload and goes out later.
    storage: indexedDbStorage({ name: `wedding-outbox-${vendorKey}` }),
    namespace: userId,
    // Flush as soon as supasync sees the connection live again (besides the browser's `online` event).
    sync,
    onError: (error) => console.warn(`[queue] ${error.message}`),
  })
  return { vendorKey, userId, supabase, sync, queue }
}
