/** POSIX regular expressions (`~` / `~*`), translated to JS RegExps. */

import { AreTranslator } from './AreTranslator.js'
import { jsLiteral, RE_BADOPT, RegexSyntaxError } from './regexSyntax.js'

/**
 * Translates a PostgreSQL ARE (`~` / `~*`) into a JS RegExp, raising PostgreSQL's compile errors. Covers
 * `***=`/`***:` directors, leading `(?bceimnpqstwx)` options, brackets with `[:class:]`/`[.x.]`/`[=x=]`, bounds
 * up to 255, non-greedy quantifiers, lookaround, backreferences, `\m \M \y \Y \A \Z`, and ARE escapes (`\b` is
 * backspace). Returns null when the JS engine cannot run a pattern that PostgreSQL accepts.
 */
export function compileRegex(source: string, caseInsensitive: boolean): RegExp | null {
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
