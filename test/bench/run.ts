import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { benchCore } from './core.bench.js'
import { benchDevtools } from './devtools.bench.js'
import { benchKeyDigest } from './keyDigest.bench.js'
import { benchInspect } from './inspect.bench.js'
import { benchLiveTable } from './liveTable.bench.js'
import { benchLocalStack } from './localStack.bench.js'
import { benchPollCost } from './pollCost.bench.js'
import { benchPresence } from './presence.bench.js'
import { benchQueue } from './queue.bench.js'
import { benchReact } from './react.bench.js'
import { benchVue } from './vue.bench.js'
import { bindingCharts, pollingCharts } from './charts.js'
import { benchmarksMarkdown } from './markdown.js'
import type { Figure } from './stats.js'

/** Every suite, in the order of a full run. */
const SUITES: Record<string, () => Promise<Figure[]>> = {
  local: benchLocalStack,
  core: benchCore,
  presence: benchPresence,
  queue: benchQueue,
  polling: benchLiveTable,
  cost: benchPollCost,
  digest: benchKeyDigest,
  react: benchReact,
  vue: benchVue,
  devtools: benchDevtools,
  inspect: benchInspect,
}

/** BENCH_ONLY=polling (or a comma-separated list, e.g. core,queue) runs just those suites; unset: all of them. */
function selectedSuites(): string[] {
  const only = process.env.BENCH_ONLY?.trim()
  if (!only) return Object.keys(SUITES)
  const names = only.split(',').map((name) => name.trim()).filter((name) => name !== '')
  const unknown = names.filter((name) => !(name in SUITES))
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`BENCH_ONLY: unknown suite ${unknown.map((name) => `"${name}"`).join(', ') || '(empty)'}; choose from ${Object.keys(SUITES).join(', ')}`)
  }
  return Object.keys(SUITES).filter((name) => names.includes(name))
}

/**
 * `npm run bench`: every suite; JSON to bench-results/latest.json, the table to stdout and to docs/benchmarks.md.
 * With BENCH_ONLY set, a partial run: JSON to bench-results/<suites>.json only (docs/benchmarks.md and latest.json
 * always show a full run).
 */
async function main(): Promise<void> {
  const suites = selectedSuites()
  const partial = Boolean(process.env.BENCH_ONLY?.trim())
  const figures: Figure[] = []
  for (const suite of suites) figures.push(...(await SUITES[suite]!()))
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    suites,
    figures,
  }
  await mkdir('bench-results', { recursive: true })
  if (partial) {
    await writeFile(`bench-results/${suites.join('+')}.json`, `${JSON.stringify(report, null, 2)}\n`)
  } else {
    await writeFile('bench-results/latest.json', `${JSON.stringify(report, null, 2)}\n`)
    const charts = [...(await pollingCharts(figures)), ...(await bindingCharts(figures))]
    await mkdir('docs/charts', { recursive: true })
    for (const chart of charts) await writeFile(`docs/charts/${chart.file}`, chart.svg)
    await writeFile('docs/benchmarks.md', benchmarksMarkdown(report, charts))
  }
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
