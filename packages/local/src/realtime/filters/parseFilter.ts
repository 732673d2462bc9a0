/** Parsing a `filter` string as the server's subscriptions.ex does (research note 1 in `index.ts`). */

import { parseArrayLiteral } from './arrayType.js'
import { FilterParseError } from './errors.js'
import { inspect } from './inspect.js'
import { FILTER_OPS, type FilterClause, type FilterOp } from './types.js'

/**
 * Parses a `filter` string as `Subscriptions.parse_subscription_params/1` does.
 * `undefined`, `''` and whitespace mean no filter (`[]`).
 * @throws {FilterParseError} with the server's exact message.
 */
export function parseFilter(filter: string | undefined): FilterClause[] {
  if (filter === undefined) return []
  const trimmed = elixirTrim(filter)
  if (trimmed === '') return []
  return splitTopLevel(trimmed).map(parseSegment)
}

const OP_SET: ReadonlySet<string> = new Set(FILTER_OPS)
const PARSE_PREFIX = 'Error parsing `filter` params: '

/** Unicode White_Space, the set Elixir's `String.trim/1` strips. */
function isUnicodeSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  )
}

/** JS `trim` differs (it strips U+FEFF and keeps U+0085), so trim the way Elixir does. */
function elixirTrim(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && isUnicodeSpace(text.charCodeAt(start))) start++
  while (end > start && isUnicodeSpace(text.charCodeAt(end - 1))) end--
  return text.slice(start, end)
}

function splitTopLevel(filter: string): string[] {
  const segments: string[] = []
  let depth = 0
  let quoted = false
  let prev = ''
  let current = ''
  for (let i = 0; i < filter.length; i++) {
    const ch = filter.charAt(i)
    if (quoted) {
      if (ch === '\\' && i + 1 < filter.length) {
        current += ch + filter.charAt(i + 1)
        i++
      } else {
        if (ch === '"') quoted = false
        current += ch
      }
      prev = ch
      continue
    }
    if (ch === '"' && (prev === '.' || prev === '(' || prev === ',')) {
      quoted = true
    } else if (ch === '(') {
      depth++
    } else if (ch === ')') {
      depth = Math.max(0, depth - 1)
    } else if (ch === ',' && depth === 0) {
      segments.push(current)
      current = ''
      // The server forgets the previous character at a top-level comma, so `,"` does not open a quote.
      prev = ''
      continue
    }
    current += ch
    prev = ch
  }
  segments.push(current)
  return segments
}

function parseSegment(segment: string): FilterClause {
  const trimmed = elixirTrim(segment)
  if (trimmed === '') throw new FilterParseError(`${PARSE_PREFIX}filter must not contain empty segments (check for extra commas)`)
  const eq = trimmed.indexOf('=')
  if (eq < 0) throw new FilterParseError(PARSE_PREFIX + inspect([trimmed], false))
  const column = trimmed.slice(0, eq)
  let rest = trimmed.slice(eq + 1)
  const negate = rest.startsWith('not.')
  if (negate) rest = rest.slice(4)
  const dot = rest.indexOf('.')
  if (dot < 0) throw new FilterParseError(PARSE_PREFIX + inspect([rest], false))
  const op = rest.slice(0, dot)
  const value = rest.slice(dot + 1)
  if (!OP_SET.has(op)) throw new FilterParseError(PARSE_PREFIX + inspect([op, value], false))
  const filterOp = op as FilterOp
  if (filterOp === 'in') {
    if (value.length < 2 || !value.startsWith('(') || !value.endsWith(')')) {
      throw new FilterParseError(`${PARSE_PREFIX}\`in\` filter value must be wrapped by parentheses`)
    }
    const serverValue = `{${value.slice(1, -1)}}`
    let elements: (string | null)[] = []
    try {
      elements = parseArrayLiteral(serverValue, (text) => text).values as (string | null)[]
    } catch {
      // Left empty: the server only rejects a malformed list when it casts it, in validateFilter.
    }
    return { column, op: filterOp, negate, value: elements, serverValue }
  }
  const unquoted = unquoteValue(value)
  return { column, op: filterOp, negate, value: unquoted, serverValue: unquoted }
}

/** PostgREST-style quoting: only a quote that closes at the very end unquotes; otherwise the value is literal. */
function unquoteValue(value: string): string {
  if (!value.startsWith('"')) return value
  let result = ''
  for (let i = 1; i < value.length; i++) {
    const ch = value.charAt(i)
    if (ch === '"') return i === value.length - 1 ? result : value
    if (ch === '\\' && i + 1 < value.length) {
      result += value.charAt(i + 1)
      i++
    } else {
      result += ch
    }
  }
  return value
}
