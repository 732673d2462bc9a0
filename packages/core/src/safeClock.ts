/** A wall-clock step this much longer than the monotonic one is taken as time the monotonic clock missed, in ms. */
const SLEEP_GAP_MS = 1000

/** The two clocks a {@link safeClock} combines; tests pass their own. */
export interface ClockSources {
  /** A monotonic reading in ms (performance.now()); may stand still while the device sleeps. */
  monotonic(): number
  /** The wall clock, epoch ms (Date.now()); may jump either way when the user or NTP sets it. */
  wall(): number
}

const globalSources: ClockSources = {
  monotonic: () => (globalThis.performance ? globalThis.performance.now() : Date.now()),
  wall: () => Date.now(),
}

/**
 * A clock for intervals and staleness that never runs backward and never under-counts, in ms. It starts at the wall
 * clock and advances, per reading, by what the monotonic clock moved, or by what the wall clock moved when that is
 * more than a second longer (time the monotonic clock did not see):
 *
 * - the wall clock set back an hour: the monotonic clock's step counts, so nothing looks an hour fresher (a
 *   `Date.now()` clock made staleness negative and kept a dead socket "proven" for the jump's length);
 * - a sleeping device: the monotonic clock may stand still (Linux CLOCK_MONOTONIC, some browsers) while the wall
 *   clock moves on; the wall step counts, so data read before the sleep is not called fresh after it;
 * - the wall clock set forward: the step counts too. Staleness then over-states, the safe side of a freshness
 *   claim: it makes the app check sooner, never trust longer.
 *
 * Its readings stay close to epoch ms but drift from the wall clock after a jump: show users wall time derived with
 * {@link toWallTime}, not its readings.
 */
export function safeClock(sources: ClockSources = globalSources): () => number {
  let lastMonotonic = sources.monotonic()
  let lastWall = sources.wall()
  let value = lastWall
  return () => {
    const monotonic = sources.monotonic()
    const wall = sources.wall()
    const step = Math.max(0, monotonic - lastMonotonic)
    const wallStep = wall - lastWall
    // The wall step counts only when it outruns the monotonic one by a sleep-sized gap: reading both on every call
    // and taking the larger would ratchet ahead of both by their jitter (seconds per hour at high call rates).
    value += wallStep > step + SLEEP_GAP_MS ? wallStep : step
    lastMonotonic = monotonic
    lastWall = wall
    return value
  }
}

/**
 * The wall time (epoch ms) of a past reading `at` of a port clock that reads `now` at this moment: the wall clock
 * minus the time elapsed since. A moment's wall time therefore follows the wall clock when it is set.
 */
export function toWallTime(at: number, now: number, wallNow: number): number {
  return wallNow - (now - at)
}
