/**
 * Unit tests of the pure modules of @supasync/core: no network, no real timers, no sleeps.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { thrown } from './helpers.js'
import { backoffDelay, CircuitBreaker } from '../src/backoff.js'
import { normalizeSpec, specKey, validateFilter, type ChangeSpec } from '../src/changeSpec.js'
import { deriveState, type ConnectionState, type MonitorInputs } from '../src/ConnectionMonitor.js'
import { destroyed, invalidTopic, released, SupasyncError } from '../src/errors.js'
import { Histogram, MetricsRecorder } from '../src/metrics.js'
import { resolveOptions, type SupasyncOptions } from '../src/options.js'
import {
  browserNetwork,
  browserVisibility,
  defaultPorts,
  manualPort,
  systemTimers,
  type TimerHandle,
  type TimerPort,
} from '../src/ports.js'
import { Scheduler } from '../src/Scheduler.js'
import { createStore, shallowEqual } from '../src/store.js'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  vi.useRealTimers()
})


function expectSupasyncError(fn: () => unknown, code: string, message?: RegExp): SupasyncError {
  const error = thrown(fn)
  expect(error).toBeInstanceOf(SupasyncError)
  const typed = error as SupasyncError
  expect(typed.code).toBe(code)
  if (message) expect(typed.message).toMatch(message)
  return typed
}

// ---------------------------------------------------------------------------------------------------------------------
// A tiny manual clock implementing TimerPort.
// ---------------------------------------------------------------------------------------------------------------------

interface ManualClock extends TimerPort {
  /** Moves time forward by `ms`, firing due timers in order (by due time, then creation). */
  advance(ms: number): void
  /** Timers scheduled on the port and neither fired nor cleared. */
  readonly scheduled: number
  readonly setCalls: number[]
  readonly clearCalls: TimerHandle[]
}

function manualClock(makeHandle: (seq: number) => TimerHandle = (seq) => ({ seq })): ManualClock {
  let now = 0
  let seq = 0
  const timers: { seq: number; handle: TimerHandle; at: number; callback: () => void }[] = []
  const setCalls: number[] = []
  const clearCalls: TimerHandle[] = []
  return {
    setTimeout(callback, ms) {
      seq++
      const handle = makeHandle(seq)
      setCalls.push(ms)
      timers.push({ seq, handle, at: now + ms, callback })
      return handle
    },
    clearTimeout(handle) {
      clearCalls.push(handle)
      const index = timers.findIndex((timer) => timer.handle === handle)
      if (index >= 0) timers.splice(index, 1)
    },
    now: () => now,
    advance(ms) {
      const target = now + ms
      for (;;) {
        let next: (typeof timers)[number] | undefined
        for (const timer of timers) {
          if (timer.at <= target && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer
        }
        if (!next) break
        timers.splice(timers.indexOf(next), 1)
        now = next.at
        next.callback()
      }
      now = target
    },
    get scheduled() {
      return timers.length
    },
    setCalls,
    clearCalls,
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// store.ts
// ---------------------------------------------------------------------------------------------------------------------

describe('createStore', () => {
  it('returns the same reference until the value changes', () => {
    const first = { n: 1 }
    const store = createStore(first)
    expect(store.get()).toBe(first)
    expect(store.get()).toBe(store.get())
    const second = { n: 1 }
    store.set(second)
    expect(store.get()).toBe(second)
    expect(store.get()).not.toBe(first)
  })

  it('notifies subscribers with the new value, only when it changed (Object.is by default)', () => {
    const store = createStore(1)
    const seen: number[] = []
    store.subscribe((value) => seen.push(value))
    store.set(1)
    expect(seen).toEqual([])
    store.set(2)
    store.set(2)
    store.set(3)
    expect(seen).toEqual([2, 3])
  })

  it('uses Object.is semantics: NaN is unchanged, -0 differs from +0', () => {
    const store = createStore(Number.NaN)
    const listener = vi.fn()
    store.subscribe(listener)
    store.set(Number.NaN)
    expect(listener).not.toHaveBeenCalled()
    const zero = createStore(0)
    const zeroListener = vi.fn()
    zero.subscribe(zeroListener)
    zero.set(-0)
    expect(zeroListener).toHaveBeenCalledTimes(1)
    expect(Object.is(zero.get(), -0)).toBe(true)
  })

  it('unsubscribe stops notifications and is idempotent; listenerCount tracks subscribers', () => {
    const store = createStore('a')
    expect(store.listenerCount).toBe(0)
    const one = vi.fn()
    const two = vi.fn()
    const offOne = store.subscribe(one)
    const offTwo = store.subscribe(two)
    expect(store.listenerCount).toBe(2)
    store.set('b')
    offOne()
    expect(store.listenerCount).toBe(1)
    offOne()
    expect(store.listenerCount).toBe(1)
    store.set('c')
    expect(one.mock.calls).toEqual([['b']])
    expect(two.mock.calls).toEqual([['b'], ['c']])
    offTwo()
    expect(store.listenerCount).toBe(0)
    store.set('d')
    expect(two).toHaveBeenCalledTimes(2)
    expect(store.get()).toBe('d')
  })

  it('a listener that unsubscribes another during a notification does not break the current round', () => {
    const store = createStore(0)
    const calls: string[] = []
    let offSecond: () => void = () => {}
    store.subscribe(() => {
      calls.push('first')
      offSecond()
    })
    offSecond = store.subscribe(() => calls.push('second'))
    store.set(1)
    expect(calls).toEqual(['first', 'second'])
    store.set(2)
    expect(calls).toEqual(['first', 'second', 'first'])
    expect(store.listenerCount).toBe(1)
  })

  it('honours a custom equals: an equal value keeps the old reference and notifies no one', () => {
    const initial = { state: 'live', channels: 1 }
    const store = createStore(initial, shallowEqual)
    const listener = vi.fn()
    store.subscribe(listener)
    store.set({ state: 'live', channels: 1 })
    expect(store.get()).toBe(initial)
    expect(listener).not.toHaveBeenCalled()
    const changed = { state: 'degraded', channels: 1 }
    store.set(changed)
    expect(store.get()).toBe(changed)
    expect(listener).toHaveBeenCalledWith(changed)

    const equals = vi.fn((a: number, b: number) => Math.floor(a) === Math.floor(b))
    const rounded = createStore<number>(1.2, equals)
    rounded.set(1.9)
    expect(equals).toHaveBeenCalledWith(1.2, 1.9)
    expect(rounded.get()).toBe(1.2)
    rounded.set(2.1)
    expect(rounded.get()).toBe(2.1)
  })

  it('a throwing listener does not stop the others; its error is rethrown in a microtask, not from set()', () => {
    const queued: (() => void)[] = []
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
      queued.push(callback)
    })
    const store = createStore(0)
    const boom = new Error('listener broke')
    const before = vi.fn()
    const after = vi.fn()
    store.subscribe(before)
    store.subscribe(() => {
      throw boom
    })
    store.subscribe(after)
    expect(() => store.set(1)).not.toThrow()
    expect(before).toHaveBeenCalledWith(1)
    expect(after).toHaveBeenCalledWith(1)
    expect(store.get()).toBe(1)
    expect(queued).toHaveLength(1)
    // The handler rethrows the listener's very error, asynchronously.
    expect(() => queued[0]!()).toThrow(boom)
  })
})

describe('shallowEqual', () => {
  it('is true for the same reference and for objects with the same keys and Object.is-equal values', () => {
    const a = { x: 1, y: 'two', z: undefined, n: Number.NaN }
    expect(shallowEqual(a, a)).toBe(true)
    expect(shallowEqual(a, { x: 1, y: 'two', z: undefined, n: Number.NaN })).toBe(true)
    expect(shallowEqual({}, {})).toBe(true)
  })

  it('is false when a value differs, when key counts differ, or when nested objects are different references', () => {
    expect(shallowEqual({ x: 1, y: 2 }, { x: 1, y: 3 })).toBe(false)
    expect(shallowEqual<Record<string, number>>({ x: 1 }, { x: 1, y: 2 })).toBe(false)
    expect(shallowEqual<Record<string, number>>({ x: 1, y: 2 }, { x: 1 })).toBe(false)
    expect(shallowEqual({ nested: { a: 1 } }, { nested: { a: 1 } })).toBe(false)
    expect(shallowEqual({ zero: 0 }, { zero: -0 })).toBe(false)
  })

  it('is false when the key sets differ even if the missing key reads as undefined', () => {
    // {a, b: undefined} and {a, c: undefined} have the same size and every key of the first reads the same on the
    // second (b is missing -> undefined), but they are not shallow-equal.
    expect(shallowEqual<Record<string, unknown>>({ a: 1, b: undefined }, { a: 1, c: undefined })).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// Scheduler.ts
// ---------------------------------------------------------------------------------------------------------------------

describe('Scheduler', () => {
  it('after() fires once after the delay and pending counts back to 0', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    const callback = vi.fn()
    scheduler.after(100, callback)
    expect(scheduler.pending).toBe(1)
    clock.advance(99)
    expect(callback).not.toHaveBeenCalled()
    expect(scheduler.pending).toBe(1)
    clock.advance(1)
    expect(callback).toHaveBeenCalledTimes(1)
    expect(scheduler.pending).toBe(0)
    clock.advance(1000)
    expect(callback).toHaveBeenCalledTimes(1)
  })

  it('pending is already 0 while the callback of the last timer runs', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    let pendingInside = -1
    scheduler.after(10, () => {
      pendingInside = scheduler.pending
    })
    clock.advance(10)
    expect(pendingInside).toBe(0)
  })

  it('clamps negative delays to 0', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    const callback = vi.fn()
    scheduler.after(-50, callback)
    expect(clock.setCalls).toEqual([0])
    clock.advance(0)
    expect(callback).toHaveBeenCalledTimes(1)
  })

  it('the cancel function of after() is idempotent and a no-op once the timer fired', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    const callback = vi.fn()
    const cancel = scheduler.after(100, callback)
    cancel()
    expect(scheduler.pending).toBe(0)
    expect(clock.scheduled).toBe(0)
    expect(clock.clearCalls).toHaveLength(1)
    cancel()
    cancel()
    expect(clock.clearCalls).toHaveLength(1)
    clock.advance(200)
    expect(callback).not.toHaveBeenCalled()

    const fired = vi.fn()
    const cancelFired = scheduler.after(10, fired)
    clock.advance(10)
    cancelFired()
    expect(clock.clearCalls).toHaveLength(1)
    expect(fired).toHaveBeenCalledTimes(1)
    expect(scheduler.pending).toBe(0)
  })

  it('cancelling one timer leaves the others alone', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    const order: string[] = []
    scheduler.after(30, () => order.push('c'))
    const cancelB = scheduler.after(20, () => order.push('b'))
    scheduler.after(10, () => order.push('a'))
    expect(scheduler.pending).toBe(3)
    cancelB()
    expect(scheduler.pending).toBe(2)
    clock.advance(100)
    expect(order).toEqual(['a', 'c'])
    expect(scheduler.pending).toBe(0)
  })

  it('every() repeats at the interval with one pending timer, and stops when cancelled (idempotently)', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    const times: number[] = []
    const cancel = scheduler.every(100, () => times.push(clock.now()))
    expect(scheduler.pending).toBe(1)
    clock.advance(350)
    expect(times).toEqual([100, 200, 300])
    expect(scheduler.pending).toBe(1)
    cancel()
    expect(scheduler.pending).toBe(0)
    expect(clock.scheduled).toBe(0)
    cancel()
    clock.advance(1000)
    expect(times).toEqual([100, 200, 300])
  })

  it('every() can be cancelled from inside its own callback', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    let count = 0
    const cancel = scheduler.every(50, () => {
      count++
      if (count === 2) cancel()
    })
    clock.advance(1000)
    expect(count).toBe(2)
    expect(scheduler.pending).toBe(0)
    expect(clock.scheduled).toBe(0)
  })

  it('clearAll() clears every timer (after and every); later cancels are no-ops', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    const once = vi.fn()
    const repeated = vi.fn()
    const cancelOnce = scheduler.after(100, once)
    const cancelEvery = scheduler.every(40, repeated)
    clock.advance(40)
    expect(repeated).toHaveBeenCalledTimes(1)
    expect(scheduler.pending).toBe(2)
    scheduler.clearAll()
    expect(scheduler.pending).toBe(0)
    expect(clock.scheduled).toBe(0)
    expect(clock.clearCalls).toHaveLength(2)
    clock.advance(10_000)
    expect(once).not.toHaveBeenCalled()
    expect(repeated).toHaveBeenCalledTimes(1)
    cancelOnce()
    cancelEvery()
    expect(clock.clearCalls).toHaveLength(2)
  })

  it('now() reads the port clock', () => {
    const clock = manualClock()
    const scheduler = new Scheduler(clock)
    expect(scheduler.now()).toBe(0)
    clock.advance(1234)
    expect(scheduler.now()).toBe(1234)
    expect(scheduler.timers).toBe(clock)
  })

  it('cancels timers even when the port hands out undefined handles (TimerHandle is opaque)', () => {
    // A TimerPort may return any handle, including undefined (e.g. a fake whose setTimeout returns void).
    const clock = manualClock(() => undefined)
    const scheduler = new Scheduler(clock)
    const callback = vi.fn()
    const cancel = scheduler.after(100, callback)
    expect(scheduler.pending).toBe(1)
    cancel()
    expect(scheduler.pending).toBe(0)
    expect(clock.clearCalls).toHaveLength(1)
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// backoff.ts
// ---------------------------------------------------------------------------------------------------------------------

describe('backoffDelay', () => {
  const fixed = (value: number) => () => value

  it('grows by the factor per attempt up to the cap (default 1000 ms, x2, 30 s)', () => {
    const ceilings = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]
    ceilings.forEach((ceiling, attempt) => {
      expect(backoffDelay(attempt, {}, fixed(0))).toBe(ceiling / 2)
      expect(backoffDelay(attempt, {}, fixed(0.5))).toBe(Math.round(ceiling * 0.75))
    })
  })

  it('stays within [ceiling / 2, ceiling] and never above the cap, for any random in [0, 1)', () => {
    const options = { initialMs: 250, maxMs: 10_000, factor: 3 }
    const randoms = [0, 0.1, 0.25, 0.5, 0.75, 0.999_999_999]
    for (let attempt = 0; attempt <= 60; attempt++) {
      const ceiling = Math.min(10_000, 250 * 3 ** attempt)
      let previous = -1
      for (const value of randoms) {
        const delay = backoffDelay(attempt, options, fixed(value))
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2))
        expect(delay).toBeLessThanOrEqual(ceiling)
        expect(delay).toBeLessThanOrEqual(10_000)
        expect(delay).toBeGreaterThanOrEqual(previous)
        previous = delay
      }
    }
  })

  it('is monotonic in the attempt for a fixed random and never immediate', () => {
    let previous = 0
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = backoffDelay(attempt, {}, fixed(0.3))
      expect(delay).toBeGreaterThanOrEqual(previous)
      expect(delay).toBeGreaterThan(0)
      previous = delay
    }
    expect(previous).toBe(Math.round(15_000 + 0.3 * 15_000))
  })

  it('treats negative attempts as attempt 0 and survives huge attempts (factor ** attempt = Infinity)', () => {
    expect(backoffDelay(-5, {}, fixed(0))).toBe(500)
    expect(backoffDelay(10_000, {}, fixed(0))).toBe(15_000)
    expect(backoffDelay(10_000, {}, fixed(0.999_999))).toBeLessThanOrEqual(30_000)
  })

  it('honours initialMs, maxMs and factor', () => {
    expect(backoffDelay(0, { initialMs: 100 }, fixed(0))).toBe(50)
    expect(backoffDelay(2, { initialMs: 100, factor: 10 }, fixed(0))).toBe(5000)
    expect(backoffDelay(5, { initialMs: 100, factor: 10, maxMs: 2000 }, fixed(0))).toBe(1000)
    expect(backoffDelay(3, { initialMs: 100, factor: 1 }, fixed(0))).toBe(50)
  })

  it('uses Math.random by default', () => {
    const spy = vi.spyOn(Math, 'random').mockReturnValue(0)
    expect(backoffDelay(1)).toBe(1000)
    expect(spy).toHaveBeenCalledTimes(1)
  })
})

describe('CircuitBreaker', () => {
  const half = () => 0.5

  it('uses backoff until the threshold, then returns the open delay; one success closes it', () => {
    const breaker = new CircuitBreaker(3, 10_000, { initialMs: 100 })
    expect(breaker.isOpen).toBe(false)
    expect(breaker.fail(half)).toBe(75) // backoff attempt 0: ceiling 100
    expect(breaker.fail(half)).toBe(150) // attempt 1: ceiling 200
    expect(breaker.isOpen).toBe(false)
    expect(breaker.fail(half)).toBe(7500) // third failure in a row: open, 5000 + 0.5 * 5000
    expect(breaker.isOpen).toBe(true)
    expect(breaker.failures).toBe(3)
    expect(breaker.fail(half)).toBe(7500)
    expect(breaker.isOpen).toBe(true)
    breaker.succeed()
    expect(breaker.isOpen).toBe(false)
    expect(breaker.failures).toBe(0)
    expect(breaker.fail(half)).toBe(75)
  })

  it('defaults: opens at the 5th failure; the open delay lies within [openMs / 2, openMs]', () => {
    const low = new CircuitBreaker()
    for (let index = 0; index < 4; index++) {
      expect(low.fail(() => 0)).toBeLessThan(30_000)
      expect(low.isOpen).toBe(false)
    }
    expect(low.fail(() => 0)).toBe(30_000)
    expect(low.isOpen).toBe(true)

    const high = new CircuitBreaker()
    for (let index = 0; index < 4; index++) high.fail(() => 0)
    const delay = high.fail(() => 0.999_999)
    expect(delay).toBeGreaterThan(59_000)
    expect(delay).toBeLessThanOrEqual(60_000)
  })

  it('with threshold 1 the first failure already opens it', () => {
    const breaker = new CircuitBreaker(1, 2000)
    expect(breaker.fail(() => 0)).toBe(1000)
    expect(breaker.isOpen).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// metrics.ts
// ---------------------------------------------------------------------------------------------------------------------

describe('Histogram', () => {
  it('has an all-zero snapshot when empty', () => {
    expect(new Histogram().snapshot()).toEqual({ count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 })
  })

  it('reports count, min, max, mean and bucketed percentiles', () => {
    const histogram = new Histogram()
    for (let value = 1; value <= 10; value++) histogram.record(value)
    // Buckets: <=1: [1], <=2: [2], <=5: [3,4,5], <=10: [6..10].
    expect(histogram.snapshot()).toEqual({ count: 10, min: 1, max: 10, mean: 5.5, p50: 5, p90: 10, p99: 10 })
  })

  it('a percentile never exceeds the max, and a single slow value shows only in p99', () => {
    const fast = new Histogram()
    fast.record(3)
    fast.record(3)
    expect(fast.snapshot().p50).toBe(3) // bucket bound 5, but nothing above 3 was recorded

    const tail = new Histogram()
    for (let index = 0; index < 98; index++) tail.record(3)
    tail.record(4000)
    tail.record(4000)
    const snapshot = tail.snapshot()
    expect(snapshot.p50).toBe(5)
    expect(snapshot.p90).toBe(5)
    expect(snapshot.p99).toBe(4000) // bucket bound 5000, capped at the max
    expect(snapshot.max).toBe(4000)
    expect(snapshot.mean).toBe(82.94)
  })

  it('puts values beyond the last finite bound in the overflow bucket (percentile = max)', () => {
    const histogram = new Histogram()
    histogram.record(120_000)
    histogram.record(90_000)
    const snapshot = histogram.snapshot()
    expect(snapshot).toMatchObject({ count: 2, min: 90_000, max: 120_000, p50: 120_000, p99: 120_000 })
  })

  it('ignores non-finite values', () => {
    const histogram = new Histogram()
    histogram.record(Number.NaN)
    histogram.record(Number.POSITIVE_INFINITY)
    histogram.record(Number.NEGATIVE_INFINITY)
    expect(histogram.snapshot().count).toBe(0)
    histogram.record(7)
    histogram.record(Number.NaN)
    expect(histogram.snapshot()).toEqual({ count: 1, min: 7, max: 7, mean: 7, p50: 7, p90: 7, p99: 7 })
  })

  it('rounds the mean to two decimals', () => {
    const histogram = new Histogram()
    histogram.record(1)
    histogram.record(1)
    histogram.record(2)
    expect(histogram.snapshot().mean).toBe(1.33)
  })

  it('keeps min <= p50 <= p90 <= p99 <= max for varied data', () => {
    // Deterministic pseudo-random data (LCG).
    let seed = 42
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let round = 0; round < 20; round++) {
      const histogram = new Histogram()
      const count = 1 + Math.floor(next() * 200)
      for (let index = 0; index < count; index++) histogram.record(next() * 10 ** (next() * 5) - 0.5)
      const s = histogram.snapshot()
      expect(s.count).toBe(count)
      expect(s.min).toBeLessThanOrEqual(s.p50)
      expect(s.p50).toBeLessThanOrEqual(s.p90)
      expect(s.p90).toBeLessThanOrEqual(s.p99)
      expect(s.p99).toBeLessThanOrEqual(s.max)
      expect(s.mean).toBeGreaterThanOrEqual(s.min - 0.01)
      expect(s.mean).toBeLessThanOrEqual(s.max + 0.01)
    }
  })
})

describe('MetricsRecorder', () => {
  it('starts with zero counters and empty histograms', () => {
    const recorder = new MetricsRecorder()
    const snapshot = recorder.snapshot()
    expect(Object.values(snapshot.counters).every((value) => value === 0)).toBe(true)
    expect(Object.keys(snapshot.counters).sort()).toEqual(
      [
        'broadcastsDelivered',
        'changesDelivered',
        'channelErrors',
        'duplicatesDropped',
        'heartbeatTimeouts',
        'joins',
        'leaves',
        'reconnects',
        'recreated',
        'stuckConnects',
        'swaps',
      ].sort(),
    )
    expect(snapshot.rttMs.count).toBe(0)
    expect(snapshot.joinMs.count).toBe(0)
    expect(snapshot.changeLagMs.count).toBe(0)
  })

  it('snapshot() copies the counters: later increments do not change an earlier snapshot, and vice versa', () => {
    const recorder = new MetricsRecorder()
    recorder.counters.joins = 2
    recorder.rtt.record(12)
    recorder.join.record(300)
    recorder.changeLag.record(40)
    const snapshot = recorder.snapshot()
    expect(snapshot.counters.joins).toBe(2)
    expect(snapshot.counters).not.toBe(recorder.counters)
    recorder.counters.joins++
    recorder.counters.swaps++
    recorder.rtt.record(99)
    expect(snapshot.counters.joins).toBe(2)
    expect(snapshot.counters.swaps).toBe(0)
    expect(snapshot.rttMs.count).toBe(1)
    snapshot.counters.leaves = 100
    expect(recorder.counters.leaves).toBe(0)
    const later = recorder.snapshot()
    expect(later.counters.joins).toBe(3)
    expect(later.rttMs).toMatchObject({ count: 2, min: 12, max: 99 })
    expect(later.joinMs).toMatchObject({ count: 1, min: 300 })
    expect(later.changeLagMs).toMatchObject({ count: 1, max: 40 })
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// changeSpec.ts
// ---------------------------------------------------------------------------------------------------------------------

describe('normalizeSpec', () => {
  it('applies the defaults: schema public, event *, no filter', () => {
    expect(normalizeSpec({ table: 'components' })).toEqual({ schema: 'public', table: 'components', filter: undefined, event: '*' })
  })

  it('keeps given values, upper-cases the event, and treats a blank filter as none', () => {
    expect(normalizeSpec({ schema: 'app', table: 'tasks', event: 'INSERT', filter: 'project_id=eq.42' })).toEqual({
      schema: 'app',
      table: 'tasks',
      filter: 'project_id=eq.42',
      event: 'INSERT',
    })
    expect(normalizeSpec({ table: 't', event: 'update' as ChangeSpec['event'] }).event).toBe('UPDATE')
    expect(normalizeSpec({ table: 't', filter: '' }).filter).toBeUndefined()
    expect(normalizeSpec({ table: 't', filter: '   ' }).filter).toBeUndefined()
  })

  it('rejects a missing or non-object spec', () => {
    expectSupasyncError(() => normalizeSpec(undefined as unknown as ChangeSpec), 'INVALID_FILTER', /needs a spec/)
    expectSupasyncError(() => normalizeSpec(null as unknown as ChangeSpec), 'INVALID_FILTER', /needs a spec/)
    expectSupasyncError(() => normalizeSpec('components' as unknown as ChangeSpec), 'INVALID_FILTER', /needs a spec/)
  })

  it.each([
    ['missing', {}],
    ['empty', { table: '' }],
    ['blank', { table: '   ' }],
    ['not a string', { table: 42 }],
  ])('rejects a %s table', (_label, spec) => {
    expectSupasyncError(() => normalizeSpec(spec as unknown as ChangeSpec), 'INVALID_FILTER', /`table` must be a table name/)
  })

  it.each([
    ['empty', { table: 't', schema: '' }],
    ['blank', { table: 't', schema: '  ' }],
    ['not a string', { table: 't', schema: 7 }],
  ])('rejects a %s schema', (_label, spec) => {
    expectSupasyncError(() => normalizeSpec(spec as unknown as ChangeSpec), 'INVALID_FILTER', /`schema` must be a schema name/)
  })

  it('rejects an unknown event, naming the allowed ones and the bad value', () => {
    const error = expectSupasyncError(
      () => normalizeSpec({ table: 't', event: 'UPSERT' as ChangeSpec['event'] }),
      'INVALID_FILTER',
      /event must be '\*', 'INSERT', 'UPDATE' or 'DELETE'/,
    )
    expect(error.message).toContain('"UPSERT"')
  })

  it('rejects a non-string event with a SupasyncError, not a TypeError', () => {
    expectSupasyncError(() => normalizeSpec({ table: 't', event: 5 } as unknown as ChangeSpec), 'INVALID_FILTER')
  })

  it('rejects a non-string filter with a SupasyncError, not a TypeError', () => {
    expectSupasyncError(() => normalizeSpec({ table: 't', filter: 42 } as unknown as ChangeSpec), 'INVALID_FILTER')
  })

  it('validates the filter', () => {
    expectSupasyncError(() => normalizeSpec({ table: 't', filter: 'id=foo.1' }), 'INVALID_FILTER', /"foo" is not an operator/)
  })
})

describe('validateFilter', () => {
  const hundred = Array.from({ length: 100 }, (_, index) => index + 1)

  it.each([
    'id=eq.1',
    'a=gt.1,b=not.is.null',
    'status=in.(open,"in progress")',
    'name=eq."a,b"',
    'name=eq."(x"',
    'name=eq."a)b",id=lt.3',
    'name=in.("a,b","c)d",e)',
    'name=eq."say \\"hi\\", ok"',
    'id=not.in.(1,2,3)',
    'id=in.()',
    'title=ilike.*foo*',
    'x=isdistinct.null',
    'x=neq.0,y=lte.5,z=gte.1,w=like.a%,v=match.^a,u=imatch.^b',
    `id=in.(${hundred.join(',')})`,
  ])('accepts %s', (filter) => {
    expect(() => validateFilter(filter)).not.toThrow()
  })

  it('rejects an unknown operator and lists the valid ones with an example', () => {
    const error = expectSupasyncError(() => validateFilter('id=equals.1'), 'INVALID_FILTER', /"equals" is not an operator/)
    expect(error.message).toContain('eq, neq, lt, lte, gt, gte, in, like, ilike, is, match, imatch, isdistinct')
    expect(error.message).toContain('"id=equals.1"')
    expect(error.message).toContain('project_id=eq.42')
    expectSupasyncError(() => validateFilter('id=not.foo.1'), 'INVALID_FILTER', /"foo" is not an operator/)
    expectSupasyncError(() => validateFilter('a=eq.1,b=EQ.2'), 'INVALID_FILTER', /"EQ" is not an operator/)
  })

  it('rejects a segment without column=', () => {
    expectSupasyncError(() => validateFilter('ideq.1'), 'INVALID_FILTER', /"ideq\.1" has no column=/)
    expectSupasyncError(() => validateFilter('=eq.1'), 'INVALID_FILTER', /has no column=/)
    expectSupasyncError(() => validateFilter('id=eq.1,status'), 'INVALID_FILTER', /"status" has no column=/)
  })

  it.each(['id=eq.1,', ',id=eq.1', 'a=eq.1,,b=eq.2', 'a=eq.1, ,b=eq.2', ' '])('rejects the empty segment in %j', (filter) => {
    expectSupasyncError(() => validateFilter(filter), 'INVALID_FILTER', /empty part \(check for extra commas\)/)
  })

  it('rejects an `in` value without parentheses', () => {
    expectSupasyncError(() => validateFilter('id=in.1'), 'INVALID_FILTER', /`in` value must be wrapped in parentheses/)
    expectSupasyncError(() => validateFilter('id=in.(1'), 'INVALID_FILTER', /wrapped in parentheses/)
    expectSupasyncError(() => validateFilter('id=not.in.1'), 'INVALID_FILTER', /wrapped in parentheses/)
  })

  it('accepts 100 `in` values and rejects 101 with the count', () => {
    expect(() => validateFilter(`id=in.(${hundred.join(',')})`)).not.toThrow()
    expectSupasyncError(
      () => validateFilter(`id=in.(${[...hundred, 101].join(',')})`),
      'INVALID_FILTER',
      /at most 100 values, it has 101/,
    )
    // Quoted commas do not count as separators.
    const quoted = hundred.map((index) => `"v,${index}"`).join(',')
    expect(() => validateFilter(`name=in.(${quoted})`)).not.toThrow()
  })

  it('says the value is missing (not that a valid operator is unknown) for "id=eq"', () => {
    const error = expectSupasyncError(() => validateFilter('id=eq'), 'INVALID_FILTER')
    expect(error.message).not.toMatch(/"eq" is not an operator/)
  })
})

describe('validateFilter balance', () => {
  it('rejects an unclosed quote and unbalanced parentheses', () => {
    expectSupasyncError(() => validateFilter('name=eq."open'), 'INVALID_FILTER', /double quote is not closed/)
    expectSupasyncError(() => validateFilter('a=eq.),b=eq.1'), 'INVALID_FILTER', /parentheses do not balance/)
    expect(() => validateFilter('name=eq."a (b"')).not.toThrow()
  })
})

describe('specKey', () => {
  it('cannot be made to collide by a separator inside a name', () => {
    const left = specKey(normalizeSpec({ schema: 'a|b', table: 'c' }))
    const right = specKey(normalizeSpec({ schema: 'a', table: 'b|c' }))
    expect(left).not.toBe(right)
  })

  it('is equal for identical specs, however they were written', () => {
    const a = normalizeSpec({ table: 'components', filter: 'project_id=eq.42' })
    const b = normalizeSpec({ table: 'components', filter: 'project_id=eq.42', schema: 'public', event: '*' })
    expect(specKey(a)).toBe(specKey(b))
    expect(specKey(normalizeSpec({ table: 't', event: 'insert' as ChangeSpec['event'] }))).toBe(
      specKey(normalizeSpec({ table: 't', event: 'INSERT' })),
    )
    expect(specKey(normalizeSpec({ table: 't', filter: '' }))).toBe(specKey(normalizeSpec({ table: 't' })))
  })

  it('differs when the table, schema, event or filter differs', () => {
    const base = specKey(normalizeSpec({ table: 't', filter: 'id=eq.1' }))
    expect(specKey(normalizeSpec({ table: 'u', filter: 'id=eq.1' }))).not.toBe(base)
    expect(specKey(normalizeSpec({ table: 't', schema: 'other', filter: 'id=eq.1' }))).not.toBe(base)
    expect(specKey(normalizeSpec({ table: 't', event: 'DELETE', filter: 'id=eq.1' }))).not.toBe(base)
    expect(specKey(normalizeSpec({ table: 't', filter: 'id=eq.2' }))).not.toBe(base)
    expect(specKey(normalizeSpec({ table: 't' }))).not.toBe(base)
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// ConnectionMonitor.ts: deriveState
// ---------------------------------------------------------------------------------------------------------------------

describe('deriveState', () => {
  const interval = 5000
  const live: MonitorInputs = {
    online: true,
    connected: true,
    proven: true,
    allJoined: true,
    everLive: true,
    downForMs: 0,
    heartbeatIntervalMs: interval,
  }
  const down = (downForMs: number, everLive: boolean): Partial<MonitorInputs> => ({ connected: false, proven: false, downForMs, everLive })

  const cases: { label: string; inputs: Partial<MonitorInputs>; expected: ConnectionState }[] = [
    // Offline wins over everything.
    { label: 'network offline while otherwise live', inputs: { online: false }, expected: 'offline' },
    { label: 'network offline before ever live', inputs: { online: false, everLive: false }, expected: 'offline' },
    { label: 'network offline while down', inputs: { online: false, ...down(1, false) }, expected: 'offline' },
    // Live only when connected + proven + allJoined.
    { label: 'connected, proven, all joined (first time)', inputs: { everLive: false }, expected: 'live' },
    { label: 'connected, proven, all joined (again)', inputs: {}, expected: 'live' },
    { label: 'not all joined, never live', inputs: { allJoined: false, everLive: false }, expected: 'connecting' },
    { label: 'not all joined, after live', inputs: { allJoined: false }, expected: 'degraded' },
    { label: 'not proven, never live', inputs: { proven: false, everLive: false }, expected: 'connecting' },
    { label: 'not proven, after live', inputs: { proven: false }, expected: 'degraded' },
    { label: 'proven but not connected (inconsistent), never live', inputs: { connected: false, everLive: false }, expected: 'connecting' },
    { label: 'proven but not connected (inconsistent), after live', inputs: { connected: false }, expected: 'degraded' },
    // Down: degraded for less than two intervals after having been live, then offline.
    { label: 'down briefly after live', inputs: down(1, true), expected: 'degraded' },
    { label: 'down just under 2 intervals after live', inputs: down(2 * interval - 1, true), expected: 'degraded' },
    { label: 'down exactly 2 intervals after live', inputs: down(2 * interval, true), expected: 'offline' },
    { label: 'down long after live', inputs: down(60_000, true), expected: 'offline' },
    // Never live: stays connecting however long it is down.
    { label: 'down 2 intervals, never live (unreachable from the start)', inputs: down(2 * interval, false), expected: 'offline' },
    { label: 'down long, never live', inputs: down(600_000, false), expected: 'offline' },
    { label: 'idle (nothing held) while online', inputs: { idle: true, connected: false, proven: false }, expected: 'live' },
    { label: 'idle but offline', inputs: { idle: true, online: false }, expected: 'offline' },
    { label: 'down 0 ms, never live', inputs: down(0, false), expected: 'connecting' },
    // The threshold scales with the interval; a connected socket is never "down".
    { label: 'short interval: down 200 ms at 100 ms interval', inputs: { ...down(200, true), heartbeatIntervalMs: 100 }, expected: 'offline' },
    { label: 'short interval: down 199 ms at 100 ms interval', inputs: { ...down(199, true), heartbeatIntervalMs: 100 }, expected: 'degraded' },
    { label: 'connected but unproven with a stale downForMs', inputs: { proven: false, downForMs: 60_000 }, expected: 'degraded' },
  ]

  it.each(cases)('$label -> $expected', ({ inputs, expected }) => {
    expect(deriveState({ ...live, ...inputs })).toBe(expected)
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// options.ts
// ---------------------------------------------------------------------------------------------------------------------

describe('resolveOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveOptions()
    expect(resolved).toMatchObject({
      maxChannels: 100,
      graceMs: 1000,
      heartbeatIntervalMs: 5000,
      maxBindingsPerChannel: 100,
      maxBroadcastBytes: 256_000,
      sendTimeoutMs: 10_000,
      postgresReadyTimeoutMs: 10_000,
      breakerThreshold: 5,
      breakerOpenMs: 60_000,
    })
    expect(resolved.ports).toEqual(defaultPorts)
    expect(resolved.ports).not.toBe(defaultPorts)
    expect(resolveOptions({})).toMatchObject({ maxChannels: 100, heartbeatIntervalMs: 5000 })
  })

  it('the default onError warns on the console with a [supasync] prefix', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    resolveOptions().onError(new SupasyncError('SUBSCRIPTION_FAILED', 'server said no'))
    expect(warn).toHaveBeenCalledWith('[supasync] server said no')
  })

  it('keeps given values, a custom onError, and merges partial ports over the defaults', () => {
    const onError = vi.fn()
    const network = manualPort(false)
    const resolved = resolveOptions({
      maxChannels: 2,
      graceMs: 0,
      heartbeatIntervalMs: 100,
      maxBindingsPerChannel: 1,
      maxBroadcastBytes: 3_000_000,
      sendTimeoutMs: 0,
      postgresReadyTimeoutMs: 0,
      breakerThreshold: 1,
      breakerOpenMs: 0,
      onError,
      ports: { network },
    })
    expect(resolved).toMatchObject({
      maxChannels: 2,
      graceMs: 0,
      heartbeatIntervalMs: 100,
      maxBindingsPerChannel: 1,
      maxBroadcastBytes: 3_000_000,
      sendTimeoutMs: 0,
      postgresReadyTimeoutMs: 0,
      breakerThreshold: 1,
      breakerOpenMs: 0,
    })
    expect(resolved.onError).toBe(onError)
    expect(resolved.ports.network).toBe(network)
    expect(resolved.ports.timers).toBe(defaultPorts.timers)
    expect(resolved.ports.visibility).toBe(defaultPorts.visibility)
  })

  const bad: [keyof SupasyncOptions, unknown, number][] = [
    ['maxChannels', 1, 2],
    ['maxChannels', 0, 2],
    ['maxChannels', Number.NaN, 2],
    ['maxChannels', Number.POSITIVE_INFINITY, 2],
    ['maxChannels', '10', 2],
    ['maxChannels', null, 2],
    ['graceMs', -1, 0],
    ['graceMs', Number.NaN, 0],
    ['heartbeatIntervalMs', 99, 100],
    ['heartbeatIntervalMs', 0, 100],
    ['heartbeatIntervalMs', Number.POSITIVE_INFINITY, 100],
    ['maxBindingsPerChannel', 0, 1],
    ['maxBindingsPerChannel', -3, 1],
    ['maxBroadcastBytes', 0, 1],
    ['maxBroadcastBytes', Number.NEGATIVE_INFINITY, 1],
    ['sendTimeoutMs', -1, 0],
    ['postgresReadyTimeoutMs', -0.5, 0],
    ['breakerThreshold', 0, 1],
    ['breakerOpenMs', -1, 0],
    ['breakerOpenMs', Number.NaN, 0],
  ]

  it.each(bad)('rejects %s = %s with INVALID_OPTIONS (minimum %s)', (name, value, minimum) => {
    const error = expectSupasyncError(() => resolveOptions({ [name]: value } as SupasyncOptions), 'INVALID_OPTIONS')
    expect(error.message).toContain(`createSupasync: ${name} must be a number ≥ ${minimum}, got ${String(value)}.`)
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// errors.ts
// ---------------------------------------------------------------------------------------------------------------------

describe('SupasyncError', () => {
  it('is an Error that carries a code, a name, a message and an optional cause', () => {
    const cause = new Error('root')
    const error = new SupasyncError('CHANNEL_LIMIT', 'too many channels', { cause })
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(SupasyncError)
    expect(error.code).toBe('CHANNEL_LIMIT')
    expect(error.name).toBe('SupasyncError')
    expect(error.message).toBe('too many channels')
    expect(error.cause).toBe(cause)
    expect(typeof error.stack).toBe('string')
    expect(String(error)).toBe('SupasyncError: too many channels')
    expect(new SupasyncError('RELEASED', 'x').cause).toBeUndefined()
  })

  it('is caught by a plain catch and keeps its code when rethrown', () => {
    const error = thrown(() => {
      throw new SupasyncError('DESTROYED', 'gone')
    })
    expect(error instanceof Error && (error as SupasyncError).code).toBe('DESTROYED')
  })

  it('the helpers produce the right codes and explain the fix', () => {
    const topic = invalidTopic('', 'it is empty')
    expect(topic.code).toBe('INVALID_TOPIC')
    expect(topic.message).toBe('Invalid channel topic "": it is empty')
    const gone = released('This room')
    expect(gone.code).toBe('RELEASED')
    expect(gone.message).toMatch(/^This room was already released\. Acquire a new one/)
    const dead = destroyed()
    expect(dead.code).toBe('DESTROYED')
    expect(dead.message).toMatch(/createSupasync\(supabase\)/)
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// ports.ts
// ---------------------------------------------------------------------------------------------------------------------

describe('manualPort', () => {
  it('starts online/visible by default, or with the given value', () => {
    const port = manualPort()
    expect(port.isOnline()).toBe(true)
    expect(port.isVisible()).toBe(true)
    const off = manualPort(false)
    expect(off.isOnline()).toBe(false)
    expect(off.isVisible()).toBe(false)
  })

  it('set() updates the value and notifies every subscriber only on a change', () => {
    const port = manualPort()
    const one = vi.fn()
    const two = vi.fn()
    port.subscribe(one)
    port.subscribe(two)
    port.set(true)
    expect(one).not.toHaveBeenCalled()
    port.set(false)
    expect(port.isOnline()).toBe(false)
    expect(port.isVisible()).toBe(false)
    expect(one.mock.calls).toEqual([[false]])
    expect(two.mock.calls).toEqual([[false]])
    port.set(false)
    port.set(true)
    expect(one.mock.calls).toEqual([[false], [true]])
  })

  it('unsubscribe stops notifications for that listener only, and is idempotent', () => {
    const port = manualPort()
    const one = vi.fn()
    const two = vi.fn()
    const offOne = port.subscribe(one)
    port.subscribe(two)
    offOne()
    offOne()
    port.set(false)
    expect(one).not.toHaveBeenCalled()
    expect(two).toHaveBeenCalledWith(false)
  })
})

describe('default ports', () => {
  it('are inert in Node: no window or document, online and visible, subscribe returns a no-op', () => {
    const g = globalThis as { window?: unknown; document?: unknown }
    expect(g.window).toBeUndefined()
    expect(g.document).toBeUndefined()
    expect(defaultPorts.network).toBe(browserNetwork)
    expect(defaultPorts.visibility).toBe(browserVisibility)
    expect(defaultPorts.timers).toBe(systemTimers)
    expect(defaultPorts.network.isOnline()).toBe(true)
    expect(defaultPorts.visibility.isVisible()).toBe(true)
    const listener = vi.fn()
    const offNetwork = defaultPorts.network.subscribe(listener)
    const offVisibility = defaultPorts.visibility.subscribe(listener)
    expect(typeof offNetwork).toBe('function')
    expect(typeof offVisibility).toBe('function')
    expect(() => {
      offNetwork()
      offVisibility()
    }).not.toThrow()
    expect(listener).not.toHaveBeenCalled()
  })

  it('network follows navigator.onLine and the window online/offline events when a browser is present', () => {
    const window = new EventTarget()
    const navigator = { onLine: false }
    vi.stubGlobal('window', window)
    vi.stubGlobal('navigator', navigator)
    expect(browserNetwork.isOnline()).toBe(false)
    navigator.onLine = true
    expect(browserNetwork.isOnline()).toBe(true)
    const listener = vi.fn()
    const off = browserNetwork.subscribe(listener)
    window.dispatchEvent(new Event('offline'))
    window.dispatchEvent(new Event('online'))
    expect(listener.mock.calls).toEqual([[false], [true]])
    off()
    window.dispatchEvent(new Event('offline'))
    expect(listener).toHaveBeenCalledTimes(2)
  })

  it('visibility follows document.visibilityState and visibilitychange when a document is present', () => {
    const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' })
    vi.stubGlobal('document', document)
    expect(browserVisibility.isVisible()).toBe(false)
    const listener = vi.fn()
    const off = browserVisibility.subscribe(listener)
    document.visibilityState = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(browserVisibility.isVisible()).toBe(true)
    document.visibilityState = 'hidden'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(listener.mock.calls).toEqual([[true], [false]])
    off()
    document.dispatchEvent(new Event('visibilitychange'))
    expect(listener).toHaveBeenCalledTimes(2)
  })

  it('systemTimers schedules, clears and reads the clock through the global timers', () => {
    vi.useFakeTimers({ now: 1_000_000 })
    // now() is the never-backward safeClock: it measures elapsed time; wallNow() is the (faked) Date.now().
    const start = systemTimers.now()
    expect(systemTimers.wallNow!()).toBe(1_000_000)
    const fired = vi.fn()
    const cancelled = vi.fn()
    systemTimers.setTimeout(fired, 100)
    const handle = systemTimers.setTimeout(cancelled, 100)
    systemTimers.clearTimeout(handle)
    vi.advanceTimersByTime(99)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fired).toHaveBeenCalledTimes(1)
    expect(cancelled).not.toHaveBeenCalled()
    expect(systemTimers.now() - start).toBe(100)
    expect(systemTimers.wallNow!()).toBe(1_000_100)
  })

  it('a Scheduler over systemTimers leaves nothing pending after clearAll', () => {
    vi.useFakeTimers()
    const scheduler = new Scheduler(systemTimers)
    const callback = vi.fn()
    scheduler.every(1000, callback)
    scheduler.after(500, callback)
    vi.advanceTimersByTime(1000)
    expect(callback).toHaveBeenCalledTimes(2)
    scheduler.clearAll()
    expect(scheduler.pending).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(10_000)
    expect(callback).toHaveBeenCalledTimes(2)
  })
})
