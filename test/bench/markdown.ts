import type { Chart } from './charts.js'
import type { Figure } from './stats.js'

/** The report fields docs/benchmarks.md shows. */
export interface ReportHeader {
  date: string
  node: string
  cpus: number
  memoryGiB: number
  /** The suites the run covered (absent in reports from before it was recorded). */
  suites?: string[]
  figures: Figure[]
}

/**
 * Marks the polling suite's charts section, so `npm run bench:charts` can redraw it in place after a partial run
 * without touching the rest of the page (a full `npm run bench` rewrites the whole page anyway).
 */
export const POLLING_SECTION_START = '<!-- polling charts: written by npm run bench and npm run bench:charts from the run\'s JSON; edits inside are overwritten -->'
export const POLLING_SECTION_END = '<!-- end of polling charts -->'

/** A figure's value as the tables show it. */
function shown(figure: Figure): string {
  // A percentile of no samples (e.g. raw realtime-js saw no write while Realtime was stopped) is NaN, null in JSON.
  return typeof figure.value === 'number' && Number.isFinite(figure.value) ? `${figure.value} ${figure.unit}` : 'n/a (no samples)'
}

const met = (figure: Figure) => (figure.ok === undefined ? '' : figure.ok ? 'yes' : '**no**')

/** Each chart as an image with how to read it under it. */
function pictures(charts: readonly Chart[]): string {
  return charts.map((chart) => `![${chart.title}](charts/${chart.file})${chart.caption ? `\n\n${chart.caption}` : ''}`).join('\n\n')
}

/**
 * The polling suite's charts between the section markers, or '' without polling charts. `table`: also list the
 * suite's figures (for a partial run, whose figures the page's main table does not hold).
 */
export function pollingSection(report: ReportHeader, charts: readonly Chart[], options: { table: boolean }): string {
  const polling = charts.filter((chart) => chart.suite === 'polling')
  if (polling.length === 0) return ''
  const command = report.suites && report.suites.length === 1 ? `BENCH_ONLY=${report.suites[0]} npm run bench` : 'npm run bench'
  const figures = report.figures.filter((figure) => figure.suite === 'polling')
  const table = options.table
    ? `\n\n| figure | value | target | met |\n|---|---|---|---|\n${figures.map((figure) => `| ${figure.name} | ${shown(figure)} | ${figure.target ?? ''} | ${met(figure)} |`).join('\n')}`
    : ''
  return `${POLLING_SECTION_START}
## The polling suite in pictures (run of ${report.date.slice(0, 10)}, \`${command}\`)

Drawn with Vega-Lite (\`test/bench/charts.ts\`, \`test/bench/timelineCharts.ts\`) from the run's JSON, which records
every write's commit time and when each client saw it, every live table's mode changes and every client's REST
requests (\`test/bench/timeline.ts\`); \`npm run bench:charts <results.json>\` redraws them. In the charts over time,
time runs from the start of the fault schedule and the shaded bands are the phases with a fault injected.

${pictures(polling)}${table}
${POLLING_SECTION_END}`
}

/**
 * `markdown` with its polling section replaced by `section` (appended at the end when the page has none; removed
 * when `section` is empty).
 */
export function replacePollingSection(markdown: string, section: string): string {
  const start = markdown.indexOf(POLLING_SECTION_START)
  const end = markdown.indexOf(POLLING_SECTION_END)
  if (start === -1 || end === -1 || end < start) return section === '' ? markdown : `${markdown.trimEnd()}\n\n${section}\n`
  return `${markdown.slice(0, start)}${section}${markdown.slice(end + POLLING_SECTION_END.length)}`
}

/** The latest figures as the table in docs/benchmarks.md, so the docs always show the last full run. */
export function benchmarksMarkdown(report: ReportHeader, charts: readonly Chart[] = []): string {
  const others = pictures(charts.filter((chart) => chart.suite !== 'polling'))
  const polling = pollingSection(report, charts, { table: false })
  const rows = report.figures.map((figure) => `| ${figure.suite} | ${figure.name} | ${shown(figure)} | ${figure.target ?? ''} | ${met(figure)} |`)
  return `# Benchmarks

Written by \`npm run bench\` (never part of \`npm test\`); the JSON of the same run is in
\`bench-results/latest.json\` (not committed). Last run: ${report.date}, Node ${report.node}, ${report.cpus} cores,
${report.memoryGiB} GiB. Everything — Postgres, PostgREST, the Realtime server, the clients and the writer — shares
these ${report.cpus} cores, so latency figures carry scheduling noise of a few milliseconds and ratios between
runs move by several percent; the "paired" core figures (both sides subscribed at once to the same rows) are the
steadiest comparison with raw realtime-js.

${others === '' ? '' : `${others}\n\n`}| suite | figure | value | target | met |
|---|---|---|---|---|
${rows.join('\n')}

How each figure is measured: \`test/bench/*.bench.ts\` (local stack: \`localStack.bench.ts\`; core vs raw
realtime-js: \`core.bench.ts\`; presence: \`presence.bench.ts\`; queue: \`queue.bench.ts\`; the visibility
guarantee: \`liveTable.bench.ts\`; the React binding: \`react.bench.ts\`; \`sync.inspect()\`: \`inspect.bench.ts\`).

The polling figures come from the construction scenario: 1,000,000 components in 10 projects, 50 writers updating
milestones through PostgREST, and per project three observers signed in as its manager: a live table fed by
postgres_changes, the same live table fed by the project's Broadcast from Database topic (\`source: 'broadcast'\`;
100,000 rows each, real 30 s budget) and a raw realtime-js postgres_changes subscription with the same filter, all in
one run through phases of healthy operation, dropped sockets, blackholed heartbeats, 30 % of changes (and database
broadcasts) lost and Realtime stopped. Commit time is the row's server-stamped \`updated_at\`; a write counts as
visible when the observer holds that version or a newer one, and a write never seen counts as not visible.
${polling === '' ? '' : `\n${polling}\n`}`
}
