import { PollingError, restFailure } from './errors.js'
import { parsePollWindow } from './parsePollWindow.js'
import type { PostgrestResult } from './PostgrestHost.js'
import type { PollWindow, ReadTarget, Row } from './RestReader.js'
import type { LiveFilter } from './rowFilter.js'
import { formatMicros } from './versions.js'
import { parseDigest, type KeyDigest } from './KeyDigest.js'

/** The migration's function that answers a whole poll (section 8 of supasync-polling.sql). */
export const POLL_FUNCTION = 'supasync_poll'

/** Why polls of a table take three requests rather than one call of public.supasync_poll(). */
export type PollRpcUnusable =
  /** The server has no such function (an older copy of the migration, or none). */
  | { reason: 'missing' }
  /** The function does not read this table: it has no supasync trigger (SQLSTATE SSP01). */
  | { reason: 'refused'; message: string }
  /** It answered something other than a poll (another function of that name, a proxy). */
  | { reason: 'unexpected'; message: string }

/** One answer of public.supasync_poll(): the window and the first page of changed rows and of tombstones. */
export interface PollAnswer {
  window: PollWindow
  /** The watermark function's owner saw every session (see RestReader.sessionsVisible). */
  complete: boolean
  rows: Row[]
  /** As public.supasync_tombstones gives them: `{ row_key, deleted_at }`. */
  tombstones: Row[]
  /** One per digest filter asked for, in order; undefined when none were asked for (or the server has none). */
  digests: KeyDigest[] | undefined
}

/** Key digests asked of a poll: one per filter, over the rows older than its cursor (see KeyDigest). */
export interface DigestRequest {
  filters: readonly LiveFilter[]
  /** Rows with this column set are left out, as the view leaves them out. */
  softDeleteColumn: string | undefined
}

/**
 * A poll in one request: the arguments of public.supasync_poll() for a read, and what its answer means. Once the
 * server shows that the function cannot serve the table, {@link unusable} says why and the reader polls with three
 * requests from then on (the same reads, the same results).
 */
export class PollRpc {
  /** Undefined while the function serves this table (or was not tried yet); else why it does not. */
  unusable: PollRpcUnusable | undefined
  /**
   * False once the server's function turned out to take no `digest_filters` (an older copy of section 8): key
   * checks then read the keys (key sweeps) instead of riding on polls.
   */
  digestsSupported = true

  constructor(private readonly target: ReadTarget) {}

  /**
   * The function's named arguments for the rows changed since `sinceMicros` (all when undefined) that match one of
   * `filters` (every changed row when undefined), and the tombstones since then; with `digests`, the key digests
   * of its filters (only with a cursor: without one every row is in the answer).
   */
  arguments(sinceMicros: number | undefined, filters: readonly LiveFilter[] | undefined, digests?: DigestRequest): Record<string, unknown> {
    const { schema, table, cursor, primaryKey, pageSize } = this.target
    const digestArguments = digests && sinceMicros !== undefined && digests.filters.length > 0
      ? {
        digest_filters: digests.filters.map(digestFilter),
        ...(digests.softDeleteColumn === undefined ? {} : { soft_delete_column: digests.softDeleteColumn }),
      }
      : {}
    return {
      target_schema: schema,
      target_table: table,
      cursor_column: cursor,
      key_columns: primaryKey,
      // The same literal the three-request path sends (`cursor.gte."…"`), cast to the cursor's type on the server.
      since: sinceMicros === undefined ? null : formatMicros(sinceMicros),
      filters: rpcFilters(filters),
      page_size: pageSize,
      ...digestArguments,
    }
  }

  /**
   * The answer to one call. Undefined when it shows that the function cannot serve this table ({@link unusable}
   * says why: the caller reads with three requests instead). Throws what the three requests would throw for the
   * same cause (an unknown column, a refused token, an unreachable server), with the same advice.
   */
  answer(what: string, result: PostgrestResult): PollAnswer | undefined {
    const { error } = result
    if (error) {
      // PGRST202: no function of that name and these arguments in PostgREST's schema cache (42883 from older
      // PostgREST). A missing *table* is 42P01, also a 404: that is the options' fault, reported as a read would be.
      if (error.code === 'PGRST202' || error.code === '42883' || (result.status === 404 && error.code !== '42P01')) {
        this.unusable = { reason: 'missing' }
        return undefined
      }
      if (error.code === 'SSP01' || error.code === 'PGRST203') {
        this.unusable = { reason: error.code === 'SSP01' ? 'refused' : 'unexpected', message: error.message }
        return undefined
      }
      throw restFailure(what, result)
    }
    const data = result.data as { window?: unknown; rows?: unknown; tombstones?: unknown; digests?: unknown } | null
    const parsed = data !== null && typeof data === 'object' ? parsePollWindow(data.window) : undefined
    if (!parsed || !Array.isArray(data!.rows) || !Array.isArray(data!.tombstones)) {
      this.unusable = { reason: 'unexpected', message: `it answered ${JSON.stringify(result.data)?.slice(0, 200)}` }
      return undefined
    }
    if (data!.rows.length > this.target.pageSize || data!.tombstones.length > this.target.pageSize) {
      throw new PollingError('REJECTED', `${what}: public.${POLL_FUNCTION}() answered more than page_size (${this.target.pageSize}) rows. Re-apply packages/polling/sql/supasync-polling.sql.`)
    }
    let digests: KeyDigest[] | undefined
    if (Array.isArray(data!.digests)) {
      digests = []
      for (const value of data!.digests) {
        const digest = parseDigest(value)
        if (!digest) throw new PollingError('REJECTED', `${what}: public.${POLL_FUNCTION}() answered a key digest that is not one (${JSON.stringify(value)?.slice(0, 100)}). Re-apply packages/polling/sql/supasync-polling.sql.`)
        digests.push(digest)
      }
    }
    return { ...parsed, rows: data!.rows as Row[], tombstones: data!.tombstones as Row[], digests }
  }
}

/** One filter as `digest_filters` takes it: column → value as in {@link rpcFilters}, `{}` for the whole table. */
function digestFilter(filter: LiveFilter): Record<string, string | boolean | null> {
  return Object.fromEntries(Object.entries(filter).map(([column, value]) => [column, value === null || typeof value === 'boolean' ? value : String(value)]))
}

/**
 * The union of the live tables' filters as the function takes it: null for every row (no filters, or one of them
 * empty, as in unionClause), else the distinct filters, each column → value. Values go as the text the
 * three-request path puts in its `eq` clauses (so the server casts the same text to the column's type); true,
 * false and null stay JSON (`is`).
 */
export function rpcFilters(filters: readonly LiveFilter[] | undefined): Record<string, string | boolean | null>[] | null {
  if (filters === undefined) return null
  const distinct = new Map<string, Record<string, string | boolean | null>>()
  for (const filter of filters) {
    const entries = Object.entries(filter)
    if (entries.length === 0) return null
    const converted = digestFilter(filter)
    distinct.set(JSON.stringify(converted), converted)
  }
  return distinct.size === 0 ? null : [...distinct.values()]
}
