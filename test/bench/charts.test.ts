import { describe, expect, it } from 'vitest'
import { bindingCharts, pollingCharts } from './charts.js'
import type { Figure } from './stats.js'
import { TIMELINE_FIGURE, type RunTimeline } from './timeline.js'

const figure = (suite: string, name: string, value: number): Figure => ({ suite, name, value, unit: 'x' })

const timeline: RunTimeline = {
  phases: [{ name: 'healthy', from: 0, to: 10, faulted: false }],
  end: 12,
  budgetMs: 30_000,
  writes: { commit: [1, 2], phase: [0, 0], visible: { 'supasync postgres_changes': [10, 12], 'raw realtime-js': [11, null] } },
  modes: [{ series: 'supasync postgres_changes', table: 'project 1', at: [0], mode: ['realtime'] }],
  requestBucketSeconds: 5,
  requests: [{ series: 'supasync postgres_changes', client: 'project 1', counts: [1, 2, 0] }],
}

const summary = [
  figure('polling', 'supasync live table: commit → visible, healthy phase, p99', 20),
  figure('polling', 'raw realtime-js: commit → visible, healthy phase, p99 (of writes seen)', 21),
  figure('polling', 'supasync live table: share of writes visible within 30 s, all phases', 100),
  figure('polling', 'raw realtime-js: share of writes visible within 30 s, all phases', 50),
]

describe('the charts of a benchmark report', () => {
  it('polling: the two summary charts, and the four timeline charts when the report recorded the run over time', async () => {
    expect((await pollingCharts(summary)).map((chart) => chart.file)).toEqual(['polling-latency-p99.svg', 'polling-visible-share.svg'])
    const charts = await pollingCharts([...summary, { ...figure('polling', TIMELINE_FIGURE, 12), details: { timeline } }])
    expect(charts.map((chart) => chart.file)).toEqual([
      'polling-latency-p99.svg',
      'polling-visible-share.svg',
      'polling-commit-to-visible.svg',
      'polling-latency-histograms.svg',
      'polling-modes.svg',
      'polling-requests.svg',
    ])
    for (const chart of charts) {
      expect(chart.suite).toBe('polling')
      expect(chart.caption).toBeTruthy()
      expect(chart.svg.startsWith('<svg')).toBe(true)
    }
    expect(await pollingCharts([figure('core', 'delivery p50', 5)])).toEqual([])
  })

  it("polling summary: one bar per client in its timeline colour (supasync's two live-table sources and raw realtime-js); an older report's \"supasync live table\" figures still draw", async () => {
    const bars = async (figures: Figure[], file: string) => {
      const chart = (await pollingCharts(figures)).find((candidate) => candidate.file === file)
      return [...(chart?.svg ?? '').matchAll(/<path[^>]*aria-label="([^"]*)"[^>]*fill="([^"]*)"/g)].map((match) => `${match[1]} ${match[2]}`)
    }
    const current = [
      figure('polling', 'supasync live table (postgres_changes): commit → visible, healthy phase, p99', 20),
      figure('polling', 'raw realtime-js: commit → visible, healthy phase, p99 (of writes seen)', 21),
      figure('polling', 'supasync live table (broadcast): commit → visible, healthy phase, p99', 15),
      figure('polling', 'supasync live table (broadcast): share of writes visible within 30 s, all phases', 100),
    ]
    expect(await bars(current, 'polling-latency-p99.svg')).toEqual([
      'phase: healthy phase; ms: 20; client: supasync postgres_changes #4c78a8',
      'phase: healthy phase; ms: 21; client: raw realtime-js (writes it saw) #f58518',
      'phase: healthy phase; ms: 15; client: supasync broadcast #54a24b',
    ])
    // Only the broadcast share is reported: it keeps its own colour.
    expect(await bars(current, 'polling-visible-share.svg')).toEqual(['writes: all phases; %: 100; client: supasync broadcast #54a24b'])
    expect(await bars(summary, 'polling-visible-share.svg')).toEqual([
      'writes: all phases; %: 100; client: supasync postgres_changes #4c78a8',
      'writes: all phases; %: 50; client: raw realtime-js #f58518',
    ])
  })

  it('bindings: both charts render without Vega-Lite dropping any part', async () => {
    const charts = await bindingCharts([
      figure('react', 'useLiveTable: share of writes shown within 30 s, healthy', 100),
      figure('react', 'hand-written useEffect + channel: share of writes shown within 30 s, healthy', 90),
      figure('react', 'renders per change, 100 components with select (one row each), 10,000-row table', 1),
      figure('react', 'renders per change, 100 components reading the whole Map (no select), 10,000-row table', 100),
      figure('vue', 'component updates per change, 100 consumers of one live table, whole rows', 100),
    ])
    expect(charts.map((chart) => [chart.suite, chart.file])).toEqual([
      ['bindings', 'react-visible-share.svg'],
      ['bindings', 'bindings-renders-per-change.svg'],
    ])
  })
})
