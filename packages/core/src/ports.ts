/**
 * The environment behind ports, so tests can drive time, the network and tab visibility deterministically.
 * Defaults read the browser's `online`/`offline` and `visibilitychange` events, and are inert in Node.
 */

import { safeClock } from './safeClock.js'

/** Opaque timer handle. */
export type TimerHandle = unknown

export interface TimerPort {
  setTimeout(callback: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  /**
   * Milliseconds for intervals and staleness: never backward, counting device sleep (default: {@link safeClock}).
   * Not wall time after the wall clock was set: see `wallNow`.
   */
  now(): number
  /** The wall clock, epoch ms, for times shown to users (`lastSyncedAt`). Default: Date.now; without it, `now()`. */
  wallNow?(): number
}

export interface NetworkPort {
  isOnline(): boolean
  /** Calls `listener(online)` on every change; returns an unsubscribe. */
  subscribe(listener: (online: boolean) => void): () => void
}

export interface VisibilityPort {
  isVisible(): boolean
  subscribe(listener: (visible: boolean) => void): () => void
}

export interface SupasyncPorts {
  timers: TimerPort
  network: NetworkPort
  visibility: VisibilityPort
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
}

const globals = globalThis as unknown as {
  window?: EventTargetLike
  navigator?: { onLine?: boolean }
  document?: EventTargetLike & { visibilityState?: string }
}

export const systemTimers: TimerPort = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: safeClock(),
  wallNow: () => Date.now(),
}

export const browserNetwork: NetworkPort = {
  isOnline: () => globals.navigator?.onLine ?? true,
  subscribe(listener) {
    const target = globals.window
    if (!target) return () => {}
    const online = () => listener(true)
    const offline = () => listener(false)
    target.addEventListener('online', online)
    target.addEventListener('offline', offline)
    return () => {
      target.removeEventListener('online', online)
      target.removeEventListener('offline', offline)
    }
  },
}

export const browserVisibility: VisibilityPort = {
  isVisible: () => (globals.document?.visibilityState ?? 'visible') !== 'hidden',
  subscribe(listener) {
    const document = globals.document
    if (!document) return () => {}
    const changed = () => listener(document.visibilityState !== 'hidden')
    document.addEventListener('visibilitychange', changed)
    return () => document.removeEventListener('visibilitychange', changed)
  },
}

export const defaultPorts: SupasyncPorts = { timers: systemTimers, network: browserNetwork, visibility: browserVisibility }

/** A network or visibility port whose value tests set by hand. */
export function manualPort(initial = true): NetworkPort & VisibilityPort & { set(value: boolean): void } {
  let value = initial
  const listeners = new Set<(value: boolean) => void>()
  return {
    isOnline: () => value,
    isVisible: () => value,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    set(next) {
      if (next === value) return
      value = next
      for (const listener of [...listeners]) listener(value)
    },
  }
}
