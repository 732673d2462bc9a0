import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { benchCore } from './core.bench.js'
import { benchLocalStack } from './localStack.bench.js'
import { benchPresence } from './presence.bench.js'
import { benchQueue } from './queue.bench.js'
import { benchmarksMarkdown } from './markdown.js'
import type { Figure } from './stats.js'

/** `npm run bench`: every suite; JSON to bench-results/latest.json, the table to stdout and to docs/benchmarks.md. */
async function main(): Promise<void> {
  const figures: Figure[] = []
  figures.push(...(await benchLocalStack()))
  figures.push(...(await benchCore()))
  figures.push(...(await benchPresence()))
  figures.push(...(await benchQueue()))
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    figures,
  }
  await mkdir('bench-results', { recursive: true })
  await writeFile('bench-results/latest.json', `${JSON.stringify(report, null, 2)}\n`)
  await writeFile('docs/benchmarks.md', benchmarksMarkdown(report))
  console.log(JSON.stringify(report))
  console.log()
  console.table(
    figures.map((figure) => ({
      suite: figure.suite,
      figure: figure.name,
      value: `${figure.value} ${figure.unit}`,
      target: figure.target ?? '',
      met: figure.ok === undefined ? '' : figure.ok ? 'yes' : 'NO',
    })),
  )
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
