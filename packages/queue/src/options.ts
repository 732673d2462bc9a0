import { defaultPorts, type InspectDeadLetterActions, type InspectProvider, type InspectRegistration, type ReadableStore, type SupasyncEventInput, type SupasyncPorts } from '@supasync/core'

/** What the queue uses of a supasync instance: its status, and (optional) its event hub and `sync.inspect()` registry. */
export interface QueueSync {
  status: ReadableStore<{ state: string }>
  readonly eventsActive?: boolean
  emitEvent?(event: SupasyncEventInput): void
  /** The queue shows in `sync.inspect()` (pending writes, dead letters) with Retry / Discard for a devtools panel. */
  registerInspect?(kind: 'queue', provider: InspectProvider<'queue'>, actions?: InspectDeadLetterActions): InspectRegistration
}
import { QueueError } from './errors.js'
import { memoryStorage } from './storage/memoryStorage.js'
import { browserCrossTab, type CrossTabPorts } from './CrossTab.js'
import { indexedDbStorage } from './storage/indexedDbStorage.js'
import type { QueueStorage } from './storage/QueueStorage.js'
import type { QueueExecutor } from './supabaseExecutor.js'

/** Backoff of one flush's attempts at one request (p-retry: exponential, randomised ×1–2 jitter, capped). */
export interface QueueRetryOptions {
  /** Retries after the first attempt, per flush. Default 5. Then the write waits for the next trigger. */
  retries?: number
  /** First backoff delay, in ms. Default 1000. */
  minTimeoutMs?: number
  /** Largest backoff delay, in ms. Default 30 000. */
  maxTimeoutMs?: number
  /** Growth of the delay per attempt. Default 2. */
  factor?: number
  /** Largest `Retry-After` honoured, in ms (a longer one is cut to this). Default 60 000. */
  maxRetryAfterMs?: number
}

export interface QueueOptions {
  /** Sends the writes: `supabaseExecutor(supabase)`, or your own {@link QueueExecutor}. Required. */
  executor: QueueExecutor
  /**
   * Where entries live: `indexedDbStorage()`, `fileStorage({ path })` (Node: from `@supasync/queue/node`), `memoryStorage()`.
   * Default: `indexedDbStorage()` where IndexedDB exists; elsewhere it is required (no silent in-memory fallback).
   * Ignored with `persist: 'session'`.
   */
  storage?: QueueStorage
  /** Most unsaved writes (entries, not rows) the queue holds; `enqueue` beyond it rejects with `QueueFullError`. Default 50. */
  maxSize?: number
  /**
   * `'durable'` (default): entries survive restarts in `storage`. `'session'`: entries live in memory only and are gone
   * when the app (process, tab) closes; nothing is written to disk.
   */
  persist?: 'durable' | 'session'
  /** One outbox per signed-in user: a queue never reads, replays or clears another namespace's entries. Default `'default'`. */
  namespace?: string
  /** Primary-key column for client ids, `onConflict` and per-record ordering. Default `'id'`. */
  idColumn?: string
  /** Requests in flight at once (writes to different records). Default 4. */
  concurrency?: number
  /** Most rows (or matched ids) in one batched request. Default 100. */
  maxBatchRows?: number
  /** Backoff for network errors, 408, 429 and 5xx. */
  retry?: QueueRetryOptions
  /** When a flush's retries ran out, try again this often while online, in ms. Default 30 000. */
  retryIntervalMs?: number
  /** A request without a response after this long counts as a network error, in ms. Default 15 000. */
  requestTimeoutMs?: number
  /**
   * With `autoFlush`, how long after an `enqueue` the flush starts, in ms, so writes enqueued together (a bulk edit of
   * 50 rows) go out as one request. Default 10. `flush()` and network triggers do not wait.
   */
  batchDelayMs?: number
  /** Flush after every `enqueue` and after start-up. Default `true`; with `false` only `flush()` and network triggers send. */
  autoFlush?: boolean
  /**
   * A supasync instance (or anything with a `status` store of `{ state }`): the queue flushes when it goes `live`, and
   * reports its flushes and dead letters through `sync.onEvent`.
   */
  sync?: QueueSync
  /** Environment ports (timers, online, tab visibility). Default: core's `defaultPorts`. */
  ports?: Partial<SupasyncPorts>
  /** Client ids for rows and entries. Default `crypto.randomUUID`. */
  generateId?: () => string
  /** Every error the queue reports without throwing (storage, corrupt entries, dead letters). Default: none. */
  onError?: (error: QueueError) => void
  /**
   * Tabs sharing one outbox (the same storage location and namespace, e.g. two tabs of the app for one user): one tab
   * sends at a time, the holder of a Web Lock named after the outbox, and every tab shows the same pending writes
   * (they tell each other of changes over a BroadcastChannel). When that tab closes the next one takes over. Default:
   * the browser's `navigator.locks` and `BroadcastChannel` for a durable queue whose storage has a `location`
   * (`indexedDbStorage`); `false` turns it off (each tab would replay the outbox on its own). Tests pass fakes.
   */
  crossTab?: CrossTabPorts | false
}

export interface ResolvedQueueOptions {
  executor: QueueExecutor
  storage: QueueStorage
  maxSize: number
  persist: 'durable' | 'session'
  namespace: string
  idColumn: string
  concurrency: number
  maxBatchRows: number
  retry: Required<QueueRetryOptions>
  retryIntervalMs: number
  requestTimeoutMs: number
  autoFlush: boolean
  batchDelayMs: number
  sync: QueueSync | undefined
  ports: SupasyncPorts
  generateId: () => string
  onError: (error: QueueError) => void
  crossTab: CrossTabPorts | undefined
}

const bad = (message: string) => new QueueError('INVALID_OPTIONS', message)
function positive(name: string, value: number | undefined, fallback: number, { integer = true, zero = false } = {}): number {
  const result = value ?? fallback
  if (!(typeof result === 'number' && (integer ? Number.isInteger(result) : Number.isFinite(result)) && (zero ? result >= 0 : result > 0))) {
    throw bad(`${name} must be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${String(value)}`)
  }
  return result
}

function resolveCrossTab(given: CrossTabPorts | false | undefined, persist: 'durable' | 'session', storage: QueueStorage): CrossTabPorts | undefined {
  if (given === false || persist === 'session') return undefined
  if (given !== undefined) {
    if (typeof given?.locks?.request !== 'function' || typeof given.channel !== 'function') throw bad('crossTab must be { locks, channel } (navigator.locks and a BroadcastChannel factory), or false.')
    return given
  }
  // Only a storage that tabs share can be shared: one with a location (IndexedDB), not memory.
  return storage.location === undefined ? undefined : browserCrossTab()
}

export function resolveQueueOptions(options: QueueOptions): ResolvedQueueOptions {
  if (!options || typeof options.executor?.execute !== 'function') throw bad('createQueue needs an executor, e.g. createQueue({ executor: supabaseExecutor(supabase), … })')
  const persist = options.persist ?? 'durable'
  if (persist !== 'durable' && persist !== 'session') throw bad(`persist must be 'durable' or 'session', got ${JSON.stringify(persist)}`)
  let storage = options.storage
  if (persist === 'session') storage = memoryStorage()
  else if (!storage) {
    if (typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'undefined') {
      throw bad("No storage given and IndexedDB is not available here. Pass storage: fileStorage({ path }) in Node, or memoryStorage() (writes are lost when the process exits).")
    }
    storage = indexedDbStorage()
  }
  const namespace = options.namespace ?? 'default'
  if (typeof namespace !== 'string' || namespace === '') throw bad('namespace must be a non-empty string (e.g. the user id).')
  const idColumn = options.idColumn ?? 'id'
  if (typeof idColumn !== 'string' || idColumn === '') throw bad('idColumn must be a column name.')
  const retry = options.retry ?? {}
  const randomUUID = () => globalThis.crypto.randomUUID()
  return {
    executor: options.executor,
    storage,
    maxSize: positive('maxSize', options.maxSize, 50),
    persist,
    namespace,
    idColumn,
    concurrency: positive('concurrency', options.concurrency, 4),
    maxBatchRows: positive('maxBatchRows', options.maxBatchRows, 100),
    retry: {
      retries: positive('retry.retries', retry.retries, 5, { zero: true }),
      minTimeoutMs: positive('retry.minTimeoutMs', retry.minTimeoutMs, 1000, { zero: true }),
      maxTimeoutMs: positive('retry.maxTimeoutMs', retry.maxTimeoutMs, 30_000, { zero: true }),
      factor: positive('retry.factor', retry.factor, 2, { integer: false }),
      maxRetryAfterMs: positive('retry.maxRetryAfterMs', retry.maxRetryAfterMs, 60_000, { zero: true }),
    },
    retryIntervalMs: positive('retryIntervalMs', options.retryIntervalMs, 30_000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 15_000),
    autoFlush: options.autoFlush ?? true,
    batchDelayMs: positive('batchDelayMs', options.batchDelayMs, 10, { zero: true }),
    sync: options.sync,
    ports: { ...defaultPorts, ...options.ports },
    generateId: options.generateId ?? randomUUID,
    onError: options.onError ?? (() => undefined),
    crossTab: resolveCrossTab(options.crossTab, persist, storage),
  }
}
