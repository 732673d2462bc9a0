import type { Scheduler } from '@supasync/core'
import { PollingError, restFailure } from './errors.js'
import type { PostgrestHost, PostgrestQuery, PostgrestResult } from './PostgrestHost.js'
import { filterClauses, keysetClause, quoteValue, type LiveFilter } from './rowFilter.js'
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

/** A hard deletion read from public.supasync_tombstones. */
export interface TombstoneRecord {
  rowKey: Row
  version: number
}

const missingObject = (result: PostgrestResult) =>
  result.status === 404 || ['PGRST202', 'PGRST205', '42P01', '42883'].includes(result.error?.code ?? '')

/**
 * Every PostgREST read of polling: the watermark, keyset-paged row reads and tombstone reads, each with a timeout.
 * Keyset paging (never offsets) keeps a page boundary from skipping a row that moved while the pages were read.
 */
export class RestReader {
  /** False once the server said public.supasync_watermark() does not exist. */
  watermarkSupported = true
  /** False once the server said public.supasync_tombstones does not exist. */
  tombstonesSupported = true

  private readonly active = new Set<AbortController>()

  constructor(
    private readonly host: PostgrestHost,
    readonly target: ReadTarget,
    private readonly scheduler: Scheduler,
  ) {}

  private async run(what: string, build: (signal: AbortSignal) => PostgrestQuery): Promise<PostgrestResult> {
    const controller = new AbortController()
    this.active.add(controller)
    let timedOut = false
    const cancel = this.scheduler.after(this.target.requestTimeoutMs, () => {
      timedOut = true
      controller.abort()
    })
    const timeout = () =>
      new PollingError('UNREACHABLE', `${what}: no answer within requestTimeoutMs (${this.target.requestTimeoutMs} ms). Polling retries by itself.`, { status: 0 })
    let result: PostgrestResult
    try {
      result = await build(controller.signal)
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

  private async rows(what: string, build: (signal: AbortSignal) => PostgrestQuery): Promise<Row[]> {
    const result = await this.run(what, build)
    if (result.error) throw restFailure(what, result)
    if (!Array.isArray(result.data)) throw new PollingError('REJECTED', `${what}: PostgREST answered something other than a list of rows.`, { status: result.status })
    return result.data as Row[]
  }

  /**
   * The server's safe cursor (µs): rows stamped before it are final. Undefined when the migration's
   * public.supasync_watermark() is missing; polling then falls back to the overlap window alone.
   */
  async watermark(): Promise<number | undefined> {
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
    const micros = parseVersion(result.data)
    if (micros === undefined) throw new PollingError('REJECTED', `${what}: expected a timestamp, got ${JSON.stringify(result.data)}.`)
    return micros
  }

  /**
   * All rows matching `filter` (soft-deleted ones left out), page by page in primary-key order.
   * `onPage` runs for each page before the next is requested.
   */
  async readAll(filter: LiveFilter, onPage: (rows: Row[]) => void): Promise<void> {
    const { schema, table, primaryKey, softDeleteColumn } = this.target
    const base = [...filterClauses(filter), ...(softDeleteColumn ? [`${softDeleteColumn}.is.null`] : [])]
    await this.paged(`Loading ${schema}.${table}`, primaryKey, base, onPage)
  }

  /** Rows whose cursor is ≥ `sinceMicros` (all rows when undefined) and that match `union`, in cursor order. */
  async readChanged(sinceMicros: number | undefined, union: string | undefined, onPage: (rows: Row[]) => void): Promise<void> {
    const { schema, table, primaryKey, cursor } = this.target
    const base = [...(sinceMicros === undefined ? [] : [`${cursor}.gte.${quoteValue(formatMicros(sinceMicros))}`]), ...(union ? [union] : [])]
    await this.paged(`Polling ${schema}.${table}`, [cursor, ...primaryKey], base, onPage)
  }

  private async paged(what: string, order: readonly string[], base: readonly string[], onPage: (rows: Row[]) => void): Promise<void> {
    const { schema, table, pageSize } = this.target
    let after: unknown[] | undefined
    for (;;) {
      const clauses = after ? [...base, keysetClause(order, after)] : base
      const page = await this.rows(what, (signal) => {
        let query = this.host.schema(schema).from(table).select('*')
        if (clauses.length > 0) query = query.or(`and(${clauses.join(',')})`)
        for (const column of order) query = query.order(column, { ascending: true })
        return query.limit(pageSize).abortSignal(signal)
      })
      if (page.length > 0) onPage(page)
      if (page.length < pageSize) return
      const last = page[page.length - 1]!
      after = order.map((column) => last[column])
      if (after.some((value) => value === null || value === undefined)) {
        throw new PollingError('BAD_ROW', `${what}: a row has no value in ${order.join(', ')}; the primary key and cursor columns must be NOT NULL and selectable.`)
      }
    }
  }

  /** Hard deletions of this table stamped ≥ `sinceMicros`; undefined when the tombstone view is missing. */
  async readTombstones(sinceMicros: number | undefined, onPage: (records: TombstoneRecord[]) => void): Promise<boolean> {
    if (!this.tombstonesSupported) return false
    const { schema, table, pageSize } = this.target
    const what = `Reading tombstones of ${schema}.${table}`
    let since = sinceMicros
    let previousLast: string | undefined
    for (;;) {
      const result = await this.run(what, (signal) => {
        let query = this.host.schema('public').from('supasync_tombstones').select('row_key,deleted_at').eq('table_schema', schema).eq('table_name', table)
        if (since !== undefined) query = query.or(`deleted_at.gte.${quoteValue(formatMicros(since))}`)
        return query.order('deleted_at', { ascending: true }).limit(pageSize).abortSignal(signal)
      })
      if (result.error) {
        if (missingObject(result)) {
          this.tombstonesSupported = false
          return false
        }
        throw restFailure(what, result)
      }
      const page = (Array.isArray(result.data) ? result.data : []) as { row_key: Row; deleted_at: string }[]
      const records: TombstoneRecord[] = []
      for (const entry of page) {
        const version = parseVersion(entry.deleted_at)
        if (version !== undefined && entry.row_key && typeof entry.row_key === 'object') records.push({ rowKey: entry.row_key, version })
      }
      if (records.length > 0) onPage(records)
      if (page.length < pageSize) return true
      const last = page[page.length - 1]!.deleted_at
      // Stamps are per row (clock_timestamp), so a full page of one identical stamp means no progress is possible.
      if (last === previousLast) return true
      previousLast = last
      since = parseVersion(last)
    }
  }
}
