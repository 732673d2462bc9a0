/** What translating a PostgreSQL regex into JS needs: compile errors, class tables and literal escaping. */

/** A PostgreSQL regex compile error; `message` is regerror's text (`parentheses () not balanced`…). */
export class RegexSyntaxError extends Error {}

export const RE_EPAREN = 'parentheses () not balanced'
export const RE_EBRACK = 'brackets [] not balanced'
export const RE_EBRACE = 'braces {} not balanced'
export const RE_BADRPT = 'quantifier operand invalid'
export const RE_EESCAPE = 'invalid escape \\ sequence'
export const RE_ERANGE = 'invalid character range'
export const RE_ECTYPE = 'invalid character class'
export const RE_ECOLLATE = 'invalid collating element'
export const RE_BADBR = 'invalid repetition count(s)'
export const RE_ESUBREG = 'invalid backreference number'
export const RE_BADOPT = 'invalid embedded option'

export const WORD_CLASS = '\\p{L}\\p{Nd}_'
export const CLASS_NAMES: Readonly<Record<string, string>> = {
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
export const SHORTHANDS: Readonly<Record<string, string>> = { d: '0-9', s: '\\s', w: WORD_CLASS }
export const COLLATING_NAMES: Readonly<Record<string, string>> = {
  hyphen: '-', 'hyphen-minus': '-', space: ' ', period: '.', 'full-stop': '.', comma: ',', slash: '/',
  solidus: '/', backslash: '\\', 'reverse-solidus': '\\', underscore: '_', 'low-line': '_', tab: '\t',
  newline: '\n', 'left-square-bracket': '[', 'right-square-bracket': ']', circumflex: '^', 'circumflex-accent': '^',
}

/** A literal code point in JS regex syntax (valid with and without the `u` flag below U+10000). */
export function jsLiteral(cp: number, inClass: boolean): string {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return `\\x${cp.toString(16).padStart(2, '0')}`
  if (cp > 0xffff || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0x2028 || cp === 0x2029) return `\\u{${cp.toString(16)}}`
  const ch = String.fromCharCode(cp)
  const special = inClass ? '\\]^-[' : '\\^$.*+?()[]{}|/'
  return special.includes(ch) ? `\\${ch}` : ch
}
