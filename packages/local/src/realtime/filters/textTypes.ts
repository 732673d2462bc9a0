/** The string-valued types: text, varchar, character, name, citext, uuid and bytea. */

import { cmpText, isCSpace, utf8Length } from './cText.js'
import { invalidSyntax, PgError } from './errors.js'
import { jsonbText, type TypeDef } from './TypeDef.js'

// --- text family -----------------------------------------------------------------------------------------------

export function textType(regtype: string, kind: string, normalize: (text: string) => string, options: Partial<TypeDef> = {}): TypeDef {
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
export function bpchar1(text: string): string {
  return text === '' ? ' ' : String.fromCodePoint(text.codePointAt(0) ?? 0x20)
}

/** bpchar comparisons ignore trailing blanks. */
export const cmpBpchar = (a: unknown, b: unknown): number => cmpText((a as string).replace(/ +$/, ''), (b as string).replace(/ +$/, ''))

/** `name` keeps at most 63 bytes, cut at a character boundary. */
export function truncateName(text: string): string {
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

export const uuidType: TypeDef = {
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

export const byteaType: TypeDef = {
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
