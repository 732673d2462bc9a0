/** The public shapes of a postgres_changes filter: operators, parsed clauses, table columns, compiled filters. */

import type { PgError } from './errors.js'

/** Filter operators the server accepts (`@filter_types` in subscriptions.ex). */
export type FilterOp =
  | 'eq'
  | 'neq'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'in'
  | 'like'
  | 'ilike'
  | 'is'
  | 'match'
  | 'imatch'
  | 'isdistinct'

/** Every {@link FilterOp}, in the server's order. */
export const FILTER_OPS: readonly FilterOp[] = [
  'eq',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'in',
  'like',
  'ilike',
  'is',
  'match',
  'imatch',
  'isdistinct',
]

/** One `column=[not.]op.value` term of a filter. */
export interface FilterClause {
  column: string
  op: FilterOp
  /** The `not.` prefix. */
  negate: boolean
  /**
   * The value as parsed, unquoted. For `in`, the list elements (array-literal quoting removed; an unquoted
   * `NULL` element is SQL NULL, hence `null`); empty when the list is not a well-formed array literal, which
   * {@link validateFilter} then reports as the server does.
   */
  value: string | (string | null)[]
  /** The exact text the server stores in `realtime.subscription.filters` (for `in`: the literal `{…}`). */
  serverValue: string
}

/** A column of the subscribed table, as the trigger sees it in `pg_attribute`. */
export interface FilterColumn {
  name: string
  /** `pg_type.typname`: `int8`, `text`, `timestamptz`, `_int4`, an enum's name… */
  type: string
  /** Labels of an enum type in sort order; without them an enum is treated as an opaque text-like type. */
  enumLabels?: readonly string[]
  /** How `regtype` prints the type when it is not a built-in (e.g. a schema-qualified enum). */
  regtype?: string
  /** False when the subscribing role lacks SELECT on the column (the trigger then reports it as invalid). */
  selectable?: boolean
}

/** Result of {@link CompiledFilter.evaluate}. */
export interface FilterEvaluation {
  visible: boolean
  /** Set when the server's check would raise inside `realtime.apply_rls` (aborting that change for everyone). */
  error?: PgError
}

/** A filter bound to a table's columns; call it with a to_jsonb-typed row. */
export interface CompiledFilter {
  (row: Record<string, unknown>): boolean
  /** Like calling it, but also reports a check that would raise on the server. */
  evaluate(row: Record<string, unknown>): FilterEvaluation
}
