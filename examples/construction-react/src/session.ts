/**
 * One signed-in session per page load: the supabase client, the supasync instance and the offline write queue of
 * the user in `?user=`. Created once, at module level (switching user reloads the page).
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { createSupasync, type Supasync } from '@supasync/core'
import { createQueue, indexedDbStorage, supabaseExecutor, type Queue } from '@supasync/queue'
import { devConfig, userFromUrl, USERS, type UserName } from './devSignIn'
import type { DevConfig } from '../../dev/users'

export interface Session {
  user: UserName
  userId: string
  supabase: SupabaseClient
  sync: Supasync
  queue: Queue
}

function signIn(config: DevConfig, user: UserName): Session {
  const token = config.tokens[user]
  if (!token) throw new Error(`The launcher signed no token for ${user}.`)
  const supabase = createClient(config.url, config.anonKey, { accessToken: async () => token })
  const sync = createSupasync(supabase)
  const queue = createQueue({
    executor: supabaseExecutor(supabase),
    // One outbox per user, in IndexedDB: unsaved work survives a reload, a crash, a night without signal.
    storage: indexedDbStorage({ name: `construction-outbox-${user}` }),
    namespace: USERS[user],
    // Flush as soon as supasync sees the connection live again (besides the browser's `online` event).
    sync,
    // A foreman may advance a few hundred components in a dead zone (a bulk advance is one write).
    maxSize: 500,
    onError: (error) => console.warn(`[queue] ${error.message}`),
  })
  return { user, userId: USERS[user], supabase, sync, queue }
}

/** Undefined when the page was not served by the demo launcher (no dev tokens). */
export const session: Session | undefined = devConfig ? signIn(devConfig, userFromUrl()) : undefined
