/**
 * `npm run bench:charts [results.json]`: draws the charts of a benchmark report (default bench-results/latest.json)
 * into docs/charts/. `npm run bench` does it for every full run; run it by hand after a partial one.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { bindingCharts, pollingCharts } from './charts.js'
import type { Figure } from './stats.js'

async function main(): Promise<void> {
  const file = process.argv[2] ?? 'bench-results/latest.json'
  const report = JSON.parse(await readFile(file, 'utf8')) as { date: string; figures: Figure[] }
  const charts = [...(await pollingCharts(report.figures)), ...(await bindingCharts(report.figures))]
  if (charts.length === 0) throw new Error(`${file} has no polling, react or vue figures to draw: run BENCH_ONLY=polling,react,vue npm run bench first.`)
  await mkdir('docs/charts', { recursive: true })
  for (const chart of charts) await writeFile(`docs/charts/${chart.file}`, chart.svg)
  console.log(`${charts.length} charts of the run of ${report.date} written to docs/charts/: ${charts.map((chart) => chart.file).join(', ')}`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
