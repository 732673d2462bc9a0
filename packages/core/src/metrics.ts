/** A latency histogram with fixed bucket bounds (ms): cheap to record, good enough for percentiles. */
export interface HistogramSnapshot {
  count: number
  min: number
  max: number
  mean: number
  p50: number
  p90: number
  p99: number
}

const BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, Number.POSITIVE_INFINITY]

export class Histogram {
  private readonly buckets = new Array<number>(BOUNDS.length).fill(0)
  private count = 0
  private sum = 0
  private min = Number.POSITIVE_INFINITY
  private max = Number.NEGATIVE_INFINITY

  record(value: number): void {
    if (!Number.isFinite(value)) return
    const index = BOUNDS.findIndex((bound) => value <= bound)
    this.buckets[index]!++
    this.count++
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
  }

  private percentile(p: number): number {
    if (this.count === 0) return 0
    const rank = Math.ceil((p / 100) * this.count)
    let seen = 0
    for (let index = 0; index < BOUNDS.length; index++) {
      seen += this.buckets[index]!
      if (seen >= rank) return Math.min(BOUNDS[index]!, this.max)
    }
    return this.max
  }

  snapshot(): HistogramSnapshot {
    if (this.count === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 }
    return {
      count: this.count,
      min: this.min,
      max: this.max,
      mean: Math.round((this.sum / this.count) * 100) / 100,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
    }
  }
}

/** What `sync.metrics()` returns. Counters only grow; histograms are in ms. */
export interface SupasyncMetrics {
  counters: {
    /** Realtime channels joined (first joins and rejoins). */
    joins: number
    /** Realtime channels left or removed. */
    leaves: number
    /** CHANNEL_ERROR / TIMED_OUT reports from realtime-js. */
    channelErrors: number
    /** Channels the server closed (token expiry, rate limit) that supasync re-created. */
    recreated: number
    /** Make-before-break swaps of a changes channel. */
    swaps: number
    /** Changes handed to lease callbacks (one per lease). */
    changesDelivered: number
    /** Duplicate changes dropped during a swap. */
    duplicatesDropped: number
    /** Broadcast messages handed to room listeners. */
    broadcastsDelivered: number
    /** Heartbeats without a reply in time (dead socket noticed). */
    heartbeatTimeouts: number
    /** Socket openings stuck in CONNECTING for two heartbeat intervals, torn down and started again. */
    stuckConnects: number
    /** Times the socket was seen open again after it had been seen closed (the first open is not counted). */
    reconnects: number
  }
  /** Heartbeat round trip. */
  rttMs: HistogramSnapshot
  /** From creating a realtime channel to SUBSCRIBED (and, for changes, "Subscribed to PostgreSQL"). */
  joinMs: HistogramSnapshot
  /** From commit_timestamp to the lease callback (clock skew between server and client included). */
  changeLagMs: HistogramSnapshot
}

export class MetricsRecorder {
  readonly counters: SupasyncMetrics['counters'] = {
    joins: 0,
    leaves: 0,
    channelErrors: 0,
    recreated: 0,
    swaps: 0,
    changesDelivered: 0,
    duplicatesDropped: 0,
    broadcastsDelivered: 0,
    heartbeatTimeouts: 0,
    stuckConnects: 0,
    reconnects: 0,
  }
  readonly rtt = new Histogram()
  readonly join = new Histogram()
  readonly changeLag = new Histogram()

  snapshot(): SupasyncMetrics {
    return { counters: { ...this.counters }, rttMs: this.rtt.snapshot(), joinMs: this.join.snapshot(), changeLagMs: this.changeLag.snapshot() }
  }
}
