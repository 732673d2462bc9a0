import { redact } from './format.js'

/** A child of {@link h}: an element, text (always set as text, never parsed as HTML), or nothing. */
export type Child = Node | string | number | false | null | undefined | readonly Child[]

/** Attributes of {@link h}: strings become attributes, `true` an empty attribute, `false`/undefined none. */
export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>

/**
 * The panel's only way to make DOM: `h(doc, 'td', { class: 'num' }, count)`. Text goes through `textContent` and
 * {@link redact}, attribute values through `redact` too, so nothing a snapshot holds can inject markup or show a
 * credential, whichever tab renders it.
 */
export function h(doc: Document, tag: string, attributes?: Attributes | null, ...children: Child[]): HTMLElement {
  const element = doc.createElement(tag)
  if (attributes) {
    for (const name in attributes) {
      const value = attributes[name]
      if (value === undefined || value === false) continue
      element.setAttribute(name, value === true ? '' : redact(String(value)))
    }
  }
  append(doc, element, children)
  return element
}

function append(doc: Document, parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(doc, parent, child)
    else if (typeof child === 'string' || typeof child === 'number') parent.appendChild(doc.createTextNode(redact(String(child))))
    else parent.appendChild(child as Node)
  }
}

/** A two-column list of facts: `<dl>` with one `<dt>`/`<dd>` pair per entry; entries that are `null` are left out. */
export function facts(doc: Document, entries: readonly ([string, Child] | null)[]): HTMLElement {
  const list = h(doc, 'dl', { class: 'facts' })
  for (const entry of entries) {
    if (!entry) continue
    list.append(h(doc, 'dt', null, entry[0]), h(doc, 'dd', null, entry[1]))
  }
  return list
}

/** A small coloured label, `<span class="pill pill-{tone}">text</span>`. */
export function pill(doc: Document, tone: Tone, text: string): HTMLElement {
  return h(doc, 'span', { class: `pill pill-${tone}` }, text)
}

/** Colours the stylesheet knows: good, busy, warn, bad, muted. */
export type Tone = 'good' | 'busy' | 'warn' | 'bad' | 'muted'

/** The text a tab shows when its section of the snapshot is empty. */
export function empty(doc: Document, text: string): HTMLElement {
  return h(doc, 'p', { class: 'empty' }, text)
}

/** A `<table>` with a header row and one row per item (built by `row`). */
export function table<T>(doc: Document, label: string, headers: readonly string[], items: readonly T[], row: (item: T) => Child[]): HTMLElement {
  return h(
    doc,
    'table',
    { 'aria-label': label },
    h(doc, 'thead', null, h(doc, 'tr', null, headers.map((header) => h(doc, 'th', { scope: 'col' }, header)))),
    h(doc, 'tbody', null, items.map((item) => h(doc, 'tr', null, row(item).map((cell) => h(doc, 'td', null, cell))))),
  )
}
