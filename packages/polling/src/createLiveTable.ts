import type { Supasync } from '@supasync/core'
import { LiveTable } from './LiveTable.js'
import { resolveLiveOptions, type LiveTableOptions } from './options.js'
import { PollingError } from './errors.js'

/**
 * Keeps a table (or the rows matching `filter`) in a local view, with the visibility guarantee: every committed
 * change is in the view within `maxStalenessMs`, whatever happens to the WebSocket.
 *
 * - Loads the rows through PostgREST (keyset pages), then follows realtime through the pool of `sync`: postgres_changes
 *   on the table, or with `source: 'broadcast'` the private `topic` a `realtime.broadcast_changes` trigger feeds
 *   (`supasync.enable_broadcast`).
 * - After every SUBSCRIBED and every "Subscribed to PostgreSQL" (broadcast: every join of the topic) it reads what
 *   changed since its cursor.
 * - While realtime is not proven live (socket unanswered, channel not joined, catch-up pending) it polls every
 *   `pollIntervalMs`; while it is, a verification poll every `verifyIntervalMs` catches silently dropped events.
 * - Every write is applied by primary key + version (the cursor in µs): nothing twice, nothing older over newer.
 * - Hard deletes need supasync-polling.sql (tombstones); soft deletes need `softDeleteColumn`.
 *
 * ```ts
 * const live = createLiveTable(sync, { table: 'components', filter: { project_id: 42 }, maxStalenessMs: 30_000 })
 * live.rows.get(); live.get(id); live.freshness.get()
 * live.destroy()
 * ```
 */
export function createLiveTable<R extends object = Record<string, unknown>>(sync: Supasync, options: LiveTableOptions<R>): LiveTable<R> {
  if (!sync || typeof sync.changes !== 'function' || !sync.ports) {
    throw new PollingError('INVALID_OPTIONS', 'createLiveTable(sync, options): sync must be the instance from createSupasync(supabase).')
  }
  return new LiveTable<R>(sync, resolveLiveOptions(options, sync.client))
}
