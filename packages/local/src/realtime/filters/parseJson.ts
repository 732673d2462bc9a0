/** jsonb input with the PostgreSQL JSON lexer's error details. */

import { PgError } from './errors.js'

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
export function parseJson(text: string): unknown {
  let pos = 0
  let token: JsonToken = { type: 'end', text: '' }

  /** Moves past a token the module-level lexers read at `pos`. */
  const consume = (lexed: JsonToken): JsonToken => {
    pos += lexed.text.length
    return lexed
  }
  const lex = (): JsonToken => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++
    if (pos >= text.length) return { type: 'end', text: '' }
    const ch = text.charAt(pos)
    if ('{}[],:'.includes(ch)) {
      pos++
      return { type: ch as JsonTokenType, text: ch }
    }
    if (ch === '"') return consume(lexJsonString(text, pos))
    if (ch === '-' || (ch >= '0' && ch <= '9')) return consume(lexJsonNumber(text, pos))
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
      case '{':
        return parseObject()
      case '[':
        return parseArray()
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

  const parseObject = (): Record<string, unknown> => {
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

  const parseArray = (): unknown[] => {
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

  advance()
  const value = parseValue()
  if (current() !== 'end') throw jsonSyntax(`Expected end of input, but found "${token.text}".`)
  return value
}

/** A JSON string token starting at `start` (its opening quote), with escapes and surrogate pairs decoded. */
function lexJsonString(text: string, start: number): JsonToken {
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
  return { type: 'string', text: text.slice(start, i + 1), value: out }
}

/** A JSON number token starting at `start`; digits running into letters make the whole word an invalid token. */
function lexJsonNumber(text: string, start: number): JsonToken {
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
  const source = text.slice(start, i)
  return { type: 'number', text: source, value: Number(source) }
}
