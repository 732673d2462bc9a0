import type { Cache } from '@supasync/cache'
import type { SupasyncError } from '@supasync/core'
import { PollingError } from './errors.js'
import type { PostgrestHost } from './PostgrestHost.js'
import type { LiveChange } from './RowView.js'
import { validateLiveFilter, type LiveFilter } from './rowFilter.js'
import { primaryKeyColumns } from './rowKey.js'

/**
 * What `options.supabase` must look like: a supabase-js client (any Database type) or a {@link PostgrestHost}.
 * Deliberately loose: checking a typed SupabaseClient structurally against PostgrestHost makes TypeScript give
 * up (TS2589, its generics are too deep). The shape is checked at run time instead.
 */
export interface SupabaseLike {
  readonly schema: (...args: never[]) => unknown
}

/** Options of {@link createLiveTable}. */
export interface LiveTableOptions<R extends object = Record<string, unknown>> {
  /**
   * The supabase-js client whose PostgREST reads the table (its auth applies: RLS decides what is visible).
   * Anything with the same `schema().from().select()` / `schema().rpc()` shape works too (tests pass fakes).
   * Default: the client given to createSupasync.
   */
  supabase?: SupabaseLike
  /** The table to keep live. */
  table: string
  /** Its schema. Default 'public'. */
  schema?: string
  /** Column → value, ANDed; rows outside it are not kept. Default {} (the whole table). */
  filter?: LiveFilter
  /** Primary key column(s). Default 'id'. */
  primaryKey?: string | readonly string[]
  /**
   * A `timestamptz` column the server stamps on every insert and update (supasync-polling.sql's
   * `supasync.touch_updated_at` trigger): the polling cursor and each row's version. Default 'updated_at'.
   */
  cursor?: string
  /** A column that marks a row deleted when not null (soft delete). Default none: hard deletes via tombstones. */
  softDeleteColumn?: string
  /**
   * Where applied rows are also written (versioned; e.g. IndexedDB to survive reloads, Redis to share), and whose rows
   * are shown at start. Only the namespace of the user the table reads as is used (`cacheNamespace`). Default none.
   * An untyped adapter (`indexedDbCache({ name })`, a `Cache<unknown>`) is accepted as it is: the table writes only
   * its own rows into it and reads them back as rows of this table.
   */
  cache?: Cache<NoInfer<R>> | Cache<unknown>
  /**
   * The cache namespace of this table's rows: one per user, so a table never shows rows cached while another user
   * was signed in. Default: the `sub` claim (user id) of the token `supabase` sends, asked from `supabase.auth` or
   * its `accessToken` callback before the start from the cache, or `'anon'` without a signed-in user. Give it (e.g.
   * the user id your app keeps) to start from the cache even when the client cannot tell (an expired session
   * offline). Sign-out: `await cache.scoped(namespace).clear()`.
   */
  cacheNamespace?: string
  /** The promise: a committed change is in the view within this many ms. Default 30 000. */
  maxStalenessMs?: number
  /** Poll interval while realtime is not proven live, in ms. Default maxStalenessMs / 3. */
  pollIntervalMs?: number
  /** Verification poll interval while realtime is live (catches silently dropped events), in ms. Default maxStalenessMs / 2. */
  verifyIntervalMs?: number
  /** How far before the server's watermark each poll re-reads, in ms. Default 1000. */
  overlapMs?: number
  /** A PostgREST request without an answer after this long counts as failed, in ms. Default maxStalenessMs / 4, at least 1 000 (maxStalenessMs / 3 below 3 000), at most 10 000. */
  requestTimeoutMs?: number
  /** Delay before a failed poll is retried, in ms. Default maxStalenessMs / 20, within 250–2 000. */
  retryMs?: number
  /** Rows per PostgREST request (keyset pages). Default 1000, hosted Supabase's response cap. */
  pageSize?: number
  /**
   * After this long without a successful read (offline, a sleeping device), the next read is a full reload that
   * also drops rows missing from it: tombstones older than the server's pruning age (supasync.prune_tombstones,
   * 7 days by default) are gone. Keep it below that age, in ms. Default 86 400 000 (24 h).
   */
  resyncAfterMs?: number
  /**
   * Polls read every changed row the role may see, not only the filter's, so a row whose filter column changed
   * (moved to another project) leaves the view within the budget. Costs reads of the other rows' changes: cheap
   * when RLS already limits the role to about the filter, expensive on a busy table the role sees whole.
   * Default false: such rows leave at the next key check instead (see sweepIntervalMs), or, with sweepIntervalMs
   * false, stay until a full reload.
   */
  detectMovesOut?: boolean
  /**
   * Key checks: the rows the user may read now are compared with the view, so rows the user may no longer read leave
   * it (and the cache) and rows they may now read are added, though none was written (RLS: a user removed from or
   * added to a project), and rows moved out of the filter or the user's reach by a write leave it too. Where the
   * server has public.supasync_poll() (section 8 of supasync-polling.sql), a periodic check rides on a poll as a key
   * digest and costs no request; only a digest that differs from the view makes the table read the filter's keys (a
   * key sweep: key columns only, in key order, ceil(rows / pageSize) small requests). Without that function every
   * check is a key sweep. A sweep also runs at once when the server reports that the user's access changed
   * (`supasync.track_access` on the membership tables your policies use; see the SQL README) or another user signs
   * in. Periodic checks run by default every maxStalenessMs / 2, and never more often than 20 × a check's own
   * duration. A number sets a fixed period in ms; false turns checks and sweeps off.
   */
  sweepIntervalMs?: number | false
  /**
   * Where realtime changes come from. `'postgres_changes'`: a postgres_changes subscription on the table through the
   * pool (the table must be in the `supabase_realtime` publication; the server checks every change against every
   * subscriber's RLS). `'broadcast'`: the private Realtime topic `topic`, fed by a `realtime.broadcast_changes` row
   * trigger (`supasync.enable_broadcast` in supasync-polling.sql), the path Supabase recommends at scale. Catch-up,
   * watchdog, verification polls, dedupe and tombstones are the same for both. Default `'postgres_changes'`.
   */
  source?: 'postgres_changes' | 'broadcast'
  /**
   * The private topic this table's changes are broadcast on, e.g. `'project:42'`: required with `source: 'broadcast'`,
   * refused without it. Joined as `sync.channel(topic, { private: true })`, so a SELECT policy on `realtime.messages`
   * must admit the user for it. It must carry every row of `filter` (rows it carries outside the filter are ignored;
   * rows of the filter it never carries are found by verification polls and keep the table polling). Without the
   * `realtime:` prefix, at most 246 bytes. Default none.
   */
  topic?: string
  /**
   * Also subscribe to the table's unfiltered DELETE events (a filter on a non-key column never matches deletes).
   * Source `'postgres_changes'` only: a broadcast trigger sends deletes on the topic of the deleted row. Default true.
   */
  realtimeDeletes?: boolean
  /** Called for every row that enters, changes in or leaves the view. */
  onChange?: (change: LiveChange<R>) => void
  /** Receives errors with no caller to throw to (failed polls, a refused subscription, a cache failure). Default console.warn. */
  onError?: (error: SupasyncError<string>) => void
}

export interface ResolvedLiveOptions<R extends object> {
  supabase: PostgrestHost
  table: string
  schema: string
  filter: LiveFilter
  primaryKey: string[]
  cursor: string
  softDeleteColumn: string | undefined
  cache: Cache<R> | undefined
  cacheNamespace: string | undefined
  maxStalenessMs: number
  pollIntervalMs: number
  verifyIntervalMs: number
  overlapMs: number
  requestTimeoutMs: number
  retryMs: number
  pageSize: number
  resyncAfterMs: number
  detectMovesOut: boolean
  /** undefined: automatic (see the option). */
  sweepIntervalMs: number | false | undefined
  source: 'postgres_changes' | 'broadcast'
  /** The private topic (source 'broadcast'); undefined for postgres_changes. */
  topic: string | undefined
  realtimeDeletes: boolean
  onChange: ((change: LiveChange<R>) => void) | undefined
  onError: (error: SupasyncError<string>) => void
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value))

function number(name: string, value: unknown, fallback: number, minimum: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum) {
    throw new PollingError('INVALID_OPTIONS', `createLiveTable: ${name} must be a number ≥ ${minimum}, got ${String(value)}.`)
  }
  return value
}

function identifier(name: string, value: unknown, fallback: string | undefined): string | undefined {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new PollingError('INVALID_OPTIONS', `createLiveTable: ${name} must be a plain identifier (letters, digits, _), got ${JSON.stringify(value)}.`)
  }
  return value
}

/** Topics travel as `realtime:<topic>` in frame fields of at most 255 bytes. */
const MAX_TOPIC_BYTES = 255 - 'realtime:'.length

function realtimeSource(source: unknown, topic: unknown): { source: 'postgres_changes' | 'broadcast'; topic: string | undefined } {
  if (source !== undefined && source !== 'postgres_changes' && source !== 'broadcast') {
    throw new PollingError('INVALID_OPTIONS', `createLiveTable: source must be 'postgres_changes' or 'broadcast', got ${JSON.stringify(source)}.`)
  }
  if (source !== 'broadcast') {
    if (topic !== undefined) {
      throw new PollingError('INVALID_OPTIONS', `createLiveTable: topic ${JSON.stringify(topic)} is only used with source: 'broadcast'. Add source: 'broadcast' to follow the changes a broadcast trigger sends to that topic, or remove topic to use postgres_changes.`)
    }
    return { source: 'postgres_changes', topic: undefined }
  }
  const fix = "the private Realtime topic your broadcast trigger sends this table's changes to, e.g. topic: 'project:42' (supasync.enable_broadcast in packages/polling/sql)"
  if (topic === undefined) throw new PollingError('INVALID_OPTIONS', `createLiveTable: source 'broadcast' needs topic: ${fix}.`)
  if (typeof topic !== 'string' || topic.trim() === '') throw new PollingError('INVALID_OPTIONS', `createLiveTable: topic must be a non-empty string, ${fix}; got ${JSON.stringify(topic)}.`)
  if (topic.startsWith('realtime:')) throw new PollingError('INVALID_OPTIONS', `createLiveTable: topic ${JSON.stringify(topic)}: leave out the "realtime:" prefix, realtime-js adds it (topic: ${JSON.stringify(topic.slice('realtime:'.length))}).`)
  if (topic.startsWith('supasync:')) throw new PollingError('INVALID_OPTIONS', `createLiveTable: topic ${JSON.stringify(topic)}: the "supasync:" prefix is reserved for supasync's own channels; name the topic after what it carries, e.g. 'project:42'.`)
  if (new TextEncoder().encode(topic).length > MAX_TOPIC_BYTES) throw new PollingError('INVALID_OPTIONS', `createLiveTable: topic is longer than ${MAX_TOPIC_BYTES} bytes, the most Realtime carries; use a shorter topic expression in supasync.enable_broadcast.`)
  return { source: 'broadcast', topic }
}

export function resolveLiveOptions<R extends object>(options: LiveTableOptions<R>, fallbackClient?: unknown): ResolvedLiveOptions<R> {
  if (!options || typeof options !== 'object') throw new PollingError('INVALID_OPTIONS', 'createLiveTable(sync, options): options are required, e.g. { table: "components" }.')
  const supabase = options.supabase ?? (fallbackClient as SupabaseLike | undefined)
  if (!supabase || typeof (supabase as { schema?: unknown }).schema !== 'function') {
    throw new PollingError('INVALID_OPTIONS', 'createLiveTable: options.supabase must be a supabase-js client (createClient(url, key)); it reads the table through PostgREST. It defaults to the client given to createSupasync, which has no PostgREST here.')
  }
  const table = identifier('table', options.table, undefined)
  if (!table) throw new PollingError('INVALID_OPTIONS', 'createLiveTable: options.table is required, e.g. "components".')
  const maxStalenessMs = number('maxStalenessMs', options.maxStalenessMs, 30_000, 1000)
  const requestTimeoutMs = number('requestTimeoutMs', options.requestTimeoutMs, Math.min(10_000, Math.max(maxStalenessMs / 4, Math.min(1000, maxStalenessMs / 3))), 50)
  const pollIntervalMs = number('pollIntervalMs', options.pollIntervalMs, maxStalenessMs / 3, 50)
  const verifyIntervalMs = number('verifyIntervalMs', options.verifyIntervalMs, maxStalenessMs / 2, 50)
  const sweepIntervalMs = options.sweepIntervalMs === false || options.sweepIntervalMs === undefined ? options.sweepIntervalMs : number('sweepIntervalMs', options.sweepIntervalMs, 0, 50)
  // A sweep period longer than the budget is allowed (access stamps may report what matters); the table warns.
  for (const [name, interval] of [['pollIntervalMs', pollIntervalMs], ['verifyIntervalMs', verifyIntervalMs]] as const) {
    if (interval + requestTimeoutMs >= maxStalenessMs) {
      throw new PollingError('INVALID_OPTIONS',
        `createLiveTable: ${name} (${Math.round(interval)} ms) + requestTimeoutMs (${Math.round(requestTimeoutMs)} ms) must stay below maxStalenessMs (${Math.round(maxStalenessMs)} ms), or a change could arrive late. Lower them or raise maxStalenessMs.`)
    }
  }
  // A Cache<unknown> holds what the table writes into it: this table's rows (R).
  const cache = options.cache as Cache<R> | undefined
  if (cache !== undefined && (typeof cache.setMany !== 'function' || typeof cache.delete !== 'function')) {
    throw new PollingError('INVALID_OPTIONS', 'createLiveTable: options.cache must be a @supasync/cache adapter (memoryCache(), indexedDbCache(), redisCache(), tieredCache()).')
  }
  if (cache !== undefined && typeof cache.scoped !== 'function') {
    throw new PollingError('INVALID_OPTIONS', 'createLiveTable: options.cache has no scoped(namespace), so rows of different users would share it. Use a @supasync/cache adapter of this version, or add scoped() to your own.')
  }
  const cacheNamespace = options.cacheNamespace
  if (cacheNamespace !== undefined && (typeof cacheNamespace !== 'string' || cacheNamespace === '')) {
    throw new PollingError('INVALID_OPTIONS', `createLiveTable: cacheNamespace must be a non-empty string such as the signed-in user's id, got ${JSON.stringify(cacheNamespace)}; omit it to use the token's user.`)
  }
  return {
    supabase: supabase as unknown as PostgrestHost,
    table,
    schema: identifier('schema', options.schema, 'public')!,
    filter: validateLiveFilter(options.filter, 'createLiveTable'),
    primaryKey: primaryKeyColumns(options.primaryKey, 'createLiveTable'),
    cursor: identifier('cursor', options.cursor, 'updated_at')!,
    softDeleteColumn: identifier('softDeleteColumn', options.softDeleteColumn, undefined),
    cache,
    cacheNamespace,
    maxStalenessMs,
    pollIntervalMs,
    verifyIntervalMs,
    overlapMs: number('overlapMs', options.overlapMs, 1000, 0),
    requestTimeoutMs,
    retryMs: number('retryMs', options.retryMs, clamp(maxStalenessMs / 20, 250, 2000), 10),
    pageSize: Math.floor(number('pageSize', options.pageSize, 1000, 1)),
    resyncAfterMs: number('resyncAfterMs', options.resyncAfterMs, 86_400_000, 0),
    detectMovesOut: options.detectMovesOut ?? false,
    sweepIntervalMs,
    ...realtimeSource(options.source, options.topic),
    realtimeDeletes: options.realtimeDeletes ?? true,
    onChange: options.onChange,
    onError: options.onError ?? ((error) => console.warn(`[supasync] ${error.message}`)),
  }
}
