/** The filter entry points: validation at subscribe time and row evaluation (research notes 2 and 3 in `index.ts`). */

import { compileClauses } from './compileClauses.js'
import { PgError } from './errors.js'
import type { CompiledFilter, FilterClause, FilterColumn, FilterEvaluation } from './types.js'

/**
 * Checks clauses as the `realtime.subscription_check_filters` trigger does, in order.
 * @throws {FilterValidationError} for unknown columns, uncastable values, over-long `in` lists, and the
 *   `is` / `like` / `match` restrictions; its `message` is the Postgrex text of the server's exception.
 */
export function validateFilter(clauses: FilterClause[], columns: readonly FilterColumn[]): void {
  compileClauses(clauses, columns)
}

/**
 * Validates and compiles the clauses once; the result evaluates rows without re-parsing values.
 * @throws {FilterValidationError} as {@link validateFilter}.
 */
export function compileFilter(clauses: FilterClause[], columns: readonly FilterColumn[]): CompiledFilter {
  const checks = compileClauses(clauses, columns)
  const evaluate = (row: Record<string, unknown>): FilterEvaluation => {
    let visible = true
    let error: PgError | undefined
    for (const check of checks) {
      const raw = Object.hasOwn(row, check.column) ? row[check.column] : undefined
      if (raw === undefined) {
        // Fail closed, but keep going: the server still evaluates the present columns (and may raise).
        visible = false
        continue
      }
      const outcome = check.test(raw)
      if (outcome === true) continue
      visible = false
      if (outcome instanceof PgError) error ??= outcome
    }
    return error ? { visible: false, error } : { visible }
  }
  const fast = (row: Record<string, unknown>): boolean => {
    for (const check of checks) {
      // hasOwn: a column named like an Object.prototype member must not read the prototype.
      const raw = Object.hasOwn(row, check.column) ? row[check.column] : undefined
      if (raw === undefined || check.test(raw) !== true) return false
    }
    return true
  }
  return Object.assign(fast, { evaluate })
}

/**
 * Whether `row` passes the filter (AND of clauses; a clause on a column absent from `row` fails). Compiles on
 * first use and caches per clause array, so prefer {@link compileFilter} when holding on to a filter.
 * @throws {FilterValidationError} when the clauses do not validate against `columns`.
 */
export function matchesFilter(
  clauses: FilterClause[],
  row: Record<string, unknown>,
  columns: readonly FilterColumn[],
): boolean {
  let cached = compiledCache.get(clauses)
  if (!cached || cached.columns !== columns) {
    cached = { columns, filter: compileFilter(clauses, columns) }
    compiledCache.set(clauses, cached)
  }
  return cached.filter(row)
}

const compiledCache = new WeakMap<FilterClause[], { columns: readonly FilterColumn[]; filter: CompiledFilter }>()
