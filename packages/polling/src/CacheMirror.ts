import type { Cache, CacheEntry } from '@supasync/cache'
import type { TimerPort } from '@supasync/core'
import { PollingError } from './errors.js'
import type { ResolvedLiveOptions } from './options.js'
import { readIdentity } from './readIdentity.js'

/** The cache key under which lastSyncedAt is kept with the rows (no primary key starts with NUL). */
export const SYNCED_AT_KEY = '\u0000supasync:lastSyncedAt'

/** How often lastSyncedAt is saved at most, in ms (it moves every second in realtime mode). */
const SAVE_SYNCED_AT_EVERY_MS = 5000

/** What the mirror needs of the live table's options. */
type MirrorOptions = Pick<ResolvedLiveOptions<object>, 'table' | 'supabase' | 'cacheNamespace' | 'requestTimeoutMs'>

/**
 * A live table's rows written through to a `@supasync/cache` adapter (batched per microtask), with the table's
 * lastSyncedAt beside them, and read back at start so an app opened offline shows its data and how old it is.
 *
 * Everything goes to one namespace of the cache, the user the table reads as: `cacheNamespace` when given, else the
 * `sub` of the client's token ('anon' without a signed-in user). Rows cached under another user are never read. The
 * identity is read again before every batch of writes; when it names another user than at start (someone else signed
 * in on the same client), the mirror stops for good, since the rows now arriving are the new user's and the view may
 * still hold the old user's: the app must create new live tables for the new user.
 */
export class CacheMirror<R extends object> {
  private readonly pending = new Map<string, CacheEntry<R> | null>()
  private scheduled = false
  private savedSyncAt = 0
  /** Who the client read as when first asked (a JWT sub or 'anon'); undefined until known. */
  private identity: string | undefined
  /** The cache view of this table's namespace, once known. */
  private target: Cache<R> | undefined
  /** The identity changed: nothing is written any more. */
  private stopped = false
  /** Batches are written in order, each after its identity check. */
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly cache: Cache<R>,
    private readonly options: MirrorOptions,
    private readonly timers: TimerPort,
    private readonly report: (error: PollingError) => void,
  ) {
    // An explicit namespace is the app's word for who the user is: usable before the client is asked.
    if (options.cacheNamespace !== undefined) this.target = cache.scoped(options.cacheNamespace)
  }

  /**
   * The cached rows of this table's namespace and the lastSyncedAt saved with them. Undefined when the cache cannot
   * list its entries (redisCache), the user cannot be told (reported) or reading failed (reported).
   */
  async restore(): Promise<{ rows: Array<CacheEntry<R> & { version: number }>; syncedAt: number | undefined } | undefined> {
    const target = await this.resolve()
    if (!target?.entries) return undefined
    try {
      const rows: Array<CacheEntry<R> & { version: number }> = []
      let syncedAt: number | undefined
      for (const entry of await target.entries()) {
        if (typeof entry.version !== 'number') continue
        if (entry.key === SYNCED_AT_KEY) syncedAt = entry.version
        else if (entry.value && typeof entry.value === 'object') rows.push({ key: entry.key, version: entry.version, value: entry.value })
      }
      if (syncedAt !== undefined) this.savedSyncAt = syncedAt
      return { rows, syncedAt }
    } catch (cause) {
      this.report(new PollingError('REJECTED', `Reading ${this.options.table} rows from the cache at start failed (${messageOf(cause)}); the table loads from the server instead.`, { cause }))
      return undefined
    }
  }

  /** Queues a row (undefined: its deletion) for the next batch. */
  write(key: string, row: R | undefined, version: number): void {
    if (this.stopped) return
    this.pending.set(key, row === undefined ? null : { key, version, value: row })
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => this.flush())
  }

  /** Saves lastSyncedAt beside the rows, at most every 5 s. */
  saveSyncedAt(at: number): void {
    if (this.stopped || at - this.savedSyncAt < SAVE_SYNCED_AT_EVERY_MS) return
    this.savedSyncAt = at
    // The value is never read: the version carries the time.
    this.write(SYNCED_AT_KEY, null as unknown as R, at)
  }

  /** Writes the queued batch as soon as the identity is confirmed. */
  flush(): void {
    this.scheduled = false
    this.chain = this.chain.then(() => this.writePending())
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return
    const target = await this.resolve()
    // Unknown identity: the batch waits for the next flush. Changed identity: it is dropped.
    if (!target || this.stopped) return
    const sets: CacheEntry<R>[] = []
    const deletes: string[] = []
    for (const [key, entry] of this.pending) entry ? sets.push(entry) : deletes.push(key)
    this.pending.clear()
    const failed = (cause: unknown) =>
      this.report(new PollingError('REJECTED', `Writing ${this.options.table} rows to the cache failed (${messageOf(cause)}); the live view is unaffected.`, { cause }))
    if (sets.length > 0) target.setMany(sets).catch(failed)
    for (const key of deletes) target.delete(key).catch(failed)
  }

  /**
   * Asks the client who it reads as and returns the cache view to use, or undefined: identity unknown (reported; an
   * explicit namespace is used anyway) or changed since the first answer (reported, the mirror stops).
   */
  private async resolve(): Promise<Cache<R> | undefined> {
    if (this.stopped) return undefined
    const { table, cacheNamespace } = this.options
    let who: string
    try {
      who = await this.withTimeout(readIdentity(this.options.supabase))
    } catch (cause) {
      if (this.target) return this.target // cacheNamespace given: the app said who the user is
      this.report(new PollingError('UNAUTHORIZED',
        `The user ${table} is read as could not be told (${messageOf(cause)}), so its cache is neither shown nor written until it can; ` +
        'this happens offline with an expired session. Pass the cacheNamespace option (the signed-in user\'s id) to use the cache without asking the client.', { cause }))
      return undefined
    }
    if (this.stopped) return undefined
    this.identity ??= who
    if (who !== this.identity) {
      this.stopped = true
      this.pending.clear()
      this.report(new PollingError('IDENTITY_CHANGED',
        `The client now reads ${table} as "${who}", not "${this.identity}" as when this live table started, so it no longer writes to the cache ` +
        `(namespace "${this.target?.namespace ?? cacheNamespace ?? this.identity}") and its rows may still be the previous user's. ` +
        'Destroy the live tables at sign-in and sign-out and create new ones for the new user (e.g. key them by user id).'))
      return undefined
    }
    this.target ??= this.cache.scoped(who)
    return this.target
  }

  /** The identity answer, or a rejection after requestTimeoutMs (a session refresh hanging on a dead network). */
  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const ms = this.options.requestTimeoutMs
      const handle = this.timers.setTimeout(() => reject(new Error(`no answer from the client's auth within ${Math.round(ms)} ms`)), ms)
      promise.then(resolve, reject).finally(() => this.timers.clearTimeout(handle))
    })
  }
}

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))
