import { describe, expect, it } from 'vitest'
import { BucketCounter, findTimeline, modesSince, TIMELINE_FIGURE, type RunTimeline } from './timeline.js'

describe('BucketCounter (REST requests per client over time)', () => {
  it('counts events per bucket from the start on, events before it on their own, padded to the end', () => {
    const counter = new BucketCounter(5000)
    counter.add(1_000) // before begin(): the initial load
    counter.begin(10_000)
    counter.begin(99_000) // only the first start counts
    for (const at of [9_999, 10_000, 14_999, 15_000, 27_000, 27_001]) counter.add(at)
    expect(counter.before).toBe(2)
    expect(counter.snapshot(30_000)).toEqual([2, 1, 0, 2, 0, 0])
    expect(counter.snapshot(4_000)).toEqual([2, 1, 0, 2])
  })

  it('rejects a bucket that is not a positive number of milliseconds, naming the value', () => {
    expect(() => new BucketCounter(0)).toThrow('bucketMs must be a positive number of milliseconds, got 0')
    expect(() => new BucketCounter(Number.NaN)).toThrow('got NaN')
  })
})

describe('modesSince (a live table mode log on the run axis)', () => {
  const log = { at: [1_000, 5_000, 12_345, 20_000], mode: ['catching-up', 'realtime', 'polling', 'realtime'] }

  it('starts with the mode held at the start, then every later change in seconds since the start', () => {
    expect(modesSince(log, 10_000)).toEqual({ at: [0, 2.35, 10], mode: ['realtime', 'polling', 'realtime'] })
  })

  it('a change exactly at the start is the starting mode; a start before the log keeps every entry', () => {
    expect(modesSince(log, 12_345)).toEqual({ at: [0, 7.66], mode: ['polling', 'realtime'] })
    expect(modesSince(log, 0).mode).toEqual(log.mode)
  })

  it('rejects a log whose times and modes do not pair up', () => {
    expect(() => modesSince({ at: [1, 2], mode: ['realtime'] }, 0)).toThrow('one time per mode')
    expect(() => modesSince({ at: [], mode: [] }, 0)).toThrow('at least one entry')
  })
})

describe('findTimeline', () => {
  const timeline: RunTimeline = { phases: [], end: 1, budgetMs: 30_000, writes: { commit: [], phase: [], visible: {} }, modes: [], requestBucketSeconds: 5, requests: [] }

  it('finds the timeline figure of a polling report, and nothing in a report without one', () => {
    expect(findTimeline([{ suite: 'polling', name: TIMELINE_FIGURE, value: 1, unit: 's', details: { timeline } }])).toBe(timeline)
    expect(findTimeline([{ suite: 'polling', name: 'other', value: 1, unit: 's', details: { timeline } }])).toBeUndefined()
    expect(findTimeline([{ suite: 'polling', name: TIMELINE_FIGURE, value: 1, unit: 's', details: {} }])).toBeUndefined()
  })
})
