/** The `system` error texts the server sends when a postgres_changes subscription cannot be created. */

import { FilterValidationError, PgError } from './errors.js'
import { ElixirTuple, inspect, type Term } from './inspect.js'
import type { FilterClause } from './types.js'

/** The parts of a postgres_changes binding the server prints in its subscription errors. */
export interface SubscriptionLogParams {
  /** The binding's `event` as sent; the server prints INSERT/UPDATE/DELETE (any case) upper-cased, else `*`. */
  event?: unknown
  schema: string
  table: string
  /** The binding's `select` column list, if any. */
  select?: readonly unknown[] | null
}

/**
 * `params_to_log/1` of subscriptions.ex: `[event: *, schema: public, table: t, filters: [...], select: nil]`,
 * with Elixir's pretty `inspect` of the filter tuples (it wraps past 80 columns and elides after 50 terms).
 */
export function describeSubscriptionParams(params: SubscriptionLogParams, clauses: readonly FilterClause[]): string {
  const filters: Term[] = clauses.map((clause) => new ElixirTuple([clause.column, clause.op, clause.serverValue, clause.negate]))
  const selected = params.select ? params.select.filter((entry): entry is string => typeof entry === 'string') : []
  const select = selected.length === 0 ? 'nil' : inspect(selected, true)
  return `[event: ${actionFilter(params.event)}, schema: ${params.schema}, table: ${params.table}, filters: ${inspect(filters, true)}, select: ${select}]`
}

/** The `system` error text the client gets when the subscription insert raises (see research note 2). */
export function subscriptionInsertFailedMessage(
  params: SubscriptionLogParams,
  clauses: readonly FilterClause[],
  error: FilterValidationError | PgError,
): string {
  const exception = error instanceof PgError ? error.toPostgrexMessage() : error.message
  return `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${describeSubscriptionParams(params, clauses)}. Exception: ${exception}`
}

/** The `system` error text when the insert matched no published table (no row, so no trigger ran). */
export function subscriptionNotPublishedMessage(params: SubscriptionLogParams, clauses: readonly FilterClause[]): string {
  return `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ${describeSubscriptionParams(params, clauses)}`
}

function actionFilter(event: unknown): string {
  if (event === '*' || typeof event !== 'string') return '*'
  const upper = event.toUpperCase()
  return upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE' ? upper : '*'
}
