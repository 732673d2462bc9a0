/**
 * The README's metric table is the reference users read: it must list every instrument with its kind and unit, and
 * nothing that does not exist.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CLOSE_REASON_KINDS, SUPASYNC_ATTRIBUTES, SUPASYNC_METRICS } from '../src/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('README', () => {
  it('lists every metric with its instrument and unit', () => {
    const rows = readme
      .split('\n')
      .filter((line) => line.startsWith('| `supasync.') && line.split('|').length >= 6)
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .filter((cells) => ['counter', 'histogram', 'gauge'].includes(cells[2]!))
      .map((cells) => [cells[1], cells[2], cells[3]])
    const expected = Object.values(SUPASYNC_METRICS).map((definition) => [`\`supasync.${definition.name}\``, definition.instrument, `\`${definition.unit === 'duration' ? 's' : definition.unit}\``])
    expect(rows).toEqual(expected)
  })

  it('names every attribute key and every reason kind', () => {
    for (const key of Object.values(SUPASYNC_ATTRIBUTES)) expect(readme, key).toContain(`\`${key}\``)
    for (const kind of CLOSE_REASON_KINDS) expect(readme, kind).toContain(`| \`${kind}\` |`)
  })
})
