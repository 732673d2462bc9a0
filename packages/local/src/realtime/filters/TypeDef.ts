/**
 * Type system: each type's input function (with PostgreSQL's error texts), its value order, and how a row's
 * to_jsonb value is read back (`(value #>> '{}')::type`).
 */

import { cmpText, utf8Length } from './cText.js'

/** int8 values beyond 2^53 are bigints; `<`/`>` compare number and bigint exactly. */
export type Num = number | bigint

export const cmpNum = (a: Num, b: Num): number => (a < b ? -1 : a > b ? 1 : 0)

export interface TypeDef {
  /** `regtype::text`, as the trigger prints it in `got …`. */
  readonly regtype: string
  readonly kind: string
  /** The input function; throws {@link PgError}. */
  input(text: string): unknown
  /** Whether `input(text)` reads the clock (`now`, `today`…), so the server's per-change re-cast moves. */
  volatile?(text: string): boolean
  /** `(json #>> '{}')::type` for a non-null row value; throws {@link PgError} when that cast fails. */
  fromJson(value: unknown): unknown
  compare(a: unknown, b: unknown): number
  /** Operators that exist for the type; a missing one raises inside apply_rls. */
  readonly hasEquality: boolean
  readonly hasOrdering: boolean
  /** A `~~` operator with this left type exists (like/ilike are allowed). */
  readonly likeable: boolean
  /** `~`/`~*` on (this, this) exist (match/imatch are allowed). */
  readonly regexable: boolean
  /** The string LIKE/regex see. */
  asText?(value: unknown): string
  /** citext: comparisons, LIKE and regexes ignore case. */
  readonly caseInsensitive?: boolean
}

/** What `#>> '{}'` returns for a non-null JSON value (jsonb prints containers with `, ` and `: `). */
export function jsonbText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint') return numberText(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return jsonbSerialize(value)
}

function jsonbSerialize(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'bigint') return numberText(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (Array.isArray(value)) return `[${value.map(jsonbSerialize).join(', ')}]`
  const keys = Object.keys(value as object).sort(jsonbKeyOrder)
  return `{${keys.map((key) => `${JSON.stringify(key)}: ${jsonbSerialize((value as Record<string, unknown>)[key])}`).join(', ')}}`
}

/** A JS number written without exponent when it is an integer, as numeric output would print it. */
function numberText(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString()
  if (Number.isInteger(value) && Math.abs(value) >= 1e21) return BigInt(value).toString()
  return String(value)
}

/** jsonb stores object keys shortest first, then bytewise; comparisons walk them in that order. */
export function jsonbKeyOrder(a: string, b: string): number {
  return utf8Length(a) - utf8Length(b) || cmpText(a, b)
}
