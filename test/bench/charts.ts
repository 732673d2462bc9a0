import type { TopLevelSpec } from 'vega-lite'
import type { Figure } from './stats.js'

/** One chart of a benchmark report: an SVG for docs/charts/ and the caption the docs show with it. */
export interface Chart {
  file: string
  title: string
  svg: string
}

/** Renders a Vega-Lite spec to SVG in Node (no canvas: text widths are estimated, which is fine for docs). */
async function render(spec: TopLevelSpec): Promise<string> {
  const vega = await import('vega')
  const { compile } = await import('vega-lite')
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}

const PHASES = ['healthy phase', 'sockets dropped every 15 s', 'heartbeats blackholed', '30 % of changes lost', 'Realtime stopped', 'healthy tail after restart']

/** The value of the figure named exactly `name`, or undefined (missing, or a percentile of no samples). */
function value(figures: readonly Figure[], name: string): number | undefined {
  const figure = figures.find((candidate) => candidate.name === name)
  return figure && Number.isFinite(figure.value) ? figure.value : undefined
}

/**
 * The polling suite's promise in two pictures: commit → visible p99 per phase (supasync against raw realtime-js, log
 * scale) and the share of writes visible within 30 s. Empty when the report has no polling
 * figures.
 */
export async function pollingCharts(figures: readonly Figure[]): Promise<Chart[]> {
  const rows: { phase: string; client: string; p99: number }[] = []
  for (const phase of PHASES) {
    const ours = value(figures, `supasync live table: commit → visible, ${phase}, p99`)
    const raw = value(figures, `raw realtime-js: commit → visible, ${phase}, p99 (of writes seen)`)
    if (ours !== undefined) rows.push({ phase, client: 'supasync live table', p99: Math.max(1, ours) })
    if (raw !== undefined) rows.push({ phase, client: 'raw realtime-js (writes it saw)', p99: Math.max(1, raw) })
  }
  if (rows.length === 0) return []
  const charts: Chart[] = []
  const latency: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Commit → visible, p99 per phase (ms, log scale)', subtitle: 'the promise: every write within 30,000 ms' },
    width: 640,
    height: 260,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'phase', type: 'nominal', sort: PHASES, title: null, axis: { labelAngle: -20, labelLimit: 200 } },
      xOffset: { field: 'client' },
      y: { field: 'p99', type: 'quantitative', scale: { type: 'log', domain: [1, 300_000] }, title: 'ms' },
      // A log scale has no zero: the bars start at 1 ms.
      y2: { datum: 1 },
      color: { field: 'client', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 300 } },
    },
  }
  charts.push({ file: 'polling-latency-p99.svg', title: 'Commit → visible p99 per phase, supasync against raw realtime-js', svg: await render(latency) })
  const shares: { writes: string; client: string; share: number }[] = []
  for (const [label, suffix] of [['all phases', 'all phases'], ['faulted phases', 'faulted phases']] as const) {
    const ours = value(figures, `supasync live table: share of writes visible within 30 s, ${suffix}`)
    const raw = value(figures, `raw realtime-js: share of writes visible within 30 s, ${suffix}`)
    if (ours !== undefined) shares.push({ writes: label, client: 'supasync live table', share: ours })
    if (raw !== undefined) shares.push({ writes: label, client: 'raw realtime-js', share: raw })
  }
  if (shares.length > 0) {
    const share: TopLevelSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Writes visible within 30 s of commit',
      width: 360,
      height: 200,
      data: { values: shares },
      mark: 'bar',
      encoding: {
        x: { field: 'writes', type: 'nominal', title: null, axis: { labelAngle: 0 } },
        xOffset: { field: 'client' },
        y: { field: 'share', type: 'quantitative', scale: { domain: [0, 100] }, title: '%' },
        color: { field: 'client', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 300 } },
      },
    }
    charts.push({ file: 'polling-visible-share.svg', title: 'Share of writes visible within 30 s, supasync against raw realtime-js', svg: await render(share) })
  }
  return charts
}
