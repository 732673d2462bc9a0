import { describe, expect, it } from 'vitest'
import { renderSvg } from './renderSvg.js'
import { SERIES, type RunTimeline } from './timeline.js'
import { timelineCharts } from './timelineCharts.js'

// A small run: 3 phases, 6 writes, two live tables, two clients per series. Raw realtime-js misses two writes
// during the fault; one supasync write is visible in 0.4 ms (drawn at 1 ms on the log axis).
function fixture(visible: Record<string, (number | null)[]> = {}): RunTimeline {
  return {
    phases: [
      { name: 'healthy', from: 0, to: 10, faulted: false },
      { name: 'heartbeats blackholed', from: 10, to: 20, faulted: true },
      { name: 'healthy tail after restart', from: 20, to: 30, faulted: false },
    ],
    end: 40,
    budgetMs: 30_000,
    writes: {
      commit: [1, 2, 11, 12, 21, 22],
      phase: [0, 0, 1, 1, 2, 2],
      visible: {
        [SERIES.supasync]: [0.4, 12, 4_000, 9_000, 15, 20],
        [SERIES.raw]: [10, 30_000.5, null, null, 14, 19],
        ...visible,
      },
    },
    modes: [
      { series: SERIES.supasync, table: 'project 1', at: [0, 11, 25, 26], mode: ['realtime', 'polling', 'catching-up', 'realtime'] },
      { series: SERIES.supasync, table: 'project 2', at: [0, 12, 27], mode: ['realtime', 'offline', 'realtime'] },
    ],
    requestBucketSeconds: 5,
    requests: [
      { series: SERIES.supasync, client: 'project 1', counts: [0, 0, 10, 20, 5, 0, 0, 0] },
      { series: SERIES.supasync, client: 'project 2', counts: [0, 0, 15, 15, 5, 0, 0, 1] },
      { series: SERIES.raw, client: 'project 1', counts: [0, 0, 0, 0, 0, 0, 0, 0] },
      { series: SERIES.raw, client: 'project 2', counts: [0, 0, 0, 0, 0, 0, 0, 0] },
    ],
  }
}

/** The `<path>` elements of each mark group whose class ends in `name` (one group per facet cell). */
function groups(svg: string, name: string): string[][] {
  return [...svg.matchAll(new RegExp(`<g class="[^"]*\\b${name}"[^>]*>(.*?)</g>`, 'g'))].map((match) => match[1]!.match(/<path[^>]*>/g) ?? [])
}

/** The data Vega describes an item with (its aria-label "field: value; …"), as a record. */
function described(path: string): Record<string, string> {
  const label = /aria-label="([^"]*)"/.exec(path)?.[1] ?? ''
  return Object.fromEntries(label.split('; ').map((pair) => pair.split(': ') as [string, string]))
}

const fill = (path: string) => /fill="([^"]*)"/.exec(path)?.[1]

async function chart(timeline: RunTimeline, file: string): Promise<string> {
  const found = (await timelineCharts(timeline)).find((candidate) => candidate.file === file)
  if (!found) throw new Error(`no chart ${file}`)
  expect(found.caption).toBeTruthy()
  return found.svg
}

describe('timelineCharts', () => {
  it('commit → visible: one panel per series, one dot per write it saw and a tick on top per write it never saw', async () => {
    const svg = await chart(fixture(), 'polling-commit-to-visible.svg')
    // concat_0 is the phase strip; each series is a panel after it: layer 2 its dots, layer 3 its never-visible marks.
    expect(groups(svg, 'concat_1_layer_2_marks')[0]).toHaveLength(6)
    expect(groups(svg, 'concat_1_layer_3_marks')[0] ?? []).toHaveLength(0)
    expect(groups(svg, 'concat_2_layer_2_marks')[0]).toHaveLength(4)
    expect(groups(svg, 'concat_2_layer_3_marks')[0]).toHaveLength(2)
    expect(svg).toContain('6 writes: 2 never visible, 1 visible after 30 s')
    // The phases are named over their bands, and the budget is drawn.
    expect(svg).toContain('heartbeats')
    expect(svg).toContain('30 s budget')
  })

  it('draws a series added later (e.g. a broadcast live table) as one more panel, in its own colour', async () => {
    const svg = await chart(fixture({ [SERIES.broadcast]: [5, 6, null, 7, 8, 9] }), 'polling-commit-to-visible.svg')
    const dots = groups(svg, 'concat_3_layer_2_marks')[0]!
    expect(dots).toHaveLength(5)
    expect(groups(svg, 'concat_3_layer_3_marks')[0]).toHaveLength(1)
    expect(new Set(dots.map(fill))).toEqual(new Set(['#54a24b']))
    expect(new Set(groups(svg, 'concat_1_layer_2_marks')[0]!.map(fill))).toEqual(new Set(['#4c78a8']))
  })

  it('a known series keeps its colour when another is missing from the run (no raw realtime-js: broadcast stays green)', async () => {
    const base = fixture()
    const withoutRaw = { ...base, writes: { ...base.writes, visible: { [SERIES.supasync]: base.writes.visible[SERIES.supasync]!, [SERIES.broadcast]: [5, 6, null, 7, 8, 9] } } }
    const svg = await chart(withoutRaw, 'polling-commit-to-visible.svg')
    expect(new Set(groups(svg, 'concat_2_layer_2_marks')[0]!.map(fill))).toEqual(new Set(['#54a24b']))
    const histogram = await chart(withoutRaw, 'polling-latency-histograms.svg')
    const colours = Object.fromEntries(groups(histogram, 'child_layer_0_marks').flat().map((bar) => [described(bar).series, fill(bar)]))
    expect(colours).toEqual({ [SERIES.supasync]: '#4c78a8', [SERIES.broadcast]: '#54a24b' })
  })

  it('keeps each series in its colour and place whatever order the report lists them in', async () => {
    const base = fixture()
    const reversed = { ...base, writes: { ...base.writes, visible: { [SERIES.raw]: base.writes.visible[SERIES.raw]!, [SERIES.supasync]: base.writes.visible[SERIES.supasync]! } } }
    const svg = await chart(reversed, 'polling-commit-to-visible.svg')
    expect(groups(svg, 'concat_1_layer_2_marks')[0]).toHaveLength(6)
    expect(new Set(groups(svg, 'concat_1_layer_2_marks')[0]!.map(fill))).toEqual(new Set(['#4c78a8']))
    expect(new Set(groups(svg, 'concat_2_layer_2_marks')[0]!.map(fill))).toEqual(new Set(['#f58518']))
  })

  it("histograms: per phase, each series' share of the phase's writes per log bin, never-visible writes in their own bin", async () => {
    const svg = await chart(fixture(), 'polling-latency-histograms.svg')
    const facets = groups(svg, 'child_layer_0_marks').map((bars) => bars.map(described))
    expect(facets).toHaveLength(3)
    const bars = (facet: number, series: string) =>
      facets[facet]!.filter((bar) => bar.series === series).map((bar) => [Number(bar['commit → visible (log scale)']), Number(bar['% of writes'])]).sort((a, b) => a[0]! - b[0]!)
    // heartbeats blackholed: supasync 4 s and 9 s (bins 3.6 and 3.8 decades), raw never twice (the never bin, 6.3).
    expect(bars(1, SERIES.supasync)).toEqual([[3.6, 50], [3.8, 50]])
    expect(bars(1, SERIES.raw)).toEqual([[6.4, 100]])
    // healthy: 0.4 ms counts in the first bin (1 ms); raw's second slot of each bin is 0.1 decade to the right.
    expect(bars(0, SERIES.supasync)).toEqual([[0, 50], [1, 50]])
    expect(bars(0, SERIES.raw)).toEqual([[1.1, 50], [4.5, 50]])
  })

  it('modes: one row per live table, one bar per mode held, coloured by mode', async () => {
    const svg = await chart(fixture(), 'polling-modes.svg')
    const bars = groups(svg, 'concat_1_layer_2_marks')[0]!.map((path) => ({ data: described(path), fill: fill(path) }))
    expect(bars.map(({ data }) => `${data.table} ${data.mode} ${data['s since the fault schedule started']}-${data.to}`)).toEqual([
      'project 1 realtime 0-11',
      'project 1 polling 11-25',
      'project 1 catching-up 25-26',
      'project 1 realtime 26-40',
      'project 2 realtime 0-12',
      'project 2 offline 12-27',
      'project 2 realtime 27-40',
    ])
    expect(bars.find((bar) => bar.data.mode === 'offline')!.fill).toBe('#e45756')
  })

  it('requests: one line per client, the rate per second of each bucket, a last bucket cut short left out', async () => {
    const svg = await chart(fixture(), 'polling-requests.svg')
    const lines = groups(svg, 'concat_1_layer_2_marks').flat()
    expect(lines).toHaveLength(2)
    const first = described(lines[0]!)
    expect(first.client).toBe(`${SERIES.supasync} project 1`)
    // 8 buckets of 5 s cover 40 s: all whole; the path has one step per bucket.
    expect(lines[0]!.match(/L/g)!.length).toBeGreaterThanOrEqual(7)
    const peak = groups(await chart({ ...fixture(), end: 37 }, 'polling-requests.svg'), 'concat_1_layer_2_marks').flat()
    // With the run ending at 37 s the last bucket (35–40 s) covers 2 s < half a bucket: one step fewer.
    expect(peak[0]!.match(/L/g)!.length).toBeLessThan(lines[0]!.match(/L/g)!.length)
    const caption = (await timelineCharts(fixture())).find((candidate) => candidate.file === 'polling-requests.svg')!.caption
    expect(caption).toContain(`${SERIES.supasync} 71 in total, ${SERIES.raw} started none`)
  })

  it('requests: one panel per series that started any, in series order and colour, on one shared scale; a series that started none gets no panel', async () => {
    const base = fixture()
    const timeline: RunTimeline = {
      ...base,
      // Listed before the others: the panels still follow the series order.
      requests: [
        { series: SERIES.broadcast, client: 'project 1', counts: [0, 0, 5, 5, 0, 0, 0, 0] },
        { series: SERIES.broadcast, client: 'project 2', counts: [0, 0, 5, 5, 0, 0, 0, 0] },
        ...base.requests,
      ],
    }
    const svg = await chart(timeline, 'polling-requests.svg')
    const panel = (index: number) => groups(svg, `concat_${index}_layer_2_marks`).flat()
    expect(panel(1).map((line) => described(line).client)).toEqual([`${SERIES.supasync} project 1`, `${SERIES.supasync} project 2`])
    expect(panel(2).map((line) => described(line).client)).toEqual([`${SERIES.broadcast} project 1`, `${SERIES.broadcast} project 2`])
    expect(panel(3)).toHaveLength(0)
    expect(new Set(panel(2).map((line) => /stroke="([^"]*)"/.exec(line)?.[1]))).toEqual(new Set(['#54a24b']))
    // Shared scale: both panels' y axes end at the busiest bucket of all (20 requests in 5 s = 4/s).
    const axisTops = [...svg.matchAll(/role="graphics-symbol" aria-roledescription="axis" aria-label="Y-axis titled 'requests\/s' for a linear scale with values from 0 to ([0-9.]+)"/g)].map((match) => match[1])
    expect(axisTops).toEqual(['4', '4'])
  })

  it('modes: the rows of each series together, in series order, named by series and table', async () => {
    const base = fixture()
    const timeline: RunTimeline = {
      ...base,
      modes: [
        { series: SERIES.broadcast, table: 'project 1', at: [0], mode: ['realtime'] },
        base.modes[0]!,
        { series: SERIES.broadcast, table: 'project 2', at: [0], mode: ['polling'] },
        base.modes[1]!,
      ],
    }
    const svg = await chart(timeline, 'polling-modes.svg')
    const rows = [...new Set(groups(svg, 'concat_1_layer_2_marks')[0]!.map((path) => described(path).table))]
    expect(rows).toEqual([`${SERIES.supasync} · project 1`, `${SERIES.supasync} · project 2`, `${SERIES.broadcast} · project 1`, `${SERIES.broadcast} · project 2`])
    expect(svg).toContain('one per project and source')
  })
})

describe('renderSvg', () => {
  it('refuses a spec Vega-Lite would draw only in part, and says where to fix it', async () => {
    await expect(
      renderSvg({ title: 'broken', data: { values: [{ a: 1, b: 'x' }] }, mark: 'bar', encoding: { x: { field: 'a', type: 'quantitative' }, shape: { field: 'b', type: 'nominal' } } }),
    ).rejects.toThrow(/Vega-Lite rejected parts of the chart "broken": .*shape.*fix the spec in test\/bench\/charts.ts/)
  })

  it('writes positions to 0.1 px', async () => {
    const svg = await renderSvg({ width: 333, height: 77, data: { values: [{ a: 1 / 3, b: 2 / 3 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } })
    const transforms = [...svg.matchAll(/transform="translate\(([^)]*)\)"/g)].map((match) => match[1]!)
    expect(transforms.length).toBeGreaterThan(0)
    for (const transform of transforms) for (const number of transform.split(',')) expect(number).toMatch(/^-?\d+(\.\d)?$/)
  })
})
