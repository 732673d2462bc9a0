// The polling suite's run over time in four Vega-Lite charts, from its recorded timeline (timeline.ts): every write's
// commit → visible through the fault schedule, latency histograms per phase, the live tables' modes, and the REST
// requests per client. Every series in the timeline is drawn (a later client variant needs no change here).
import type { TopLevelSpec } from 'vega-lite'
import type { Chart } from './charts.js'
import { renderSvg } from './renderSvg.js'
import { SERIES, type RunTimeline } from './timeline.js'

type Spec = Record<string, unknown>

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'
/** Plot width in px, the same for every time chart so they line up when read one under the other. */
const WIDTH = 820
/** Series colours, in SERIES order; other series take the rest of the palette (seriesColor). */
const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#9d755d', '#72b7b2']
const MODES = ['realtime', 'polling', 'catching-up', 'offline']
const MODE_COLORS = ['#54a24b', '#eeca3b', '#4c78a8', '#e45756']
/** Where a never-visible write is drawn on the log latency axis (ms): above anything a run can measure. */
const NEVER_MS = 1_000_000
/** Histogram bin width in decades of ms (5 bins per factor of 10). */
const DECADE_STEP = 0.2
/** The histogram's "never" bin, right of 10^6 ms with a gap. */
const NEVER_BIN: [number, number] = [6.3, 6.5]
const BUDGET_COLOR = '#d62728'

/** Series in a stable order: the known ones first (so colours never swap between runs), then any others. */
function seriesOrder(names: Iterable<string>): string[] {
  const known: string[] = Object.values(SERIES)
  const unique = [...new Set(names)]
  return [...known.filter((name) => unique.includes(name)), ...unique.filter((name) => !known.includes(name))]
}

/**
 * A series' colour: each known series keeps its own (SERIES order, so a run without one of them does not shift the
 * others'), other series take the rest of the palette in the order of `series`.
 */
export function seriesColor(name: string, series: readonly string[] = []): string {
  const known: string[] = Object.values(SERIES)
  const index = known.includes(name) ? known.indexOf(name) : known.length + series.filter((other) => !known.includes(other)).indexOf(name)
  return PALETTE[index % PALETTE.length]!
}

function colorScale(series: string[]): Spec {
  return { domain: series, range: series.map((name) => seriesColor(name, series)) }
}

/** A phase name on two lines when long, so labels fit a 35 s band. */
function phaseLabel(name: string): string | string[] {
  if (name.length <= 14) return name
  const words = name.split(' ')
  const half = Math.ceil(words.length / 2)
  return [words.slice(0, half).join(' '), words.slice(half).join(' ')]
}

function timeAxis(timeline: RunTimeline, title: string | null, axis = true): Spec {
  return { type: 'quantitative', scale: { domain: [0, timeline.end], nice: false, zero: false }, title, axis: axis ? { grid: false } : null }
}

/** The phases as shaded bands (faulted ones grey) behind a panel's marks, a thin line where one phase follows another. */
function bandLayers(timeline: RunTimeline, x: Spec): Spec[] {
  return [
    {
      data: { values: timeline.phases.filter((phase) => phase.faulted) },
      mark: { type: 'rect', color: '#000', opacity: 0.07 },
      encoding: { x: { field: 'from', ...x }, x2: { field: 'to' } },
    },
    {
      data: { values: timeline.phases.filter((phase) => phase.from > 0) },
      mark: { type: 'rule', color: '#777', strokeWidth: 0.8 },
      encoding: { x: { field: 'from', ...x } },
    },
  ]
}

/** A strip above a chart naming each phase over its band. */
function phaseStrip(timeline: RunTimeline): Spec {
  const x = timeAxis(timeline, null, false)
  return {
    width: WIDTH,
    height: 30,
    view: { stroke: null },
    layer: [
      ...bandLayers(timeline, x),
      {
        data: { values: timeline.phases.map((phase) => ({ ...phase, label: phaseLabel(phase.name), middle: (phase.from + phase.to) / 2 })) },
        mark: { type: 'text', fontSize: 10, baseline: 'middle', color: '#333' },
        encoding: { x: { field: 'middle', ...x }, y: { value: 15 }, text: { field: 'label' } },
      },
    ],
  }
}

/** Latency axis labels in ms and s, with the "never visible" row on top. */
const LATENCY_LABELS = `datum.value >= ${NEVER_MS} ? 'never' : datum.value >= 1000 ? format(datum.value / 1000, ',') + ' s' : datum.value + ' ms'`

/** Chart 1: one dot per write per series, commit time against commit → visible, never-visible writes on top. */
function commitToVisibleSpec(timeline: RunTimeline, series: string[]): TopLevelSpec {
  const x = timeAxis(timeline, 'commit time (s since the fault schedule started)')
  const panels = series.map((name) => {
    const latencies = timeline.writes.visible[name]!
    const seen: { t: number; ms: number }[] = []
    const never: { t: number }[] = []
    latencies.forEach((ms, write) => {
      const t = timeline.writes.commit[write]!
      // A log axis has no zero: visible within 1 ms is drawn at 1 ms.
      if (ms === null) never.push({ t })
      else seen.push({ t, ms: Math.max(1, ms) })
    })
    const late = latencies.filter((ms) => ms !== null && ms > timeline.budgetMs).length
    return {
      title: { text: name, subtitle: `${latencies.length} writes: ${never.length} never visible, ${late} visible after ${timeline.budgetMs / 1000} s`, anchor: 'start', fontSize: 12 },
      width: WIDTH,
      height: 220,
      layer: [
        ...bandLayers(timeline, x),
        {
          data: { values: seen },
          // Small squares drawn as rects (half the bytes of a circle symbol) and no per-dot description (aria):
          // thousands of dots would otherwise make the SVG several MB.
          mark: { type: 'rect', width: 2.4, height: 2.4, opacity: 0.45, color: seriesColor(name, series), aria: false },
          encoding: {
            x: { field: 't', ...x },
            y: {
              field: 'ms',
              type: 'quantitative',
              scale: { type: 'log', domain: [1, NEVER_MS] },
              title: 'commit → visible (log scale)',
              axis: { values: [1, 10, 100, 1000, 10_000, 100_000, NEVER_MS], labelExpr: LATENCY_LABELS },
            },
          },
        },
        {
          data: { values: never },
          // A tick per never-visible write: a red rug along the top row.
          mark: { type: 'tick', orient: 'vertical', thickness: 1, size: 10, color: BUDGET_COLOR, opacity: 0.6, aria: false },
          encoding: { x: { field: 't', ...x }, y: { datum: NEVER_MS, type: 'quantitative' } },
        },
        {
          data: { values: [{}] },
          mark: { type: 'rule', color: BUDGET_COLOR, strokeDash: [6, 4] },
          encoding: { y: { datum: timeline.budgetMs, type: 'quantitative' } },
        },
        {
          data: { values: [{}] },
          mark: { type: 'text', color: BUDGET_COLOR, align: 'right', dx: -2, dy: -7, fontSize: 10, text: `${timeline.budgetMs / 1000} s budget` },
          encoding: { x: { value: WIDTH }, y: { datum: timeline.budgetMs, type: 'quantitative' } },
        },
      ],
    }
  })
  return {
    $schema: SCHEMA,
    title: { text: 'Commit → visible of every write, through the fault schedule', subtitle: 'one dot per write and client; red ticks on the top row: never visible' },
    vconcat: [phaseStrip(timeline), ...panels],
    spacing: 8,
  } as unknown as TopLevelSpec
}

/** Chart 2: per phase, the share of its writes in each latency bin (log bins), per series, and the never bin. */
function histogramSpec(timeline: RunTimeline, series: string[]): TopLevelSpec {
  const phaseNames = timeline.phases.map((phase) => phase.name)
  const rows: Spec[] = []
  timeline.phases.forEach((phase, phaseIndex) => {
    const writes = timeline.writes.phase.flatMap((value, write) => (value === phaseIndex ? [write] : []))
    series.forEach((name, slot) => {
      const counts = new Map<number, number>()
      for (const write of writes) {
        const ms = timeline.writes.visible[name]![write]
        const bin = ms === null ? -1 : Math.min(6 / DECADE_STEP - 1, Math.max(0, Math.floor(Math.log10(Math.max(1, ms!)) / DECADE_STEP)))
        counts.set(bin, (counts.get(bin) ?? 0) + 1)
      }
      for (const [bin, count] of counts) {
        const [from, to] = bin === -1 ? NEVER_BIN : [bin * DECADE_STEP, (bin + 1) * DECADE_STEP]
        // Side by side within the bin (one slot per series), so overlapping bars never mix their colours.
        const slotWidth = (to - from) / series.length
        rows.push({ kind: 'bin', phase: phase.name, series: name, from: from + slot * slotWidth, to: from + (slot + 1) * slotWidth, share: (count / writes.length) * 100 })
      }
    })
    rows.push({ kind: 'budget', phase: phase.name, x: Math.log10(timeline.budgetMs) })
  })
  const x = {
    type: 'quantitative',
    scale: { domain: [0, NEVER_BIN[1]], nice: false },
    title: 'commit → visible (log scale)',
    axis: { values: [0, 1, 2, 3, 4, 5, (NEVER_BIN[0] + NEVER_BIN[1]) / 2], labelExpr: `datum.value > 6 ? 'never' : datum.value >= 3 ? format(pow(10, datum.value - 3), ',') + ' s' : pow(10, datum.value) + ' ms'`, grid: false },
  }
  return {
    $schema: SCHEMA,
    title: { text: 'Commit → visible per fault phase', subtitle: "share of the phase's writes per latency bin (5 bins per factor of 10); right: never visible" },
    data: { values: rows },
    facet: { field: 'phase', type: 'nominal', sort: phaseNames, title: null, header: { labelFontSize: 11, labelFontWeight: 'bold' } },
    columns: 3,
    spec: {
      width: 250,
      height: 130,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'bin'" }],
          mark: { type: 'rect' },
          encoding: {
            x: { field: 'from', ...x },
            x2: { field: 'to' },
            y: { field: 'share', type: 'quantitative', title: '% of writes' },
            y2: { datum: 0 },
            color: { field: 'series', type: 'nominal', scale: colorScale(series), title: null, legend: { orient: 'top', labelLimit: 300 } },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'budget'" }],
          mark: { type: 'rule', color: BUDGET_COLOR, strokeDash: [4, 3] },
          encoding: { x: { field: 'x', ...x } },
        },
      ],
    },
  } as unknown as TopLevelSpec
}

/** Chart 3: one row per live table, its mode over time as coloured bars, with the phases behind. */
function modesSpec(timeline: RunTimeline): TopLevelSpec {
  // One block of rows per series (in series order), its tables in the order the timeline lists them.
  const order = seriesOrder(timeline.modes.map((entry) => entry.series))
  const entries = order.flatMap((series) => timeline.modes.filter((entry) => entry.series === series))
  const several = order.length > 1
  const tables = entries.map((entry) => (several ? `${entry.series} · ${entry.table}` : entry.table))
  const segments = entries.flatMap((entry, index) =>
    entry.mode.map((mode, at) => ({ table: tables[index], mode, from: Math.max(0, entry.at[at]!), to: Math.min(timeline.end, entry.at[at + 1] ?? timeline.end) })).filter((segment) => segment.to > segment.from),
  )
  const x = timeAxis(timeline, 's since the fault schedule started')
  return {
    $schema: SCHEMA,
    title: { text: "Live tables' freshness mode over time", subtitle: several ? 'one row per live table (one per project and source)' : 'one row per live table (one project each)' },
    vconcat: [
      phaseStrip(timeline),
      {
        width: WIDTH,
        height: Math.max(60, tables.length * 16),
        layer: [
          ...bandLayers(timeline, x),
          {
            data: { values: segments },
            mark: { type: 'bar', height: { band: 0.8 } },
            encoding: {
              x: { field: 'from', ...x },
              x2: { field: 'to' },
              y: { field: 'table', type: 'nominal', sort: tables, title: null, axis: { labelLimit: 400 } },
              color: { field: 'mode', type: 'nominal', scale: { domain: MODES, range: MODE_COLORS }, title: 'mode', legend: { orient: 'top' } },
            },
          },
        ],
      },
    ],
    spacing: 4,
  } as unknown as TopLevelSpec
}

/**
 * Chart 4: REST requests per second of every client over time, one line each; one panel per series that started
 * any (on a shared scale, so the panels compare), the others named in the caption.
 */
function requestsSpec(timeline: RunTimeline, series: string[]): TopLevelSpec {
  const bucket = timeline.requestBucketSeconds
  const points = timeline.requests.flatMap((entry) =>
    entry.counts.flatMap((count, index) => {
      const from = index * bucket
      const to = Math.min(timeline.end, from + bucket)
      // A last bucket cut short by the end of the run would show a rate from a few requests: left out.
      return to - from < bucket / 2 ? [] : [{ series: entry.series, client: `${entry.series} ${entry.client}`, t: from, rate: count / (to - from) }]
    }),
  )
  const active = series.filter((name) => points.some((point) => point.series === name && point.rate > 0))
  const drawn = active.length > 0 ? active : series
  const top = Math.max(1, ...points.map((point) => point.rate))
  const x = timeAxis(timeline, 's since the fault schedule started')
  const panels = drawn.map((name) => ({
    title: { text: name, anchor: 'start', fontSize: 12 },
    width: WIDTH,
    height: 150,
    layer: [
      ...bandLayers(timeline, x),
      {
        data: { values: points.filter((point) => point.series === name) },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.2, opacity: 0.7, color: seriesColor(name, series) },
        encoding: {
          x: { field: 't', ...x },
          y: { field: 'rate', type: 'quantitative', title: 'requests/s', scale: { domain: [0, top] } },
          detail: { field: 'client' },
        },
      },
    ],
  }))
  return {
    $schema: SCHEMA,
    title: { text: 'REST requests per second of each client', subtitle: `one line per client (one per project), one panel per series that started requests, counted per ${bucket} s` },
    vconcat: [phaseStrip(timeline), ...panels],
    spacing: 8,
  } as unknown as TopLevelSpec
}

/** "a: 1,234 requests, b: none": each series' total, for the requests chart's caption. */
function requestTotals(timeline: RunTimeline, series: string[]): string {
  return series
    .map((name) => {
      const total = timeline.requests.filter((entry) => entry.series === name).reduce((sum, entry) => sum + entry.counts.reduce((a, b) => a + b, 0), 0)
      return `${name} ${total === 0 ? 'started none' : `${total.toLocaleString('en-US')} in total`}`
    })
    .join(', ')
}

/** The four timeline charts of one polling run, with how to read each. */
export async function timelineCharts(timeline: RunTimeline): Promise<Chart[]> {
  const series = seriesOrder(Object.keys(timeline.writes.visible))
  const requestSeries = seriesOrder(timeline.requests.map((entry) => entry.series))
  const budget = `${timeline.budgetMs / 1000} s`
  return [
    {
      suite: 'polling',
      file: 'polling-commit-to-visible.svg',
      title: "Commit → visible of every write over the fault schedule, per client (supasync's live tables, raw realtime-js)",
      svg: await renderSvg(commitToVisibleSpec(timeline, series)),
      caption: `Each dot is one write as one client saw it: left to right by commit time (the shaded bands are the fault phases), up by commit → visible on a log scale. The dashed line is the ${budget} budget and a red tick on the top row is a write that client never received: the promise is kept when a client's panel has no dot above the line and no tick on top.`,
    },
    {
      suite: 'polling',
      file: 'polling-latency-histograms.svg',
      title: "Commit → visible histograms per fault phase, per client (supasync's live tables, raw realtime-js)",
      svg: await renderSvg(histogramSpec(timeline, series)),
      caption: `Per phase, the share of that phase's writes in each latency bin (5 bins per factor of 10), the clients side by side; the bars at "never" are writes a client never received, and the dashed line is the ${budget} budget.`,
    },
    {
      suite: 'polling',
      file: 'polling-modes.svg',
      title: "Live tables' freshness mode over the fault schedule",
      svg: await renderSvg(modesSpec(timeline)),
      caption: 'Each row is one live table (grouped by series when there are several), coloured by its freshness mode: green while its Realtime subscription is proven (joined, heartbeats answered), yellow while it polls, blue while a catch-up read after a gap is pending, red while offline (no network or failing REST). Read it against the phase bands: how long a fault takes to notice and how long the tables take to trust Realtime again.',
    },
    {
      suite: 'polling',
      file: 'polling-requests.svg',
      title: 'REST requests per second of each client over the fault schedule',
      svg: await renderSvg(requestsSpec(timeline, requestSeries)),
      caption: `The cost of the guarantee over time: REST requests each client started per second (polls, catch-up reads, key sweeps), one line per client and one panel per series that started any, on one scale. Over the run: ${requestTotals(timeline, requestSeries)}.`,
    },
  ]
}
