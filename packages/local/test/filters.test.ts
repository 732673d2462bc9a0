import { describe, expect, it } from 'vitest'
import {
  compileFilter,
  describeSubscriptionParams,
  FILTER_OPS,
  FilterParseError,
  FilterValidationError,
  matchesFilter,
  parseFilter,
  PgError,
  subscriptionInsertFailedMessage,
  subscriptionNotPublishedMessage,
  validateFilter,
  type FilterClause,
  type FilterColumn,
} from '../src/realtime/filters/index.js'

// Expected texts below were taken from supabase/realtime's own tests where they exist, and otherwise from a
// PostgreSQL 17 running the server's `subscription_check_filters` / `check_equality_op` SQL.

const COLUMNS: FilterColumn[] = [
  { name: 'id', type: 'int8' },
  { name: 'i4', type: 'int4' },
  { name: 'i2', type: 'int2' },
  { name: 'f8', type: 'float8' },
  { name: 'num', type: 'numeric' },
  { name: 'txt', type: 'text' },
  { name: 'vc', type: 'varchar' },
  { name: 'bp', type: 'bpchar' },
  { name: 'u', type: 'uuid' },
  { name: 'b', type: 'bool' },
  { name: 'j', type: 'json' },
  { name: 'jb', type: 'jsonb' },
  { name: 'tstz', type: 'timestamptz' },
  { name: 'ts', type: 'timestamp' },
  { name: 'd', type: 'date' },
  { name: 'tm', type: 'time' },
  { name: 'iv', type: 'interval' },
  { name: 'ai', type: '_int4' },
  { name: 'mood', type: 'mood', enumLabels: ['sad', 'ok', 'happy'] },
  { name: 'Weird Col', type: 'text' },
]

/** Parses and validates, returning the error message (or 'OK'). */
function validationMessage(filter: string, columns: FilterColumn[] = COLUMNS): string {
  try {
    validateFilter(parseFilter(filter), columns)
    return 'OK'
  } catch (error) {
    if (error instanceof FilterValidationError) return error.message
    throw error
  }
}

function parseMessage(filter: string): string {
  try {
    parseFilter(filter)
  } catch (error) {
    if (error instanceof FilterParseError) return error.message
    throw error
  }
  throw new Error(`expected ${JSON.stringify(filter)} to be rejected`)
}

/** Evaluates a filter on one row. */
function matches(filter: string, row: Record<string, unknown>): boolean {
  return compileFilter(parseFilter(filter), COLUMNS)(row)
}

describe('parseFilter', () => {
  it('treats undefined, empty and whitespace-only filters as no filter', () => {
    expect(parseFilter(undefined)).toEqual([])
    expect(parseFilter('')).toEqual([])
    expect(parseFilter('  \t\n ')).toEqual([])
    // Elixir trims Unicode White_Space (NEL, NBSP, ideographic space) but not the BOM.
    expect(parseFilter('\u0085\u00a0\u3000')).toEqual([])
    expect(parseMessage('\ufeff')).toBe('Error parsing `filter` params: ["\\uFEFF"]')
  })

  it('parses every operator, with and without not.', () => {
    for (const op of FILTER_OPS) {
      const value = op === 'in' ? '(1,2)' : '1'
      expect(parseFilter(`col=${op}.${value}`)).toEqual([
        { column: 'col', op, negate: false, value: op === 'in' ? ['1', '2'] : '1', serverValue: op === 'in' ? '{1,2}' : '1' },
      ])
      expect(parseFilter(`col=not.${op}.${value}`)[0]?.negate).toBe(true)
    }
  })

  it('splits on top-level commas into AND-ed clauses and keeps the dot-rest as the value', () => {
    expect(parseFilter('a=gt.1,b=not.is.null,c=eq.x.y')).toEqual([
      { column: 'a', op: 'gt', negate: false, value: '1', serverValue: '1' },
      { column: 'b', op: 'is', negate: true, value: 'null', serverValue: 'null' },
      { column: 'c', op: 'eq', negate: false, value: 'x.y', serverValue: 'x.y' },
    ])
    // Segments are trimmed, the column is what precedes the first '='.
    expect(parseFilter(' a=eq.1 ,\tb=eq.b=c ')).toEqual([
      { column: 'a', op: 'eq', negate: false, value: '1', serverValue: '1' },
      { column: 'b', op: 'eq', negate: false, value: 'b=c', serverValue: 'b=c' },
    ])
  })

  it('keeps commas and parentheses inside double quotes and parentheses', () => {
    expect(parseFilter('name=eq."a,b",id=gt.0').map((c) => c.value)).toEqual(['a,b', '0'])
    expect(parseFilter('name=eq."a.b:c(d)"')[0]?.value).toBe('a.b:c(d)')
    expect(parseFilter('a=eq.(1,2),b=eq.3').map((c) => c.value)).toEqual(['(1,2)', '3'])
    // An unbalanced ')' does not go below depth 0.
    expect(parseFilter('a=eq.x),b=eq.y),c=eq.z').map((c) => c.value)).toEqual(['x)', 'y)', 'z'])
  })

  it('unquotes PostgREST-style only when the quote closes at the very end', () => {
    expect(parseFilter('n=eq."she said \\"hi\\""')[0]?.value).toBe('she said "hi"')
    expect(parseFilter('p=eq."C:\\\\tmp"')[0]?.value).toBe('C:\\tmp')
    expect(parseFilter('p=eq."C:\\new"')[0]?.value).toBe('C:new')
    expect(parseFilter('n=eq.""')[0]?.value).toBe('')
    expect(parseFilter('n=eq." a "')[0]?.value).toBe(' a ')
    expect(parseFilter('n=eq."unterminated')[0]?.value).toBe('"unterminated')
    expect(parseFilter('n=eq."ab"cd')[0]?.value).toBe('"ab"cd')
    expect(parseFilter("name=eq.O'Brien \"x\"")[0]?.value).toBe("O'Brien \"x\"")
    // A quote opens only after '.', '(' or ',' — here it protects nothing and the comma splits.
    expect(parseFilter('desc=eq.5" tall,id=gt.0').map((c) => c.value)).toEqual(['5" tall', '0'])
  })

  it('stores `in` lists as array literals and exposes their elements', () => {
    const [clause] = parseFilter('status=in.(open,"in progress","a,b",NULL,"NULL")')
    expect(clause?.serverValue).toBe('{open,"in progress","a,b",NULL,"NULL"}')
    expect(clause?.value).toEqual(['open', 'in progress', 'a,b', null, 'NULL'])
    expect(parseFilter('x=in.()')[0]).toMatchObject({ value: [], serverValue: '{}' })
    // Malformed lists parse; the server only rejects them when it casts them (see validateFilter).
    expect(parseFilter('x=in.(a"b)')[0]).toMatchObject({ value: [], serverValue: '{a"b}' })
  })

  it('reports the server texts for malformed filters', () => {
    expect(parseMessage('undefined')).toBe('Error parsing `filter` params: ["undefined"]')
    expect(parseMessage('subject=foo.hey')).toBe('Error parsing `filter` params: ["foo", "hey"]')
    expect(parseMessage('id=gt.0,id=foo.100')).toBe('Error parsing `filter` params: ["foo", "100"]')
    expect(parseMessage('a=EQ.1')).toBe('Error parsing `filter` params: ["EQ", "1"]')
    expect(parseMessage('id=eq5')).toBe('Error parsing `filter` params: ["eq5"]')
    expect(parseMessage('id=not.5')).toBe('Error parsing `filter` params: ["5"]')
    expect(parseMessage('id=in.1,2')).toBe('Error parsing `filter` params: `in` filter value must be wrapped by parentheses')
    expect(parseMessage('id=in.(')).toBe('Error parsing `filter` params: `in` filter value must be wrapped by parentheses')
    for (const filter of ['id=gt.0,', ',id=gt.0', 'a=eq.1,,b=eq.2', 'a=eq.1, ,b=eq.2']) {
      expect(parseMessage(filter)).toBe('Error parsing `filter` params: filter must not contain empty segments (check for extra commas)')
    }
  })

  it('renders the failing piece with Elixir inspect escaping', () => {
    expect(parseMessage('x=foo.a"#{b}\\c\n')).toBe('Error parsing `filter` params: ["foo", "a\\"\\#{b}\\\\c"]')
    expect(parseMessage('x=foo.tab\there')).toBe('Error parsing `filter` params: ["foo", "tab\\there"]')
    // Non-printable text is shown as bytes, as Elixir does for binaries that are not printable strings.
    expect(parseMessage('a\u0001b')).toBe('Error parsing `filter` params: [<<97, 1, 98>>]')
    // Strings are cut after 4096 characters.
    const long = parseMessage('x'.repeat(5000))
    expect(long).toBe(`Error parsing \`filter\` params: ["${'x'.repeat(4096)}" <> ...]`)
  })
})

describe('validateFilter', () => {
  it('rejects unknown columns (exact, case-sensitive) with the server exception', () => {
    expect(validationMessage('notacolumn=eq.123')).toBe('ERROR P0001 (raise_exception) invalid column for filter notacolumn')
    expect(validationMessage('ID=eq.1')).toBe('ERROR P0001 (raise_exception) invalid column for filter ID')
    expect(validationMessage('Weird Col=eq.x')).toBe('OK')
    expect(validationMessage('txt=eq.x', [{ name: 'txt', type: 'text', selectable: false }])).toBe(
      'ERROR P0001 (raise_exception) invalid column for filter txt',
    )
  })

  it('reports the first failing clause in filter order', () => {
    expect(validationMessage('id=eq.1,nope=eq.1,id=eq.abc')).toBe('ERROR P0001 (raise_exception) invalid column for filter nope')
    const error = (() => {
      try {
        validateFilter(parseFilter('id=eq.1,i4=eq.x'), COLUMNS)
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(FilterValidationError)
    expect((error as FilterValidationError).clause.column).toBe('i4')
    expect((error as FilterValidationError).pgError).toMatchObject({ code: '22P02', message: 'invalid input syntax for type integer: "x"' })
  })

  it('reports values that do not cast to the column type with PostgreSQL input errors', () => {
    expect(validationMessage('id=eq.abc')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type bigint: "abc"')
    expect(validationMessage('i4=eq.hey')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type integer: "hey"')
    expect(validationMessage('i4=eq.99999999999')).toBe(
      'ERROR 22003 (numeric_value_out_of_range) value "99999999999" is out of range for type integer',
    )
    expect(validationMessage('i2=eq.1.5')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type smallint: "1.5"')
    expect(validationMessage('id=eq.')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type bigint: ""')
    expect(validationMessage('f8=eq.1e400')).toBe('ERROR 22003 (numeric_value_out_of_range) "1e400" is out of range for type double precision')
    expect(validationMessage('num=eq.1e')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type numeric: "1e"')
    expect(validationMessage('b=eq.maybe')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type boolean: "maybe"')
    expect(validationMessage('u=eq.abc')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type uuid: "abc"')
    expect(validationMessage('mood=eq.angry')).toBe('ERROR 22P02 (invalid_text_representation) invalid input value for enum mood: "angry"')
    expect(validationMessage('d=eq.abc')).toBe('ERROR 22007 (invalid_datetime_format) invalid input syntax for type date: "abc"')
    expect(validationMessage('tstz=eq.2026-02-30')).toBe('ERROR 22008 (datetime_field_overflow) date/time field value out of range: "2026-02-30"')
    expect(validationMessage('isdistinct=eq.1')).toBe('ERROR P0001 (raise_exception) invalid column for filter isdistinct')
    expect(validationMessage('i4=isdistinct.x')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type integer: "x"')
  })

  it('accepts the input syntaxes PostgreSQL accepts', () => {
    for (const filter of [
      'id=eq. 12 ',
      'id=eq.0x1F',
      'id=eq.1_000',
      'id=eq.-9223372036854775808',
      'f8=eq.-Infinity',
      'num=eq.NaN',
      'b=eq.ye',
      'b=eq. off ',
      'u=eq.{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}',
      'tstz=eq.2026-01-05T10:00:00.123456+05:30',
      'tstz=eq.Jan 5 2026 10:00 PST',
      'tstz=eq.2026-07-05 10:00 Europe/Paris',
      'tstz=lt.now',
      'd=eq.20260105',
      'iv=gt.1 day 02:00:00',
      // Commas would split the filter: JSON with commas has to be quoted.
      'jb=eq."{\\"a\\":[1,2,{\\"b\\":null}]}"',
    ]) {
      expect(validationMessage(filter), filter).toBe('OK')
    }
  })

  it('adds PostgreSQL hints and details the way Postgrex prints them', () => {
    expect(validationMessage('tstz=eq.2026-13-01')).toBe(
      'ERROR 22008 (datetime_field_overflow) date/time field value out of range: "2026-13-01"\n\n    hint: Perhaps you need a different "datestyle" setting.',
    )
    expect(validationMessage('jb=eq.abc')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type json\n\nToken "abc" is invalid.')
    expect(validationMessage('j=eq.{"a" 1}')).toBe(
      'ERROR 22P02 (invalid_text_representation) invalid input syntax for type json\n\nExpected ":", but found "1".',
    )
    expect(validationMessage('jb=eq.[1')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type json\n\nThe input string ended unexpectedly.')
    // Filter-level quoting eats one level of backslashes, so the JSON string needs escaped quotes.
    expect(validationMessage('jb=eq."\\u0000"')).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type json\n\nToken "u0000" is invalid.')
    expect(validationMessage('jb=eq."\\"\\\\u0000\\""')).toBe(
      'ERROR 22P05 (untranslatable_character) unsupported Unicode escape sequence\n\n\\u0000 cannot be converted to text.',
    )
  })

  it('casts `in` lists as arrays and limits them to 100 entries', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => i).join(',')
    expect(validationMessage(`i4=in.(${list(100)})`)).toBe('OK')
    expect(validationMessage(`i4=in.(${list(101)})`)).toBe('ERROR P0001 (raise_exception) too many values for `in` filter. Maximum 100')
    // Only the first dimension counts.
    expect(validationMessage(`i4=in.({${list(101)}})`)).toBe('OK')
    // The cast runs first, so a bad element wins over the count.
    expect(validationMessage(`i4=in.(${list(100)},x)`)).toBe('ERROR 22P02 (invalid_text_representation) invalid input syntax for type integer: "x"')
    expect(validationMessage('i4=in.(1,)')).toBe(
      'ERROR 22P02 (invalid_text_representation) malformed array literal: "{1,}"\n\nUnexpected "}" character.',
    )
    expect(validationMessage('txt=in.(a"b)')).toBe(
      'ERROR 22P02 (invalid_text_representation) malformed array literal: "{a"b}"\n\nIncorrectly quoted array element.',
    )
    expect(validationMessage('i4=in.({1,2)')).toBe(
      'ERROR 22P02 (invalid_text_representation) malformed array literal: "{{1,2}"\n\nUnexpected end of input.',
    )
    expect(validationMessage('i4=in.({1},{2,3})')).toBe(
      'ERROR 22P02 (invalid_text_representation) malformed array literal: "{{1},{2,3}}"\n\nMultidimensional arrays must have sub-arrays with matching dimensions.',
    )
    expect(validationMessage('txt=in.( a b ,"c,d",NULL)')).toBe('OK')
  })

  it('enforces the is / like / match restrictions', () => {
    expect(validationMessage('b=is.unknown')).toBe('OK')
    expect(validationMessage('txt=is.null')).toBe('OK')
    expect(validationMessage('txt=is.NULL')).toBe(
      'ERROR P0001 (raise_exception) invalid value for is filter: must be null, true, false, or unknown',
    )
    expect(validationMessage('i4=is.true')).toBe('ERROR P0001 (raise_exception) is true filter requires a boolean column, got integer')
    expect(validationMessage('txt=like.a%')).toBe('OK')
    expect(validationMessage('bp=ilike.a%')).toBe('OK')
    expect(validationMessage('vc=like.a%')).toBe(
      'ERROR P0001 (raise_exception) operator like requires a text-compatible column type, got character varying',
    )
    expect(validationMessage('u=ilike.a%')).toBe('ERROR P0001 (raise_exception) operator ilike requires a text-compatible column type, got uuid')
    expect(validationMessage('mood=like.o%')).toBe('ERROR P0001 (raise_exception) operator like requires a text-compatible column type, got mood')
    expect(validationMessage('bp=match.a')).toBe('ERROR P0001 (raise_exception) operator match requires a text-compatible column type, got character')
    expect(validationMessage('tstz=imatch.a')).toBe(
      'ERROR P0001 (raise_exception) operator imatch requires a text-compatible column type, got timestamp with time zone',
    )
  })

  it('compiles regular expressions eagerly with PostgreSQL error texts', () => {
    const prefix = 'ERROR P0001 (raise_exception) invalid regular expression for match filter: invalid regular expression: '
    expect(validationMessage('txt=match.(a')).toBe(`${prefix}parentheses () not balanced`)
    expect(validationMessage('txt=match.[a')).toBe(`${prefix}brackets [] not balanced`)
    expect(validationMessage('txt=match.a{2')).toBe(`${prefix}braces {} not balanced`)
    expect(validationMessage('txt=match.a**')).toBe(`${prefix}quantifier operand invalid`)
    expect(validationMessage('txt=match.\\k')).toBe(`${prefix}invalid escape \\ sequence`)
    expect(validationMessage('txt=match.[z-a]')).toBe(`${prefix}invalid character range`)
    expect(validationMessage('txt=match.[[:foo:]]')).toBe(`${prefix}invalid character class`)
    expect(validationMessage('txt=match.a{256}')).toBe(`${prefix}invalid repetition count(s)`)
    expect(validationMessage('txt=match.\\1')).toBe(`${prefix}invalid backreference number`)
    expect(validationMessage('txt=match.(?z)a')).toBe(`${prefix}invalid embedded option`)
    expect(validationMessage('txt=imatch.(a')).toBe(
      'ERROR P0001 (raise_exception) invalid regular expression for imatch filter: invalid regular expression: parentheses () not balanced',
    )
    for (const ok of ['a{x}', 'a]', '(?i)ABC', '***=a.b', '[[:alpha:]]+\\y', '(a)\\1', '\\101', 'a*?']) {
      expect(validationMessage(`txt=match.${ok}`), ok).toBe('OK')
    }
  })
})

describe('client messages', () => {
  it('builds the subscription-insert failure text the server pushes', () => {
    const clauses = parseFilter('subject=eq.hey')
    let error: FilterValidationError | undefined
    try {
      validateFilter(clauses, [{ name: 'id', type: 'int4' }])
    } catch (caught) {
      error = caught as FilterValidationError
    }
    if (!error) throw new Error('expected a validation error')
    // Verbatim from supabase/realtime test/realtime/extensions/cdc_rls/subscriptions_test.exs.
    expect(subscriptionInsertFailedMessage({ schema: 'public', table: 'test' }, clauses, error)).toBe(
      'Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [event: *, schema: public, table: test, filters: [{"subject", "eq", "hey", false}], select: nil]. Exception: ERROR P0001 (raise_exception) invalid column for filter subject',
    )
    expect(subscriptionInsertFailedMessage({ schema: 'public', table: 'test' }, parseFilter('id=eq.hey'), new PgError('22P02', 'invalid input syntax for type integer: "hey"'))).toBe(
      'Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [event: *, schema: public, table: test, filters: [{"id", "eq", "hey", false}], select: nil]. Exception: ERROR 22P02 (invalid_text_representation) invalid input syntax for type integer: "hey"',
    )
  })

  it('prints event, select and in-lists as the server logs them', () => {
    expect(subscriptionNotPublishedMessage({ event: 'insert', schema: 'public', table: '*' }, [])).toBe(
      'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: INSERT, schema: public, table: *, filters: [], select: nil]',
    )
    expect(describeSubscriptionParams({ event: 'bogus', schema: 's', table: 't', select: ['a', 'b'] }, parseFilter('x=not.in.(1,"a b")'))).toBe(
      '[event: *, schema: s, table: t, filters: [{"x", "in", "{1,\\"a b\\"}", true}], select: ["a", "b"]]',
    )
  })

  it('wraps long filter lists at 80 columns and elides after 50 terms, as inspect(pretty: true) does', () => {
    const four = describeSubscriptionParams({ schema: 's', table: 't' }, parseFilter('col0=eq.0,col1=eq.1,col2=eq.2,col3=eq.3'))
    expect(four).toBe(
      '[event: *, schema: s, table: t, filters: [\n  {"col0", "eq", "0", false},\n  {"col1", "eq", "1", false},\n  {"col2", "eq", "2", false},\n  {"col3", "eq", "3", false}\n], select: nil]',
    )
    const twelve = Array.from({ length: 12 }, (_, i) => `c${i}=eq.${i}`).join(',')
    const text = describeSubscriptionParams({ schema: 's', table: 't' }, parseFilter(twelve))
    expect(text).toContain('  {"c9", "eq", "9", false},\n  ...\n]')
    expect(text).not.toContain('"c10"')
    const wide = describeSubscriptionParams({ schema: 's', table: 't' }, parseFilter(`a_very_long_column_name_for_testing=isdistinct.${'v'.repeat(40)}`))
    expect(wide).toBe(`[event: *, schema: s, table: t, filters: [\n  {"a_very_long_column_name_for_testing", "isdistinct",\n   "${'v'.repeat(40)}", false}\n], select: nil]`)
  })
})

describe('evaluation', () => {
  it('eq / neq / lt / lte / gt / gte compare by type', () => {
    expect(matches('id=eq.42', { id: 42 })).toBe(true)
    expect(matches('id=eq.42', { id: 43 })).toBe(false)
    expect(matches('id=neq.42', { id: 43 })).toBe(true)
    // Numeric, not lexicographic: 10 > 9.
    expect(matches('i4=gt.9', { i4: 10 })).toBe(true)
    expect(matches('i4=lt.9', { i4: 10 })).toBe(false)
    expect(matches('i4=lte.10', { i4: 10 })).toBe(true)
    expect(matches('i4=gte.11', { i4: 10 })).toBe(false)
    expect(matches('num=eq.1.50', { num: 1.5 })).toBe(true)
    expect(matches('num=gt.0.1', { num: 0.10000000000000001 })).toBe(false)
    expect(matches('f8=gt.Infinity', { f8: 'NaN' })).toBe(true) // NaN sorts above everything
    expect(matches('f8=eq.nan', { f8: 'NaN' })).toBe(true)
    expect(matches('b=lt.true', { b: false })).toBe(true)
    expect(matches('txt=lt.a', { txt: 'B' })).toBe(true) // C collation: uppercase first
    expect(matches('u=eq.A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', { u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' })).toBe(true)
    expect(matches('mood=gt.sad', { mood: 'ok' })).toBe(true) // enum order, not alphabetical
    expect(matches('mood=lt.ok', { mood: 'happy' })).toBe(false)
    expect(matches('iv=eq.24 hours', { iv: '1 day' })).toBe(true)
  })

  it('compares timestamps chronologically across offsets and forms', () => {
    const row = { tstz: '2026-01-05T10:00:00+00:00', ts: '2026-01-05T10:00:00', d: '2026-01-05', tm: '10:00:00' }
    expect(matches('tstz=eq.2026-01-05 11:00+01', row)).toBe(true)
    expect(matches('tstz=lt.2026-01-05T10:00:00.000001Z', row)).toBe(true)
    expect(matches('tstz=gt.Jan 5 2026 01:59:59 PST', row)).toBe(true)
    expect(matches('tstz=lt.infinity', row)).toBe(true)
    expect(matches('tstz=gt.-infinity,tstz=lt.2026-07-05 12:00 Europe/Paris', row)).toBe(true)
    // timestamp (without time zone) ignores a zone in the literal.
    expect(matches('ts=eq.2026-01-05 10:00+05', row)).toBe(true)
    expect(matches('d=gt.2025-12-31,d=lt.2026-01-06', row)).toBe(true)
    expect(matches('tm=lt.10:00:00.000001', row)).toBe(true)
    expect(matches('tstz=gt.1999-01-01', { tstz: '0044-03-15T12:00:00+00:00 BC' })).toBe(false)
  })

  it('re-reads now/today on every change, as the server re-casts the literal', () => {
    const past = new Date(Date.now() - 60_000).toISOString().replace('Z', '+00:00')
    const future = new Date(Date.now() + 60_000).toISOString().replace('Z', '+00:00')
    const filter = compileFilter(parseFilter('tstz=gt.now'), COLUMNS)
    expect(filter({ tstz: past })).toBe(false)
    expect(filter({ tstz: future })).toBe(true)
  })

  it('in matches any listed value, with NULL-element semantics', () => {
    expect(matches('txt=in.(open,"in progress")', { txt: 'in progress' })).toBe(true)
    expect(matches('txt=in.(open,"in progress")', { txt: 'closed' })).toBe(false)
    expect(matches('txt=not.in.(open,"in progress")', { txt: 'closed' })).toBe(true)
    expect(matches('i4=in.(1,2,3)', { i4: 2 })).toBe(true)
    expect(matches('tstz=in.(2026-01-05T10:00:00Z,2027-01-01)', { tstz: '2026-01-05T10:00:00+00:00' })).toBe(true)
    // A NULL element makes a miss NULL, and not. keeps NULL a non-match.
    expect(matches('i4=in.(1,NULL)', { i4: 1 })).toBe(true)
    expect(matches('i4=in.(1,NULL)', { i4: 5 })).toBe(false)
    expect(matches('i4=not.in.(1,NULL)', { i4: 5 })).toBe(false)
    // ANY over an empty list is false even for NULL, so not.in.() matches everything.
    expect(matches('i4=in.()', { i4: 1 })).toBe(false)
    expect(matches('i4=not.in.()', { i4: null })).toBe(true)
    // Multi-dimensional lists are flattened by = any.
    expect(matches('i4=in.({1,5},{2,3})', { i4: 3 })).toBe(true)
  })

  it('like / ilike use SQL patterns with % _ and backslash escapes', () => {
    expect(matches('txt=like.hel%', { txt: 'hello' })).toBe(true)
    expect(matches('txt=like.hel%', { txt: 'Hello' })).toBe(false)
    expect(matches('txt=ilike.HEL%', { txt: 'hello' })).toBe(true)
    expect(matches('txt=ilike.éc%', { txt: 'Éclair' })).toBe(true)
    expect(matches('txt=like.a_c', { txt: 'abc' })).toBe(true)
    expect(matches('txt=like.a_c', { txt: 'a😀c' })).toBe(true) // _ is one character, not one UTF-16 unit
    expect(matches('txt=like.a\\_c', { txt: 'abc' })).toBe(false)
    expect(matches('txt=like.a\\_c', { txt: 'a_c' })).toBe(true)
    expect(matches('txt=like.%b%', { txt: 'xbx' })).toBe(true)
    expect(matches('txt=not.like.%b%', { txt: 'xbx' })).toBe(false)
    expect(matches('txt=like.%', { txt: '' })).toBe(true)
  })

  it('raises on a trailing LIKE escape only when matching reaches it', () => {
    const filter = compileFilter(parseFilter('txt=like.a\\'), COLUMNS)
    expect(filter.evaluate({ txt: 'xyz' })).toEqual({ visible: false })
    const reached = filter.evaluate({ txt: 'abc' })
    expect(reached.visible).toBe(false)
    expect(reached.error).toMatchObject({ code: '22025', message: 'LIKE pattern must not end with escape character' })
  })

  it('match / imatch are POSIX AREs', () => {
    expect(matches('txt=match.^a.c$', { txt: 'abc' })).toBe(true)
    expect(matches('txt=match.a.c', { txt: 'a\nc' })).toBe(true) // . matches newline by default
    expect(matches('txt=match.^c', { txt: 'a\nc' })).toBe(false) // ^ is start of string only
    expect(matches('txt=match.(?n)^c', { txt: 'a\nc' })).toBe(true) // unless newline-sensitive
    expect(matches('txt=match.ABC', { txt: 'abc' })).toBe(false)
    expect(matches('txt=imatch.ABC', { txt: 'abc' })).toBe(true)
    expect(matches('txt=match.(?i)ABC', { txt: 'abc' })).toBe(true)
    expect(matches('txt=match.\\yb', { txt: 'a b' })).toBe(true)
    expect(matches('txt=match.\\yb', { txt: 'ab' })).toBe(false)
    expect(matches('txt=match.^[[:alpha:]]+$', { txt: 'Éclair' })).toBe(true)
    expect(matches('txt=match.\\b', { txt: 'a\bc' })).toBe(true) // \b is backspace in an ARE
    expect(matches('txt=match.***=a.c', { txt: 'abc' })).toBe(false)
    expect(matches('txt=match.(a)\\1', { txt: 'xaay' })).toBe(true)
    expect(matches('txt=not.match.^\\d+$', { txt: '123' })).toBe(false)
  })

  it('is accepts null / true / false / unknown and never yields NULL', () => {
    expect(matches('txt=is.null', { txt: null })).toBe(true)
    expect(matches('txt=is.null', { txt: 'x' })).toBe(false)
    expect(matches('txt=not.is.null', { txt: 'x' })).toBe(true)
    expect(matches('b=is.true', { b: true })).toBe(true)
    expect(matches('b=is.false', { b: true })).toBe(false)
    expect(matches('b=not.is.true', { b: null })).toBe(true)
    expect(matches('b=is.unknown', { b: null })).toBe(true)
    // JSON null in a jsonb column reads back as SQL NULL.
    expect(matches('jb=is.null', { jb: null })).toBe(true)
  })

  it('isdistinct is IS DISTINCT FROM', () => {
    expect(matches('i4=isdistinct.5', { i4: null })).toBe(true)
    expect(matches('i4=isdistinct.5', { i4: 5 })).toBe(false)
    expect(matches('i4=isdistinct.5', { i4: 6 })).toBe(true)
    expect(matches('i4=not.isdistinct.5', { i4: null })).toBe(false)
    expect(matches('i4=not.isdistinct.5', { i4: 5 })).toBe(true)
  })

  it('uses SQL NULL semantics: comparisons with NULL, and their negation, do not match', () => {
    for (const filter of ['i4=eq.5', 'i4=neq.5', 'i4=lt.5', 'i4=gte.5', 'txt=like.%', 'txt=match..*', 'i4=in.(5)']) {
      expect(matches(filter, { i4: null, txt: null }), filter).toBe(false)
      expect(matches(filter.replace('=', '=not.'), { i4: null, txt: null }), `not ${filter}`).toBe(false)
    }
  })

  it('ANDs clauses and fails closed when a filtered column is absent from the row', () => {
    expect(matches('i4=gt.0,i4=lt.100', { i4: 50 })).toBe(true)
    expect(matches('i4=gt.0,i4=lt.100', { i4: 100 })).toBe(false)
    expect(matches('i4=gt.0,txt=eq.x', { i4: 50, txt: 'x' })).toBe(true)
    expect(matches('i4=gt.0,txt=eq.x', { i4: 50 })).toBe(false)
    expect(matches('txt=is.null', {})).toBe(false)
    expect(matches('txt=not.in.()', {})).toBe(false)
    // Only own properties count as columns.
    expect(compileFilter(parseFilter('constructor=is.null'), [{ name: 'constructor', type: 'text' }])({})).toBe(false)
    expect(compileFilter([], COLUMNS)({})).toBe(true)
  })

  it('compares jsonb structurally with jsonb ordering', () => {
    expect(matches('jb=eq."{\\"b\\":2,\\"a\\":1.0}"', { jb: { a: 1, b: 2 } })).toBe(true)
    expect(matches('jb=eq."[1,2]"', { jb: [2, 1] })).toBe(false)
    expect(matches('jb=eq."[1,2]"', { jb: [1, 2] })).toBe(true)
    expect(matches('jb=gt.[1]', { jb: { a: 1 } })).toBe(true) // object > array
    expect(matches('jb=lt.null', { jb: [] })).toBe(true) // an empty top-level array sorts below null
    // In an `in` list, JSON containers must be double-quoted array elements.
    expect(matches('jb=in.("{\\"a\\":1}",1)', { jb: { a: 1 } })).toBe(true)
    expect(matches('jb=in.("{\\"a\\":1}",1)', { jb: 2 })).toBe(false)
    // A JSON string scalar reads back as unquoted text, which is not valid JSON: the server raises.
    const filter = compileFilter(parseFilter('jb=eq.1'), COLUMNS)
    expect(filter.evaluate({ jb: 'x' }).error).toMatchObject({ code: '22P02', detail: 'Token "x" is invalid.' })
  })

  it('reproduces the re-cast quirks of check_equality_op', () => {
    // bpchar goes through `character` = char(1): only the first character counts.
    expect(matches('bp=eq.axy', { bp: 'abc' })).toBe(true)
    expect(matches('bp=like.%c', { bp: 'abc' })).toBe(true)
    // Array columns cannot be re-cast from their JSON text: the check raises, nothing matches.
    const arrays = compileFilter(parseFilter('ai=eq."{1,2}"'), COLUMNS)
    expect(arrays({ ai: [1, 2] })).toBe(false)
    expect(arrays.evaluate({ ai: [1, 2] }).error).toMatchObject({ code: '22P02', message: 'malformed array literal: "[1, 2]"' })
    expect(arrays.evaluate({ ai: null })).toEqual({ visible: false })
    // json has no equality operator; only `is` works.
    const json = compileFilter(parseFilter('j=eq.{}'), COLUMNS)
    expect(json.evaluate({ j: {} }).error).toMatchObject({ code: '42883', message: 'operator does not exist: json = json' })
    expect(matches('j=is.null', { j: null })).toBe(true)
  })

  it('keeps int8 precision when the value arrives as a bigint or a string', () => {
    expect(matches('id=eq.9007199254740993', { id: 9007199254740993n })).toBe(true)
    expect(matches('id=eq.9007199254740993', { id: '9007199254740993' })).toBe(true)
    expect(matches('id=gt.9007199254740992', { id: 9007199254740993n })).toBe(true)
    expect(matches('num=lt.12345678901234567890.6', { num: '12345678901234567890.5' })).toBe(true)
  })
})

describe('matchesFilter', () => {
  it('agrees with compileFilter and caches the compiled form per clause array', () => {
    const clauses: FilterClause[] = parseFilter('i4=gt.1,txt=in.(a,b)')
    const rows = [{ i4: 2, txt: 'a' }, { i4: 1, txt: 'a' }, { i4: 2, txt: 'c' }, { i4: 2 }]
    const compiled = compileFilter(clauses, COLUMNS)
    expect(rows.map((row) => matchesFilter(clauses, row, COLUMNS))).toEqual(rows.map((row) => compiled(row)))
    expect(rows.map((row) => matchesFilter(clauses, row, COLUMNS))).toEqual([true, false, false, false])
  })

  it('throws the validation error for clauses that do not validate', () => {
    expect(() => matchesFilter(parseFilter('nope=eq.1'), {}, COLUMNS)).toThrow(FilterValidationError)
  })
})
