/**
 * A subset of Elixir's `Inspect.Algebra`: documents made of strings, breaks, nesting and groups, and the
 * Wadler-style formatter that lays them out within a width.
 */

import { utf8Length } from './cText.js'

export type Doc =
  | string
  | { readonly t: 'cons'; readonly a: Doc; readonly b: Doc }
  | { readonly t: 'break'; readonly s: string; readonly flex: boolean }
  | { readonly t: 'nest'; readonly d: Doc; readonly i: number }
  | { readonly t: 'group'; readonly d: Doc }

export const cons = (a: Doc, b: Doc): Doc => ({ t: 'cons', a, b })
export const strictBreak = (s: string): Doc => ({ t: 'break', s, flex: false })
export const flexBreak = (s: string): Doc => ({ t: 'break', s, flex: true })
export const nest = (d: Doc, i: number): Doc => ({ t: 'nest', d, i })
export const group = (d: Doc): Doc => ({ t: 'group', d })

type Mode = 'flat' | 'break'
interface Entry {
  readonly i: number
  readonly m: Mode
  readonly d: Doc
}
/** Elixir's work list: entries, `:group_over` markers, and `{:tail, b?, rest}` continuations. */
type Work =
  | null
  | { readonly k: 'entry'; readonly e: Entry; readonly next: Work }
  | { readonly k: 'over'; readonly next: Work }
  | { readonly k: 'tail'; readonly b: boolean; readonly next: Work }

function fits(width: number, column: number, broke: boolean, work: Work): boolean {
  let k = column
  let b = broke
  let w = work
  for (;;) {
    if (k > width && b) return false
    if (w === null) return true
    if (w.k === 'tail') {
      b = w.b
      w = w.next
      continue
    }
    if (w.k === 'over') return b
    const { i, m, d } = w.e
    const rest = w.next
    if (typeof d === 'string') {
      k += utf8Length(d)
      w = rest
    } else if (d.t === 'break') {
      if (m === 'break') return true
      k += utf8Length(d.s)
      b = true
      w = rest
    } else if (d.t === 'cons') {
      w = { k: 'entry', e: { i, m, d: d.a }, next: { k: 'entry', e: { i, m, d: d.b }, next: rest } }
    } else if (d.t === 'nest') {
      w = { k: 'entry', e: { i: i + d.i, m, d: d.d }, next: rest }
    } else {
      w = { k: 'entry', e: { i, m: 'flat', d: d.d }, next: { k: 'tail', b, next: rest } }
    }
  }
}

export function formatDoc(doc: Doc, width: number): string {
  let out = ''
  let k = 0
  let w: Work = { k: 'entry', e: { i: 0, m: 'flat', d: doc }, next: null }
  while (w !== null) {
    if (w.k !== 'entry') {
      w = w.next
      continue
    }
    const entry: Entry = w.e
    const { i, m, d } = entry
    const rest: Work = w.next
    if (typeof d === 'string') {
      out += d
      k += utf8Length(d)
      w = rest
    } else if (d.t === 'cons') {
      w = { k: 'entry', e: { i, m, d: d.a }, next: { k: 'entry', e: { i, m, d: d.b }, next: rest } }
    } else if (d.t === 'nest') {
      w = { k: 'entry', e: { i: i + d.i, m, d: d.d }, next: rest }
    } else if (d.t === 'break') {
      const newline = d.flex ? !(width === Infinity || m === 'flat' || fits(width, k + utf8Length(d.s), true, rest)) : m === 'break'
      if (newline) {
        out += `\n${' '.repeat(i)}`
        k = i
      } else {
        out += d.s
        k += utf8Length(d.s)
      }
      w = rest
    } else {
      const flat = width === Infinity || fits(width, k, false, { k: 'entry', e: { i, m: 'flat', d: d.d }, next: null })
      w = { k: 'entry', e: { i, m: flat ? 'flat' : 'break', d: d.d }, next: { k: 'over', next: rest } }
    }
  }
  return out
}
