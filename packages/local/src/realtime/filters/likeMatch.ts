/** LIKE / ILIKE matching, PostgreSQL's algorithm. */

import { PgError } from './errors.js'

export const LIKE_TRUE = 1
const LIKE_FALSE = 0
const LIKE_ABORT = -1
const likeEscapeError = (): PgError => new PgError('22025', 'LIKE pattern must not end with escape character')

/** Length of the character starting at `i` (a surrogate pair is one character). */
function charLength(text: string, i: number): number {
  const code = text.charCodeAt(i)
  return code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1
}

/**
 * PostgreSQL's LIKE matcher (`\` escapes, `%`, `_`), kept as its algorithm rather than a regex because a
 * pattern ending in the escape raises only when matching reaches that point (`'xbc' LIKE 'a\'` is false).
 * Literal characters compare by UTF-16 unit, which agrees with comparing UTF-8 bytes.
 */
export function likeMatch(text: string, ti: number, pattern: string, pi: number): number {
  while (ti < text.length && pi < pattern.length) {
    const pc = pattern.charAt(pi)
    if (pc === '\\') {
      pi++
      if (pi >= pattern.length) throw likeEscapeError()
      if (pattern.charCodeAt(pi) !== text.charCodeAt(ti)) return LIKE_FALSE
    } else if (pc === '%') {
      pi++
      for (;;) {
        if (pi >= pattern.length) break
        const next = pattern.charAt(pi)
        if (next === '%') pi++
        else if (next === '_') {
          if (ti >= text.length) return LIKE_ABORT
          ti += charLength(text, ti)
          pi++
        } else break
      }
      if (pi >= pattern.length) return LIKE_TRUE
      let first: number
      if (pattern.charAt(pi) === '\\') {
        if (pi + 1 >= pattern.length) throw likeEscapeError()
        first = pattern.charCodeAt(pi + 1)
      } else {
        first = pattern.charCodeAt(pi)
      }
      while (ti < text.length) {
        if (text.charCodeAt(ti) === first) {
          const matched = likeMatch(text, ti, pattern, pi)
          if (matched !== LIKE_FALSE) return matched
        }
        ti += charLength(text, ti)
      }
      return LIKE_ABORT
    } else if (pc === '_') {
      ti += charLength(text, ti)
      pi++
      continue
    } else if (pattern.charCodeAt(pi) !== text.charCodeAt(ti)) {
      return LIKE_FALSE
    }
    ti++
    pi++
  }
  if (ti < text.length) return LIKE_FALSE
  while (pi < pattern.length && pattern.charAt(pi) === '%') pi++
  return pi >= pattern.length ? LIKE_TRUE : LIKE_ABORT
}
