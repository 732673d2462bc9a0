import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkBlocks, extractBlocks, markdownFiles, type CodeBlock } from './codeBlocks.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

describe('code blocks of the READMEs and docs/', () => {
  const blocks: CodeBlock[] = markdownFiles(root).flatMap((file) => extractBlocks(file, readFileSync(join(root, file), 'utf8')))

  it('type-check (strict, the repository settings), each block as its own module', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8)
    const errors = checkBlocks(root, join(root, '.tmp', `doc-blocks-${process.pid}`), blocks)
    expect(errors.map((error) => `${error.file}:${error.line}: ${error.message}`).join('\n')).toBe('')
  }, 60_000)

  it('covers the package READMEs and their sub-READMEs (sql/)', () => {
    const files = markdownFiles(root)
    expect(files).toContain(join('packages', 'core', 'README.md'))
    expect(files).toContain(join('packages', 'polling', 'sql', 'README.md'))
  })

  it('opt out only with a reason', () => {
    const skipped = blocks.filter((block) => block.skip !== undefined)
    expect(skipped.filter((block) => block.skip === '').map((block) => `${block.file}:${block.line}`)).toEqual([])
  })

  it('the extractor finds blocks, their lines and opt-outs, and the checker names file and line', () => {
    const markdown = ['# t', '', '```ts', "const n: number = 'x'", '```', '', '```sh', 'npm test', '```', '', '```ts', '// doc-check: skip — partial', 'nope(', '```'].join('\n')
    const found = extractBlocks('x.md', markdown)
    expect(found.map((block) => [block.line, block.skip])).toEqual([[4, undefined], [12, 'partial']])
    const errors = checkBlocks(root, join(root, '.tmp', `doc-blocks-self-${process.pid}`), found)
    expect(errors).toEqual([{ file: 'x.md', line: 4, message: expect.stringContaining("TS2322: Type 'string' is not assignable to type 'number'") }])
  }, 60_000)
})
