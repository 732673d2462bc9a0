import type { QueueOperation, Row } from './operations.js'
import type { QueueRequest } from './supabaseExecutor.js'

/** Stable JSON: object keys sorted, so equal values give equal text whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Which writes may share one request. Writes with the same batch key, enqueued one after the other, become one request:
 * - insert/upsert rows of one table with the same columns (PostgREST fills missing columns, so shapes must match);
 * - updates of one table that set the same values on rows matched by one column (`.in(column, ids)`);
 * - deletes of one table matched by one column.
 * RPCs are never batched. Undefined means "not batchable".
 */
export function batchKey(op: QueueOperation): string | undefined {
  if ('rpc' in op) return undefined
  const table = `${op.schema ?? ''}.${op.table}`
  switch (op.type) {
    case 'insert':
    case 'upsert': {
      const columns = new Set(op.rows.map((row) => canonical(Object.keys(row).sort())))
      return columns.size === 1 ? `${op.type}|${table}|${[...columns][0]}` : undefined
    }
    case 'update': {
      const columns = Object.keys(op.match)
      return columns.length === 1 ? `update|${table}|${columns[0]}|${canonical(op.values)}` : undefined
    }
    case 'delete': {
      const columns = Object.keys(op.match)
      return columns.length === 1 ? `delete|${table}|${columns[0]}` : undefined
    }
  }
}

/** How many rows a write adds to a batch (for the `maxBatchRows` cap). */
export const batchWeight = (op: QueueOperation) => ('rows' in op ? op.rows.length : 1)

/** The request for one or more writes that share a batch key (or a single write of any kind). */
export function buildRequest(ops: readonly QueueOperation[], idColumn: string): QueueRequest {
  const first = ops[0]
  if (!first) throw new Error('buildRequest: no operations')
  if ('rpc' in first) return { kind: 'rpc', schema: first.schema, fn: first.rpc, args: first.args ?? {} }
  const { schema, table } = first
  switch (first.type) {
    case 'insert':
    case 'upsert': {
      const rows: Row[] = ops.flatMap((op) => ('rows' in op ? op.rows : []))
      return { kind: 'upsert', schema, table, rows, onConflict: idColumn, ignoreDuplicates: first.type === 'insert' }
    }
    case 'update':
    case 'delete': {
      if (ops.length === 1) return first.type === 'update' ? { kind: 'update', schema, table, values: first.values, match: first.match } : { kind: 'delete', schema, table, match: first.match }
      const column = Object.keys(first.match)[0]!
      const values = [...new Set(ops.map((op) => ('match' in op ? op.match[column] : undefined)))]
      const filter = { column, values }
      return first.type === 'update' ? { kind: 'update', schema, table, values: first.values, match: {}, in: filter } : { kind: 'delete', schema, table, match: {}, in: filter }
    }
  }
}
