/** Text as PostgreSQL's C-locale code sees it: `isspace`, byte lengths and code-point (C collation) order. */

/** C `isspace` in the C locale, which PostgreSQL's input functions skip. */
export const isCSpace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f'

export function cTrim(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && isCSpace(text.charAt(start))) start++
  while (end > start && isCSpace(text.charAt(end - 1))) end--
  return text.slice(start, end)
}

/** Length in UTF-8 bytes (what PostgreSQL's limits and Elixir's line widths count). */
export const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8')

/** Code-point order (C collation), which differs from UTF-16 order around surrogates. */
export function cmpText(a: string, b: string): number {
  if (a === b) return 0
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca === cb) continue
    const sa = ca >= 0xd800 && ca <= 0xdfff
    const sb = cb >= 0xd800 && cb <= 0xdfff
    if (sa !== sb) return sa ? 1 : -1
    return ca < cb ? -1 : 1
  }
  return a.length < b.length ? -1 : 1
}
