/** The number types: int2/int4/int8, float4/float8 and numeric. */

import { cTrim } from './cText.js'
import { invalidSyntax, PgError } from './errors.js'
import { cmpNum, jsonbText, type Num, type TypeDef } from './TypeDef.js'

// --- integers --------------------------------------------------------------------------------------------------

const INT_SYNTAX = /^([+-]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[oO]((?:_?[0-7])+)|0[bB]((?:_?[01])+)|(\d(?:_?\d)*))$/

export function intType(name: string, bits: 16 | 32 | 64, regtype: string): TypeDef {
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

export function floatType(name: 'real' | 'double precision', single: boolean): TypeDef {
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

export const numericType: TypeDef = {
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
