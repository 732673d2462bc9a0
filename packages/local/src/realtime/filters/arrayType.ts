/** Array literals (`array_in`) and array types, which filters can cast to but never compare. */

import { isCSpace } from './cText.js'
import { PgError } from './errors.js'
import { jsonbText, type TypeDef } from './TypeDef.js'

export interface ArrayValue {
  /** Elements in storage order, all dimensions flattened (null = SQL NULL). */
  readonly values: unknown[]
  /** Length of the first dimension: what `jsonb_array_length(to_jsonb(array))` counts. */
  readonly top: number
}

/** PostgreSQL 17 `array_in`: structure checks interleaved with element input, with its error details. */
export function parseArrayLiteral(text: string, elementInput: (element: string) => unknown): ArrayValue {
  const malformed = (detail: string): PgError => new PgError('22P02', `malformed array literal: "${text}"`, detail)
  const header = readArrayDimensions(text, malformed)
  const specified = header.specified
  let p = header.end

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
    const { element, isNull, end } = ch === '"' ? readQuotedElement(text, p, malformed) : readUnquotedElement(text, p, malformed)
    p = end
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

/**
 * The optional `[lo:hi]…=` prefix: the length of each explicitly specified dimension, and where the contents'
 * opening `{` is.
 */
function readArrayDimensions(text: string, malformed: (detail: string) => PgError): { specified: number[]; end: number } {
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
  return { specified, end: p }
}

/** One element read from the literal; `end` is where its delimiter (`,` or `}`) starts. */
interface ArrayElementText {
  element: string
  /** An unquoted, unescaped `NULL`. */
  isNull: boolean
  end: number
}

/** A double-quoted element starting at `start` (the quote): backslash escapes, then only blanks until the delimiter. */
function readQuotedElement(text: string, start: number, malformed: (detail: string) => PgError): ArrayElementText {
  let element = ''
  let p = start + 1
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
  return { element, isNull: false, end: p }
}

/** An unquoted element starting at `start`: backslash escapes, trailing blanks dropped, `NULL` for SQL NULL. */
function readUnquotedElement(text: string, start: number, malformed: (detail: string) => PgError): ArrayElementText {
  let element = ''
  let p = start
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
  return { element, isNull: !escaped && element.toUpperCase() === 'NULL', end: p }
}

export interface ArrayTypeDef extends TypeDef {
  readonly element: TypeDef
}

export function arrayType(element: TypeDef): ArrayTypeDef {
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
