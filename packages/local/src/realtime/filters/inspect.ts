/** Elixir `Kernel.inspect/2`, enough for lists, tuples, strings and booleans (the terms the server prints). */

import { cons, flexBreak, formatDoc, group, nest, strictBreak, type Doc } from './formatDoc.js'

/** An Elixir tuple, for {@link inspect}. */
export class ElixirTuple {
  constructor(readonly items: readonly Term[]) {}
}

export type Term = string | boolean | null | readonly Term[] | ElixirTuple

const INSPECT_LIMIT = 50
const PRINTABLE_LIMIT = 4096

/** `inspect(term)` (`pretty: false`: one line) or `inspect(term, pretty: true)` (80 columns). */
export function inspect(term: Term, pretty: boolean): string {
  const { doc } = toDoc(term, INSPECT_LIMIT)
  return formatDoc(group(doc), pretty ? 80 : Infinity)
}

/** Returns the doc and the limit left, as `Inspect.Algebra.to_doc_with_opts/2` threads it. */
function toDoc(term: Term, limit: number): { doc: Doc; limit: number } {
  if (typeof term === 'string') return inspectString(term, limit)
  if (term === null) return { doc: 'nil', limit }
  if (typeof term === 'boolean') return { doc: String(term), limit }
  if (term instanceof ElixirTuple) return containerDoc('{', term.items, '}', limit, true)
  return containerDoc('[', term as readonly Term[], ']', limit, false)
}

function containerDoc(left: string, items: readonly Term[], right: string, limit: number, flexOnly: boolean): { doc: Doc; limit: number } {
  if (items.length === 0) return { doc: left + right, limit }
  const docs: Doc[] = []
  let simple = !flexOnly
  for (const item of items) {
    if (limit <= 0) {
      docs.push('...')
      break
    }
    const result = toDoc(item, limit - 1)
    limit = result.limit
    simple = simple && isSimpleDoc(result.doc)
    docs.push(result.doc)
  }
  const flex = simple || flexOnly
  let joined = docs[docs.length - 1] ?? ''
  for (let i = docs.length - 2; i >= 0; i--) {
    joined = cons(cons(docs[i] ?? '', ','), cons(flex ? flexBreak(' ') : strictBreak(' '), joined))
  }
  const doc = flex
    ? group(cons(cons(left, nest(joined, 1)), right))
    : group(cons(nest(cons(left, cons(strictBreak(''), joined)), 2), cons(strictBreak(''), right)))
  return { doc, limit }
}

function isSimpleDoc(doc: Doc): boolean {
  if (typeof doc === 'string') return true
  return doc.t === 'cons' && isSimpleDoc(doc.a) && isSimpleDoc(doc.b)
}

function isPrintableCodePoint(cp: number): boolean {
  return (
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x0a ||
    cp === 0x0d ||
    cp === 0x09 ||
    cp === 0x0b ||
    cp === 0x08 ||
    cp === 0x0c ||
    cp === 0x1b ||
    cp === 0x7f ||
    cp === 0x07 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  )
}

const ESCAPE_MAP: Readonly<Record<number, string>> = {
  0x07: '\\a',
  0x08: '\\b',
  0x7f: '\\d',
  0x1b: '\\e',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
  0x5c: '\\\\',
}

/** Code points Elixir shows as `\uXXXX` because they are invisible or confusable. */
function isConfusable(cp: number): boolean {
  return (
    cp === 0xfeff ||
    (cp >= 0x2061 && cp <= 0x2064) ||
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    (cp >= 0xfff9 && cp <= 0xfffc) ||
    cp === 0x200c ||
    cp === 0x200d ||
    cp === 0x034f ||
    cp === 0x00a0 ||
    cp === 0x200b ||
    cp === 0x2060 ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x205f
  )
}

const hex = (value: number, width: number): string => value.toString(16).toUpperCase().padStart(width, '0')

function inspectString(text: string, limit: number): { doc: Doc; limit: number } {
  const codePoints = Array.from(text, (ch) => ch.codePointAt(0) ?? 0)
  // Lone surrogates cannot come from valid UTF-8; treat them like Elixir treats invalid bytes (as a binary).
  const printable = codePoints.slice(0, PRINTABLE_LIMIT).every((cp) => isPrintableCodePoint(cp) && (cp < 0xd800 || cp > 0xdfff))
  if (!printable) return inspectBinary(Buffer.from(text, 'utf8'), limit)
  let out = '"'
  let count = PRINTABLE_LIMIT
  let i = 0
  for (; i < codePoints.length && count > 0; i++, count--) {
    const cp = codePoints[i] ?? 0
    if (cp === 0x22) out += '\\"'
    else if (cp === 0x23 && codePoints[i + 1] === 0x7b) {
      out += '\\#{'
      i++
    } else if (ESCAPE_MAP[cp] !== undefined) out += ESCAPE_MAP[cp]
    else if (isConfusable(cp)) out += `\\u${hex(cp, 4)}`
    else out += String.fromCodePoint(cp)
  }
  out += i < codePoints.length ? '" <> ...' : '"'
  return { doc: out, limit }
}

function inspectBinary(bytes: Buffer, limit: number): { doc: Doc; limit: number } {
  if (bytes.length === 0) return { doc: '<<>>', limit }
  const build = (index: number, counter: number): Doc => {
    if (counter === 0) return '...'
    const byte = String(bytes[index] ?? 0)
    if (index === bytes.length - 1) return byte
    return cons(cons(byte, ','), cons(flexBreak(' '), build(index + 1, counter - 1)))
  }
  const doc = group(cons(cons('<<', nest(build(0, limit), 2)), '>>'))
  return { doc, limit: Math.max(0, limit - bytes.length) }
}
