import type { Scheduler } from '@supasync/core'
import { PollingError, restFailure } from './errors.js'
import { parsePollWindow } from './parsePollWindow.js'
import { POLL_FUNCTION, PollRpc, type DigestRequest, type PollAnswer } from './PollRpc.js'
import type { KeyDigest } from './KeyDigest.js'
import type { PostgrestHost, PostgrestQuery, PostgrestResult } from './PostgrestHost.js'
import { filterClauses, keysetClause, quoteValue, unionClause, type FilterValue, type LiveFilter } from './rowFilter.js'
import { formatMicros, parseVersion } from './versions.js'

export type Row = Record<string, unknown>

/** Where and how one table is read. */
export interface ReadTarget {
  schema: string
  table: string
  primaryKey: readonly string[]
  cursor: string
  softDeleteColumn: string | undefined
  /** Rows per request; PostgREST servers often cap responses (hosted Supabase: 1,000). */
  pageSize: number
  requestTimeoutMs: number
}

/** What public.supasync_watermark() answers, in µs since the epoch. */
export interface PollWindow {
  watermark: number
  /** Who the caller is and when access last changed (migration section 5); undefined from an older migration. */
  access: AccessStamp | undefined
}

/** The caller's JWT `sub` (or 'anon'), and the last access change of that user and of everyone (µs; undefined: never). */
export interface AccessStamp {
  sub: string | null
  user: number | undefined
  all: number | undefined
  /** Some membership table is tracked (supasync.track_access); only changes the advice of warnings. */
  tracked?: boolean
}

/** A hard deletion read from public.supasync_tombstones. */
export interface TombstoneRecord {
  rowKey: Row
  version: number
}

/** Where a poll's reads go, page by page, in order: rows (with the poll's window), then tombstones. */
export interface PollSink {
  rows(page: Row[], window: PollWindow | undefined): void
  tombstones(records: TombstoneRecord[]): void
  /**
   * The key digests asked for, one per filter in order, after the rows and tombstones; undefined when the poll could
   * not compute them (three requests, an older function, no cursor). Called once per poll that asked.
   */
  digests?(digests: KeyDigest[] | undefined): void
}

/** Longest URL-encoded key filter of one by-key read, in characters (URLs stay well under 8 KB). */
const MAX_KEY_FILTER_CHARS = 6000

const missingObject = (result: PostgrestResult) =>
  result.status === 404 || ['PGRST202', 'PGRST205', '42P01', '42883'].includes(result.error?.code ?? '')

/**
 * Every PostgREST read of polling: polls (one call of public.supasync_poll, or the watermark, keyset-paged row reads
 * and tombstone reads), loads and key sweeps, each request with a timeout. Keyset paging (never offsets) keeps a page
 * boundary from skipping a row that moved while the pages were read.
 */
export class RestReader {
  /** False once the server said public.supasync_watermark() does not exist. */
  watermarkSupported = true
  /** False once the server said public.supasync_tombstones does not exist. */
  tombstonesSupported = true
  /** False when the watermark function's owner cannot see other sessions (its watermark is then just now()). */
  sessionsVisible = true
  /**
   * Rows per answer the server was seen to cap at, below pageSize (PostgREST's db-max-rows); undefined while none
   * was seen. From then on a page of this length is a full page, not the last one.
   */
  serverMaxRows: number | undefined
  /** Polls in one request (public.supasync_poll); its `unusable` says why polls take three. */
  readonly rpc: PollRpc

  private readonly active = new Set<AbortController>()

  constructor(
    private readonly host: PostgrestHost,
    readonly target: ReadTarget,
    private readonly scheduler: Scheduler,
  ) {
    this.rpc = new PollRpc(target)
  }

  private async run(what: string, build: (signal: AbortSignal) => PostgrestQuery): Promise<PostgrestResult> {
    const controller = new AbortController()
    this.active.add(controller)
    let timedOut = false
    const cancel = this.scheduler.after(this.target.requestTimeoutMs, () => {
      timedOut = true
      controller.abort()
    })
    const timeout = () =>
      new PollingError('UNREACHABLE', `${what}: no answer within requestTimeoutMs (${Math.round(this.target.requestTimeoutMs)} ms). Polling retries by itself.`, { status: 0 })
    let result: PostgrestResult
    try {
      const query = build(controller.signal)
      result = await (typeof query.retry === 'function' ? query.retry(false) : query)
    } catch (cause) {
      if (timedOut) throw timeout()
      throw new PollingError('UNREACHABLE', `${what}: the request failed (${cause instanceof Error ? cause.message : String(cause)}). Polling retries by itself.`, { cause, status: 0 })
    } finally {
      cancel()
      this.active.delete(controller)
    }
    // postgrest-js turns an aborted fetch into an error result: report the timeout as the cause.
    if (timedOut) throw timeout()
    return result
  }

  /** Aborts every request in flight (the poller is being disposed). */
  abortAll(): void {
    for (const controller of this.active) controller.abort()
    this.active.clear()
  }

  private async rows(what: string, build: (signal: AbortSignal) => PostgrestQuery, optional: boolean): Promise<Row[]> {
    const result = await this.run(what, build)
    if (result.error) throw optional && missingObject(result) ? new MissingObject(what) : restFailure(what, result)
    if (!Array.isArray(result.data)) throw new PollingError('REJECTED', `${what}: PostgREST answered something other than a list of rows.`, { status: result.status })
    return result.data as Row[]
  }

  /**
   * The server's poll window, read before a poll's rows: `watermark` (µs), before which every stamp is final, so a
   * later poll can start there, and `access`: who the caller is and when access last changed (migration section 5). Undefined when the migration's
   * public.supasync_watermark() is missing; polling then falls back to the overlap window alone.
   */
  async watermark(): Promise<PollWindow | undefined> {
    if (!this.watermarkSupported) return undefined
    const what = 'Reading public.supasync_watermark()'
    const result = await this.run(what, (signal) => this.host.schema('public').rpc('supasync_watermark').abortSignal(signal))
    if (result.error) {
      if (missingObject(result)) {
        this.watermarkSupported = false
        return undefined
      }
      throw restFailure(what, result)
    }
    const parsed = parsePollWindow(result.data)
    if (!parsed) throw new PollingError('REJECTED', `${what}: expected a timestamp, got ${JSON.stringify(result.data)}.`)
    this.sessionsVisible = parsed.complete
    return parsed.window
  }

  /**
   * One poll: the window, then the rows changed since `sinceMicros` (all when undefined) that match one of
   * `filters` (every changed row when undefined), then the tombstones since then; resolves the window (undefined
   * without the watermark function). One request when the server has public.supasync_poll() and the table is set
   * up for it (migration section 8), more only when rows or tombstones fill a page: the reads go on through
   * PostgREST from the page's last key. Otherwise three requests (more when pages fill): the watermark, the rows,
   * the tombstones. Both deliver the same rows, versions, tombstones and window.
   */
  async poll(sinceMicros: number | undefined, filters: readonly LiveFilter[] | undefined, sink: PollSink, digests?: DigestRequest): Promise<PollWindow | undefined> {
    const union = filters === undefined ? undefined : unionClause(filters)
    // The function comes with the watermark's migration: without that one, it is not there either.
    const answer = this.rpc.unusable || !this.watermarkSupported ? undefined : await this.pollInOne(sinceMicros, filters, digests)
    if (!answer) {
      const window = await this.watermark()
      await this.readChanged(sinceMicros, union, (rows) => sink.rows(rows, window))
      await this.readTombstones(sinceMicros, (records) => sink.tombstones(records))
      if (digests) sink.digests?.(undefined)
      return window
    }
    const { window, rows, tombstones } = answer
    const { pageSize } = this.target
    this.sessionsVisible = answer.complete
    if (rows.length > 0) sink.rows(rows, window)
    if (rows.length >= pageSize) await this.readChanged(sinceMicros, union, (page) => sink.rows(page, window), rows[rows.length - 1])
    const records = tombstoneRecords(tombstones)
    if (records.length > 0) sink.tombstones(records)
    if (tombstones.length >= pageSize) await this.readTombstones(sinceMicros, (page) => sink.tombstones(page), tombstones[tombstones.length - 1])
    if (digests) sink.digests?.(answer.digests?.length === digests.filters.length ? answer.digests : undefined)
    return window
  }

  /** public.supasync_poll(); undefined when it cannot serve this table (rpc.unusable says why). */
  private async pollInOne(sinceMicros: number | undefined, filters: readonly LiveFilter[] | undefined, digests: DigestRequest | undefined): Promise<PollAnswer | undefined> {
    const { schema, table } = this.target
    const what = `Polling ${schema}.${table} (public.${POLL_FUNCTION})`
    const asked = digests && this.rpc.digestsSupported ? digests : undefined
    const args = this.rpc.arguments(sinceMicros, filters, asked)
    const result = await this.run(what, (signal) => this.host.schema('public').rpc(POLL_FUNCTION, args).abortSignal(signal))
    const answer = this.rpc.answer(what, result)
    if (answer || !('digest_filters' in args) || this.rpc.unusable?.reason !== 'missing') return answer
    // No function takes digest_filters: an older copy of section 8 may still take the rest. Once without them.
    this.rpc.unusable = undefined
    this.rpc.digestsSupported = false
    return this.pollInOne(sinceMicros, filters, undefined)
  }

  /**
   * All rows matching `filter` (soft-deleted ones left out), page by page in primary-key order.
   * `onPage` runs for each page before the next is requested.
   */
  async readAll(filter: LiveFilter, onPage: (rows: Row[]) => void): Promise<void> {
    const { schema, table, primaryKey, softDeleteColumn } = this.target
    const base = [...filterClauses(filter), ...(softDeleteColumn ? [`${softDeleteColumn}.is.null`] : [])]
    await this.paged(`Loading ${schema}.${table}`, { schema, table, select: '*', eqs: [] }, primaryKey, base, onPage)
  }

  /**
   * The primary keys of every row of `filter` the role may read now (soft-deleted ones left out), key columns only,
   * page by page in key order. What RLS hides is left out like a deleted row.
   */
  async readKeys(filter: LiveFilter, onPage: (keys: Row[]) => void): Promise<void> {
    const { schema, table, primaryKey, softDeleteColumn } = this.target
    const base = [...filterClauses(filter), ...(softDeleteColumn ? [`${softDeleteColumn}.is.null`] : [])]
    await this.paged(`Sweeping the keys of ${schema}.${table}`, { schema, table, select: primaryKey.join(','), eqs: [] }, primaryKey, base, onPage, true)
  }

  /**
   * `keys` (key column → value objects) split into batches whose filter stays short enough for a URL: every proxy
   * on the way (and Node's own HTTP server, at 16 KB of headers) refuses longer request lines.
   */
  *keyBatches(keys: readonly Row[]): Generator<Row[]> {
    let batch: Row[] = []
    let length = 0
    for (const key of keys) {
      const size = encodeURIComponent(this.keyClause(key)).length + 3
      if (batch.length > 0 && (length + size > MAX_KEY_FILTER_CHARS || batch.length >= this.target.pageSize)) {
        yield batch
        batch = []
        length = 0
      }
      batch.push(key)
      length += size
    }
    if (batch.length > 0) yield batch
  }

  /** The whole rows with these primary keys: one batch of {@link keyBatches}. */
  async readByKeys(keys: readonly Row[]): Promise<Row[]> {
    if (keys.length === 0) return []
    const { schema, table, primaryKey } = this.target
    const filter = primaryKey.length === 1
      ? `${primaryKey[0]}.in.(${keys.map((key) => quoteValue(String(key[primaryKey[0]!]))).join(',')})`
      : keys.map((key) => this.keyClause(key)).join(',')
    const what = `Reading rows of ${schema}.${table} by key`
    return this.rows(what, (signal) => this.host.schema(schema).from(table).select('*').or(filter).limit(keys.length).abortSignal(signal), false)
  }

  /** `and(a.eq."1",b.eq."x")` for one key (one column: just its value, as it appears inside `in.(…)`). */
  private keyClause(key: Row): string {
    const { primaryKey } = this.target
    if (primaryKey.length === 1) return quoteValue(String(key[primaryKey[0]!]))
    return `and(${filterClauses(Object.fromEntries(primaryKey.map((column) => [column, key[column] as FilterValue]))).join(',')})`
  }

  /**
   * Rows whose cursor is ≥ `sinceMicros` (all when undefined) that match `union`, paged in primary-key order with
   * no upper bound. A row keeps its place in key order when it is updated, so a row changed between two page reads
   * is still read (at its newer version); in cursor order it would jump behind the pages already read, and a row
   * updated faster than one poll takes would never be read at all. Rows inserted behind the pages already read
   * committed after this read began: the next poll, starting at this poll's watermark, reads them.
   */
  async readChanged(sinceMicros: number | undefined, union: string | undefined, onPage: (rows: Row[]) => void, after?: Row): Promise<void> {
    const { schema, table, primaryKey, cursor } = this.target
    const base = [...since(cursor, sinceMicros), ...(union ? [union] : [])]
    await this.paged(`Polling ${schema}.${table}`, { schema, table, select: '*', eqs: [] }, primaryKey, base, onPage, false, after)
  }

  /** Keyset pages of `source` in `order`, after the row `start` (a page already read) when given. */
  private async paged(what: string, source: Source, order: readonly string[], base: readonly string[], onPage: (rows: Row[]) => void, confirmEnd = false, start?: Row): Promise<void> {
    const { pageSize } = this.target
    let after = start && keysetAfter(what, order, start)
    /** Length of the short page whose end is being confirmed. */
    let confirming: number | undefined
    for (;;) {
      const clauses = after ? [...base, keysetClause(order, after)] : base
      const query = (signal: AbortSignal) => {
        let query = this.host.schema(source.schema).from(source.table).select(source.select)
        for (const [column, value] of source.eqs) query = query.eq(column, value)
        if (clauses.length > 0) query = query.or(`and(${clauses.join(',')})`)
        for (const column of order) query = query.order(column, { ascending: true })
        return query.limit(pageSize).abortSignal(signal)
      }
      const page = await this.rows(what, query, source.optional ?? false)
      if (page.length > 0) onPage(page)
      if (page.length === 0) return
      if (confirming !== undefined) {
        // The short page before this one was not the end: the server caps its answers (db-max-rows).
        this.serverMaxRows = confirming
        confirming = undefined
      }
      if (page.length < Math.min(pageSize, this.serverMaxRows ?? Infinity)) {
        // A short page ends the read, unless the server may have cut it: where a wrong end would drop rows that
        // exist (a key sweep), one more request makes sure, until a cap has been seen. Loads and polls do not pay
        // it: a sweep that finds the cap also reads the rows they missed, and polls warn from then on.
        if (!confirmEnd || this.serverMaxRows !== undefined) return
        confirming = page.length
      }
      after = keysetAfter(what, order, page[page.length - 1]!)
    }
  }

  /**
   * Hard deletions of this table stamped at or after `sinceMicros`, keyset-paged on row_key (one tombstone per key):
   * a key deleted again moves its stamp but not its place, so it is read like an updated row (see readChanged).
   * Resolves false when the tombstone view is missing. `after`: a `{ row_key, deleted_at }` already read, to read on from.
   */
  async readTombstones(sinceMicros: number | undefined, onPage: (records: TombstoneRecord[]) => void, after?: Row): Promise<boolean> {
    if (!this.tombstonesSupported) return false
    const { schema, table } = this.target
    const source: Source = {
      schema: 'public',
      table: 'supasync_tombstones',
      select: 'row_key,deleted_at',
      eqs: [['table_schema', schema], ['table_name', table]],
      optional: true,
    }
    try {
      await this.paged(`Reading tombstones of ${schema}.${table}`, source, ['row_key'], since('deleted_at', sinceMicros), (page) => {
        const records = tombstoneRecords(page)
        if (records.length > 0) onPage(records)
      }, false, after)
      return true
    } catch (error) {
      if (error instanceof MissingObject) {
        this.tombstonesSupported = false
        return false
      }
      throw error
    }
  }
}

/** Where paged reads go: a table or view, its columns and fixed equality filters. */
interface Source {
  schema: string
  table: string
  select: string
  eqs: [string, string][]
  /** The object comes with the migration and may be missing: its absence is not an error (MissingObject). */
  optional?: boolean
}

/** The `column ≥ since` clause (none when since is undefined). */
function since(column: string, micros: number | undefined): string[] {
  return micros === undefined ? [] : [`${column}.gte.${quoteValue(formatMicros(micros))}`]
}

/** The keyset position after `row`: its `order` values, objects (a jsonb row_key) as their JSON text. */
function keysetAfter(what: string, order: readonly string[], row: Row): unknown[] {
  const after = order.map((column) => (typeof row[column] === 'object' && row[column] !== null ? JSON.stringify(row[column]) : row[column]))
  if (after.some((value) => value === null || value === undefined)) {
    throw new PollingError('BAD_ROW', `${what}: a row has no value in ${order.join(', ')}; the primary key and cursor columns must be NOT NULL and selectable.`)
  }
  return after
}

/** Entries of public.supasync_tombstones (`{ row_key, deleted_at }`) as records; malformed ones are left out. */
function tombstoneRecords(page: readonly Row[]): TombstoneRecord[] {
  const records: TombstoneRecord[] = []
  for (const entry of page as { row_key?: unknown; deleted_at?: unknown }[]) {
    const version = parseVersion(entry.deleted_at)
    if (version !== undefined && entry.row_key && typeof entry.row_key === 'object') records.push({ rowKey: entry.row_key as Row, version })
  }
  return records
}

/** A read of an object the server does not have (the migration is missing). */
class MissingObject extends Error {}
