/** Compilation: the trigger's checks at subscribe time, check_equality_op at evaluation time. */

import { parseArrayLiteral, type ArrayTypeDef } from './arrayType.js'
import { compileRegex } from './compileRegex.js'
import { FilterValidationError, PgError, raise } from './errors.js'
import { LIKE_TRUE, likeMatch } from './likeMatch.js'
import { RegexSyntaxError } from './regexSyntax.js'
import { typeFor } from './typeFor.js'
import type { TypeDef } from './TypeDef.js'
import type { FilterClause, FilterColumn, FilterOp } from './types.js'

/** One clause's test: true, false (including SQL NULL), or the error the server would raise. */
type ClauseTest = (raw: unknown) => boolean | PgError

export interface CompiledClause {
  readonly column: string
  readonly test: ClauseTest
}

const OPERATOR_SYMBOLS: Readonly<Record<FilterOp, string>> = {
  eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=', in: '=', like: '~~', ilike: '~~*', is: 'IS',
  match: '~', imatch: '~*', isdistinct: '=',
}

/** Kinds whose values are primitives equal exactly when the type's `=` says so (an `in` list can be a Set). */
const SET_KINDS: ReadonlySet<string> = new Set(['int', 'float', 'text', 'bpchar', 'name', 'uuid', 'bool', 'enum', 'date', 'timestamp', 'timestamptz', 'time', 'opaque', 'bytea'])

export function compileClauses(clauses: readonly FilterClause[], columns: readonly FilterColumn[]): CompiledClause[] {
  const byName = new Map<string, FilterColumn>()
  for (const column of columns) if (!byName.has(column.name)) byName.set(column.name, column)
  return clauses.map((clause) => {
    const column = byName.get(clause.column)
    if (!column || column.selectable === false) {
      throw new FilterValidationError(raise(`invalid column for filter ${clause.column}`), clause)
    }
    try {
      return { column: clause.column, test: compileClause(clause, typeFor(column)) }
    } catch (error) {
      if (error instanceof PgError) throw new FilterValidationError(error, clause)
      throw error
    }
  })
}

/** Runs `fn`, turning a PostgreSQL error into the test's error outcome. */
function guarded(fn: (raw: unknown) => boolean): ClauseTest {
  return (raw) => {
    try {
      return fn(raw)
    } catch (error) {
      if (error instanceof PgError) return error
      throw error
    }
  }
}

/** What each operator's compiler works with: the clause, its column's type, and the casts every check makes. */
interface ClauseContext {
  readonly op: FilterOp
  readonly negate: boolean
  /** The filter value as the server stores it (`serverValue`). */
  readonly value: string
  readonly type: TypeDef
  /** The test for an operator the type lacks: every check raises `operator does not exist`. */
  missingOperator(symbol?: string): ClauseTest
  /** The literal's cast, as a reader of its value (see `literal` in {@link compileClause}). */
  literal(): () => unknown
  /** The row value re-cast to the column type (`(value #>> '{}')::type`); SQL NULL stays `null`. */
  left(raw: unknown): unknown
}

function compileClause(clause: FilterClause, type: TypeDef): ClauseTest {
  const { op, negate } = clause
  const value = clause.serverValue
  const missingOperator = (symbol = OPERATOR_SYMBOLS[op]): ClauseTest => {
    const error = new PgError('42883', `operator does not exist: ${type.regtype} ${symbol} ${type.regtype}`)
    return () => error
  }
  /** The literal cast the server evaluates in every check; re-read per change when it depends on the clock. */
  const literal = (): (() => unknown) => {
    if (type.volatile?.(value)) return () => type.input(value)
    let parsed: unknown
    try {
      parsed = type.input(value)
    } catch (error) {
      if (error instanceof PgError) {
        const failure = error
        return () => {
          throw failure
        }
      }
      throw error
    }
    return () => parsed
  }
  const left = (raw: unknown): unknown => (raw === null ? null : type.fromJson(raw))
  const context: ClauseContext = { op, negate, value, type, missingOperator, literal, left }

  switch (op) {
    case 'in':
      return compileIn(context)
    case 'is':
      return compileIs(context)
    case 'like':
    case 'ilike':
      return compileLike(context)
    case 'match':
    case 'imatch':
      return compileMatch(context)
    case 'isdistinct':
      return compileIsDistinct(context)
    default:
      return compileComparison(context)
  }
}

/** `in.(…)`: `column = any(literal::type[])`, with at most 100 values. */
function compileIn({ negate, value, type, missingOperator, left }: ClauseContext): ClauseTest {
  const element = type.kind === 'array' ? (type as ArrayTypeDef).element : type
  const texts: string[] = []
  const parsed = parseArrayLiteral(value, (item) => {
    texts.push(item)
    return element.input(item)
  })
  if (parsed.top > 100) throw raise('too many values for `in` filter. Maximum 100')
  // An array column compares `type[] = any(type[])`, an operator that does not exist.
  if (type.kind === 'array' || !element.hasEquality) return missingOperator('=')
  const hasNull = parsed.values.includes(null)
  const items = parsed.values.filter((item) => item !== null)
  const rereads = texts.some((text) => element.volatile?.(text) === true)
  const current = (): unknown[] =>
    rereads ? parseArrayLiteral(value, (item) => element.input(item)).values.filter((item) => item !== null) : items
  const set = SET_KINDS.has(element.kind) && !rereads ? new Set(items) : undefined
  return guarded((raw) => {
    const l = left(raw)
    // `= any('{}')` is false even for NULL, so `not.in.()` matches every row.
    if (parsed.values.length === 0) return negate
    if (l === null) return false
    const found = set ? set.has(l) : current().some((item) => element.compare(l, item) === 0)
    if (found) return !negate
    // `x = any('{1,NULL}')` is NULL when nothing matched, and `not` keeps it NULL.
    return hasNull ? false : negate
  })
}

/** `is.null|true|false|unknown`: never NULL itself. */
function compileIs({ negate, value, type, left }: ClauseContext): ClauseTest {
  if (value !== 'null' && value !== 'true' && value !== 'false' && value !== 'unknown') {
    throw raise('invalid value for is filter: must be null, true, false, or unknown')
  }
  if (value !== 'null' && type.kind !== 'bool') throw raise(`is ${value} filter requires a boolean column, got ${type.regtype}`)
  return guarded((raw) => {
    const l = left(raw)
    const result = value === 'null' || value === 'unknown' ? l === null : value === 'true' ? l === true : l === false
    return negate ? !result : result
  })
}

/** `like` / `ilike` (`~~` / `~~*`). */
function compileLike({ op, negate, type, literal, left }: ClauseContext): ClauseTest {
  if (!type.likeable) throw raise(`operator ${op} requires a text-compatible column type, got ${type.regtype}`)
  const rhs = literal()
  const lower = op === 'ilike' || type.caseInsensitive === true
  return guarded((raw) => {
    let pattern = rhs() as string
    const l = left(raw)
    if (l === null) return false
    // bpchar's `~~` takes the pattern as text, which drops char(n) padding; the left side keeps it.
    if (type.kind === 'bpchar') pattern = pattern.replace(/ +$/, '')
    const text = type.asText?.(l) ?? String(l)
    const result = lower
      ? likeMatch(text.toLowerCase(), 0, pattern.toLowerCase(), 0) === LIKE_TRUE
      : likeMatch(text, 0, pattern, 0) === LIKE_TRUE
    return negate ? !result : result
  })
}

/** `match` / `imatch` (`~` / `~*`): the regex must compile at subscribe time. */
function compileMatch({ op, negate, value, type, left }: ClauseContext): ClauseTest {
  if (!type.regexable) throw raise(`operator ${op} requires a text-compatible column type, got ${type.regtype}`)
  try {
    compileRegex(value, false)
  } catch (error) {
    if (error instanceof RegexSyntaxError) {
      throw raise(`invalid regular expression for ${op} filter: invalid regular expression: ${error.message}`)
    }
    throw error
  }
  const regex = compileRegex(value, op === 'imatch' || type.caseInsensitive === true)
  if (regex === null) {
    const error = new PgError('2201B', `invalid regular expression: pattern not supported by this emulator: ${value}`)
    return () => error
  }
  return guarded((raw) => {
    const l = left(raw)
    if (l === null) return false
    const result = regex.test(type.asText?.(l) ?? String(l))
    return negate ? !result : result
  })
}

/** `isdistinct` (`IS DISTINCT FROM`): never NULL itself. */
function compileIsDistinct({ negate, value, type, missingOperator, literal, left }: ClauseContext): ClauseTest {
  if (type.kind !== 'bytea') type.input(value)
  if (!type.hasEquality) return missingOperator()
  const rhs = literal()
  return guarded((raw) => {
    const r = rhs()
    const l = left(raw)
    const distinct = l === null || type.compare(l, r) !== 0
    return negate ? !distinct : distinct
  })
}

/** `eq`, `neq`, `lt`, `lte`, `gt`, `gte`. */
function compileComparison({ op, negate, value, type, missingOperator, literal, left }: ClauseContext): ClauseTest {
  // realtime.cast skips bytea: its literal is only checked when a change is evaluated.
  if (type.kind !== 'bytea') type.input(value)
  const needsOrdering = op !== 'eq' && op !== 'neq'
  if (needsOrdering ? !type.hasOrdering : !type.hasEquality) return missingOperator()
  const rhs = literal()
  const decide = comparisonDecider(op)
  if (type.kind === 'array') {
    // A non-null array cannot be re-cast from its to_jsonb text (`'[1, 2]'::int[]` is malformed), so
    // left() raises for it; a NULL compares as NULL. Nothing ever matches.
    return guarded((raw) => {
      rhs()
      if (raw !== null) left(raw)
      return false
    })
  }
  return guarded((raw) => {
    const r = rhs()
    const l = left(raw)
    if (l === null) return false
    const result = decide(type.compare(l, r))
    return negate ? !result : result
  })
}

function comparisonDecider(op: FilterOp): (order: number) => boolean {
  switch (op) {
    case 'eq':
      return (order) => order === 0
    case 'neq':
      return (order) => order !== 0
    case 'lt':
      return (order) => order < 0
    case 'lte':
      return (order) => order <= 0
    case 'gt':
      return (order) => order > 0
    default:
      return (order) => order >= 0
  }
}
