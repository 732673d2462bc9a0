import { SupasyncError } from './errors.js'
import { resolveOptions, type RealtimeHost, type SupasyncOptions } from './options.js'
import { Supasync } from './Supasync.js'

/**
 * Creates a supasync instance over a supabase-js client (or anything with its `realtime` client).
 *
 * ```ts
 * const sync = createSupasync(supabase, { graceMs: 1000, heartbeatIntervalMs: 5000 })
 * const room = sync.channel('wedding:42', { broadcast: { ack: true } })
 * const lease = sync.changes({ table: 'components', filter: 'project_id=eq.42' }, (change) => …)
 * ```
 */
export function createSupasync(client: RealtimeHost, options?: SupasyncOptions): Supasync {
  if (!client || typeof client !== 'object' || !client.realtime || typeof client.realtime.channel !== 'function') {
    throw new SupasyncError('INVALID_OPTIONS', 'createSupasync(supabase): pass the client from createClient() of @supabase/supabase-js.')
  }
  return new Supasync(client.realtime, resolveOptions(options), client)
}
