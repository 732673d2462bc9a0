/**
 * `npm run bench:charts [results.json] [directory]`: draws the charts of a benchmark report (default
 * bench-results/latest.json) into docs/charts/ and redraws the polling section of docs/benchmarks.md from it (with
 * that run's polling figures), leaving the rest of the page as it is. `npm run bench` does both for every full run;
 * run this by hand after a partial one, e.g. `npm run bench:charts bench-results/polling.json`. With a directory
 * other than docs/charts (e.g. to look at a quick run's charts) only the SVGs are written there.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { bindingCharts, pollingCharts } from './charts.js'
import { pollingSection, replacePollingSection, type ReportHeader } from './markdown.js'

const DOCS_CHARTS = 'docs/charts'
const DOCS_PAGE = 'docs/benchmarks.md'

async function main(): Promise<void> {
  const file = process.argv[2] ?? 'bench-results/latest.json'
  const directory = process.argv[3] ?? DOCS_CHARTS
  const report = JSON.parse(await readFile(file, 'utf8')) as ReportHeader
  if (!Array.isArray(report.figures)) throw new Error(`${file} is not a benchmark report (no "figures" array): pass a file npm run bench wrote, e.g. bench-results/polling.json.`)
  const charts = [...(await pollingCharts(report.figures)), ...(await bindingCharts(report.figures))]
  if (charts.length === 0) throw new Error(`${file} has no polling, react or vue figures to draw: run BENCH_ONLY=polling,react,vue npm run bench first.`)
  await mkdir(directory, { recursive: true })
  for (const chart of charts) await writeFile(`${directory}/${chart.file}`, chart.svg)
  console.log(`${charts.length} charts of the run of ${report.date} written to ${directory}/: ${charts.map((chart) => chart.file).join(', ')}`)
  if (resolve(directory) !== resolve(DOCS_CHARTS)) return
  const section = pollingSection(report, charts, { table: true })
  if (section === '') return
  const page = await readFile(DOCS_PAGE, 'utf8')
  await writeFile(DOCS_PAGE, replacePollingSection(page, section))
  console.log(`${DOCS_PAGE}: the polling section now shows the run of ${report.date}`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
