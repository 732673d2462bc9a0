/**
 * Converts Postgres text output (as carried by pgoutput 't' columns) into the JSON value `to_jsonb(value::type)`
 * produces. The real Realtime server builds `record`/`old_record` that way, so clients see numbers as numbers,
 * booleans as booleans, json as structures and everything else as the type's text output, with Postgres' own
 * ISO 8601 rendering of timestamps.
 *
 * Assumes the text was produced with `DateStyle = ISO` and `bytea_output = hex` (the change stream pins both on
 * its session): other styles would change the text these rules parse.
 */

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * How to read a column's text. `base` types are converted by name; arrays and composites recurse, the same way
 * `to_jsonb` walks them. Domains should be described by their base type, as `to_jsonb` looks through domains.
 */
export type PgType =
  | { kind: 'base'; name: string }
  | { kind: 'array'; element: PgType; /** Element delimiter of the element type (`typdelim`): ',' except box. */ delimiter: string }
  | { kind: 'composite'; fields: readonly { name: string; type: PgType }[] }

const NUMERIC_TYPES = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric'])

/** The JSON number grammar: what Postgres' `IsValidJsonNumber` accepts, minus its tolerance for a leading '+'. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

/**
 * Describes a built-in type by its `pg_type.typname`: a leading underscore means an array of the rest (as
 * Postgres names its array types). Only correct for built-ins; user-defined domains, arrays of domains and
 * composites need catalog lookups (the change stream builds those descriptors itself).
 */
export function pgTypeFromName(typname: string): PgType {
  if (typname.startsWith('_') && typname.length > 1) {
    const element = typname.slice(1)
    return { kind: 'array', element: pgTypeFromName(element), delimiter: element === 'box' ? ';' : ',' }
  }
  return { kind: 'base', name: typname }
}

/**
 * Converts one value's text output into the JSON `to_jsonb` gives for it.
 *
 * @param text The type's text output, or null for SQL NULL (→ JSON null).
 * @param type A type descriptor, or a built-in typname such as `'int4'` or `'_timestamptz'`.
 */
export function pgTextToJson(text: string | null, type: PgType | string): JsonValue {
  if (text === null) return null
  const descriptor = typeof type === 'string' ? pgTypeFromName(type) : type
  switch (descriptor.kind) {
    case 'base':
      return convertBase(text, descriptor.name)
    case 'array':
      return convertArray(parseArrayLiteral(text, descriptor.delimiter), descriptor.element)
    case 'composite': {
      const values = parseRecordLiteral(text)
      const result: { [key: string]: JsonValue } = {}
      descriptor.fields.forEach((field, index) => {
        result[field.name] = pgTextToJson(values[index] ?? null, field.type)
      })
      return result
    }
  }
}

function convertArray(items: ArrayLiteralItem[], element: PgType): JsonValue[] {
  return items.map((item) => (Array.isArray(item) ? convertArray(item, element) : pgTextToJson(item, element)))
}

function convertBase(text: string, typname: string): JsonValue {
  if (NUMERIC_TYPES.has(typname)) {
    // NaN and ±Infinity are not JSON numbers: to_jsonb keeps them as strings.
    if (!JSON_NUMBER.test(text)) return text
    const value = Number(text)
    // jsonb has no negative zero (it stores numeric), so '-0' comes back as 0.
    return Object.is(value, -0) ? 0 : value
  }
  switch (typname) {
    case 'bool':
      return text === 't' || text === 'true'
    case 'json':
    case 'jsonb':
      return JSON.parse(text) as JsonValue
    case 'timestamp':
      return isoDateTime(text)
    case 'timestamptz':
      return isoTimestampTz(text)
    default:
      // date, time, timetz, uuid, bytea ('\x…' hex), oid, money, interval, enums, ranges…: to_jsonb emits their
      // text output unchanged.
      return text
  }
}

/** `2026-11-23 07:28:00.5` → `2026-11-23T07:28:00.5`; 'infinity' and ' BC' suffixes pass through, as in Postgres. */
function isoDateTime(text: string): string {
  const space = text.indexOf(' ')
  if (space < 0) return text // infinity / -infinity
  return `${text.slice(0, space)}T${text.slice(space + 1)}`
}

/**
 * Postgres' ISO output writes a whole-hour UTC offset as `+00`; to_jsonb's XSD rendering always writes minutes
 * (`+00:00`), and keeps seconds when the zone has them (`+05:53:28`).
 */
function isoTimestampTz(text: string): string {
  const iso = isoDateTime(text)
  if (iso === text) return text
  const bc = iso.endsWith(' BC') ? ' BC' : ''
  const body = bc ? iso.slice(0, -bc.length) : iso
  const tIndex = body.indexOf('T')
  const offsetIndex = Math.max(body.lastIndexOf('+'), body.lastIndexOf('-'))
  if (offsetIndex <= tIndex) return iso
  const offset = body.slice(offsetIndex)
  return /^[+-]\d{2}$/.test(offset) ? `${body}:00${bc}` : iso
}

/** A parsed array literal: strings (or null for NULL) at the leaves, nested arrays for extra dimensions. */
export type ArrayLiteralItem = string | null | ArrayLiteralItem[]

/**
 * Parses a Postgres array literal (`array_out` format): `{1,NULL,"a \"b\""}`, nested dimensions, and the
 * `[lo:hi]=` bounds prefix that appears when the lower bound is not 1 (to_jsonb drops bounds, so do we).
 */
export function parseArrayLiteral(text: string, delimiter = ','): ArrayLiteralItem[] {
  let pos = 0
  if (text.startsWith('[')) {
    const equals = text.indexOf('=')
    if (equals < 0) throw new SyntaxError(`malformed array literal: ${text}`)
    pos = equals + 1
  }

  const skipSpace = () => {
    while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++
  }

  const parseLevel = (): ArrayLiteralItem[] => {
    if (text[pos] !== '{') throw new SyntaxError(`malformed array literal at ${pos}: ${text}`)
    pos++
    const items: ArrayLiteralItem[] = []
    skipSpace()
    if (text[pos] === '}') {
      pos++
      return items
    }
    for (;;) {
      skipSpace()
      const ch = text[pos]
      if (ch === '{') {
        items.push(parseLevel())
      } else if (ch === '"') {
        pos++
        let value = ''
        for (;;) {
          const c = text[pos]
          if (c === undefined) throw new SyntaxError(`unterminated quoted array element: ${text}`)
          pos++
          if (c === '"') break
          if (c === '\\') {
            const escaped = text[pos]
            if (escaped === undefined) throw new SyntaxError(`dangling escape in array literal: ${text}`)
            value += escaped
            pos++
          } else {
            value += c
          }
        }
        items.push(value)
      } else {
        let value = ''
        let hadEscape = false
        for (;;) {
          const c = text[pos]
          if (c === undefined) throw new SyntaxError(`unterminated array literal: ${text}`)
          if (c === delimiter || c === '}') break
          pos++
          if (c === '\\') {
            const escaped = text[pos]
            if (escaped === undefined) throw new SyntaxError(`dangling escape in array literal: ${text}`)
            value += escaped
            hadEscape = true
            pos++
          } else {
            value += c
          }
        }
        const trimmed = value.trim()
        items.push(!hadEscape && trimmed.toUpperCase() === 'NULL' ? null : trimmed)
      }
      skipSpace()
      const sep = text[pos]
      pos++
      if (sep === '}') return items
      if (sep !== delimiter) throw new SyntaxError(`malformed array literal at ${pos - 1}: ${text}`)
    }
  }

  skipSpace()
  const result = parseLevel()
  return result
}

/**
 * Parses a composite literal (`record_out` format): `(1,,"a ""b""")` → `['1', null, 'a "b"']`. An empty unquoted
 * field is NULL; a quoted empty string is ''.
 */
export function parseRecordLiteral(text: string): (string | null)[] {
  if (!text.startsWith('(') || !text.endsWith(')')) throw new SyntaxError(`malformed record literal: ${text}`)
  const values: (string | null)[] = []
  let pos = 1
  const end = text.length - 1
  for (;;) {
    let value = ''
    let quotedOrEscaped = false
    while (pos < end && text[pos] !== ',') {
      const c = text[pos] as string
      if (c === '"') {
        quotedOrEscaped = true
        pos++
        for (;;) {
          if (pos >= end) throw new SyntaxError(`unterminated quoted record field: ${text}`)
          const q = text[pos] as string
          if (q === '"') {
            if (text[pos + 1] === '"') {
              value += '"'
              pos += 2
              continue
            }
            pos++
            break
          }
          if (q === '\\' && pos + 1 < end) {
            value += text[pos + 1]
            pos += 2
            continue
          }
          value += q
          pos++
        }
      } else if (c === '\\' && pos + 1 < end) {
        quotedOrEscaped = true
        value += text[pos + 1]
        pos += 2
      } else {
        value += c
        pos++
      }
    }
    values.push(value === '' && !quotedOrEscaped ? null : value)
    if (pos >= end) return values
    pos++ // the comma
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12
}
