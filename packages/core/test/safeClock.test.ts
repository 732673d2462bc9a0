import { afterEach, describe, expect, it, vi } from 'vitest'
import { safeClock, systemTimers, toWallTime } from '../src/index.js'

/** Sources the test sets by hand: `monotonic` stands still while "asleep", `wall` jumps when "set". */
function sources(start = 1_800_000_000_000) {
  const state = { monotonic: 1000, wall: start }
  return { state, clock: safeClock({ monotonic: () => state.monotonic, wall: () => state.wall }) }
}

describe('safeClock', () => {
  it('starts at the wall clock and follows the monotonic clock', () => {
    const { state, clock } = sources()
    expect(clock()).toBe(1_800_000_000_000)
    state.monotonic += 250
    state.wall += 250
    expect(clock()).toBe(1_800_000_000_250)
  })

  it('does not run backward when the wall clock is set back an hour', () => {
    const { state, clock } = sources()
    const before = clock()
    state.wall -= 3_600_000
    state.monotonic += 100
    state.wall += 100
    expect(clock()).toBe(before + 100)
    state.monotonic += 400
    state.wall += 400
    expect(clock()).toBe(before + 500)
  })

  it('counts a sleep during which the monotonic clock stood still', () => {
    const { state, clock } = sources()
    const before = clock()
    state.wall += 3_600_000 // the device slept an hour; performance.now() did not move
    expect(clock() - before).toBe(3_600_000)
  })

  it('never returns less than a previous reading, whatever the sources do', () => {
    const { state, clock } = sources()
    let last = clock()
    for (const [dm, dw] of [[0, -5000], [-3, -3], [10, 0], [0, 10], [5, -100_000], [1, 1]] as const) {
      state.monotonic += dm
      state.wall += dw
      const next = clock()
      expect(next).toBeGreaterThanOrEqual(last)
      last = next
    }
  })

  it('toWallTime places a past reading on the wall clock as it reads now', () => {
    expect(toWallTime(1000, 4000, 1_800_000_000_000)).toBe(1_800_000_000_000 - 3000)
  })
})

describe('systemTimers (the default timer port)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('keeps measuring intervals when Date.now jumps back an hour', () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] })
    const start = systemTimers.now()
    vi.advanceTimersByTime(1000)
    expect(systemTimers.now() - start).toBe(1000)
    vi.setSystemTime(Date.now() - 3_600_000) // the user set the clock back
    expect(systemTimers.now() - start).toBe(1000)
    vi.advanceTimersByTime(2000)
    // Date.now() - start would be −3 597 000 here: a staleness that claims "fresh" for an hour.
    expect(systemTimers.now() - start).toBe(3000)
    expect(systemTimers.wallNow!()).toBe(Date.now())
  })
})

describe('the connection monitor on the default timer port', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('notices a socket that stopped answering within two heartbeats, although the wall clock was set back an hour', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const { FakeRealtime, flush } = await import('./fakeRealtime.js')
    const { createSupasync } = await import('../src/index.js')
    const realtime = new FakeRealtime()
    // Default ports: systemTimers, whose now() is safeClock.
    const sync = createSupasync(realtime.asClient(), { heartbeatIntervalMs: 1000, onError: () => {} })
    const room = sync.channel('r')
    await flush()
    realtime.created[0]!.joined()
    // The server answers every heartbeat for a while.
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(1000)
      if (realtime.pendingHeartbeatRef) realtime.heartbeatOk()
    }
    expect(sync.status.get().state).toBe('live')
    vi.setSystemTime(Date.now() - 3_600_000) // the user sets the clock back an hour; then the socket goes silent
    await vi.advanceTimersByTimeAsync(3100) // two intervals since the last reply, re-derived on the next 1 s tick
    // With a Date.now() clock the last reply would look an hour in the future, and the socket "proven" for an hour.
    expect(sync.status.get().socketProven).toBe(false)
    expect(sync.status.get().state).not.toBe('live')
    room.release()
    await sync.destroy()
  })
})
