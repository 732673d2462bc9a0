import type { Chart } from './charts.js'
import type { Figure } from './stats.js'

/** The latest figures as the table in docs/benchmarks.md, so the docs always show the last full run. */
export function benchmarksMarkdown(report: { date: string; node: string; cpus: number; memoryGiB: number; figures: Figure[] }, charts: readonly Chart[] = []): string {
  const pictures = charts.map((chart) => `![${chart.title}](charts/${chart.file})`).join('\n\n')
  const rows = report.figures.map((figure) => {
    const met = figure.ok === undefined ? '' : figure.ok ? 'yes' : '**no**'
    // A percentile of no samples (e.g. raw realtime-js saw no write while Realtime was stopped) is NaN, null in JSON.
    const value = typeof figure.value === 'number' && Number.isFinite(figure.value) ? `${figure.value} ${figure.unit}` : 'n/a (no samples)'
    return `| ${figure.suite} | ${figure.name} | ${value} | ${figure.target ?? ''} | ${met} |`
  })
  return `# Benchmarks

Written by \`npm run bench\` (never part of \`npm test\`); the JSON of the same run is in
\`bench-results/latest.json\` (not committed). Last run: ${report.date}, Node ${report.node}, ${report.cpus} cores,
${report.memoryGiB} GiB. Everything — Postgres, PostgREST, the Realtime server, the clients and the writer — shares
these ${report.cpus} cores, so latency figures carry scheduling noise of a few milliseconds and ratios between
runs move by several percent; the "paired" core figures (both sides subscribed at once to the same rows) are the
steadiest comparison with raw realtime-js.

${pictures === '' ? '' : `${pictures}\n\n`}| suite | figure | value | target | met |
|---|---|---|---|---|
${rows.join('\n')}

How each figure is measured: \`test/bench/*.bench.ts\` (local stack: \`localStack.bench.ts\`; core vs raw
realtime-js: \`core.bench.ts\`; presence: \`presence.bench.ts\`; queue: \`queue.bench.ts\`; the visibility
guarantee: \`liveTable.bench.ts\`; the React binding: \`react.bench.ts\`).

The polling figures come from the construction scenario: 1,000,000 components in 10 projects, 50 writers updating
milestones through PostgREST, one live table per project (100,000 rows each, real 30 s budget) next to a raw
realtime-js subscription with the same filter, through phases of healthy operation, dropped sockets, blackholed
heartbeats, 30 % of changes lost and Realtime stopped. Commit time is the row's server-stamped \`updated_at\`; a write
counts as visible when the observer holds that version or a newer one, and a write never seen counts as not visible.
`
}
