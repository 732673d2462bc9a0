import { SupasyncError } from '@supasync/core'
import { parseVersion } from './versions.js'

/** A value a live table filters on: rows whose column equals it (null: `is null`). */
export type FilterValue = string | number | boolean | null

/** Column → value, ANDed: `{ project_id: 42 }` keeps the rows of project 42. */
export type LiveFilter = Readonly<Record<string, FilterValue>>

const COLUMN = /^[A-Za-z_][A-Za-z0-9_$]*$/

/** Throws INVALID_FILTER unless every column is a plain identifier and every value a scalar. */
export function validateLiveFilter(filter: unknown, where: string): LiveFilter {
  if (filter === undefined) return {}
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    throw new SupasyncError('INVALID_FILTER', `${where}: filter must be an object of column → value, e.g. { project_id: 42 }; got ${JSON.stringify(filter)}.`)
  }
  for (const [column, value] of Object.entries(filter)) {
    if (!COLUMN.test(column)) throw new SupasyncError('INVALID_FILTER', `${where}: filter column ${JSON.stringify(column)} is not a plain column name (letters, digits, _; no dots or quotes).`)
    const type = value === null ? 'null' : typeof value
    if (type !== 'string' && type !== 'number' && type !== 'boolean' && type !== 'null') {
      throw new SupasyncError('INVALID_FILTER', `${where}: filter value of ${column} must be a string, number, boolean or null; got ${type}. Filter on one value per column.`)
    }
    if (type === 'number' && !Number.isFinite(value)) throw new SupasyncError('INVALID_FILTER', `${where}: filter value of ${column} must be a finite number.`)
  }
  return filter as LiveFilter
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

/**
 * Column values compared about the way Postgres compares them after casting the filter's text to the column type:
 * 42 matches "42" and "42.0", a uuid matches in any letter case, a timestamp matches in any offset or precision.
 */
function sameValue(rowValue: unknown, wanted: FilterValue): boolean {
  if (wanted === null) return rowValue === null || rowValue === undefined
  if (rowValue === null || rowValue === undefined) return false
  const a = String(rowValue)
  const b = String(wanted)
  if (a === b) return true
  if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) === Number(b)
  if (UUID.test(a) && UUID.test(b)) return a.toLowerCase() === b.toLowerCase()
  const at = parseVersion(a)
  return at !== undefined && /\D/.test(a) && at === parseVersion(b)
}

/** Does `row` satisfy every clause of `filter`? Missing columns fail (closed, like the server). */
export function rowMatches(row: Readonly<Record<string, unknown>>, filter: LiveFilter): boolean {
  for (const column in filter) if (!sameValue(row[column], filter[column]!)) return false
  return true
}

/** A value inside a PostgREST logic tree, always double-quoted so commas, dots and parentheses stay literal. */
export function quoteValue(value: string | number | boolean): string {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** `{ project_id: 42 }` → `["project_id.eq.\"42\""]`, the clause syntax of PostgREST's `or`/`and` trees. */
export function filterClauses(filter: LiveFilter): string[] {
  return Object.entries(filter).map(([column, value]) =>
    value === null ? `${column}.is.null` : typeof value === 'boolean' ? `${column}.is.${value}` : `${column}.eq.${quoteValue(value)}`,
  )
}

/** The union of several filters as one clause: `or(and(a),and(b))`; undefined when one of them is empty (all rows). */
export function unionClause(filters: readonly LiveFilter[]): string | undefined {
  const distinct = new Map<string, string[]>()
  for (const filter of filters) {
    const clauses = filterClauses(filter)
    if (clauses.length === 0) return undefined
    distinct.set(clauses.join(','), clauses)
  }
  if (distinct.size === 0) return undefined
  const parts = [...distinct.values()].map((clauses) => `and(${clauses.join(',')})`)
  return parts.length === 1 ? parts[0] : `or(${parts.join(',')})`
}

/** The Realtime `filter` string for a live filter (AND filters need Realtime ≥ 2.100; `is` ≥ 2.110). */
export function realtimeFilter(filter: LiveFilter): string | undefined {
  const clauses = Object.entries(filter).map(([column, value]) => {
    if (value === null) return `${column}=is.null`
    if (typeof value === 'boolean') return `${column}=eq.${value}`
    const text = String(value)
    return `${column}=eq.${/[,()"\\]/.test(text) ? quoteValue(text) : text}`
  })
  return clauses.length > 0 ? clauses.join(',') : undefined
}

/**
 * Keyset pagination: the clause "(columns) > (after)" in lexicographic order, e.g. for `[updated_at, id]`:
 * `or(updated_at.gt."t",and(updated_at.eq."t",id.gt."7"))`.
 */
export function keysetClause(columns: readonly string[], after: readonly unknown[]): string {
  const build = (index: number): string => {
    const column = columns[index]!
    const value = quoteValue(after[index] as string | number | boolean)
    if (index === columns.length - 1) return `${column}.gt.${value}`
    return `or(${column}.gt.${value},and(${column}.eq.${value},${build(index + 1)}))`
  }
  return build(0)
}
