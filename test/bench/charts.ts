import type { TopLevelSpec } from 'vega-lite'
import { renderSvg as render } from './renderSvg.js'
import type { Figure } from './stats.js'
import { findTimeline, SERIES } from './timeline.js'
import { seriesColor, timelineCharts } from './timelineCharts.js'

/** One chart of a benchmark report: an SVG for docs/charts/ and the caption the docs show with it. */
export interface Chart {
  /** The suite whose figures it draws: docs/benchmarks.md groups the charts by it. */
  suite: string
  file: string
  /** The image's alt text. */
  title: string
  svg: string
  /** How to read the chart: one or two sentences shown under it in docs/benchmarks.md. */
  caption?: string
}

const PHASES = ['healthy phase', 'sockets dropped every 15 s', 'heartbeats blackholed', '30 % of changes lost', 'Realtime stopped', 'healthy tail after restart']

/** The value of the first figure named exactly one of `names`, or undefined (missing, or a percentile of no samples). */
function value(figures: readonly Figure[], ...names: string[]): number | undefined {
  for (const name of names) {
    const figure = figures.find((candidate) => candidate.name === name)
    if (figure) return Number.isFinite(figure.value) ? figure.value : undefined
  }
  return undefined
}

/**
 * The polling suite's clients in the summary charts, in the timeline charts' series order and colours
 * (timelineCharts.ts): each with the figure-name prefix of its current reports and of older ones (before the
 * broadcast series, the postgres_changes live table was "supasync live table").
 */
const CLIENTS = [
  { client: SERIES.supasync, prefixes: ['supasync live table (postgres_changes)', 'supasync live table'], seenOnly: false },
  { client: SERIES.raw, prefixes: ['raw realtime-js'], seenOnly: true },
  { client: SERIES.broadcast, prefixes: ['supasync live table (broadcast)'], seenOnly: false },
] as const

/** A client's name in the latency chart: raw realtime-js's percentiles are of the writes it saw at all. */
const latencyLabel = ({ client, seenOnly }: { client: string; seenOnly: boolean }) => (seenOnly ? `${client} (writes it saw)` : client)

/**
 * The polling suite's promise in pictures: commit → visible p99 per phase (each supasync live-table source against
 * raw realtime-js, log scale), the share of writes visible within 30 s, and, from the run's recorded timeline
 * (test/bench/timeline.ts), every write over time, latency histograms per phase, the live tables' modes and the REST
 * requests per client. Empty when the report has no polling figures; without a timeline (an older report) only the
 * first two.
 */
export async function pollingCharts(figures: readonly Figure[]): Promise<Chart[]> {
  const timeline = findTimeline(figures)
  return [...(await summaryCharts(figures)), ...(timeline ? await timelineCharts(timeline) : [])]
}

/** Commit → visible p99 per phase and the share visible within 30 s, from the summary figures. */
async function summaryCharts(figures: readonly Figure[]): Promise<Chart[]> {
  const rows: { phase: string; client: string; p99: number }[] = []
  const drawn = new Set<string>()
  for (const phase of PHASES) {
    for (const { client, prefixes, seenOnly } of CLIENTS) {
      const found = value(figures, ...prefixes.map((prefix) => `${prefix}: commit → visible, ${phase}, p99${seenOnly ? ' (of writes seen)' : ''}`))
      if (found === undefined) continue
      rows.push({ phase, client: latencyLabel({ client, seenOnly }), p99: Math.max(1, found) })
      drawn.add(client)
    }
  }
  if (rows.length === 0) return []
  const clients = CLIENTS.filter(({ client }) => drawn.has(client))
  const labels = clients.map(latencyLabel)
  const charts: Chart[] = []
  const latency: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Commit → visible, p99 per phase (ms, log scale)', subtitle: 'the promise: every write within 30,000 ms' },
    width: 640,
    height: 260,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'phase', type: 'nominal', sort: PHASES, title: null, axis: { labelAngle: -20, labelLimit: 300 } },
      xOffset: { field: 'client', sort: labels },
      y: { field: 'p99', type: 'quantitative', scale: { type: 'log', domain: [1, 300_000] }, title: 'ms' },
      // A log scale has no zero: the bars start at 1 ms.
      y2: { datum: 1 },
      color: {
        field: 'client',
        type: 'nominal',
        title: null,
        scale: { domain: labels, range: clients.map(({ client }) => seriesColor(client)) },
        legend: { orient: 'top', labelLimit: 300 },
      },
    },
  }
  charts.push({
    suite: 'polling',
    file: 'polling-latency-p99.svg',
    title: "Commit → visible p99 per phase, supasync's live tables against raw realtime-js",
    svg: await render(latency),
    caption: "One group of bars per fault phase, on a log scale: the p99 of commit → visible for supasync's live tables (fed by postgres_changes, and by a Broadcast from Database topic) and for raw realtime-js. Raw realtime-js's bar counts only the writes it saw at all, so a short bar there can hide many writes it never delivered (the next chart).",
  })
  const shares: { writes: string; client: string; share: number }[] = []
  for (const [label, suffix] of [['all phases', 'all phases'], ['faulted phases', 'faulted phases']] as const) {
    for (const { client, prefixes } of CLIENTS) {
      const found = value(figures, ...prefixes.map((prefix) => `${prefix}: share of writes visible within 30 s, ${suffix}`))
      if (found !== undefined) shares.push({ writes: label, client, share: found })
    }
  }
  if (shares.length > 0) {
    const present = CLIENTS.filter(({ client }) => shares.some((share) => share.client === client))
    const share: TopLevelSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Writes visible within 30 s of commit',
      width: 360,
      height: 200,
      data: { values: shares },
      mark: 'bar',
      encoding: {
        x: { field: 'writes', type: 'nominal', title: null, axis: { labelAngle: 0 } },
        xOffset: { field: 'client', sort: present.map(({ client }) => client) },
        y: { field: 'share', type: 'quantitative', scale: { domain: [0, 100] }, title: '%' },
        color: { field: 'client', type: 'nominal', title: null, scale: { domain: present.map(({ client }) => client), range: present.map(({ client }) => seriesColor(client)) }, legend: { orient: 'top', labelLimit: 300 } },
      },
    }
    charts.push({
      suite: 'polling',
      file: 'polling-visible-share.svg',
      title: "Share of writes visible within 30 s, supasync's live tables against raw realtime-js",
      svg: await render(share),
      caption: 'The share of all writes, and of the writes made during a fault, that each client held within 30 s of their commit; the promise is 100 % for both supasync live tables.',
    })
  }
  return charts
}

const BINDING_PHASES = ['healthy', 'sockets dropped', 'heartbeats blackholed', '30 % of changes lost', 'all phases']

/**
 * The bindings suites in two pictures: the share of writes a component shows within 30 s per fault phase
 * (useLiveTable against the hand-written useEffect + channel hook), and renders per change for 1, 100 and 10,000
 * consumers of one live table, with and without a selector (React and Vue). Empty without those figures.
 */
export async function bindingCharts(figures: readonly Figure[]): Promise<Chart[]> {
  const charts: Chart[] = []
  const shares: { phase: string; client: string; share: number }[] = []
  for (const phase of BINDING_PHASES) {
    const ours = value(figures, `useLiveTable: share of writes shown within 30 s, ${phase}`)
    const anchor = value(figures, `hand-written useEffect + channel: share of writes shown within 30 s, ${phase}`)
    if (ours !== undefined) shares.push({ phase, client: 'useLiveTable (@supasync/react)', share: ours })
    if (anchor !== undefined) shares.push({ phase, client: 'hand-written useEffect + supabase.channel()', share: anchor })
  }
  if (shares.length > 0) {
    charts.push({
      suite: 'bindings',
      file: 'react-visible-share.svg',
      title: 'Writes a React component shows within 30 s, per fault phase',
      svg: await render({
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Writes shown in the DOM within 30 s of commit (%)',
        width: 560,
        height: 220,
        data: { values: shares },
        mark: 'bar',
        encoding: {
          x: { field: 'phase', type: 'nominal', sort: BINDING_PHASES, title: null, axis: { labelAngle: -15, labelLimit: 200 } },
          xOffset: { field: 'client' },
          y: { field: 'share', type: 'quantitative', scale: { domain: [0, 100] }, title: '%' },
          color: { field: 'client', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 300 } },
        },
      }),
    })
  }
  const renders: { consumers: number; series: string; renders: number }[] = []
  for (const consumers of [1, 100, 10_000]) {
    const count = consumers === 1 ? '1 component' : `${consumers.toLocaleString('en-US')} components`
    const consumerLabel = consumers === 1 ? '1 consumer' : `${consumers.toLocaleString('en-US')} consumers`
    const series: [string, string][] = [
      ['React, select one row', `renders per change, ${count} with select (one row each), 10,000-row table`],
      ['React, whole Map', `renders per change, ${count} reading the whole Map (no select), 10,000-row table`],
      ['Vue, select one row', `component updates per change, ${consumerLabel} of one live table, select one row`],
      ['Vue, whole rows', `component updates per change, ${consumerLabel} of one live table, whole rows`],
    ]
    for (const [name, figure] of series) {
      const found = value(figures, figure)
      if (found !== undefined) renders.push({ consumers, series: name, renders: Math.max(1, found) })
    }
  }
  if (renders.length > 0) {
    charts.push({
      suite: 'bindings',
      file: 'bindings-renders-per-change.svg',
      title: 'Renders per changed row, 1 to 10,000 components sharing one live table',
      svg: await render({
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: 'Component renders per changed row (log scale)', subtitle: 'consumers of one live table; with a selector only the one that shows the row renders' },
        width: 420,
        height: 240,
        data: { values: renders },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'consumers', type: 'quantitative', scale: { type: 'log', domain: [1, 10_000] }, title: 'components sharing the table' },
          y: { field: 'renders', type: 'quantitative', scale: { type: 'log', domain: [1, 10_000] }, title: 'renders per change' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 300 } },
          // The same legend as colour, so Vega-Lite merges the two into one (colour and dash per series).
          strokeDash: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 300 } },
        },
      }),
    })
  }
  return charts
}
