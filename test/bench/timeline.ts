// The polling suite's run over time, recorded for the charts of docs/benchmarks.md: what every client saw of every
// write, the mode of every live table, and the REST requests of every client, all on one time axis (seconds since
// the fault schedule started). It travels in the JSON report as the `details.timeline` of one figure, so a report
// file alone redraws the charts (npm run bench:charts).
//
// Series are open-ended: a client variant (e.g. a later `source: 'broadcast'` live table) is one more key in
// `writes.visible`, one more `series` in `modes` and `requests`, and the charts draw it without changes.
import type { Figure } from './stats.js'

/** The name of the figure whose `details.timeline` holds the run's {@link RunTimeline}. */
export const TIMELINE_FIGURE = 'fault schedule run: writes, commit → visible per client, live-table modes and REST requests over time (chart data)'

/** Series names used by the polling suite; the charts colour them in this order, other names after them. */
export const SERIES = {
  supasync: 'supasync postgres_changes',
  raw: 'raw realtime-js',
  broadcast: 'supasync broadcast',
} as const

/** One phase of the fault schedule, in seconds since the run started. */
export interface TimelinePhase {
  name: string
  from: number
  to: number
  /** Whether a fault is injected during the phase (shaded in the charts). */
  faulted: boolean
}

/**
 * Columnar, so a few thousand writes stay a few hundred KB of pretty-printed JSON: index `i` of every array is the
 * same write.
 */
export interface TimelineWrites {
  /** Commit time of each write (the row's server-stamped version), seconds since the run started, to 0.01 s. */
  commit: number[]
  /** Index into {@link RunTimeline.phases} of the phase the write was issued in. */
  phase: number[]
  /** Per series: commit → visible of each write in ms (to 0.1 ms), `null` when that client never saw it. */
  visible: Record<string, (number | null)[]>
}

/** The mode of one live table over time: `mode[i]` holds from `at[i]` seconds until `at[i + 1]` (or the end). */
export interface TimelineModes {
  series: string
  /** Which live table, e.g. "project 3". */
  table: string
  at: number[]
  mode: string[]
}

/** REST requests of one client, counted per bucket: `counts[i]` were started in [i × bucket, (i + 1) × bucket) s. */
export interface TimelineRequests {
  series: string
  /** Which client, e.g. "project 3". */
  client: string
  counts: number[]
}

/** Everything the timeline charts draw, for one run of the polling suite. */
export interface RunTimeline {
  phases: TimelinePhase[]
  /** Seconds from the start to the last observation (writes stop earlier: every write then gets its full budget). */
  end: number
  /** The visibility budget (maxStalenessMs), ms: drawn as a rule. */
  budgetMs: number
  writes: TimelineWrites
  modes: TimelineModes[]
  /** Bucket width in seconds. */
  requestBucketSeconds: number
  requests: TimelineRequests[]
}

/** The timeline recorded in `figures`, or undefined (a report of another suite, or from before it was recorded). */
export function findTimeline(figures: readonly Figure[]): RunTimeline | undefined {
  const timeline = figures.find((figure) => figure.name === TIMELINE_FIGURE)?.details?.timeline as RunTimeline | undefined
  return timeline && Array.isArray(timeline.phases) && Array.isArray(timeline.writes?.commit) ? timeline : undefined
}

/**
 * A mode log (`mode[i]` from `at[i]`, Date.now() values, ascending) as seen from `start` on, in seconds since
 * `start` (to 0.01 s): the mode held at `start` first (at 0), then every later change.
 */
export function modesSince(log: { at: readonly number[]; mode: readonly string[] }, start: number): { at: number[]; mode: string[] } {
  if (log.at.length === 0 || log.at.length !== log.mode.length) throw new Error(`modesSince: a mode log needs one time per mode and at least one entry, got ${log.at.length} times and ${log.mode.length} modes`)
  let current = 0
  while (current + 1 < log.at.length && log.at[current + 1]! <= start) current++
  const seconds = (at: number) => Math.round((at - start) / 10) / 100
  return { at: [0, ...log.at.slice(current + 1).map(seconds)], mode: log.mode.slice(current) }
}

/** Counts events into fixed-width buckets of time since a start that is set later (events before it are not kept). */
export class BucketCounter {
  private start: number | undefined
  private readonly counts: number[] = []
  /** Events seen before {@link begin} (e.g. the initial load): reported on their own. */
  before = 0

  /** @param bucketMs width of one bucket, ms */
  constructor(private readonly bucketMs: number) {
    if (!(bucketMs > 0)) throw new Error(`BucketCounter: bucketMs must be a positive number of milliseconds, got ${bucketMs}`)
  }

  /** Sets time zero (Date.now() of the run's start); only the first call counts. */
  begin(at: number): void {
    this.start ??= at
  }

  /** Counts one event at `at` (Date.now()). */
  add(at: number): void {
    if (this.start === undefined || at < this.start) {
      this.before++
      return
    }
    const index = Math.floor((at - this.start) / this.bucketMs)
    while (this.counts.length <= index) this.counts.push(0)
    this.counts[index]!++
  }

  /** The counts, padded with zeros to cover `untilMs` since the start. */
  snapshot(untilMs: number): number[] {
    const buckets = Math.max(this.counts.length, Math.ceil(untilMs / this.bucketMs))
    return Array.from({ length: buckets }, (_, index) => this.counts[index] ?? 0)
  }
}
