/**
 * What the panel needs from its environment: a clock, animation frames and a repeating timer. Injected so that tests
 * (and hosts without a DOM's frame loop) drive time themselves; `defaultDevtoolsPorts()` takes them from the global
 * scope.
 */
export interface DevtoolsPorts {
  /** Wall clock in epoch ms, for the ages the panel shows. Default `Date.now`. */
  now(): number
  /**
   * Calls `callback` once before the next paint; returns a function that cancels it. Default `requestAnimationFrame`,
   * or a 16 ms `setTimeout` where there is none (a web worker, a test DOM without it).
   */
  requestFrame(callback: () => void): () => void
  /** Calls `callback` every `ms` ms until the returned function is called. Default `setInterval`. */
  every(ms: number, callback: () => void): () => void
}

/** One frame at 60 Hz, in ms: the fallback's delay where `requestAnimationFrame` is missing. */
export const FALLBACK_FRAME_MS = 16

/** The subset of a global scope the default ports use (a `window`, `globalThis`, or a test's stand-in). */
export interface FrameScope {
  requestAnimationFrame?: (callback: (time: number) => void) => number
  cancelAnimationFrame?: (handle: number) => void
  setTimeout: (callback: () => void, ms: number) => unknown
  clearTimeout: (handle: never) => void
  setInterval: (callback: () => void, ms: number) => unknown
  clearInterval: (handle: never) => void
}

/** Ports on `scope` (default the global scope): see {@link DevtoolsPorts} for each default. */
export function defaultDevtoolsPorts(scope: FrameScope = globalThis as unknown as FrameScope): DevtoolsPorts {
  return {
    now: () => Date.now(),
    requestFrame(callback) {
      // Looked up per call, not once: a test DOM may install requestAnimationFrame after this module loaded.
      const request = scope.requestAnimationFrame
      const cancel = scope.cancelAnimationFrame
      if (typeof request === 'function' && typeof cancel === 'function') {
        const handle = request.call(scope, () => callback())
        return () => cancel.call(scope, handle)
      }
      const handle = scope.setTimeout.call(scope, callback, FALLBACK_FRAME_MS)
      return () => scope.clearTimeout.call(scope, handle as never)
    },
    every(ms, callback) {
      const handle = scope.setInterval.call(scope, callback, ms)
      return () => scope.clearInterval.call(scope, handle as never)
    },
  }
}
