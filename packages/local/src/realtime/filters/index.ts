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

export { compileFilter, matchesFilter, validateFilter } from './compileFilter.js'
export { FilterParseError, FilterValidationError, PgError } from './errors.js'
export { parseFilter } from './parseFilter.js'
export {
  describeSubscriptionParams,
  subscriptionInsertFailedMessage,
  subscriptionNotPublishedMessage,
  type SubscriptionLogParams,
} from './subscriptionMessages.js'
export {
  FILTER_OPS,
  type CompiledFilter,
  type FilterClause,
  type FilterColumn,
  type FilterEvaluation,
  type FilterOp,
} from './types.js'
