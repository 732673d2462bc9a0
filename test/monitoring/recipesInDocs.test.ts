/**
 * docs/monitoring.md shows the recipes the tests in this folder run: each `<!-- recipe: path -->` marker is followed
 * by a ts block holding that file byte for byte, and every file under docs/recipes/ is shown.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { extractBlocks } from '../docs/codeBlocks.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

describe('docs/monitoring.md', () => {
  it('shows each recipe file verbatim, right after its marker', () => {
    const markdown = readFileSync(join(root, 'docs', 'monitoring.md'), 'utf8')
    const lines = markdown.split('\n')
    const blocks = extractBlocks('docs/monitoring.md', markdown)
    const shown: string[] = []
    lines.forEach((line, index) => {
      const marker = /^<!-- recipe: (\S+) -->$/.exec(line)
      if (!marker) return
      // The block opens on the next line; extractBlocks numbers a block by its first code line.
      const block = blocks.find((candidate) => candidate.line === index + 3)
      expect(block, `a ts block right after the marker for ${marker[1]}`).toBeDefined()
      expect(`${block!.code}\n`).toBe(readFileSync(join(root, marker[1]!), 'utf8'))
      shown.push(marker[1]!)
    })
    const recipes = readdirSync(join(root, 'docs', 'recipes')).filter((name) => name.endsWith('.ts')).map((name) => `docs/recipes/${name}`)
    expect(shown.sort()).toEqual(recipes.sort())
  })
})
