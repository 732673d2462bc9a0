/** The errors filters raise: malformed filter strings, PostgreSQL errors, and rejected subscriptions. */

import type { FilterClause } from './types.js'

/** The `filter` string is malformed; `message` is exactly what the server sends in the `system` message. */
export class FilterParseError extends Error {
  override name = 'FilterParseError'
}

/** A PostgreSQL error, with the fields `Postgrex.Error.message/1` prints. */
export class PgError extends Error {
  override name = 'PgError'
  constructor(
    /** SQLSTATE, e.g. `22P02`. */
    readonly code: string,
    message: string,
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message)
  }

  /** The condition name Postgrex prints next to the SQLSTATE. */
  get conditionName(): string {
    return CONDITION_NAMES[this.code] ?? 'internal_error'
  }

  /** `Postgrex.Error.message/1`: `ERROR 22P02 (invalid_text_representation) …` plus hint and detail. */
  toPostgrexMessage(): string {
    let text = `ERROR ${this.code} (${this.conditionName}) ${this.message}`
    if (this.hint !== undefined) text += `\n\n    hint: ${this.hint}`
    if (this.detail !== undefined) text += `\n\n${this.detail}`
    return text
  }
}

/**
 * The subscription insert failed in the server's trigger. `message` is the Postgrex text that follows
 * `Exception: ` in the client's `system` message; {@link subscriptionInsertFailedMessage} builds the whole text.
 */
export class FilterValidationError extends Error {
  override name = 'FilterValidationError'
  constructor(
    /** The PostgreSQL error behind it (`pgError.message` is the bare text, e.g. `invalid column for filter x`). */
    readonly pgError: PgError,
    /** The clause the trigger rejected. */
    readonly clause: FilterClause,
  ) {
    super(pgError.toPostgrexMessage())
  }
}

/** SQLSTATE → the condition name Postgrex prints. */
const CONDITION_NAMES: Readonly<Record<string, string>> = {
  P0001: 'raise_exception',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22009': 'invalid_time_zone_displacement_value',
  '22015': 'interval_field_overflow',
  '22023': 'invalid_parameter_value',
  '22025': 'invalid_escape_sequence',
  '2201B': 'invalid_regular_expression',
  '2202E': 'array_subscript_error',
  '42704': 'undefined_object',
  '42883': 'undefined_function',
  '54000': 'program_limit_exceeded',
}

export const raise = (message: string): PgError => new PgError('P0001', message)
export const invalidSyntax = (typeName: string, text: string): PgError =>
  new PgError('22P02', `invalid input syntax for type ${typeName}: "${text}"`)
