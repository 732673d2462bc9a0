/**
 * postgres_changes `filter`: parsing, validation and evaluation, reproducing supabase/realtime (v2.129.8+).
 *
 * Research notes (behaviour read from supabase/realtime at v2.129.8-3, PostgreSQL 17 and Elixir 1.19.5;
 * every text below was checked against a real PostgreSQL 17 running the server's own trigger SQL):
 *
 * 1. Parsing — `lib/extensions/postgres_cdc_rls/subscriptions.ex` (`parse_subscription_params/1`,
 *    `parse_filters/1`, `split_top_level/6`, `parse_segment/1`, `format_filter_value/2`, `unquote_value/1`).
 *    - The string is trimmed (Unicode White_Space); empty ⇒ no filter. It is split on commas outside
 *      parentheses and outside double quotes (a quote opens only right after `.`, `(` or `,`); each segment
 *      is trimmed, and an empty one is an error.
 *    - A segment is `column=[not.]op.value`, split on the first `=` and then the first `.`. The operator is
 *      case-sensitive. `in` needs `(…)` and is stored as the array literal `{…}` (quoting/escaping inside is
 *      Postgres array syntax); other values drop surrounding double quotes when the quote closes at the very
 *      end (`\x` ⇒ `x`), and are otherwise kept verbatim.
 *    - Errors read ``Error parsing `filter` params: <reason>``: reason is either a fixed sentence
 *      (`filter must not contain empty segments (check for extra commas)`,
 *      `` `in` filter value must be wrapped by parentheses``) or Elixir's `inspect/1` of the piece that failed
 *      to match: `["undefined"]` (no `=`), `["eq5"]` (no `.` after `=`), `["foo", "hey"]` (unknown operator).
 *    - HOW IT REACHES THE CLIENT: the join still replies `ok` (`lib/realtime_web/channels/realtime_channel.ex`,
 *      `join/3` only schedules `:postgres_subscribe`); then `handle_info(:postgres_subscribe, …)` gets
 *      `{:error, {:malformed_subscription_params, msg}}` from `Extensions.PostgresCdcRls.handle_after_connect`
 *      (`lib/extensions/postgres_cdc_rls/cdc_rls.ex`) and pushes
 *      `system {extension: "postgres_changes", status: "error", message: msg, channel: <sub topic>}`, with no
 *      retry. The first malformed binding (in join order) wins and no binding of the channel is subscribed.
 * 2. Validation — the `realtime.subscription_check_filters()` BEFORE INSERT trigger
 *    (`lib/realtime/tenants/repo/migrations/20260626120000_readd_postgrest_filter_ops.ex`), run by the insert
 *    in `Subscriptions.create/5`. Filters are checked in the order given; per filter:
 *    column must exist and be SELECTable by the role (`invalid column for filter <col>`), then
 *    `in` ⇒ `realtime.cast(value, <type>[])` and `too many values for \`in\` filter. Maximum 100` when the
 *    first dimension has more than 100 entries; `is` ⇒ value must be null/true/false/unknown
 *    (`invalid value for is filter: must be null, true, false, or unknown`) and non-`null` keywords need a
 *    boolean column (`is true filter requires a boolean column, got integer`); `like`/`ilike` ⇒ a `~~` operator
 *    whose left type is the column type must exist (`operator like requires a text-compatible column type,
 *    got character varying`); `match`/`imatch` ⇒ a `~`/`~*` operator on (type, type), then the regex must
 *    compile (`invalid regular expression for match filter: invalid regular expression: parentheses () not
 *    balanced`); everything else ⇒ `realtime.cast(value, <type>)`, i.e. the type's input function, whose
 *    error is PostgreSQL's own (`invalid input syntax for type bigint: "abc"`, SQLSTATE 22P02).
 *    - HOW IT REACHES THE CLIENT: Postgrex raises, `Subscriptions.create/5` rolls the transaction back with
 *      `Unable to subscribe to changes with given parameters. An exception happened so please check your
 *      connect parameters: [event: *, schema: public, table: t, filters: [{"id", "eq", "abc", false}],
 *      select: nil]. Exception: ERROR 22P02 (invalid_text_representation) invalid input syntax for type
 *      bigint: "abc"` (the exception part is `Postgrex.Error.message/1`: severity, SQLSTATE, condition name,
 *      message, then `\n\n    hint: …` and `\n\n<detail>` when present; the keyword list is `params_to_log/1`
 *      with `inspect(…, pretty: true)`), and the channel pushes it as the same `system` error message after the
 *      `ok` join reply (`realtime_channel.ex`, `:subscription_insert_failed` branch), with no retry. Raised
 *      exceptions are SQLSTATE P0001 `raise_exception`. See {@link subscriptionInsertFailedMessage}.
 *      All bindings of a channel are inserted in one transaction, so one failure subscribes none; and since
 *      `cdc_rls.ex` `subscription_list/1` builds the list by prepending, they are inserted in REVERSE join
 *      order: when several bindings are invalid, the error names the last one. A binding whose table is not
 *      in the publication inserts no row (so no trigger runs) and gets "…Please check Realtime is enabled…"
 *      ({@link subscriptionNotPublishedMessage}).
 * 3. Evaluation — `realtime.is_visible_through_filters` / 5-argument `realtime.check_equality_op` (same
 *    migration), called from `realtime.apply_rls` (`20260709120000_fix_apply_rls_filter_role_leak.ex`).
 *    All filters must hold (AND), and every filtered column must be present in the WAL row (fail closed).
 *    Each check runs `format('select %L::type <op> (%L::type)', (value #>> '{}'), filter_value)`: the row's
 *    to_jsonb value is turned back into text and re-cast, so SQL NULL (and JSON null) compare as NULL, `not.`
 *    of a NULL comparison stays NULL (= no match), `is` / `isdistinct` never yield NULL. Quirks that follow
 *    from re-casting: `character` (bpchar) columns are compared through `character` = char(1) (first
 *    character only); array columns cannot be re-cast (`'[1, 2]'::int[]` is malformed) and json has no
 *    equality operator, so such checks raise inside apply_rls. A raise there aborts the whole apply_rls call;
 *    {@link CompiledFilter.evaluate} reports it, the boolean form treats it as "no match".
 *
 * Deliberate approximations: text ordering is code-point (`C` collation) order; timestamptz literals without
 * a zone are read in UTC (the server session's TimeZone); the datetime, interval and POSIX-regex readers
 * implement the common syntax rather than every PostgreSQL form; unknown types (domains, ranges, inet, enums
 * without labels…) accept any literal and compare as text.
 */

// ---------------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------
// Parsing (subscriptions.ex)
// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------
// Elixir inspect (Kernel.inspect/2, Inspect.Algebra) — enough for lists, tuples, strings and booleans
// ---------------------------------------------------------------------------------------------------------------

/** An Elixir tuple, for {@link inspect}. */
class ElixirTuple {
  constructor(readonly items: readonly Term[]) {}
}

type Term = string | boolean | null | readonly Term[] | ElixirTuple

type Doc =
  | string
  | { readonly t: 'cons'; readonly a: Doc; readonly b: Doc }
  | { readonly t: 'break'; readonly s: string; readonly flex: boolean }
  | { readonly t: 'nest'; readonly d: Doc; readonly i: number }
  | { readonly t: 'group'; readonly d: Doc }

const INSPECT_LIMIT = 50
const PRINTABLE_LIMIT = 4096

const cons = (a: Doc, b: Doc): Doc => ({ t: 'cons', a, b })
const strictBreak = (s: string): Doc => ({ t: 'break', s, flex: false })
const flexBreak = (s: string): Doc => ({ t: 'break', s, flex: true })
const nest = (d: Doc, i: number): Doc => ({ t: 'nest', d, i })
const group = (d: Doc): Doc => ({ t: 'group', d })

/** `inspect(term)` (`pretty: false`: one line) or `inspect(term, pretty: true)` (80 columns). */
function inspect(term: Term, pretty: boolean): string {
  const { doc } = toDoc(term, INSPECT_LIMIT)
  return formatDoc(group(doc), pretty ? 80 : Infinity)
}

/** Returns the doc and the limit left, as `Inspect.Algebra.to_doc_with_opts/2` threads it. */
function toDoc(term: Term, limit: number): { doc: Doc; limit: number } {
  if (typeof term === 'string') return inspectString(term, limit)
  if (term === null) return { doc: 'nil', limit }
  if (typeof term === 'boolean') return { doc: String(term), limit }
  if (term instanceof ElixirTuple) return containerDoc('{', term.items, '}', limit, true)
  return containerDoc('[', term as readonly Term[], ']', limit, false)
}

function containerDoc(left: string, items: readonly Term[], right: string, limit: number, flexOnly: boolean): { doc: Doc; limit: number } {
  if (items.length === 0) return { doc: left + right, limit }
  const docs: Doc[] = []
  let simple = !flexOnly
  for (const item of items) {
    if (limit <= 0) {
      docs.push('...')
      break
    }
    const result = toDoc(item, limit - 1)
    limit = result.limit
    simple = simple && isSimpleDoc(result.doc)
    docs.push(result.doc)
  }
  const flex = simple || flexOnly
  let joined = docs[docs.length - 1] ?? ''
  for (let i = docs.length - 2; i >= 0; i--) {
    joined = cons(cons(docs[i] ?? '', ','), cons(flex ? flexBreak(' ') : strictBreak(' '), joined))
  }
  const doc = flex
    ? group(cons(cons(left, nest(joined, 1)), right))
    : group(cons(nest(cons(left, cons(strictBreak(''), joined)), 2), cons(strictBreak(''), right)))
  return { doc, limit }
}

function isSimpleDoc(doc: Doc): boolean {
  if (typeof doc === 'string') return true
  return doc.t === 'cons' && isSimpleDoc(doc.a) && isSimpleDoc(doc.b)
}

function isPrintableCodePoint(cp: number): boolean {
  return (
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x0a ||
    cp === 0x0d ||
    cp === 0x09 ||
    cp === 0x0b ||
    cp === 0x08 ||
    cp === 0x0c ||
    cp === 0x1b ||
    cp === 0x7f ||
    cp === 0x07 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  )
}

const ESCAPE_MAP: Readonly<Record<number, string>> = {
  0x07: '\\a',
  0x08: '\\b',
  0x7f: '\\d',
  0x1b: '\\e',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
  0x5c: '\\\\',
}

/** Code points Elixir shows as `\uXXXX` because they are invisible or confusable. */
function isConfusable(cp: number): boolean {
  return (
    cp === 0xfeff ||
    (cp >= 0x2061 && cp <= 0x2064) ||
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    (cp >= 0xfff9 && cp <= 0xfffc) ||
    cp === 0x200c ||
    cp === 0x200d ||
    cp === 0x034f ||
    cp === 0x00a0 ||
    cp === 0x200b ||
    cp === 0x2060 ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x205f
  )
}

const hex = (value: number, width: number): string => value.toString(16).toUpperCase().padStart(width, '0')

function inspectString(text: string, limit: number): { doc: Doc; limit: number } {
  const codePoints = Array.from(text, (ch) => ch.codePointAt(0) ?? 0)
  // Lone surrogates cannot come from valid UTF-8; treat them like Elixir treats invalid bytes (as a binary).
  const printable = codePoints.slice(0, PRINTABLE_LIMIT).every((cp) => isPrintableCodePoint(cp) && (cp < 0xd800 || cp > 0xdfff))
  if (!printable) return inspectBinary(Buffer.from(text, 'utf8'), limit)
  let out = '"'
  let count = PRINTABLE_LIMIT
  let i = 0
  for (; i < codePoints.length && count > 0; i++, count--) {
    const cp = codePoints[i] ?? 0
    if (cp === 0x22) out += '\\"'
    else if (cp === 0x23 && codePoints[i + 1] === 0x7b) {
      out += '\\#{'
      i++
    } else if (ESCAPE_MAP[cp] !== undefined) out += ESCAPE_MAP[cp]
    else if (isConfusable(cp)) out += `\\u${hex(cp, 4)}`
    else out += String.fromCodePoint(cp)
  }
  out += i < codePoints.length ? '" <> ...' : '"'
  return { doc: out, limit }
}

function inspectBinary(bytes: Buffer, limit: number): { doc: Doc; limit: number } {
  if (bytes.length === 0) return { doc: '<<>>', limit }
  const build = (index: number, counter: number): Doc => {
    if (counter === 0) return '...'
    const byte = String(bytes[index] ?? 0)
    if (index === bytes.length - 1) return byte
    return cons(cons(byte, ','), cons(flexBreak(' '), build(index + 1, counter - 1)))
  }
  const doc = group(cons(cons('<<', nest(build(0, limit), 2)), '>>'))
  return { doc, limit: Math.max(0, limit - bytes.length) }
}

type Mode = 'flat' | 'break'
interface Entry {
  readonly i: number
  readonly m: Mode
  readonly d: Doc
}
/** Elixir's work list: entries, `:group_over` markers, and `{:tail, b?, rest}` continuations. */
type Work =
  | null
  | { readonly k: 'entry'; readonly e: Entry; readonly next: Work }
  | { readonly k: 'over'; readonly next: Work }
  | { readonly k: 'tail'; readonly b: boolean; readonly next: Work }

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8')

function fits(width: number, column: number, broke: boolean, work: Work): boolean {
  let k = column
  let b = broke
  let w = work
  for (;;) {
    if (k > width && b) return false
    if (w === null) return true
    if (w.k === 'tail') {
      b = w.b
      w = w.next
      continue
    }
    if (w.k === 'over') return b
    const { i, m, d } = w.e
    const rest = w.next
    if (typeof d === 'string') {
      k += utf8Length(d)
      w = rest
    } else if (d.t === 'break') {
      if (m === 'break') return true
      k += utf8Length(d.s)
      b = true
      w = rest
    } else if (d.t === 'cons') {
      w = { k: 'entry', e: { i, m, d: d.a }, next: { k: 'entry', e: { i, m, d: d.b }, next: rest } }
    } else if (d.t === 'nest') {
      w = { k: 'entry', e: { i: i + d.i, m, d: d.d }, next: rest }
    } else {
      w = { k: 'entry', e: { i, m: 'flat', d: d.d }, next: { k: 'tail', b, next: rest } }
    }
  }
}

function formatDoc(doc: Doc, width: number): string {
  let out = ''
  let k = 0
  let w: Work = { k: 'entry', e: { i: 0, m: 'flat', d: doc }, next: null }
  while (w !== null) {
    if (w.k !== 'entry') {
      w = w.next
      continue
    }
    const entry: Entry = w.e
    const { i, m, d } = entry
    const rest: Work = w.next
    if (typeof d === 'string') {
      out += d
      k += utf8Length(d)
      w = rest
    } else if (d.t === 'cons') {
      w = { k: 'entry', e: { i, m, d: d.a }, next: { k: 'entry', e: { i, m, d: d.b }, next: rest } }
    } else if (d.t === 'nest') {
      w = { k: 'entry', e: { i: i + d.i, m, d: d.d }, next: rest }
    } else if (d.t === 'break') {
      const newline = d.flex ? !(width === Infinity || m === 'flat' || fits(width, k + utf8Length(d.s), true, rest)) : m === 'break'
      if (newline) {
        out += `\n${' '.repeat(i)}`
        k = i
      } else {
        out += d.s
        k += utf8Length(d.s)
      }
      w = rest
    } else {
      const flat = width === Infinity || fits(width, k, false, { k: 'entry', e: { i, m: 'flat', d: d.d }, next: null })
      w = { k: 'entry', e: { i, m: flat ? 'flat' : 'break', d: d.d }, next: { k: 'over', next: rest } }
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL errors
// ---------------------------------------------------------------------------------------------------------------

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
  '42883': 'undefined_function',
  '54000': 'program_limit_exceeded',
}

const raise = (message: string): PgError => new PgError('P0001', message)
const invalidSyntax = (typeName: string, text: string): PgError =>
  new PgError('22P02', `invalid input syntax for type ${typeName}: "${text}"`)

/** C `isspace` in the C locale, which PostgreSQL's input functions skip. */
const isCSpace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f'

function cTrim(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && isCSpace(text.charAt(start))) start++
  while (end > start && isCSpace(text.charAt(end - 1))) end--
  return text.slice(start, end)
}

// ---------------------------------------------------------------------------------------------------------------
// Type system: each type's input function (with PostgreSQL's error texts), its value order, and how a row's
// to_jsonb value is read back (`(value #>> '{}')::type`)
// ---------------------------------------------------------------------------------------------------------------

/** int8 values beyond 2^53 are bigints; `<`/`>` compare number and bigint exactly. */
type Num = number | bigint

const cmpNum = (a: Num, b: Num): number => (a < b ? -1 : a > b ? 1 : 0)

interface TypeDef {
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
function jsonbText(value: unknown): string {
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

/**
 * A small memo of row text → value: one change is evaluated against every subscriber's filter, so the same
 * timestamp string is read many times in a row. Failures are not cached (they are rare and rethrown anyway).
 */
function memoized(read: (value: unknown) => unknown): (value: unknown) => unknown {
  const memo = new Map<string, unknown>()
  return (value) => {
    if (typeof value !== 'string') return read(value)
    const hit = memo.get(value)
    if (hit !== undefined) return hit
    const result = read(value)
    if (memo.size >= 256) memo.clear()
    memo.set(value, result)
    return result
  }
}

// --- integers --------------------------------------------------------------------------------------------------

const INT_SYNTAX = /^([+-]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[oO]((?:_?[0-7])+)|0[bB]((?:_?[01])+)|(\d(?:_?\d)*))$/

function intType(name: string, bits: 16 | 32 | 64, regtype: string): TypeDef {
  const max = (1n << BigInt(bits - 1)) - 1n
  const min = -(1n << BigInt(bits - 1))
  const input = (text: string): Num => {
    const match = INT_SYNTAX.exec(cTrim(text))
    if (!match) throw invalidSyntax(name, text)
    const [, sign, hexDigits, octDigits, binDigits, decDigits] = match
    const digits = (hexDigits ?? octDigits ?? binDigits ?? decDigits ?? '').replace(/_/g, '')
    const prefix = hexDigits !== undefined ? '0x' : octDigits !== undefined ? '0o' : binDigits !== undefined ? '0b' : ''
    let value = BigInt(prefix + digits)
    if (sign === '-') value = -value
    if (value > max || value < min) throw new PgError('22003', `value "${text}" is out of range for type ${name}`)
    const asNumber = Number(value)
    return Number.isSafeInteger(asNumber) ? asNumber : value
  }
  return {
    regtype,
    kind: 'int',
    input,
    fromJson(value) {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value
      if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value
      // Precision beyond 2^53 is already lost by the JSON decoder; compare the integer it holds.
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
      return input(jsonbText(value))
    },
    compare: (a, b) => cmpNum(a as Num, b as Num),
    hasEquality: true,
    hasOrdering: true,
    likeable: false,
    regexable: false,
  }
}

// --- floats ----------------------------------------------------------------------------------------------------

const FLOAT_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const FLOAT_HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/
const FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i

function floatType(name: 'real' | 'double precision', single: boolean): TypeDef {
  const input = (text: string): number => {
    const trimmed = cTrim(text)
    const special = FLOAT_SPECIAL.exec(trimmed)
    if (special) {
      if ((special[2] ?? '').toLowerCase() === 'nan') return NaN
      return special[1] === '-' ? -Infinity : Infinity
    }
    let value: number
    let nonZeroMantissa: boolean
    if (FLOAT_DECIMAL.test(trimmed)) {
      value = Number(trimmed)
      nonZeroMantissa = /[1-9]/.test(trimmed.replace(/[eE].*$/, ''))
    } else {
      const hexMatch = FLOAT_HEX.exec(trimmed)
      if (!hexMatch || (hexMatch[2] === '' && (hexMatch[3] ?? '') === '')) throw invalidSyntax(name, text)
      const intPart = hexMatch[2] ?? ''
      const fracPart = hexMatch[3] ?? ''
      const mantissa = parseInt(intPart + fracPart || '0', 16) / 16 ** fracPart.length
      value = mantissa * 2 ** Number(hexMatch[4] ?? '0') * (hexMatch[1] === '-' ? -1 : 1)
      nonZeroMantissa = /[1-9a-fA-F]/.test(intPart + fracPart)
    }
    if (single) value = Math.fround(value)
    if (!Number.isFinite(value) || (value === 0 && nonZeroMantissa)) {
      throw new PgError('22003', `"${text}" is out of range for type ${name}`)
    }
    return value
  }
  return {
    regtype: name,
    kind: 'float',
    input,
    fromJson(value) {
      if (typeof value === 'number') return single ? Math.fround(value) : value
      return input(jsonbText(value))
    },
    compare: (a, b) => cmpFloat(a as number, b as number),
    hasEquality: true,
    hasOrdering: true,
    likeable: false,
    regexable: false,
  }
}

/** PostgreSQL orders NaN above every other float and equal to itself. */
function cmpFloat(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1
  if (Number.isNaN(b)) return -1
  return a < b ? -1 : a > b ? 1 : 0
}

// --- numeric ---------------------------------------------------------------------------------------------------

/** A numeric: special value, or sign × 0.DIGITS × 10^exp with no leading/trailing zero digits. */
type Dec = { readonly special: 'nan' | 'inf' | '-inf' } | { readonly special?: undefined; readonly sign: -1 | 0 | 1; readonly digits: string; readonly exp: number }

const NUMERIC_DECIMAL = /^([+-]?)((?:\d(?:_?\d)*)?)(?:\.((?:\d(?:_?\d)*)?))?(?:[eE]([+-]?\d(?:_?\d)*))?$/
const NUMERIC_RADIX = /^([+-]?)0(?:[xX]((?:_?[0-9a-fA-F])+)|[oO]((?:_?[0-7])+)|[bB]((?:_?[01])+))$/
const NUMERIC_MAX_WEIGHT_DIGITS = 131072
const NUMERIC_MAX_DSCALE = 16383

function parseNumeric(text: string): Dec {
  const trimmed = cTrim(text)
  const lower = trimmed.toLowerCase()
  if (lower === 'nan') return { special: 'nan' }
  if (/^[+]?(inf|infinity)$/.test(lower)) return { special: 'inf' }
  if (/^-(inf|infinity)$/.test(lower)) return { special: '-inf' }
  const radix = NUMERIC_RADIX.exec(trimmed)
  if (radix) {
    const [, sign, hexDigits, octDigits, binDigits] = radix
    const prefix = hexDigits !== undefined ? '0x' : octDigits !== undefined ? '0o' : '0b'
    const digits = (hexDigits ?? octDigits ?? binDigits ?? '').replace(/_/g, '')
    return decFromDigits(sign === '-' ? -1 : 1, BigInt(prefix + digits).toString(), '', 0)
  }
  const match = NUMERIC_DECIMAL.exec(trimmed)
  if (!match || ((match[2] ?? '') === '' && (match[3] ?? '') === '')) throw invalidSyntax('numeric', text)
  const intDigits = (match[2] ?? '').replace(/_/g, '')
  const fracDigits = (match[3] ?? '').replace(/_/g, '')
  const exponent = match[4] === undefined ? 0 : Number(match[4].replace(/_/g, ''))
  // PostgreSQL rejects exponents beyond INT_MAX / 2 outright, even for zero.
  if (!Number.isFinite(exponent) || Math.abs(exponent) > 1073741823) {
    throw new PgError('22003', 'value overflows numeric format')
  }
  if (fracDigits.length - exponent > NUMERIC_MAX_DSCALE) throw new PgError('22003', 'value overflows numeric format')
  const dec = decFromDigits(match[1] === '-' ? -1 : 1, intDigits, fracDigits, exponent)
  if (dec.special === undefined && dec.sign !== 0 && dec.exp > NUMERIC_MAX_WEIGHT_DIGITS) {
    throw new PgError('22003', 'value overflows numeric format')
  }
  return dec
}

function decFromDigits(sign: -1 | 1, intDigits: string, fracDigits: string, exponent: number): Dec {
  let digits = intDigits + fracDigits
  let exp = intDigits.length + exponent
  const lead = digits.search(/[1-9]/)
  if (lead < 0) return { sign: 0, digits: '', exp: 0 }
  digits = digits.slice(lead)
  exp -= lead
  digits = digits.replace(/0+$/, '')
  return { sign, digits, exp }
}

function cmpDec(a: Dec, b: Dec): number {
  const rank = (d: Dec): number => (d.special === 'nan' ? 3 : d.special === 'inf' ? 2 : d.special === '-inf' ? 0 : 1)
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb || ra !== 1 || a.special !== undefined || b.special !== undefined) return ra - rb
  if (a.sign !== b.sign) return a.sign - b.sign
  if (a.sign === 0) return 0
  let magnitude = a.exp !== b.exp ? a.exp - b.exp : 0
  if (magnitude === 0) {
    const width = Math.max(a.digits.length, b.digits.length)
    const da = a.digits.padEnd(width, '0')
    const db = b.digits.padEnd(width, '0')
    magnitude = da < db ? -1 : da > db ? 1 : 0
  }
  return Math.sign(magnitude) * a.sign
}

const numericType: TypeDef = {
  regtype: 'numeric',
  kind: 'numeric',
  input: parseNumeric,
  fromJson: (value) => parseNumeric(typeof value === 'number' ? String(value) : jsonbText(value)),
  compare: (a, b) => cmpDec(a as Dec, b as Dec),
  hasEquality: true,
  hasOrdering: true,
  likeable: false,
  regexable: false,
}

// --- boolean ---------------------------------------------------------------------------------------------------

function parseBool(text: string): boolean {
  const value = cTrim(text).toLowerCase()
  const prefixOf = (word: string, minimum = 1): boolean => value.length >= minimum && word.startsWith(value)
  switch (value.charAt(0)) {
    case 't':
      if (prefixOf('true')) return true
      break
    case 'f':
      if (prefixOf('false')) return false
      break
    case 'y':
      if (prefixOf('yes')) return true
      break
    case 'n':
      if (prefixOf('no')) return false
      break
    case 'o':
      if (prefixOf('on', 2)) return true
      if (prefixOf('off', 2)) return false
      break
    case '1':
      if (value.length === 1) return true
      break
    case '0':
      if (value.length === 1) return false
      break
  }
  throw invalidSyntax('boolean', text)
}

const boolType: TypeDef = {
  regtype: 'boolean',
  kind: 'bool',
  input: parseBool,
  fromJson: (value) => (typeof value === 'boolean' ? value : parseBool(jsonbText(value))),
  compare: (a, b) => Number(a) - Number(b),
  hasEquality: true,
  hasOrdering: true,
  likeable: false,
  regexable: false,
}

// --- text family -----------------------------------------------------------------------------------------------

/** Code-point order (C collation), which differs from UTF-16 order around surrogates. */
function cmpText(a: string, b: string): number {
  if (a === b) return 0
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca === cb) continue
    const sa = ca >= 0xd800 && ca <= 0xdfff
    const sb = cb >= 0xd800 && cb <= 0xdfff
    if (sa !== sb) return sa ? 1 : -1
    return ca < cb ? -1 : 1
  }
  return a.length < b.length ? -1 : 1
}

function textType(regtype: string, kind: string, normalize: (text: string) => string, options: Partial<TypeDef> = {}): TypeDef {
  return {
    regtype,
    kind,
    input: normalize,
    fromJson: (value) => normalize(jsonbText(value)),
    compare: (a, b) => cmpText(a as string, b as string),
    hasEquality: true,
    hasOrdering: true,
    likeable: true,
    regexable: true,
    asText: (value) => value as string,
    ...options,
  }
}

/** The checks cast to `character`, which is char(1): the first character, blank-padded. */
function bpchar1(text: string): string {
  return text === '' ? ' ' : String.fromCodePoint(text.codePointAt(0) ?? 0x20)
}

/** bpchar comparisons ignore trailing blanks. */
const cmpBpchar = (a: unknown, b: unknown): number => cmpText((a as string).replace(/ +$/, ''), (b as string).replace(/ +$/, ''))

/** `name` keeps at most 63 bytes, cut at a character boundary. */
function truncateName(text: string): string {
  if (utf8Length(text) <= 63) return text
  let out = ''
  for (const ch of text) {
    if (utf8Length(out + ch) > 63) break
    out += ch
  }
  return out
}

// --- uuid ------------------------------------------------------------------------------------------------------

function parseUuid(text: string): string {
  let i = 0
  const braces = text.charAt(0) === '{'
  if (braces) i++
  let out = ''
  for (let byte = 0; byte < 16; byte++) {
    const pair = text.slice(i, i + 2)
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw invalidSyntax('uuid', text)
    out += pair.toLowerCase()
    i += 2
    if (text.charAt(i) === '-' && byte % 2 === 1 && byte < 15) i++
  }
  if (braces) {
    if (text.charAt(i) !== '}') throw invalidSyntax('uuid', text)
    i++
  }
  if (i !== text.length) throw invalidSyntax('uuid', text)
  // The canonical spelling, so to_jsonb's own output needs no conversion.
  return `${out.slice(0, 8)}-${out.slice(8, 12)}-${out.slice(12, 16)}-${out.slice(16, 20)}-${out.slice(20)}`
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const uuidType: TypeDef = {
  regtype: 'uuid',
  kind: 'uuid',
  input: parseUuid,
  // to_jsonb prints the canonical lowercase form; only other shapes need the full reader.
  fromJson: (value) => (typeof value === 'string' && CANONICAL_UUID.test(value) ? value : parseUuid(jsonbText(value))),
  compare: (a, b) => cmpText(a as string, b as string),
  hasEquality: true,
  hasOrdering: true,
  likeable: false,
  regexable: false,
}

// --- bytea -----------------------------------------------------------------------------------------------------

/** byteain: `\x` hex or escape format; the result is one char per byte. */
function parseBytea(text: string): string {
  if (text.startsWith('\\x')) {
    let out = ''
    let i = 2
    while (i < text.length) {
      const ch = text.charAt(i)
      if (isCSpace(ch)) {
        i++
        continue
      }
      const hi = parseInt(ch, 16)
      if (Number.isNaN(hi)) throw new PgError('22023', `invalid hexadecimal digit: "${ch}"`)
      if (i + 1 >= text.length) throw new PgError('22023', 'invalid hexadecimal data: odd number of digits')
      const loChar = text.charAt(i + 1)
      const lo = parseInt(loChar, 16)
      if (Number.isNaN(lo)) throw new PgError('22023', `invalid hexadecimal digit: "${loChar}"`)
      out += String.fromCharCode(hi * 16 + lo)
      i += 2
    }
    return out
  }
  const bytes = Buffer.from(text, 'utf8')
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] ?? 0
    if (byte !== 0x5c) {
      out += String.fromCharCode(byte)
      continue
    }
    const next = bytes[i + 1]
    if (next === 0x5c) {
      out += '\\'
      i++
      continue
    }
    const octal = bytes.subarray(i + 1, i + 4).toString('latin1')
    if (!/^[0-3][0-7][0-7]$/.test(octal)) throw new PgError('22P02', 'invalid input syntax for type bytea')
    out += String.fromCharCode(parseInt(octal, 8))
    i += 3
  }
  return out
}

const byteaType: TypeDef = {
  regtype: 'bytea',
  kind: 'bytea',
  input: parseBytea,
  fromJson: (value) => parseBytea(jsonbText(value)),
  compare: (a, b) => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0),
  hasEquality: true,
  hasOrdering: true,
  likeable: true,
  regexable: false,
  asText: (value) => value as string,
}

// --- enum and opaque types -------------------------------------------------------------------------------------

function enumType(regtype: string, labels: readonly string[]): TypeDef {
  const index = new Map(labels.map((label, position) => [label, position]))
  const input = (text: string): number => {
    const position = index.get(text)
    if (position === undefined) throw new PgError('22P02', `invalid input value for enum ${regtype}: "${text}"`)
    return position
  }
  return {
    regtype,
    kind: 'enum',
    input,
    fromJson: (value) => input(jsonbText(value)),
    compare: (a, b) => (a as number) - (b as number),
    hasEquality: true,
    hasOrdering: true,
    likeable: false,
    regexable: false,
  }
}

/** A type this module does not model: any literal is accepted, values compare as text. */
function opaqueType(regtype: string): TypeDef {
  return {
    regtype,
    kind: 'opaque',
    input: (text) => text,
    fromJson: (value) => jsonbText(value),
    compare: (a, b) => cmpText(a as string, b as string),
    hasEquality: true,
    hasOrdering: true,
    likeable: false,
    regexable: false,
  }
}

// --- date and time ---------------------------------------------------------------------------------------------

type DtKind = 'date' | 'timestamp' | 'timestamptz' | 'time' | 'timetz'

/** The names PostgreSQL's datetime errors use (not regtype's: `timestamp`, not `timestamp without time zone`). */
const DT_ERROR_NAMES: Readonly<Record<DtKind, string>> = {
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamp with time zone',
  time: 'time',
  timetz: 'time with time zone',
}

/** timetz: time of day in µs and the zone's offset east of UTC in seconds. */
interface TimeTz {
  readonly t: number
  readonly z: number
}

const US_PER_DAY = 86_400_000_000
const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10, nov: 11,
  november: 11, dec: 12, december: 12,
}
const WEEKDAYS: ReadonlySet<string> = new Set([
  'sun', 'sunday', 'mon', 'monday', 'tue', 'tues', 'tuesday', 'wed', 'wednesday', 'thu', 'thur', 'thurs',
  'thursday', 'fri', 'friday', 'sat', 'saturday',
])
/** Common entries of PostgreSQL's `Default` abbreviation set, in seconds east of UTC. */
const ZONE_ABBREVIATIONS: Readonly<Record<string, number>> = {
  z: 0, zulu: 0, utc: 0, ut: 0, gmt: 0, wet: 0, west: 3600, bst: 3600, cet: 3600, cest: 7200, met: 3600,
  mest: 7200, eet: 7200, eest: 10800, msk: 10800, ist: 7200, est: -18000, edt: -14400, cst: -21600,
  cdt: -18000, mst: -25200, mdt: -21600, pst: -28800, pdt: -25200, akst: -32400, akdt: -28800, hst: -36000,
  jst: 32400, kst: 32400, awst: 28800, acst: 34200, aest: 36000, aedt: 39600, nzst: 43200, nzdt: 46800,
}

/** Days since 1970-01-01 of a proleptic Gregorian date (astronomical years: 1 BC is 0). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/** µs since the epoch; beyond ±2^53 (years outside ~1685–2255) it is a bigint, to stay exact. */
function toMicros(days: number, microsOfDay: number): Num {
  const value = days * US_PER_DAY + microsOfDay
  return Number.isSafeInteger(value) ? value : BigInt(days) * BigInt(US_PER_DAY) + BigInt(microsOfDay)
}

/** C `rint`: halves go to the even neighbour. */
function rint(value: number): number {
  const rounded = Math.round(value)
  return Math.abs(value % 1) === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded
}

const MIN_DATE_DAYS = daysFromCivil(-4713, 11, 24)
const MAX_DATE_DAYS = daysFromCivil(5874897, 12, 31)
const MAX_TIMESTAMP = BigInt(daysFromCivil(294277, 1, 1)) * BigInt(US_PER_DAY)
const MIN_TIMESTAMP = BigInt(MIN_DATE_DAYS) * BigInt(US_PER_DAY)

const zoneFormatters = new Map<string, Intl.DateTimeFormat | null>()

/** Offset east of UTC (seconds) of an IANA zone at a UTC instant, or undefined for an unknown zone. */
function ianaOffset(zone: string, utcMillis: number): number | undefined {
  let formatter = zoneFormatters.get(zone)
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      })
    } catch {
      formatter = null
    }
    zoneFormatters.set(zone, formatter)
  }
  if (formatter === null) return undefined
  const clamped = Math.min(Math.max(utcMillis, -8.64e15 + 86_400_000), 8.64e15 - 86_400_000)
  const parts: Record<string, string> = {}
  for (const part of formatter.formatToParts(clamped)) parts[part.type] = part.value
  const year = Number(parts.year) * (parts.era === 'BC' ? -1 : 1) + (parts.era === 'BC' ? 1 : 0)
  const local = daysFromCivil(year, Number(parts.month), Number(parts.day)) * 86_400_000 +
    (Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second)) * 1000
  return Math.round((local - Math.floor(clamped / 1000) * 1000) / 1000)
}

/**
 * PostgreSQL datetime input for the common forms: ISO 8601 (`T` or space, fractional seconds, `Z`/±hh[:mm[:ss]]
 * offsets), `YYYYMMDD[T]HHMMSS`, MDY/YMD with `-` or `/`, month and weekday names, AM/PM, BC, zone
 * abbreviations and IANA names, and the special words (now, today, epoch, infinity…).
 */
function parseDateTime(text: string, kind: DtKind): unknown {
  const typeName = DT_ERROR_NAMES[kind]
  const bad = (): PgError => new PgError('22007', `invalid input syntax for type ${typeName}: "${text}"`)
  const overflow = (hint = false): PgError =>
    new PgError('22008', `date/time field value out of range: "${text}"`, undefined, hint ? 'Perhaps you need a different "datestyle" setting.' : undefined)
  const timeKind = kind === 'time' || kind === 'timetz'
  const s = cTrim(text).toLowerCase()
  if (s === '') throw bad()

  const special = specialDateTime(s, kind)
  if (special !== undefined) {
    if (special === null) throw bad()
    return special
  }

  const tokens: string[] = []
  for (let token of s.replace(/,/g, ' ').split(/[ \t\n\r\v\f]+/)) {
    if (token === '') continue
    const dateThenTime = /^(\d[\d/.-]*\d|\d+-[a-z]+-\d+)t(\d.*)$/.exec(token)
    if (dateThenTime) {
      tokens.push(dateThenTime[1] ?? '')
      token = dateThenTime[2] ?? ''
    }
    // A '+' always starts a new (zone) field after digits, as in PostgreSQL's field splitter.
    const plusZone = /^(\d+)(\+.*)$/.exec(token)
    if (plusZone) {
      tokens.push(plusZone[1] ?? '', plusZone[2] ?? '')
      continue
    }
    const timeThenZone =
      /^(\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?)([a-z+-].*)$/.exec(token) ??
      /^(\d{6}(?:\.\d*)?)([a-z]+|[+-]\d{1,2}(?::?\d\d){0,2})$/.exec(token)
    if (timeThenZone) tokens.push(timeThenZone[1] ?? '', timeThenZone[2] ?? '')
    else tokens.push(token)
  }

  let year: number | undefined
  let yearDigits = 0
  let month: number | undefined
  let day: number | undefined
  let hour = 0
  let minute = 0
  let second = 0
  let fraction = ''
  let hasTime = false
  let zone: number | string | undefined
  let meridiem: 'am' | 'pm' | undefined
  let bc = false
  const setDate = (y: string, m: number, d: string): void => {
    if (year !== undefined) throw bad()
    year = Number(y)
    yearDigits = y.length
    month = m
    day = Number(d)
  }
  const setTime = (h: string, mi: string, sec: string, frac: string): void => {
    if (hasTime) throw bad()
    hasTime = true
    hour = Number(h)
    minute = Number(mi)
    second = Number(sec || '0')
    fraction = frac
  }
  const loose: string[] = []
  for (const token of tokens) {
    let match: RegExpExecArray | null
    if ((match = /^(\d+)([-/.])(\d+)\2(\d+)$/.exec(token))) {
      const [, a = '', , b = '', c = ''] = match
      if (a.length >= 3) setDate(a, Number(b), c)
      else setDate(c, Number(a), b)
    } else if ((match = /^(\d+)-([a-z]+)-(\d+)$/.exec(token))) {
      const [, a = '', name = '', c = ''] = match
      const m = MONTHS[name]
      if (m === undefined) throw bad()
      if (a.length >= 3) setDate(a, m, c)
      else setDate(c, m, a)
    } else if (/^\d{6,}$/.test(token) && year === undefined && month === undefined) {
      // Concatenated date: the last two digits are the day, the two before the month, the rest the year.
      setDate(token.slice(0, -4), Number(token.slice(-4, -2)), token.slice(-2))
    } else if ((match = /^(\d\d)(\d\d)(\d\d)(?:\.(\d*))?$/.exec(token)) && year !== undefined && !hasTime) {
      setTime(match[1] ?? '', match[2] ?? '', match[3] ?? '', match[4] ?? '')
    } else if ((match = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?$/.exec(token))) {
      setTime(match[1] ?? '', match[2] ?? '', match[3] ?? '', match[4] ?? '')
    } else if (/^[+-]\d/.test(token)) {
      if (zone !== undefined) throw bad()
      zone = parseZoneOffset(token, bad, text)
    } else if (/^\d+$/.test(token)) {
      loose.push(token)
    } else if (MONTHS[token] !== undefined) {
      if (month !== undefined) throw bad()
      month = MONTHS[token]
    } else if (WEEKDAYS.has(token)) {
      // Weekday names are accepted and ignored.
    } else if (token === 'am' || token === 'pm') {
      meridiem = token
    } else if (token === 'bc' || token === 'ad') {
      bc = token === 'bc'
    } else if (ZONE_ABBREVIATIONS[token] !== undefined) {
      if (zone !== undefined) throw bad()
      zone = ZONE_ABBREVIATIONS[token]
    } else if (/^[a-z][a-z0-9_+-]*(?:\/[a-z0-9_+-]+)+$/.test(token)) {
      if (zone !== undefined) throw bad()
      if (ianaOffset(token, 0) === undefined) throw new PgError('22023', `time zone "${token}" not recognized`)
      zone = token
    } else {
      throw bad()
    }
  }
  for (const number of loose) {
    if (month !== undefined && day === undefined && number.length <= 2 && year === undefined) day = Number(number)
    else if (month !== undefined && year === undefined && (day !== undefined || number.length >= 3)) {
      year = Number(number)
      yearDigits = number.length
    } else if (month !== undefined && day === undefined) day = Number(number)
    else throw bad()
  }

  const hasDate = year !== undefined && month !== undefined && day !== undefined
  if ((year !== undefined || month !== undefined || day !== undefined) && !hasDate) throw bad()
  if (timeKind ? !hasTime : !hasDate) throw bad()

  let y = year ?? 1970
  const mo = month ?? 1
  const d = day ?? 1
  if (hasDate) {
    if (yearDigits <= 2 && !bc) y += y < 70 ? 2000 : 1900
    if (y === 0) throw overflow()
    if (bc) y = 1 - y
    if (mo < 1 || mo > 12 || d < 1 || d > 31) throw overflow(true)
    if (d > daysInMonth(y, mo)) throw overflow()
  }
  if (meridiem !== undefined) {
    if (hour > 12) throw overflow()
    if (meridiem === 'am' && hour === 12) hour = 0
    else if (meridiem === 'pm' && hour !== 12) hour += 12
  }
  const fracMicros = fraction === '' ? 0 : rint(Number(`0.${fraction}`) * 1e6)
  if (
    hour < 0 || hour > 24 || minute > 59 || second > 60 ||
    (hour === 24 && (minute > 0 || second > 0 || fracMicros > 0)) ||
    (second === 60 && fracMicros > 0)
  ) {
    throw overflow()
  }
  const microsOfDay = ((hour * 60 + minute) * 60 + second) * 1e6 + fracMicros

  if (kind === 'time') return microsOfDay
  const localDays = daysFromCivil(y, mo, d)
  const offsetOf = (localMillis: number): number => {
    if (zone === undefined) return 0
    if (typeof zone === 'number') return zone
    // Find the UTC instant whose local time in `zone` is the given wall time.
    const first = ianaOffset(zone, localMillis) ?? 0
    return ianaOffset(zone, localMillis - first * 1000) ?? first
  }
  if (kind === 'timetz') return { t: microsOfDay, z: offsetOf(Date.now()) } satisfies TimeTz
  if (kind === 'date') {
    if (localDays < MIN_DATE_DAYS || localDays > MAX_DATE_DAYS) throw new PgError('22008', `date out of range: "${text}"`)
    return localDays
  }
  let micros = BigInt(localDays) * BigInt(US_PER_DAY) + BigInt(microsOfDay)
  if (kind === 'timestamptz') {
    const offset = offsetOf(localDays * 86_400_000 + microsOfDay / 1000)
    micros -= BigInt(offset) * 1_000_000n
  }
  if (micros < MIN_TIMESTAMP || micros >= MAX_TIMESTAMP) throw new PgError('22008', `timestamp out of range: "${text}"`)
  const asNumber = Number(micros)
  return Number.isSafeInteger(asNumber) ? asNumber : micros
}

/** `+05`, `-0800`, `+05:30`, `+05:30:15`: seconds east; PostgreSQL allows up to 15:59:59. */
function parseZoneOffset(token: string, bad: () => PgError, text: string): number {
  const match = /^([+-])(\d{1,2})(?::?(\d\d))?(?::?(\d\d))?$/.exec(token)
  if (!match) throw bad()
  const hours = Number(match[2])
  const minutes = Number(match[3] ?? '0')
  const seconds = Number(match[4] ?? '0')
  if (hours > 15 || minutes > 59 || seconds > 59) throw new PgError('22009', `time zone displacement out of range: "${text}"`)
  return (match[1] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60 + seconds)
}

/** The special inputs: a value, `null` when the word is not valid for the type, undefined when not special. */
function specialDateTime(s: string, kind: DtKind): unknown {
  const timeKind = kind === 'time' || kind === 'timetz'
  const nowMicros = Date.now() * 1000
  const today = Math.floor(nowMicros / US_PER_DAY)
  const midnight = (days: number): unknown => (kind === 'date' ? days : timeKind ? (kind === 'time' ? 0 : { t: 0, z: 0 }) : toMicros(days, 0))
  switch (s) {
    case 'infinity':
    case '+infinity':
      return timeKind ? null : Infinity
    case '-infinity':
      return timeKind ? null : -Infinity
    case 'epoch':
      return timeKind ? null : kind === 'date' ? 0 : 0
    case 'now': {
      if (kind === 'date') return today
      const tod = nowMicros - today * US_PER_DAY
      if (kind === 'time') return tod
      if (kind === 'timetz') return { t: tod, z: 0 }
      return nowMicros
    }
    case 'today':
      return midnight(today)
    case 'tomorrow':
      return midnight(today + 1)
    case 'yesterday':
      return midnight(today - 1)
    case 'allballs':
      return timeKind ? midnight(0) : null
    default:
      return undefined
  }
}

const VOLATILE_DATETIME = /^\s*(now|today|tomorrow|yesterday)\s*$/i

/** to_jsonb's own renderings, read without the general parser (this runs for every change). */
const ISO_TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d)(?::(\d\d))?)?)?( BC)?$/
const ISO_DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/

function dateTimeType(kind: DtKind, regtype: string): TypeDef {
  const input = (text: string): unknown => parseDateTime(text, kind)
  const fromJson = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (kind === 'timestamp' || kind === 'timestamptz') {
        const m = ISO_TIMESTAMP.exec(value)
        if (m && (kind === 'timestamptz' || m[8] === undefined)) {
          let year = Number(m[1])
          if (m[12] !== undefined) year = 1 - year
          const days = daysFromCivil(year, Number(m[2]), Number(m[3]))
          const fraction = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'))
          let tod = ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1e6 + fraction
          if (m[8] !== undefined) {
            const offset = (Number(m[9]) * 3600 + Number(m[10] ?? '0') * 60 + Number(m[11] ?? '0')) * (m[8] === '-' ? -1 : 1)
            tod -= offset * 1e6
          }
          return toMicros(days, tod)
        }
      } else if (kind === 'date') {
        const m = ISO_DATE.exec(value)
        if (m) return daysFromCivil(m[4] === undefined ? Number(m[1]) : 1 - Number(m[1]), Number(m[2]), Number(m[3]))
      }
    }
    return input(jsonbText(value))
  }
  const compare =
    kind === 'timetz'
      ? (a: unknown, b: unknown): number => {
          const x = a as TimeTz
          const y = b as TimeTz
          // Same instant in UTC first, then the zone (further west sorts later), as timetz_cmp does.
          return cmpNum(x.t - x.z * 1e6, y.t - y.z * 1e6) || cmpNum(-x.z, -y.z)
        }
      : (a: unknown, b: unknown): number => cmpNum(a as Num, b as Num)
  return {
    regtype,
    kind,
    input,
    volatile: (text) => VOLATILE_DATETIME.test(text),
    // 'now'-like row values cannot occur (to_jsonb prints instants), so memoizing is safe.
    fromJson: memoized(fromJson),
    compare,
    hasEquality: true,
    hasOrdering: true,
    likeable: false,
    regexable: false,
  }
}

// --- interval --------------------------------------------------------------------------------------------------

interface Interval {
  readonly months: number
  readonly days: number
  readonly micros: number
}

const INTERVAL_UNITS: Readonly<Record<string, [field: 'months' | 'days' | 'micros', factor: number]>> = {
  microsecond: ['micros', 1], microseconds: ['micros', 1], us: ['micros', 1], usec: ['micros', 1], usecs: ['micros', 1],
  millisecond: ['micros', 1e3], milliseconds: ['micros', 1e3], ms: ['micros', 1e3], msec: ['micros', 1e3], msecs: ['micros', 1e3],
  second: ['micros', 1e6], seconds: ['micros', 1e6], s: ['micros', 1e6], sec: ['micros', 1e6], secs: ['micros', 1e6],
  minute: ['micros', 6e7], minutes: ['micros', 6e7], m: ['micros', 6e7], min: ['micros', 6e7], mins: ['micros', 6e7],
  hour: ['micros', 3.6e9], hours: ['micros', 3.6e9], h: ['micros', 3.6e9], hr: ['micros', 3.6e9], hrs: ['micros', 3.6e9],
  day: ['days', 1], days: ['days', 1], d: ['days', 1],
  week: ['days', 7], weeks: ['days', 7], w: ['days', 7],
  month: ['months', 1], months: ['months', 1], mon: ['months', 1], mons: ['months', 1],
  year: ['months', 12], years: ['months', 12], y: ['months', 12], yr: ['months', 12], yrs: ['months', 12],
  decade: ['months', 120], decades: ['months', 120], century: ['months', 1200], centuries: ['months', 1200],
  millennium: ['months', 12000], millennia: ['months', 12000],
}

/** Interval input for PostgreSQL-style (`1 day 02:00:00`, `@ 3 hours ago`) and ISO 8601 (`P1DT2H`) forms. */
function parseInterval(text: string): Interval {
  const bad = (): PgError => new PgError('22007', `invalid input syntax for type interval: "${text}"`)
  let s = cTrim(text).toLowerCase()
  if (s === '') throw bad()
  const acc = { months: 0, days: 0, micros: 0 }
  const add = (amount: number, field: 'months' | 'days' | 'micros', factor: number): void => {
    // Fractions cascade down as PostgreSQL does: months → 30-day days → µs.
    let value = amount * factor
    if (field === 'months') {
      const whole = Math.trunc(value)
      acc.months += whole
      value = (value - whole) * 30
      field = 'days'
    }
    if (field === 'days') {
      const whole = Math.trunc(value)
      acc.days += whole
      acc.micros += Math.round((value - whole) * US_PER_DAY)
      return
    }
    acc.micros += Math.round(value)
  }
  if (s.startsWith('p')) {
    const m = /^p(?:([-\d.]+)y)?(?:([-\d.]+)m)?(?:([-\d.]+)w)?(?:([-\d.]+)d)?(?:t(?:([-\d.]+)h)?(?:([-\d.]+)m)?(?:([-\d.]+)s)?)?$/.exec(s)
    if (!m || s === 'p') throw bad()
    const parts: [string | undefined, 'months' | 'days' | 'micros', number][] = [
      [m[1], 'months', 12], [m[2], 'months', 1], [m[3], 'days', 7], [m[4], 'days', 1],
      [m[5], 'micros', 3.6e9], [m[6], 'micros', 6e7], [m[7], 'micros', 1e6],
    ]
    for (const [value, field, factor] of parts) {
      if (value === undefined) continue
      const amount = Number(value)
      if (!Number.isFinite(amount)) throw bad()
      add(amount, field, factor)
    }
    return acc
  }
  let ago = false
  if (s.startsWith('@')) s = s.slice(1).trim()
  if (/\bago$/.test(s)) {
    ago = true
    s = s.slice(0, -3).trim()
  }
  const tokens = s.split(/[ \t\n\r\v\f]+/).filter((token) => token !== '')
  if (tokens.length === 0) throw bad()
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? ''
    const time = /^([+-]?)(\d+):(\d+)(?::(\d+(?:\.\d*)?))?$/.exec(token)
    if (time) {
      const sign = time[1] === '-' ? -1 : 1
      add(sign * (Number(time[2]) * 3600 + Number(time[3]) * 60 + Number(time[4] ?? '0')), 'micros', 1e6)
      continue
    }
    const number = /^([+-]?(?:\d+\.?\d*|\.\d+))([a-z]*)$/.exec(token)
    if (!number) throw bad()
    let unitName = number[2] ?? ''
    if (unitName === '' && i + 1 < tokens.length && INTERVAL_UNITS[tokens[i + 1] ?? ''] !== undefined) unitName = tokens[++i] ?? ''
    const unit = unitName === '' ? (i === tokens.length - 1 ? INTERVAL_UNITS.second : undefined) : INTERVAL_UNITS[unitName]
    if (!unit) throw bad()
    add(Number(number[1]), unit[0], unit[1])
  }
  return ago ? { months: -acc.months, days: -acc.days, micros: -acc.micros } : acc
}

/** interval_cmp compares the span with 30-day months and 24-hour days. */
const intervalSpan = (value: Interval): number => (value.months * 30 + value.days) * US_PER_DAY + value.micros

const intervalType: TypeDef = {
  regtype: 'interval',
  kind: 'interval',
  input: parseInterval,
  fromJson: (value) => parseInterval(jsonbText(value)),
  compare: (a, b) => cmpNum(intervalSpan(a as Interval), intervalSpan(b as Interval)),
  hasEquality: true,
  hasOrdering: true,
  likeable: false,
  regexable: false,
}

// --- json / jsonb ----------------------------------------------------------------------------------------------

type JsonTokenType = '{' | '}' | '[' | ']' | ',' | ':' | 'string' | 'number' | 'true' | 'false' | 'null' | 'end'

interface JsonToken {
  type: JsonTokenType
  text: string
  value?: unknown
}

const jsonSyntax = (detail: string): PgError => new PgError('22P02', 'invalid input syntax for type json', detail)
const isJsonWordChar = (ch: string): boolean => /[A-Za-z0-9_]/.test(ch) || ch.charCodeAt(0) >= 0x80

/**
 * jsonb input (realtime.cast goes through to_jsonb, so json values are checked the same way), with the
 * PostgreSQL lexer's error details: `Token "abc" is invalid.`, `The input string ended unexpectedly.`…
 */
function parseJson(text: string): unknown {
  let pos = 0
  let token: JsonToken = { type: 'end', text: '' }

  const lexString = (start: number): JsonToken => {
    let i = start + 1
    let out = ''
    let highSurrogate = -1
    const invalidToken = (): PgError => jsonSyntax(`Token "${text.slice(start)}" is invalid.`)
    for (;;) {
      if (i >= text.length) throw invalidToken()
      const ch = text.charAt(i)
      const code = text.charCodeAt(i)
      if (ch === '"') break
      if (code < 0x20) throw jsonSyntax(`Character with value 0x${code.toString(16).padStart(2, '0')} must be escaped.`)
      if (ch !== '\\') {
        if (highSurrogate >= 0) throw jsonSyntax('Unicode low surrogate must follow a high surrogate.')
        out += ch
        i++
        continue
      }
      if (i + 1 >= text.length) throw invalidToken()
      const escape = text.charAt(i + 1)
      if (escape === 'u') {
        const digits = text.slice(i + 2, i + 6)
        if (!/^[0-9a-fA-F]{4}$/.test(digits)) throw jsonSyntax('"\\u" must be followed by four hexadecimal digits.')
        const unit = parseInt(digits, 16)
        i += 6
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (highSurrogate >= 0) throw jsonSyntax('Unicode high surrogate must not follow a high surrogate.')
          highSurrogate = unit
          continue
        }
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          if (highSurrogate < 0) throw jsonSyntax('Unicode low surrogate must follow a high surrogate.')
          out += String.fromCharCode(highSurrogate, unit)
          highSurrogate = -1
          continue
        }
        if (highSurrogate >= 0) throw jsonSyntax('Unicode low surrogate must follow a high surrogate.')
        if (unit === 0) throw new PgError('22P05', 'unsupported Unicode escape sequence', '\\u0000 cannot be converted to text.')
        out += String.fromCharCode(unit)
        continue
      }
      if (highSurrogate >= 0) throw jsonSyntax('Unicode low surrogate must follow a high surrogate.')
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
      const replacement = simple[escape]
      if (replacement === undefined) throw jsonSyntax(`Escape sequence "\\${String.fromCodePoint(text.codePointAt(i + 1) ?? 0)}" is invalid.`)
      out += replacement
      i += 2
    }
    if (highSurrogate >= 0) throw jsonSyntax('Unicode low surrogate must follow a high surrogate.')
    pos = i + 1
    return { type: 'string', text: text.slice(start, pos), value: out }
  }

  const lexNumber = (start: number): JsonToken => {
    let i = start
    let ok = true
    const digit = (at: number): boolean => at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57
    if (text.charAt(i) === '-') i++
    if (text.charAt(i) === '0') i++
    else if (digit(i)) while (digit(i)) i++
    else ok = false
    if (ok && text.charAt(i) === '.') {
      i++
      if (!digit(i)) ok = false
      while (digit(i)) i++
    }
    if (ok && (text.charAt(i) === 'e' || text.charAt(i) === 'E')) {
      i++
      if (text.charAt(i) === '+' || text.charAt(i) === '-') i++
      if (!digit(i)) ok = false
      while (digit(i)) i++
    }
    if (!ok || (i < text.length && isJsonWordChar(text.charAt(i)))) {
      while (i < text.length && isJsonWordChar(text.charAt(i))) i++
      throw jsonSyntax(`Token "${text.slice(start, i)}" is invalid.`)
    }
    pos = i
    const source = text.slice(start, i)
    return { type: 'number', text: source, value: Number(source) }
  }

  const lex = (): JsonToken => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++
    if (pos >= text.length) return { type: 'end', text: '' }
    const ch = text.charAt(pos)
    if ('{}[],:'.includes(ch)) {
      pos++
      return { type: ch as JsonTokenType, text: ch }
    }
    if (ch === '"') return lexString(pos)
    if (ch === '-' || (ch >= '0' && ch <= '9')) return lexNumber(pos)
    let end = pos
    while (end < text.length && isJsonWordChar(text.charAt(end))) end++
    if (end === pos) throw jsonSyntax(`Token "${String.fromCodePoint(text.codePointAt(pos) ?? 0)}" is invalid.`)
    const word = text.slice(pos, end)
    if (word !== 'true' && word !== 'false' && word !== 'null') throw jsonSyntax(`Token "${word}" is invalid.`)
    pos = end
    return { type: word, text: word }
  }

  const advance = (): void => {
    token = lex()
  }
  // A function, not a property read: TypeScript would otherwise keep a narrowing across advance().
  const current = (): JsonTokenType => token.type
  const unexpected = (expected: string): PgError =>
    token.type === 'end' ? jsonSyntax('The input string ended unexpectedly.') : jsonSyntax(`${expected}, but found "${token.text}".`)

  const parseValue = (): unknown => {
    switch (token.type) {
      case '{': {
        advance()
        const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>
        if (current() === '}') {
          advance()
          return object
        }
        let first = true
        for (;;) {
          if (current() !== 'string') throw unexpected(first ? 'Expected string or "}"' : 'Expected string')
          first = false
          const key = token.value as string
          advance()
          if (current() !== ':') throw unexpected('Expected ":"')
          advance()
          object[key] = parseValue()
          if (current() === ',') {
            advance()
            continue
          }
          if (current() === '}') {
            advance()
            return object
          }
          throw unexpected('Expected "," or "}"')
        }
      }
      case '[': {
        advance()
        const array: unknown[] = []
        if (current() === ']') {
          advance()
          return array
        }
        for (;;) {
          array.push(parseValue())
          if (current() === ',') {
            advance()
            continue
          }
          if (current() === ']') {
            advance()
            return array
          }
          throw unexpected('Expected "," or "]"')
        }
      }
      case 'string':
      case 'number': {
        const value = token.value
        advance()
        return value
      }
      case 'true':
      case 'false':
      case 'null': {
        const value = token.type === 'null' ? null : token.type === 'true'
        advance()
        return value
      }
      default:
        throw unexpected('Expected JSON value')
    }
  }

  advance()
  const value = parseValue()
  if (current() !== 'end') throw jsonSyntax(`Expected end of input, but found "${token.text}".`)
  return value
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** jsonb stores object keys shortest first, then bytewise; comparisons walk them in that order. */
function jsonbKeyOrder(a: string, b: string): number {
  return utf8Length(a) - utf8Length(b) || cmpText(a, b)
}

function jsonbRank(value: unknown): number {
  if (value === null || value === undefined) return 0
  if (typeof value === 'string') return 1
  if (typeof value === 'number' || typeof value === 'bigint') return 2
  if (typeof value === 'boolean') return 3
  return Array.isArray(value) ? 4 : 5
}

/** compareJsonbContainers on nested values: type rank, then arrays by length, objects by pair count, then content. */
function cmpJsonbValue(a: unknown, b: unknown): number {
  const ra = jsonbRank(a)
  const rb = jsonbRank(b)
  if (ra !== rb) return ra - rb
  switch (ra) {
    case 0:
      return 0
    case 1:
      return cmpText(a as string, b as string)
    case 2:
      return cmpNum(a as Num, b as Num)
    case 3:
      return Number(a) - Number(b)
    case 4: {
      const x = a as unknown[]
      const y = b as unknown[]
      if (x.length !== y.length) return x.length - y.length
      for (let i = 0; i < x.length; i++) {
        const result = cmpJsonbValue(x[i], y[i])
        if (result !== 0) return result
      }
      return 0
    }
    default:
      return cmpJsonbObject(a as Record<string, unknown>, b as Record<string, unknown>)
  }
}

function cmpJsonbObject(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).sort(jsonbKeyOrder)
  const kb = Object.keys(b).sort(jsonbKeyOrder)
  if (ka.length !== kb.length) return ka.length - kb.length
  for (let i = 0; i < ka.length; i++) {
    const keyA = ka[i] ?? ''
    const keyB = kb[i] ?? ''
    const byKey = cmpText(keyA, keyB)
    if (byKey !== 0) return byKey
    const byValue = cmpJsonbValue(a[keyA], b[keyB])
    if (byValue !== 0) return byValue
  }
  return 0
}

/**
 * Top level: a scalar is a one-element "raw scalar" array. PostgreSQL ranks it below a real array, but then
 * lets element counts override that, so `[]` sorts below every scalar (even null) — reproduced here.
 */
function cmpJsonb(a: unknown, b: unknown): number {
  const objectA = isJsonObject(a)
  const objectB = isJsonObject(b)
  if (objectA || objectB) return objectA && objectB ? cmpJsonbObject(a, b) : objectA ? 1 : -1
  const itemsA = Array.isArray(a) ? a : [a]
  const itemsB = Array.isArray(b) ? b : [b]
  let result = 0
  if (Array.isArray(a) !== Array.isArray(b)) result = Array.isArray(a) ? 1 : -1
  if (itemsA.length !== itemsB.length) result = itemsA.length > itemsB.length ? 1 : -1
  if (result !== 0) return result
  for (let i = 0; i < itemsA.length; i++) {
    const element = cmpJsonbValue(itemsA[i], itemsB[i])
    if (element !== 0) return element
  }
  return 0
}

function jsonType(binary: boolean): TypeDef {
  return {
    regtype: binary ? 'jsonb' : 'json',
    kind: binary ? 'jsonb' : 'json',
    input: parseJson,
    // `#>> '{}'` unwraps a JSON string, which must then parse as JSON again (it rarely does).
    fromJson: (value) => (typeof value === 'string' ? parseJson(value) : value),
    compare: cmpJsonb,
    hasEquality: binary,
    hasOrdering: binary,
    likeable: false,
    regexable: false,
  }
}

// --- arrays ----------------------------------------------------------------------------------------------------

interface ArrayValue {
  /** Elements in storage order, all dimensions flattened (null = SQL NULL). */
  readonly values: unknown[]
  /** Length of the first dimension: what `jsonb_array_length(to_jsonb(array))` counts. */
  readonly top: number
}

/** PostgreSQL 17 `array_in`: structure checks interleaved with element input, with its error details. */
function parseArrayLiteral(text: string, elementInput: (element: string) => unknown): ArrayValue {
  const malformed = (detail: string): PgError => new PgError('22P02', `malformed array literal: "${text}"`, detail)
  let p = 0
  const skipSpace = (): void => {
    while (p < text.length && isCSpace(text.charAt(p))) p++
  }
  skipSpace()
  const specified: number[] = []
  while (text.charAt(p) === '[') {
    p++
    const lower = /^[+-]?\d+/.exec(text.slice(p))
    if (!lower) throw malformed('"[" must introduce explicitly-specified array dimensions.')
    p += lower[0].length
    let lo = 1
    let hi = Number(lower[0])
    if (text.charAt(p) === ':') {
      p++
      const upper = /^[+-]?\d+/.exec(text.slice(p))
      if (!upper) throw malformed('Missing array dimension value.')
      p += upper[0].length
      lo = Number(lower[0])
      hi = Number(upper[0])
    }
    if (text.charAt(p) !== ']') throw malformed('Missing "]" after array dimensions.')
    p++
    if (hi < lo) throw new PgError('2202E', 'upper bound cannot be less than lower bound')
    specified.push(hi - lo + 1)
  }
  if (specified.length > 0) {
    skipSpace()
    if (text.charAt(p) !== '=') throw malformed('Missing "=" after array dimensions.')
    p++
    skipSpace()
    if (text.charAt(p) !== '{') throw malformed('Array contents must start with "{".')
  } else if (text.charAt(p) !== '{') {
    throw malformed('Array value must start with "{" or dimension information.')
  }

  const values: unknown[] = []
  const dims: number[] = specified.slice()
  const counts: number[] = []
  let ndim = specified.length
  let frozen = ndim > 0
  let level = 0
  let expectDelim = false
  const dimensionError = (): PgError =>
    malformed(specified.length > 0 ? 'Specified array dimensions do not match array contents.' : 'Multidimensional arrays must have sub-arrays with matching dimensions.')

  do {
    // ReadArrayToken
    while (p < text.length && isCSpace(text.charAt(p))) p++
    if (p >= text.length) throw malformed('Unexpected end of input.')
    const ch = text.charAt(p)
    if (ch === '{') {
      p++
      if (expectDelim) throw malformed('Unexpected "{" character.')
      if (level >= 6) throw new PgError('54000', 'number of array dimensions exceeds the maximum allowed (6)')
      counts[level] = 0
      level++
      if (level > ndim) {
        if (frozen) throw dimensionError()
        ndim = level
      }
      continue
    }
    if (ch === '}') {
      p++
      if ((counts[level - 1] ?? 0) > 0 && !expectDelim) throw malformed('Unexpected "}" character.')
      level--
      if (level > 0) counts[level - 1] = (counts[level - 1] ?? 0) + 1
      const dim = dims[level]
      if (dim === undefined) dims[level] = counts[level] ?? 0
      else if ((counts[level] ?? 0) !== dim) throw dimensionError()
      expectDelim = true
      continue
    }
    if (ch === ',') {
      p++
      if (!expectDelim) throw malformed('Unexpected "," character.')
      expectDelim = false
      continue
    }
    let element = ''
    let isNull = false
    if (ch === '"') {
      p++
      for (;;) {
        if (p >= text.length) throw malformed('Unexpected end of input.')
        const c = text.charAt(p)
        if (c === '\\') {
          p++
          if (p >= text.length) throw malformed('Unexpected end of input.')
          element += text.charAt(p++)
        } else if (c === '"') {
          p++
          while (p < text.length && !',{}'.includes(text.charAt(p))) {
            if (!isCSpace(text.charAt(p))) throw malformed('Incorrectly quoted array element.')
            p++
          }
          if (p >= text.length) throw malformed('Unexpected end of input.')
          break
        } else {
          element += c
          p++
        }
      }
    } else {
      let kept = 0
      let escaped = false
      for (;;) {
        if (p >= text.length) throw malformed('Unexpected end of input.')
        const c = text.charAt(p)
        if (c === '{') throw malformed('Unexpected "{" character.')
        if (c === '"') throw malformed('Incorrectly quoted array element.')
        if (c === '\\') {
          p++
          if (p >= text.length) throw malformed('Unexpected end of input.')
          element += text.charAt(p++)
          kept = element.length
          escaped = true
          continue
        }
        if (c === ',' || c === '}') break
        element += c
        if (!isCSpace(c)) kept = element.length
        p++
      }
      element = element.slice(0, kept)
      isNull = !escaped && element.toUpperCase() === 'NULL'
    }
    if (expectDelim) throw malformed('Unexpected array element.')
    values.push(isNull ? null : elementInput(element))
    frozen = true
    if (level !== ndim) throw dimensionError()
    counts[level - 1] = (counts[level - 1] ?? 0) + 1
    expectDelim = true
  } while (level > 0)

  while (p < text.length) {
    if (!isCSpace(text.charAt(p++))) throw malformed('Junk after closing right brace.')
  }
  if (specified.length > 0 && values.length === 0 && specified.some((dim) => dim > 0)) throw dimensionError()
  return { values, top: dims[0] ?? 0 }
}

interface ArrayTypeDef extends TypeDef {
  readonly element: TypeDef
}

function arrayType(element: TypeDef): ArrayTypeDef {
  const input = (text: string): ArrayValue => parseArrayLiteral(text, (item) => element.input(item))
  return {
    regtype: `${element.regtype}[]`,
    kind: 'array',
    element,
    input,
    // to_jsonb renders arrays as JSON arrays; `#>> '{}'` prints `[1, 2]`, which array_in rejects.
    fromJson: (value) => input(jsonbText(value)),
    compare: () => 0,
    hasEquality: element.hasEquality,
    hasOrdering: element.hasOrdering,
    likeable: false,
    regexable: false,
  }
}

// --- type registry ---------------------------------------------------------------------------------------------

const builtinTypes = new Map<string, TypeDef>()

function builtin(typname: string): TypeDef | undefined {
  const cached = builtinTypes.get(typname)
  if (cached) return cached
  let type: TypeDef | undefined
  switch (typname) {
    case 'int2':
      type = intType('smallint', 16, 'smallint')
      break
    case 'int4':
      type = intType('integer', 32, 'integer')
      break
    case 'int8':
      type = intType('bigint', 64, 'bigint')
      break
    case 'float4':
      type = floatType('real', true)
      break
    case 'float8':
      type = floatType('double precision', false)
      break
    case 'numeric':
      type = numericType
      break
    case 'bool':
      type = boolType
      break
    case 'text':
      type = textType('text', 'text', (text) => text)
      break
    case 'varchar':
      // No `~~`/`~` operator has varchar as its declared left type (they are text's), so the trigger refuses them.
      type = textType('character varying', 'text', (text) => text, { likeable: false, regexable: false })
      break
    case 'bpchar':
      // `~~` exists for bpchar, but `~` is declared (bpchar, text), which the trigger's (type, type) lookup misses.
      type = textType('character', 'bpchar', bpchar1, { regexable: false, compare: cmpBpchar })
      break
    case 'name':
      type = textType('name', 'name', truncateName, { regexable: false })
      break
    case 'citext':
      type = textType('citext', 'citext', (text) => text, {
        compare: (a, b) => cmpText((a as string).toLowerCase(), (b as string).toLowerCase()),
        caseInsensitive: true,
      })
      break
    case 'uuid':
      type = uuidType
      break
    case 'bytea':
      type = byteaType
      break
    case 'json':
      type = jsonType(false)
      break
    case 'jsonb':
      type = jsonType(true)
      break
    case 'date':
      type = dateTimeType('date', 'date')
      break
    case 'timestamp':
      type = dateTimeType('timestamp', 'timestamp without time zone')
      break
    case 'timestamptz':
      type = dateTimeType('timestamptz', 'timestamp with time zone')
      break
    case 'time':
      type = dateTimeType('time', 'time without time zone')
      break
    case 'timetz':
      type = dateTimeType('timetz', 'time with time zone')
      break
    case 'interval':
      type = intervalType
      break
    default:
      return undefined
  }
  builtinTypes.set(typname, type)
  return type
}

/** SQL spellings accepted as well as typnames, for callers that only have `format_type` output. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  smallint: 'int2', integer: 'int4', int: 'int4', bigint: 'int8', real: 'float4', 'double precision': 'float8',
  decimal: 'numeric', boolean: 'bool', 'character varying': 'varchar', character: 'bpchar', char: 'bpchar',
  'timestamp with time zone': 'timestamptz', 'timestamp without time zone': 'timestamp',
  'time with time zone': 'timetz', 'time without time zone': 'time',
}

/** Display names of built-ins this module treats as opaque, so `got …` messages read as the server's. */
const OPAQUE_REGTYPES: Readonly<Record<string, string>> = {
  varbit: 'bit varying', bit: 'bit', inet: 'inet', cidr: 'cidr', macaddr: 'macaddr', money: 'money', xml: 'xml',
  oid: 'oid', tsvector: 'tsvector', tsquery: 'tsquery', point: 'point', int4range: 'int4range',
  int8range: 'int8range', numrange: 'numrange', tsrange: 'tsrange', tstzrange: 'tstzrange', daterange: 'daterange',
}

function typeFor(column: FilterColumn): TypeDef {
  let typname = column.type.trim()
  typname = TYPE_ALIASES[typname] ?? typname
  if (typname.endsWith('[]')) typname = `_${TYPE_ALIASES[typname.slice(0, -2)] ?? typname.slice(0, -2)}`
  if (typname.startsWith('_') && typname.length > 1) {
    const element = typeFor({ name: column.name, type: typname.slice(1), enumLabels: column.enumLabels })
    const array = arrayType(element)
    return column.regtype === undefined ? array : { ...array, regtype: column.regtype }
  }
  if (column.enumLabels) return enumType(column.regtype ?? typname, column.enumLabels)
  const known = builtin(typname)
  if (known) return column.regtype === undefined ? known : { ...known, regtype: column.regtype }
  return opaqueType(column.regtype ?? OPAQUE_REGTYPES[typname] ?? typname)
}

// ---------------------------------------------------------------------------------------------------------------
// LIKE and POSIX regular expressions
// ---------------------------------------------------------------------------------------------------------------

/** A literal code point in JS regex syntax (valid with and without the `u` flag below U+10000). */
function jsLiteral(cp: number, inClass: boolean): string {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return `\\x${cp.toString(16).padStart(2, '0')}`
  if (cp > 0xffff || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0x2028 || cp === 0x2029) return `\\u{${cp.toString(16)}}`
  const ch = String.fromCharCode(cp)
  const special = inClass ? '\\]^-[' : '\\^$.*+?()[]{}|/'
  return special.includes(ch) ? `\\${ch}` : ch
}

const LIKE_TRUE = 1
const LIKE_FALSE = 0
const LIKE_ABORT = -1
const likeEscapeError = (): PgError => new PgError('22025', 'LIKE pattern must not end with escape character')

/** Length of the character starting at `i` (a surrogate pair is one character). */
function charLength(text: string, i: number): number {
  const code = text.charCodeAt(i)
  return code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1
}

/**
 * PostgreSQL's LIKE matcher (`\` escapes, `%`, `_`), kept as its algorithm rather than a regex because a
 * pattern ending in the escape raises only when matching reaches that point (`'xbc' LIKE 'a\'` is false).
 * Literal characters compare by UTF-16 unit, which agrees with comparing UTF-8 bytes.
 */
function likeMatch(text: string, ti: number, pattern: string, pi: number): number {
  while (ti < text.length && pi < pattern.length) {
    const pc = pattern.charAt(pi)
    if (pc === '\\') {
      pi++
      if (pi >= pattern.length) throw likeEscapeError()
      if (pattern.charCodeAt(pi) !== text.charCodeAt(ti)) return LIKE_FALSE
    } else if (pc === '%') {
      pi++
      for (;;) {
        if (pi >= pattern.length) break
        const next = pattern.charAt(pi)
        if (next === '%') pi++
        else if (next === '_') {
          if (ti >= text.length) return LIKE_ABORT
          ti += charLength(text, ti)
          pi++
        } else break
      }
      if (pi >= pattern.length) return LIKE_TRUE
      let first: number
      if (pattern.charAt(pi) === '\\') {
        if (pi + 1 >= pattern.length) throw likeEscapeError()
        first = pattern.charCodeAt(pi + 1)
      } else {
        first = pattern.charCodeAt(pi)
      }
      while (ti < text.length) {
        if (text.charCodeAt(ti) === first) {
          const matched = likeMatch(text, ti, pattern, pi)
          if (matched !== LIKE_FALSE) return matched
        }
        ti += charLength(text, ti)
      }
      return LIKE_ABORT
    } else if (pc === '_') {
      ti += charLength(text, ti)
      pi++
      continue
    } else if (pattern.charCodeAt(pi) !== text.charCodeAt(ti)) {
      return LIKE_FALSE
    }
    ti++
    pi++
  }
  if (ti < text.length) return LIKE_FALSE
  while (pi < pattern.length && pattern.charAt(pi) === '%') pi++
  return pi >= pattern.length ? LIKE_TRUE : LIKE_ABORT
}

/** A PostgreSQL regex compile error; `message` is regerror's text (`parentheses () not balanced`…). */
class RegexSyntaxError extends Error {}

const RE_EPAREN = 'parentheses () not balanced'
const RE_EBRACK = 'brackets [] not balanced'
const RE_EBRACE = 'braces {} not balanced'
const RE_BADRPT = 'quantifier operand invalid'
const RE_EESCAPE = 'invalid escape \\ sequence'
const RE_ERANGE = 'invalid character range'
const RE_ECTYPE = 'invalid character class'
const RE_ECOLLATE = 'invalid collating element'
const RE_BADBR = 'invalid repetition count(s)'
const RE_ESUBREG = 'invalid backreference number'
const RE_BADOPT = 'invalid embedded option'

const WORD_CLASS = '\\p{L}\\p{Nd}_'
const CLASS_NAMES: Readonly<Record<string, string>> = {
  alnum: '\\p{L}\\p{Nd}',
  alpha: '\\p{L}',
  blank: ' \\t',
  cntrl: '\\p{Cc}',
  digit: '0-9',
  graph: '\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}',
  lower: '\\p{Ll}',
  print: '\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Zs}',
  punct: '\\p{P}\\p{S}',
  space: '\\s',
  upper: '\\p{Lu}',
  xdigit: '0-9A-Fa-f',
  word: WORD_CLASS,
}
const SHORTHANDS: Readonly<Record<string, string>> = { d: '0-9', s: '\\s', w: WORD_CLASS }
const COLLATING_NAMES: Readonly<Record<string, string>> = {
  hyphen: '-', 'hyphen-minus': '-', space: ' ', period: '.', 'full-stop': '.', comma: ',', slash: '/',
  solidus: '/', backslash: '\\', 'reverse-solidus': '\\', underscore: '_', 'low-line': '_', tab: '\t',
  newline: '\n', 'left-square-bracket': '[', 'right-square-bracket': ']', circumflex: '^', 'circumflex-accent': '^',
}

/**
 * Translates a PostgreSQL ARE (`~` / `~*`) into a JS RegExp, raising PostgreSQL's compile errors. Covers
 * `***=`/`***:` directors, leading `(?bceimnpqstwx)` options, brackets with `[:class:]`/`[.x.]`/`[=x=]`, bounds
 * up to 255, non-greedy quantifiers, lookaround, backreferences, `\m \M \y \Y \A \Z`, and ARE escapes (`\b` is
 * backspace). Returns null when the JS engine cannot run a pattern that PostgreSQL accepts.
 */
function compileRegex(source: string, caseInsensitive: boolean): RegExp | null {
  let pattern = source
  let literal = false
  let icase = caseInsensitive
  let newlineSensitive = false
  let partialNewline = false
  let inverseNewline = false
  let expanded = false
  if (pattern.startsWith('***=')) {
    literal = true
    pattern = pattern.slice(4)
  } else {
    if (pattern.startsWith('***:')) pattern = pattern.slice(4)
    const options = /^\(\?([a-zA-Z]*)\)/.exec(pattern)
    if (options) {
      for (const option of options[1] ?? '') {
        switch (option) {
          case 'b': case 'e': case 's': case 't':
            if (option === 's') newlineSensitive = partialNewline = inverseNewline = false
            if (option === 't') expanded = false
            break
          case 'c': icase = false; break
          case 'i': icase = true; break
          case 'm': case 'n': newlineSensitive = true; break
          case 'p': partialNewline = true; break
          case 'w': inverseNewline = true; break
          case 'q': literal = true; break
          case 'x': expanded = true; break
          default: throw new RegexSyntaxError(RE_BADOPT)
        }
      }
      pattern = pattern.slice(options[0].length)
    } else if (/^\(\?[a-zA-Z]/.test(pattern)) {
      throw new RegexSyntaxError(RE_BADOPT)
    }
  }
  const dotExcludesNewline = newlineSensitive || partialNewline
  const anchorsAtLines = newlineSensitive || inverseNewline
  const chars = Array.from(pattern).map((ch) => ch.codePointAt(0) ?? 0)
  let js: string
  if (literal) {
    js = chars.map((cp) => jsLiteral(cp, false)).join('')
  } else {
    js = new AreTranslator(chars, expanded, dotExcludesNewline).translate()
  }
  try {
    return new RegExp(js, `u${icase ? 'i' : ''}${anchorsAtLines ? 'm' : ''}`)
  } catch {
    return null
  }
}

/** Bracket contents: fragments usable inside a JS class, plus negated shorthands (`\D`…) that are not. */
interface BracketSet {
  positive: string[]
  negated: string[]
}

class AreTranslator {
  private i = 0
  private groups = 0
  private readonly closedGroups = new Set<number>()

  constructor(
    private readonly cps: readonly number[],
    private readonly expanded: boolean,
    private readonly dotExcludesNewline: boolean,
  ) {}

  translate(): string {
    const out = this.alternation(0)
    if (this.i < this.cps.length) throw new RegexSyntaxError(RE_EPAREN)
    return out
  }

  private peek(offset = 0): string {
    const cp = this.cps[this.i + offset]
    return cp === undefined ? '' : String.fromCodePoint(cp)
  }

  private skipExpanded(): void {
    if (!this.expanded) return
    for (;;) {
      const ch = this.peek()
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') this.i++
      else if (ch === '#') {
        while (this.i < this.cps.length && this.peek() !== '\n') this.i++
      } else return
    }
  }

  private alternation(depth: number): string {
    const branches = [this.branch(depth)]
    while (this.peek() === '|') {
      this.i++
      branches.push(this.branch(depth))
    }
    return branches.join('|')
  }

  private branch(depth: number): string {
    let out = ''
    let atom: string | null = null
    let quantified = false
    const flush = (): void => {
      if (atom !== null) out += atom
      atom = null
      quantified = false
    }
    for (;;) {
      this.skipExpanded()
      const ch = this.peek()
      if (ch === '' || ch === '|') break
      if (ch === ')') {
        if (depth === 0) throw new RegexSyntaxError(RE_EPAREN)
        break
      }
      let quantifier: string | null = null
      if (ch === '*' || ch === '+' || ch === '?') {
        this.i++
        quantifier = ch
      } else if (ch === '{' && /[0-9]/.test(this.peek(1))) {
        quantifier = this.bound()
      }
      if (quantifier !== null) {
        if (atom === null || quantified) throw new RegexSyntaxError(RE_BADRPT)
        if (this.peek() === '?') {
          this.i++
          quantifier += '?'
        }
        atom = `(?:${atom})${quantifier}`
        quantified = true
        continue
      }
      flush()
      const next = this.atom(depth)
      if (next.quantifiable) atom = next.source
      else out += next.source
    }
    flush()
    return out
  }

  private bound(): string {
    this.i++ // {
    const readNumber = (): number | undefined => {
      let digits = ''
      while (/[0-9]/.test(this.peek())) {
        digits += this.peek()
        this.i++
      }
      return digits === '' ? undefined : Number(digits)
    }
    const min = readNumber() ?? 0
    let max: number | undefined = min
    let text = `{${min}`
    if (this.peek() === ',') {
      this.i++
      max = readNumber()
      text += `,${max ?? ''}`
    }
    if (this.peek() !== '}') throw new RegexSyntaxError(RE_EBRACE)
    this.i++
    if (min > 255 || (max !== undefined && (max > 255 || max < min))) throw new RegexSyntaxError(RE_BADBR)
    return `${text}}`
  }

  private atom(depth: number): { source: string; quantifiable: boolean } {
    const ch = this.peek()
    this.i++
    switch (ch) {
      case '(': {
        let open = '('
        let quantifiable = true
        let capture = false
        if (this.peek() === '?') {
          const kind = this.peek(1)
          const kind2 = this.peek(2)
          if (kind === ':') {
            open = '(?:'
            this.i += 2
          } else if (kind === '=' || kind === '!') {
            open = `(?${kind}`
            quantifiable = false
            this.i += 2
          } else if (kind === '<' && (kind2 === '=' || kind2 === '!')) {
            open = `(?<${kind2}`
            quantifiable = false
            this.i += 3
          } else {
            throw new RegexSyntaxError(RE_BADRPT)
          }
        } else {
          capture = true
        }
        const number = capture ? ++this.groups : 0
        const inner = this.alternation(depth + 1)
        if (this.peek() !== ')') throw new RegexSyntaxError(RE_EPAREN)
        this.i++
        if (capture) this.closedGroups.add(number)
        return { source: `${open}${inner})`, quantifiable }
      }
      case '[':
        return { source: this.bracket(), quantifiable: true }
      case '.':
        return { source: this.dotExcludesNewline ? '[^\\n]' : '[\\s\\S]', quantifiable: true }
      case '^':
        return { source: '^', quantifiable: false }
      case '$':
        return { source: '$', quantifiable: false }
      case '\\':
        return this.escape()
      default:
        return { source: jsLiteral(this.cps[this.i - 1] ?? 0, false), quantifiable: true }
    }
  }

  private escape(): { source: string; quantifiable: boolean } {
    const ch = this.peek()
    if (ch === '') throw new RegexSyntaxError(RE_EESCAPE)
    this.i++
    const word = `[${WORD_CLASS}]`
    switch (ch) {
      case 'A':
        return { source: '(?<![\\s\\S])', quantifiable: false }
      case 'Z':
        return { source: '(?![\\s\\S])', quantifiable: false }
      case 'm':
        return { source: `(?<!${word})(?=${word})`, quantifiable: false }
      case 'M':
        return { source: `(?<=${word})(?!${word})`, quantifiable: false }
      case 'y':
        return { source: `(?:(?<!${word})(?=${word})|(?<=${word})(?!${word}))`, quantifiable: false }
      case 'Y':
        return { source: `(?:(?<=${word})(?=${word})|(?<!${word})(?!${word}))`, quantifiable: false }
      case 'd':
      case 's':
      case 'w':
        return { source: `[${SHORTHANDS[ch]}]`, quantifiable: true }
      case 'D':
      case 'S':
      case 'W':
        return { source: `[^${SHORTHANDS[ch.toLowerCase()]}]`, quantifiable: true }
    }
    if (/[1-9]/.test(ch)) {
      const start = this.i - 1
      let digits = ch
      while (/[0-9]/.test(this.peek())) digits += String.fromCodePoint(this.cps[this.i++] ?? 0)
      const number = Number(digits)
      if (digits.length === 1 || (number > 0 && number <= this.groups)) {
        if (!this.closedGroups.has(number)) throw new RegexSyntaxError(RE_ESUBREG)
        return { source: `(?:\\${number})`, quantifiable: true }
      }
      // Not a backreference after all: reread the digits as an octal escape.
      this.i = start + 1
    }
    return { source: jsLiteral(this.characterEscape(), false), quantifiable: true }
  }

  /** Escapes that stand for one character (after the backslash was consumed; `i` points past it). */
  private characterEscape(): number {
    const ch = String.fromCodePoint(this.cps[this.i - 1] ?? 0)
    const hexDigits = (count: number, exact: boolean): number => {
      let digits = ''
      while (digits.length < count && /[0-9a-fA-F]/.test(this.peek())) digits += String.fromCodePoint(this.cps[this.i++] ?? 0)
      if (digits === '' || (exact && digits.length !== count)) throw new RegexSyntaxError(RE_EESCAPE)
      const value = parseInt(digits, 16)
      if (value > 0x10ffff) throw new RegexSyntaxError(RE_ERANGE)
      return value
    }
    switch (ch) {
      case 'a': return 0x07
      case 'b': return 0x08
      case 'B': return 0x5c
      case 'e': return 0x1b
      case 'f': return 0x0c
      case 'n': return 0x0a
      case 'r': return 0x0d
      case 't': return 0x09
      case 'v': return 0x0b
      case 'c': {
        const next = this.cps[this.i]
        if (next === undefined) throw new RegexSyntaxError(RE_EESCAPE)
        this.i++
        return next & 0x1f
      }
      case 'u': return hexDigits(4, true)
      case 'U': return hexDigits(8, true)
      case 'x': return hexDigits(8, false)
    }
    if (/[0-9]/.test(ch)) {
      this.i--
      let digits = ''
      while (digits.length < 3 && /[0-7]/.test(this.peek())) digits += String.fromCodePoint(this.cps[this.i++] ?? 0)
      if (digits === '') throw new RegexSyntaxError(RE_EESCAPE)
      let value = parseInt(digits, 8)
      if (value > 0xff) {
        this.i--
        value >>= 3
      }
      return value
    }
    if (/[A-Za-z0-9]/.test(ch)) throw new RegexSyntaxError(RE_EESCAPE)
    return this.cps[this.i - 1] ?? 0
  }

  private bracket(): string {
    const set: BracketSet = { positive: [], negated: [] }
    let negate = false
    if (this.peek() === '^') {
      negate = true
      this.i++
    }
    let first = true
    for (;;) {
      const ch = this.peek()
      if (ch === '') throw new RegexSyntaxError(RE_EBRACK)
      if (ch === ']' && !first) {
        this.i++
        break
      }
      first = false
      const start = this.bracketElement(set)
      if (start === null) {
        // A class cannot start a range: `[[:alpha:]-z]` is an invalid range, not a literal hyphen.
        if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') throw new RegexSyntaxError(RE_ERANGE)
        continue
      }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        this.i++
        const end = this.bracketElement(set, true)
        if (end === null || end < start) throw new RegexSyntaxError(RE_ERANGE)
        set.positive.push(`${jsLiteral(start, true)}-${jsLiteral(end, true)}`)
      } else {
        set.positive.push(jsLiteral(start, true))
      }
    }
    const positiveClass = `[${set.positive.join('')}]`
    if (set.negated.length === 0) {
      if (!negate) return set.positive.length === 0 ? '[]' : positiveClass
      return `[^${set.positive.join('')}${this.dotExcludesNewline ? '\\n' : ''}]`
    }
    const alternatives = [...(set.positive.length > 0 ? [positiveClass] : []), ...set.negated.map((fragment) => `[^${fragment}]`)].join('|')
    if (!negate) return `(?:${alternatives})`
    return `(?:(?!${alternatives}${this.dotExcludesNewline ? '|\\n' : ''})[\\s\\S])`
  }

  /** One bracket item: a code point, or null after adding a class to `set` (which cannot start a range). */
  private bracketElement(set: BracketSet, rangeEnd = false): number | null {
    const ch = this.peek()
    if (ch === '[' && (this.peek(1) === ':' || this.peek(1) === '.' || this.peek(1) === '=')) {
      const kind = this.peek(1)
      this.i += 2
      let name = ''
      while (!(this.peek() === kind && this.peek(1) === ']')) {
        if (this.peek() === '') throw new RegexSyntaxError(RE_EBRACK)
        name += String.fromCodePoint(this.cps[this.i++] ?? 0)
      }
      this.i += 2
      if (kind === ':') {
        const fragment = CLASS_NAMES[name]
        if (fragment === undefined) throw new RegexSyntaxError(RE_ECTYPE)
        if (rangeEnd) throw new RegexSyntaxError(RE_ERANGE)
        set.positive.push(fragment)
        return null
      }
      const chars = Array.from(name)
      if (chars.length === 1) return chars[0]?.codePointAt(0) ?? 0
      const named = kind === '.' ? COLLATING_NAMES[name] : undefined
      if (named === undefined) throw new RegexSyntaxError(RE_ECOLLATE)
      return named.codePointAt(0) ?? 0
    }
    this.i++
    if (ch !== '\\') return this.cps[this.i - 1] ?? 0
    const escaped = this.peek()
    if (escaped === '') throw new RegexSyntaxError(RE_EESCAPE)
    const shorthand = SHORTHANDS[escaped.toLowerCase()]
    if (shorthand !== undefined) {
      this.i++
      if (rangeEnd) throw new RegexSyntaxError(RE_ERANGE)
      if (escaped === escaped.toLowerCase()) set.positive.push(shorthand)
      else set.negated.push(shorthand)
      return null
    }
    this.i++
    return this.characterEscape()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Compilation: the trigger's checks at subscribe time, check_equality_op at evaluation time
// ---------------------------------------------------------------------------------------------------------------

/** One clause's test: true, false (including SQL NULL), or the error the server would raise. */
type ClauseTest = (raw: unknown) => boolean | PgError

interface CompiledClause {
  readonly column: string
  readonly test: ClauseTest
}

const OPERATOR_SYMBOLS: Readonly<Record<FilterOp, string>> = {
  eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=', in: '=', like: '~~', ilike: '~~*', is: 'IS',
  match: '~', imatch: '~*', isdistinct: '=',
}

/** Kinds whose values are primitives equal exactly when the type's `=` says so (an `in` list can be a Set). */
const SET_KINDS: ReadonlySet<string> = new Set(['int', 'float', 'text', 'bpchar', 'name', 'uuid', 'bool', 'enum', 'date', 'timestamp', 'timestamptz', 'time', 'opaque', 'bytea'])

function compileClauses(clauses: readonly FilterClause[], columns: readonly FilterColumn[]): CompiledClause[] {
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

  switch (op) {
    case 'in': {
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
    case 'is': {
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
    case 'like':
    case 'ilike': {
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
    case 'match':
    case 'imatch': {
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
    case 'isdistinct': {
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
    default: {
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
  }
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
