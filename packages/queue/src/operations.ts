import { checkJsonSafe } from '@supasync/core'
import { QueueError } from './errors.js'

/** A row as sent to PostgREST: JSON-serialisable column values. */
export type Row = Record<string, unknown>
/** Equality filter: every column must equal its value (`match({ ... })`). Values are scalars. */
export type Match = Record<string, string | number | boolean>

interface TableOperation {
  table: string
  /** Schema of the table. Default: the client's schema (`public`). */
  schema?: string
  /**
   * The records this write touches, for ordering: writes that share a key run in enqueue order, others may run in
   * parallel. Default: derived from `idColumn` (rows' ids, or the match's id); a match without the id locks the table.
   */
  keys?: string[]
}

/** Insert rows once. Rows get a client id when `idColumn` is missing, and replay as `insert … on conflict do nothing`. */
export interface InsertOperation extends TableOperation {
  type: 'insert'
  rows: Row[]
}
/** Insert or update rows by `idColumn` (rows get a client id when it is missing): `insert … on conflict do update`. */
export interface UpsertOperation extends TableOperation {
  type: 'upsert'
  rows: Row[]
}
/** `update table set values where match`. Idempotent as long as `values` are absolute (no increments). */
export interface UpdateOperation extends TableOperation {
  type: 'update'
  values: Row
  match: Match
}
/** `delete from table where match`. Idempotent. */
export interface DeleteOperation extends TableOperation {
  type: 'delete'
  match: Match
}
/**
 * A Postgres function call. The queue may send it more than once (a lost response is retried): the function must be
 * idempotent, e.g. take a client-generated request id in `args` and ignore a request id it has already seen.
 */
export interface RpcOperation {
  rpc: string
  args?: Record<string, unknown>
  schema?: string
  /** Records it touches, for ordering. Default: none given, so it waits for every earlier write and blocks every later one. */
  keys?: string[]
}

export type QueueOperation = InsertOperation | UpsertOperation | UpdateOperation | DeleteOperation | RpcOperation

/** The lock that an RPC without keys (or a write without a usable key) takes: it conflicts with everything. */
export const ALL_KEY = '*'
/** Schema `undefined` is the client's default, `public`: both spellings must lock the same records. */
const tableKey = (schema: string | undefined, table: string) => `${schema ?? 'public'}.${table}`
/** The key that locks a whole table. */
export const tableWideKey = (schema: string | undefined, table: string) => `${tableKey(schema, table)}#*`
/** Ids are compared as text: PostgREST sends `1` and `'1'` to the same primary key. */
const recordKey = (schema: string | undefined, table: string, id: unknown) => `${tableKey(schema, table)}#${JSON.stringify(String(id))}`

const isScalar = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype
const invalid = (message: string) => new QueueError('INVALID_OPERATION', message)

/**
 * Refuses a write JSON would change (a BigInt, NaN, a Map, a class instance, a cycle… see core's checkJsonSafe): the
 * queue stores and replays writes as JSON, so such a value would otherwise throw deep inside, or be stored and sent
 * as `null` / `{}`. Date and other `toJSON` objects pass and are stored as what their toJSON returns (an ISO string).
 */
function assertJsonSafe(operation: unknown): void {
  const problem = checkJsonSafe(operation)
  if (problem) throw new QueueError('UNSERIALIZABLE', `enqueue(): ${problem.message} The write was NOT queued (the queue stores writes as JSON).`)
}

/**
 * Validates an operation and returns the form the queue stores: a deep copy, with client ids on insert/upsert rows
 * that lack `idColumn`. Throws {@link QueueError} `INVALID_OPERATION` with a message that names the field, or
 * `UNSERIALIZABLE` naming the path of a value JSON cannot carry faithfully.
 */
export function normalizeOperation(input: unknown, idColumn: string, newId: () => string): QueueOperation {
  if (!isPlainObject(input)) throw invalid('enqueue() takes an operation object such as { table, type, rows }.')
  assertJsonSafe(input)
  const op = JSON.parse(JSON.stringify(input)) as Record<string, unknown>
  if (op.keys !== undefined && !(Array.isArray(op.keys) && op.keys.every((key) => typeof key === 'string' && key.length > 0))) {
    throw invalid('keys must be an array of non-empty strings.')
  }
  if (op.schema !== undefined && (typeof op.schema !== 'string' || op.schema === '')) throw invalid('schema must be a non-empty string.')
  if ('rpc' in op) {
    if (typeof op.rpc !== 'string' || op.rpc === '') throw invalid('rpc must be the name of a Postgres function.')
    if (op.args !== undefined && !isPlainObject(op.args)) throw invalid('rpc args must be an object of named arguments.')
    return op as unknown as RpcOperation
  }
  if (typeof op.table !== 'string' || op.table === '') throw invalid('table must be a non-empty string (or pass { rpc } for a function call).')
  switch (op.type) {
    case 'insert':
    case 'upsert': {
      const rows = op.rows
      if (!Array.isArray(rows) || rows.length === 0) throw invalid(`${op.type} needs rows: a non-empty array of objects.`)
      rows.forEach((row: unknown, index) => {
        if (!isPlainObject(row)) throw invalid(`rows[${index}] must be an object of column values.`)
        const id = row[idColumn]
        if (id === undefined || id === null) row[idColumn] = newId()
        else if (!isScalar(id)) throw invalid(`rows[${index}].${idColumn} must be a string or a number (it is the idempotency key).`)
      })
      const ids = new Set(rows.map((row: Row) => JSON.stringify(row[idColumn])))
      if (ids.size !== rows.length) throw invalid(`rows of one ${op.type} must have distinct ${idColumn} values.`)
      return op as unknown as InsertOperation | UpsertOperation
    }
    case 'update':
    case 'delete': {
      if (op.type === 'update' && (!isPlainObject(op.values) || Object.keys(op.values).length === 0)) {
        throw invalid('update needs values: an object of the columns to set.')
      }
      const match = op.match
      if (!isPlainObject(match) || Object.keys(match).length === 0) {
        throw invalid(`${op.type} needs match: an object of column values that selects the rows (an empty match would touch the whole table).`)
      }
      for (const [column, value] of Object.entries(match)) {
        if (!isScalar(value)) throw invalid(`match.${column} must be a string, number or boolean (null and objects cannot be matched by equality).`)
      }
      return op as unknown as UpdateOperation | DeleteOperation
    }
    default:
      throw invalid(`type must be 'insert', 'upsert', 'update' or 'delete', got ${JSON.stringify(op.type)}.`)
  }
}

/** The record keys an operation locks (see {@link TableOperation.keys}). */
export function conflictKeys(op: QueueOperation, idColumn: string): string[] {
  if (op.keys && op.keys.length > 0) return op.keys
  if ('rpc' in op) return [ALL_KEY]
  switch (op.type) {
    case 'insert':
    case 'upsert':
      return op.rows.map((row) => recordKey(op.schema, op.table, row[idColumn]))
    case 'update':
    case 'delete':
      return idColumn in op.match ? [recordKey(op.schema, op.table, op.match[idColumn])] : [tableWideKey(op.schema, op.table)]
  }
}

/** A short human label for logs and dead letters: `upsert components (3 rows)`. */
export function describeOperation(op: QueueOperation): string {
  if ('rpc' in op) return `rpc ${op.rpc}`
  if (op.type === 'insert' || op.type === 'upsert') return `${op.type} ${op.table} (${op.rows.length} row${op.rows.length === 1 ? '' : 's'})`
  return `${op.type} ${op.table} where ${JSON.stringify(op.match)}`
}
