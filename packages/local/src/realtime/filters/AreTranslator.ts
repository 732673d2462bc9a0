/** The ARE → JS translation behind {@link compileRegex}: a recursive-descent reader of PostgreSQL's regex syntax. */

import {
  CLASS_NAMES,
  COLLATING_NAMES,
  jsLiteral,
  RE_BADBR,
  RE_BADRPT,
  RE_EBRACE,
  RE_EBRACK,
  RE_ECOLLATE,
  RE_ECTYPE,
  RE_EESCAPE,
  RE_EPAREN,
  RE_ERANGE,
  RE_ESUBREG,
  RegexSyntaxError,
  SHORTHANDS,
  WORD_CLASS,
} from './regexSyntax.js'

/** Bracket contents: fragments usable inside a JS class, plus negated shorthands (`\D`…) that are not. */
interface BracketSet {
  positive: string[]
  negated: string[]
}

export class AreTranslator {
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
