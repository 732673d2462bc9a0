import { SupasyncError } from './errors.js'

/** What `sync.changes()` subscribes to. */
export interface ChangeSpec {
  /** Default 'public'. */
  schema?: string
  table: string
  /**
   * Server-side filter in Realtime's syntax: `column=op.value`, ops eq, neq, lt, lte, gt, gte, in, like, ilike,
   * is, match, imatch, isdistinct, each optionally `not.`; several joined by commas are ANDed. Default: none.
   */
  filter?: string
  /** Default '*'. */
  event?: '*' | 'INSERT' | 'UPDATE' | 'DELETE'
}

/** A spec with its defaults applied, as `lease.spec` shows it. Frozen. */
export interface NormalizedSpec {
  readonly event: '*' | 'INSERT' | 'UPDATE' | 'DELETE'
  readonly schema: string
  readonly table: string
  /** Absent when the spec has none. */
  readonly filter?: string | undefined
}

const OPS = new Set(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'like', 'ilike', 'is', 'match', 'imatch', 'isdistinct'])
const EVENTS = new Set(['*', 'INSERT', 'UPDATE', 'DELETE'])
const MAX_IN_VALUES = 100

const invalidFilter = (filter: string, why: string) =>
  new SupasyncError(
    'INVALID_FILTER',
    `Invalid postgres_changes filter ${JSON.stringify(filter)}: ${why}. ` +
      'Write it as column=op.value, e.g. "project_id=eq.42" or "status=in.(open,closed)"; join several with commas.',
  )

/** Splits on commas outside double quotes and parentheses, as PostgREST-style filters nest. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (char === '\\' && quoted) index++
    else if (char === '"') quoted = !quoted
    else if (!quoted && char === '(') depth++
    else if (!quoted && char === ')') depth--
    else if (!quoted && depth === 0 && char === ',') {
      parts.push(text.slice(start, index))
      start = index + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

/**
 * Checks a filter the way the server will, before it reaches the server: a bad filter on a shared channel
 * would make the server refuse every binding on that channel (its subscription is all or nothing).
 */
export function validateFilter(filter: string): void {
  for (const segment of splitTopLevel(filter)) {
    if (segment.trim() === '') throw invalidFilter(filter, 'it has an empty part (check for extra commas)')
    const equals = segment.indexOf('=')
    if (equals <= 0) throw invalidFilter(filter, `"${segment}" has no column=`)
    let rest = segment.slice(equals + 1)
    if (rest.startsWith('not.')) rest = rest.slice(4)
    const dot = rest.indexOf('.')
    const op = dot < 0 ? rest : rest.slice(0, dot)
    if (!OPS.has(op)) throw invalidFilter(filter, `"${op}" is not an operator (use ${[...OPS].join(', ')})`)
    if (dot < 0) throw invalidFilter(filter, `"${segment}" has no value after the operator (write ${op}.<value>)`)
    const value = rest.slice(dot + 1)
    if (op === 'in') {
      if (!value.startsWith('(') || !value.endsWith(')')) throw invalidFilter(filter, 'an `in` value must be wrapped in parentheses')
      const count = value.length === 2 ? 0 : splitTopLevel(value.slice(1, -1)).length
      if (count > MAX_IN_VALUES) throw invalidFilter(filter, `an \`in\` list may hold at most ${MAX_IN_VALUES} values, it has ${count}`)
    }
  }
  let depth = 0
  let quoted = false
  for (let index = 0; index < filter.length; index++) {
    const char = filter[index]
    if (char === '\\' && quoted) index++
    else if (char === '"') quoted = !quoted
    else if (!quoted && char === '(') depth++
    else if (!quoted && char === ')' && --depth < 0) break
  }
  if (quoted) throw invalidFilter(filter, 'a double quote is not closed')
  if (depth !== 0) throw invalidFilter(filter, 'its parentheses do not balance')
}

export function normalizeSpec(spec: ChangeSpec): NormalizedSpec {
  if (!spec || typeof spec !== 'object') {
    throw new SupasyncError('INVALID_FILTER', 'sync.changes() needs a spec like { table: "components", filter: "project_id=eq.42" }.')
  }
  if (typeof spec.table !== 'string' || spec.table.trim() === '') {
    throw new SupasyncError('INVALID_FILTER', 'sync.changes(): `table` must be a table name. Subscribing to a whole schema is not supported by supasync.')
  }
  const schema = spec.schema ?? 'public'
  if (typeof schema !== 'string' || schema.trim() === '') throw new SupasyncError('INVALID_FILTER', 'sync.changes(): `schema` must be a schema name.')
  const event = typeof spec.event === 'string' ? spec.event.toUpperCase() : spec.event === undefined ? '*' : ''
  if (!EVENTS.has(event)) {
    throw new SupasyncError('INVALID_FILTER', `sync.changes(): event must be '*', 'INSERT', 'UPDATE' or 'DELETE', got ${JSON.stringify(spec.event)}.`)
  }
  if (spec.filter !== undefined && typeof spec.filter !== 'string') {
    throw new SupasyncError('INVALID_FILTER', `sync.changes(): filter must be a string like "project_id=eq.42", got ${typeof spec.filter}.`)
  }
  const filter = spec.filter === undefined || spec.filter.trim() === '' ? undefined : spec.filter
  if (filter !== undefined) validateFilter(filter)
  // Frozen: the pool hands this very object to realtime-js as the binding's filter (one object per distinct spec,
  // not two) and to every lease as `lease.spec`, so nobody may change it under the server binding. No `filter` key
  // when there is none, as realtime-js's own bindings are written.
  const normalized = filter === undefined ? { event, schema, table: spec.table } : { event, schema, table: spec.table, filter }
  return Object.freeze(normalized) as NormalizedSpec
}

/**
 * The part of a spec's identity that few specs differ in (`event`, `schema`, `table`). The pool keys bindings by it
 * and then by the filter string itself, so that no key string is stored per distinct spec (issue #16: 10,000
 * distinct filters cost one map entry each, not a key of ~100 bytes).
 */
export const specGroupKey = (spec: NormalizedSpec) => JSON.stringify([spec.event, spec.schema, spec.table])

/** The whole identity of a spec as one string (made on demand: the dedupe of a swap's overlap). */
export const specKey = (spec: NormalizedSpec) => JSON.stringify([spec.event, spec.schema, spec.table, spec.filter ?? ''])
