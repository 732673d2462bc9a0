/**
 * Fakes for the unit tests of @supasync/polling: a manual clock, a fake Supasync (ports, status, changes leases the
 * test drives) and a fake PostgREST host backed by an in-memory table with a tiny evaluator of the logic trees
 * RestReader sends (and/or, eq/gt/gte/lt/lte/is, order, limit). Nothing touches the network or real timers.
 */
import {
  createStore,
  Scheduler,
  manualPort,
  shallowEqual,
  type ChangePayload,
  type ChangesLease,
  type ChangesOptions,
  type ChangeSpec,
  type ConnectionState,
  type ConnectionStatus,
  type LeaseStatus,
  type RoomOptions,
  type RoomStatus,
  type Supasync,
  type WritableStore,
} from '@supasync/core'
import { createHash } from 'node:crypto'
import type { PostgrestHost, PostgrestQuery, PostgrestResult } from '../src/PostgrestHost.js'
import { formatMicros, parseVersion } from '../src/versions.js'

// --- time --------------------------------------------------------------------------------------------------

/** The manual clock of the presence tests (time moves only on `advance`; `nextDue()` tells the next timer). */
import type { ManualClock } from '../../presence/test/helpers.js'
import { SharedValues } from '../../core/src/SharedValues.js'
export { manualClock, type ManualClock } from '../../presence/test/helpers.js'

/** Lets every queued microtask and promise chain run (several macrotask turns). */
export async function flush(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * Moves the clock `ms` forward one due timer at a time, flushing promises after each, so async work started by a
 * timer (a poll) completes before the next timer fires, as it would in real time with instant answers.
 */
export async function run(clock: ManualClock, ms: number): Promise<void> {
  const target = clock.now() + ms
  await flush()
  for (let guard = 0; ; guard++) {
    if (guard > 100_000) throw new Error('run(): runaway timers')
    const due = clock.nextDue()
    if (due === undefined || due > target) break
    clock.advance(Math.max(0, due - clock.now()))
    await flush()
  }
  clock.advance(target - clock.now())
  await flush()
}

/**
 * Waits for `live`'s load, then (100 ms later) makes every lease of `fake` live ("Subscribed to PostgreSQL") and lets
 * the catch-up poll that follows complete: the table is in mode realtime unless something else holds it back.
 */
export async function loadThenGoLive(clock: ManualClock, fake: FakeSync, live: { ready: Promise<void> }): Promise<void> {
  await flush()
  await live.ready
  await run(clock, 100)
  for (const lease of fake.leases) lease.live()
  await flush()
}

/** Postgres/PostgREST text of a µs stamp: `2026-11-23T10:00:00.123456+00:00`. */
export const pgts = (micros: number) => formatMicros(Math.floor(micros)).replace('Z', '+00:00')
/** Realtime's commit_timestamp text of a µs stamp: `2026-11-23 10:00:00.123456+00`. */
export const rtts = (micros: number) => formatMicros(micros).replace('T', ' ').replace('Z', '+00')

// --- Supasync -------------------------------------------------------------------------------------------

export class FakeLease implements ChangesLease {
  readonly status: WritableStore<LeaseStatus>
  readonly error = undefined
  readonly spec: ChangesLease['spec']
  constructor(
    readonly requested: ChangeSpec,
    private readonly listener: (change: ChangePayload) => void,
    readonly options: ChangesOptions,
    initial: LeaseStatus,
  ) {
    this.spec = requested as unknown as ChangesLease['spec']
    this.status = createStore<LeaseStatus>(initial)
  }
  get released(): boolean {
    return this.status.get() === 'released'
  }
  release(): void {
    this.status.set('released')
  }
  /** The channel got SUBSCRIBED. */
  subscribed(): void {
    this.options.onSubscribed?.()
  }
  /** "Subscribed to PostgreSQL". */
  live(): void {
    this.status.set('live')
  }
  deliver(change: ChangePayload): void {
    if (!this.released) this.listener(change)
  }
}

type BroadcastListener = (payload: unknown, message: { event: string; payload: unknown }) => void

/**
 * A shared room as the pool runs it, driven by the test: `join()` (SUBSCRIBED), `drop()` (the socket died: errored,
 * the channel stays for realtime-js to rejoin), `refuse()` (the server refused the join: errored, the channel
 * removed), `deliver()` a broadcast. Counts holders and listeners for leak checks.
 */
export class FakeRoom {
  readonly status = createStore<RoomStatus>('joining')
  readonly listeners = new Set<{ event: string; listener: BroadcastListener }>()
  holders = 0
  private channel: object | undefined = {}
  constructor(
    readonly topic: string,
    readonly options: RoomOptions | undefined,
  ) {}

  handle() {
    const room = this
    let released = false
    const offs = new Set<() => void>()
    return {
      topic: room.topic,
      status: room.status,
      get released() {
        return released
      },
      on(event: string, listener: BroadcastListener) {
        const entry = { event, listener }
        room.listeners.add(entry)
        const off = () => {
          room.listeners.delete(entry)
          offs.delete(off)
        }
        offs.add(off)
        return off
      },
      realtimeChannel: () => (released ? undefined : room.channel),
      release() {
        if (released) return
        released = true
        for (const off of [...offs]) off()
        room.holders--
      },
    }
  }

  join(): void {
    this.channel ??= {}
    this.status.set('joined')
  }

  drop(): void {
    this.status.set('errored')
  }

  refuse(): void {
    this.channel = undefined
    this.status.set('errored')
  }

  deliver(event: string, payload: unknown): void {
    for (const { event: wanted, listener } of [...this.listeners]) if (wanted === '*' || wanted === event) listener(payload, { event, payload })
  }
}

/** A realtime.broadcast_changes payload for `row` (the old row for DELETE, the new one otherwise). */
export function dbChange(operation: 'INSERT' | 'UPDATE' | 'DELETE', row: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    operation,
    schema: 'public',
    table: 'components',
    record: operation === 'DELETE' ? null : row,
    old_record: operation === 'INSERT' ? null : operation === 'DELETE' ? row : (extra.old_record ?? null),
    id: '00000000-0000-4000-8000-000000000000',
    ...extra,
  }
}

export interface FakeSync {
  sync: Supasync
  network: ReturnType<typeof manualPort>
  visibility: ReturnType<typeof manualPort>
  status: WritableStore<ConnectionStatus>
  leases: FakeLease[]
  /** Rooms by topic (sync.channel). */
  rooms: Map<string, FakeRoom>
  /** Status a new lease starts with (a binding already live hands out 'live' leases). */
  initialLeaseStatus: LeaseStatus
  setState(state: ConnectionState): void
}

export function fakeSync(clock: ManualClock, state: ConnectionState = 'live'): FakeSync {
  const network = manualPort(true)
  const visibility = manualPort(true)
  const inner = createStore<ConnectionStatus>({ state, rttMs: 5, channels: 1, leases: 0, since: clock.now(), socketProven: state === 'live', heartbeatAt: state === 'live' ? clock.now() : undefined }, shallowEqual)
  // A live fake socket answers heartbeats continuously: its last reply is always "just now".
  const status: WritableStore<ConnectionStatus> = {
    get: () => {
      const value = inner.get()
      return value.socketProven ? { ...value, heartbeatAt: clock.now() } : value
    },
    set: (value) => inner.set(value),
    subscribe: (listener) => inner.subscribe(listener),
    get listenerCount() {
      return inner.listenerCount
    },
  }
  const fake: FakeSync = {
    network,
    visibility,
    status,
    leases: [],
    rooms: new Map(),
    initialLeaseStatus: 'pending',
    setState(next) {
      status.set({ ...status.get(), state: next, since: clock.now(), socketProven: next === 'live' })
    },
    sync: undefined as unknown as Supasync,
  }
  const shared = new SharedValues(new Scheduler(clock), 1000, (error) => {
    throw error
  })
  fake.sync = {
    ports: { timers: clock, network, visibility },
    status,
    graceMs: 1000,
    share: shared.acquire.bind(shared),
    peekShared: shared.peek.bind(shared),
    evictShared: shared.evictIdle.bind(shared),
    changes(spec: ChangeSpec, listener: (change: ChangePayload) => void, options: ChangesOptions = {}) {
      const lease = new FakeLease(spec, listener, options, fake.initialLeaseStatus)
      fake.leases.push(lease)
      return lease
    },
    channel(topic: string, options?: RoomOptions) {
      let room = fake.rooms.get(topic)
      if (!room) fake.rooms.set(topic, (room = new FakeRoom(topic, options)))
      room.holders++
      return room.handle()
    },
  } as unknown as Supasync
  return fake
}

export function payload(eventType: ChangePayload['eventType'], row: Record<string, unknown>, commitMicros: number, table = 'components'): ChangePayload {
  return {
    schema: 'public',
    table,
    commit_timestamp: rtts(commitMicros),
    eventType,
    new: eventType === 'DELETE' ? {} : row,
    old: eventType === 'DELETE' ? row : {},
    errors: null,
  }
}

// --- PostgREST ------------------------------------------------------------------------------------------

export type Row = Record<string, unknown>

export interface RecordedRequest {
  kind: 'select' | 'rpc'
  schema: string
  /** Table or function. */
  name: string
  columns: string | undefined
  /** Named arguments of an rpc. */
  args?: Record<string, unknown>
  ors: string[]
  eqs: [string, string][]
  orders: { column: string; ascending: boolean }[]
  limit: number | undefined
  signal: AbortSignal | undefined
  /** Clock time the request went out (its `then`). */
  at: number
}

/** What an interceptor answers: a result, a promise of one (deferred), or 'hang' (never answers; aborts). */
export type Reply = PostgrestResult | Promise<PostgrestResult> | 'hang'

export const failure = (status: number, message = 'Service Unavailable', code?: string): PostgrestResult => ({
  data: null,
  error: { message, ...(code ? { code } : {}) },
  status,
})

export interface Tombstone {
  table_schema: string
  table_name: string
  row_key: Row
  deleted_at: string
}

export function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Splits on commas outside double quotes and parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (quoted && char === '\\') i++
    else if (char === '"') quoted = !quoted
    else if (!quoted && char === '(') depth++
    else if (!quoted && char === ')') depth--
    else if (!quoted && depth === 0 && char === ',') {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

/** Compares a column value with another (timestamps and integers by value, the rest as text). */
function compare(a: unknown, b: unknown): number {
  const va = parseVersion(a)
  const vb = parseVersion(b)
  if (va !== undefined && vb !== undefined) return va - vb
  // jsonb (row_key) compares as its JSON text here; enough for the one-column keys of these tests.
  const sa = typeof a === 'object' && a !== null ? JSON.stringify(a) : String(a)
  const sb = String(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}

/** Evaluates one PostgREST logic-tree node (`and(..)`, `or(..)`, `col.op.value`) against a row. */
export function evaluate(node: string, row: Row): boolean {
  const tree = /^(and|or)\((.*)\)$/s.exec(node)
  if (tree) {
    const parts = splitTop(tree[2]!)
    return tree[1] === 'and' ? parts.every((part) => evaluate(part, row)) : parts.some((part) => evaluate(part, row))
  }
  const first = node.indexOf('.')
  const second = node.indexOf('.', first + 1)
  if (first <= 0 || second <= first) throw new Error(`fake PostgREST: cannot parse ${node}`)
  const column = node.slice(0, first)
  const op = node.slice(first + 1, second)
  const raw = node.slice(second + 1)
  const actual = row[column]
  if (op === 'in') {
    // `("a","b",3)`: a list of quoted or bare values
    const list = /^\((.*)\)$/s.exec(raw)?.[1] ?? ''
    const values = [...list.matchAll(/"((?:[^"\\]|\\.)*)"|([^,]+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!))
    return actual !== null && actual !== undefined && values.some((value) => compare(actual, value) === 0)
  }
  const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw
  if (op === 'is') {
    if (value === 'null') return actual === null || actual === undefined
    return actual === (value === 'true')
  }
  if (actual === null || actual === undefined) return false
  const c = compare(actual, value)
  switch (op) {
    case 'eq':
      return c === 0
    case 'gt':
      return c > 0
    case 'gte':
      return c >= 0
    case 'lt':
      return c < 0
    case 'lte':
      return c <= 0
    default:
      throw new Error(`fake PostgREST: unknown op ${op}`)
  }
}

/**
 * An in-memory table behind a PostgrestHost. `intercept` sees every request first and may answer it (a failure,
 * a deferred answer, 'hang'); undefined falls through to the table.
 */
export class FakeServer {
  rows: Row[] = []
  tombstones: Tombstone[] = []
  readonly requests: RecordedRequest[] = []
  intercept: ((request: RecordedRequest) => Reply | undefined) | undefined
  /** The watermark function's answer (µs); default: the clock's now. */
  watermark: (() => number) | undefined
  /**
   * With it, the watermark function answers as the current migration does ({ watermark, now, complete, access }):
   * the caller's sub and the last access change (µs, null: never) of that user and of everyone. Without it, as the
   * first migration did (a bare stamp).
   */
  access: (() => { sub?: string; user?: number | null; all?: number | null }) | undefined
  /** PostgREST's db-max-rows: no answer carries more rows, whatever the request's limit. */
  maxRows: number | undefined
  /**
   * Whether the server has public.supasync_poll() (the current migration): it answers a poll in one request, from
   * the same table and tombstones. False: an older migration (404 PGRST202, as PostgREST answers).
   */
  pollFunction = true
  /**
   * Whether that function takes `digest_filters` (the current migration). False: an older copy of section 8, which
   * PostgREST does not find for those arguments (404 PGRST202).
   */
  digestFunction = true
  /** Row-level security: the rows the caller may read, in every read (REST and the poll function). Default all. */
  visible: ((row: Row) => boolean) | undefined
  private counter = 0
  readonly host: PostgrestHost

  constructor(
    private readonly clock: ManualClock,
    readonly table = 'components',
  ) {
    const server = this
    this.host = {
      schema(schema: string) {
        return {
          from(name: string) {
            return { select: (columns?: string) => server.query({ kind: 'select', schema, name, columns }) }
          },
          rpc(fn: string, args?: Record<string, unknown>) {
            return server.query({ kind: 'rpc', schema, name: fn, columns: undefined, args })
          },
        }
      },
    }
  }

  /** A fresh, strictly increasing stamp at the clock's now (µs). */
  stamp(): number {
    return Math.floor(this.clock.now() * 1000) + (++this.counter % 1000)
  }

  /** Inserts or updates a row as the trigger would: updated_at := clock_timestamp(). */
  write(row: Row, micros = this.stamp()): Row {
    const stored = { ...row, updated_at: pgts(micros) }
    const index = this.rows.findIndex((existing) => existing.id === row.id)
    if (index >= 0) this.rows[index] = { ...this.rows[index], ...stored }
    else this.rows.push(stored)
    return index >= 0 ? this.rows[index]! : stored
  }

  /** Hard delete with a tombstone, as supasync.enable_polling's trigger does. */
  remove(id: number, micros = this.stamp()): void {
    this.rows = this.rows.filter((row) => row.id !== id)
    this.tombstones = this.tombstones.filter((t) => t.row_key.id !== id)
    this.tombstones.push({ table_schema: 'public', table_name: this.table, row_key: { id }, deleted_at: pgts(micros) })
  }

  /**
   * Requests of one kind. rows: the table's selects; tombstones: the view's; watermark: every read of the poll
   * window (supasync_watermark, and supasync_poll, which reads it too); poll: supasync_poll alone.
   */
  of(what: 'rows' | 'tombstones' | 'watermark' | 'poll'): RecordedRequest[] {
    return this.requests.filter((request) =>
      what === 'watermark' ? request.kind === 'rpc'
        : what === 'poll' ? request.kind === 'rpc' && request.name === 'supasync_poll'
        : what === 'tombstones' ? request.name === 'supasync_tombstones' : request.kind === 'select' && request.name === this.table,
    )
  }

  private query(base: Pick<RecordedRequest, 'kind' | 'schema' | 'name' | 'columns' | 'args'>): PostgrestQuery {
    const request: RecordedRequest = { ...base, ors: [], eqs: [], orders: [], limit: undefined, signal: undefined, at: NaN }
    let answer: Promise<PostgrestResult> | undefined
    const query: PostgrestQuery = {
      or(filters) {
        request.ors.push(filters)
        return query
      },
      eq(column, value) {
        request.eqs.push([column, value])
        return query
      },
      order(column, options) {
        request.orders.push({ column, ascending: options?.ascending ?? true })
        return query
      },
      limit(count) {
        request.limit = count
        return query
      },
      abortSignal(signal) {
        request.signal = signal
        return query
      },
      then: (onfulfilled, onrejected) => {
        answer ??= this.execute(request)
        return answer.then(onfulfilled, onrejected)
      },
    }
    return query
  }

  private execute(request: RecordedRequest): Promise<PostgrestResult> {
    request.at = this.clock.now()
    this.requests.push(request)
    const reply = this.intercept?.(request) ?? this.answer(request)
    if (reply !== 'hang' && !(reply instanceof Promise)) return Promise.resolve(reply)
    // postgrest-js turns an aborted fetch into an error result with status 0.
    const aborted = new Promise<PostgrestResult>((resolve) => {
      const signal = request.signal
      const onAbort = () => resolve({ data: null, error: { message: 'AbortError: This operation was aborted', code: '20' }, status: 0 })
      if (signal?.aborted) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
    return reply === 'hang' ? aborted : Promise.race([reply, aborted])
  }

  /** What the in-memory table answers to `request` now (interceptors use it to answer late or from a snapshot). */
  answer(request: RecordedRequest): PostgrestResult {
    if (request.kind === 'rpc') {
      if (request.schema === 'public' && request.name === 'supasync_watermark') return this.window()
      if (request.schema === 'public' && request.name === 'supasync_poll' && this.pollFunction && (this.digestFunction || !('digest_filters' in (request.args ?? {})))) return this.poll(request.args ?? {})
      return failure(404, `Could not find the function public.${request.name}`, 'PGRST202')
    }
    return this.select(request, true)
  }

  /** What public.supasync_watermark() answers now. */
  private window(): PostgrestResult {
    const watermark = pgts(this.watermark ? this.watermark() : this.clock.now() * 1000)
    if (!this.access) return { data: watermark, error: null, status: 200 }
    const { sub = 'anon', user = null, all = null } = this.access()
    const stamp = (micros: number | null) => (micros === null ? null : pgts(micros))
    return { data: { watermark, now: pgts(this.clock.now() * 1000), complete: true, access: { sub, user: stamp(user), all: stamp(all) } }, error: null, status: 200 }
  }

  /**
   * public.supasync_poll() (migration section 8): the window, then the first page of rows changed since `since`
   * that match one of `filters`, in key order, and of the tombstones since then; db-max-rows does not cap it (one
   * JSON value). Filters go through the same evaluator as the three requests' clauses.
   */
  private poll(args: Record<string, unknown>): PostgrestResult {
    const window = this.window()
    const base = { kind: 'select' as const, columns: '*', signal: undefined, at: this.clock.now(), limit: args.page_size as number }
    const since = args.since as string | null
    const quote = (value: unknown) => `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
    const filters = args.filters as Record<string, string | boolean | null>[] | null
    const union = filters === null ? [] : [`or(${filters.map((filter) => `and(${Object.entries(filter).map(([column, value]) => (value === null || typeof value === 'boolean' ? `${column}.is.${value}` : `${column}.eq.${quote(value)}`)).join(',')})`).join(',')})`]
    const rows = this.select({
      ...base,
      schema: args.target_schema as string,
      name: args.target_table as string,
      ors: [...(since === null ? [] : [`${args.cursor_column as string}.gte.${quote(since)}`]), ...union],
      eqs: [],
      orders: (args.key_columns as string[]).map((column) => ({ column, ascending: true })),
    }, false)
    if (rows.error) return rows
    const tombstones = this.select({
      ...base,
      schema: 'public',
      name: 'supasync_tombstones',
      ors: since === null ? [] : [`deleted_at.gte.${quote(since)}`],
      eqs: [['table_schema', args.target_schema as string], ['table_name', args.target_table as string]],
      orders: [{ column: 'row_key', ascending: true }],
    }, false)
    if (tombstones.error) return tombstones
    const entries = (tombstones.data as Row[]).map(({ row_key, deleted_at }) => ({ row_key, deleted_at }))
    return { data: { window: window.data, rows: rows.data, tombstones: entries, digests: this.digests(args) }, error: null, status: 200 }
  }

  /**
   * Key digests as the function computes them (an independent implementation: node's md5 of the key text): per
   * filter, the rows the caller may read with cursor < since and no soft delete, counted and summed.
   */
  private digests(args: Record<string, unknown>): { n: number; a: number; b: number }[] | null {
    const filters = args.digest_filters as Record<string, string | boolean | null>[] | undefined
    const since = args.since as string | null
    if (!filters || since === null) return null
    const bound = parseVersion(since)!
    const keyColumns = args.key_columns as string[]
    const softDelete = args.soft_delete_column as string | undefined
    return filters.map((filter) => {
      let n = 0
      let a = 0
      let b = 0
      for (const row of this.rows) {
        if (this.visible && !this.visible(row)) continue
        if (!(parseVersion(row[args.cursor_column as string])! < bound)) continue
        if (softDelete !== undefined && row[softDelete] !== null && row[softDelete] !== undefined) continue
        if (!Object.entries(filter).every(([column, value]) => (value === null || typeof value === 'boolean' ? row[column] === value : String(row[column]) === value))) continue
        const text = keyColumns.length === 1 ? String(row[keyColumns[0]!]) : JSON.stringify(keyColumns.map((column) => String(row[column])))
        const hex = createHash('md5').update(text, 'utf8').digest('hex')
        n++
        a = (a + parseInt(hex.slice(0, 8), 16)) % 4294967296
        b = (b + parseInt(hex.slice(8, 16), 16)) % 4294967296
      }
      return { n, a, b }
    })
  }

  /** A select of the table or the tombstones; `capped`: db-max-rows applies (a PostgREST read, not inside a function). */
  private select(request: RecordedRequest, capped: boolean): PostgrestResult {
    let source: Row[]
    if (request.schema === 'public' && request.name === 'supasync_tombstones') source = this.tombstones as unknown as Row[]
    else if (request.schema === 'public' && request.name === this.table) source = this.visible ? this.rows.filter(this.visible) : this.rows
    else return failure(404, `Could not find the table ${request.schema}.${request.name}`, 'PGRST205')
    let rows = source.filter((row) =>
      request.eqs.every(([column, value]) => compare(row[column], value) === 0) &&
      request.ors.every((filters) => splitTop(filters).some((node) => evaluate(node, row))),
    )
    rows = [...rows].sort((a, b) => {
      for (const { column, ascending } of request.orders) {
        const c = compare(a[column], b[column])
        if (c !== 0) return ascending ? c : -c
      }
      return 0
    })
    if (request.limit !== undefined) rows = rows.slice(0, request.limit)
    if (capped && this.maxRows !== undefined) rows = rows.slice(0, this.maxRows)
    return { data: structuredClone(rows), error: null, status: 200 }
  }
}
