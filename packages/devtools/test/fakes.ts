/**
 * Test doubles for the devtools panel: handcrafted snapshots, a fake InspectSource that counts its listeners and
 * inspect() calls, and fake ports (frames and timers run only when the test says so).
 */
import { vi } from 'vitest'
import type {
  InspectActions,
  InspectChannel,
  InspectConnection,
  InspectDeadLetter,
  InspectLiveTable,
  InspectPendingWrite,
  InspectPresenceRoom,
  InspectQueue,
  InspectSnapshot,
  InspectSource,
} from '@supasync/core'
import type { DevtoolsPorts } from '../src/ports.js'

/** 2026-12-04T12:00:00Z: every fake clock starts here. */
export const T0 = Date.UTC(2026, 11, 4, 12, 0, 0)

export function connection(overrides: Partial<InspectConnection> = {}): InspectConnection {
  return {
    state: 'live',
    since: T0 - 65_000,
    rttMs: 42,
    socketProven: true,
    heartbeatAt: T0 - 3_000,
    heartbeatIntervalMs: 15_000,
    reconnects: 2,
    heartbeatTimeouts: 1,
    channels: 2,
    maxChannels: 100,
    leases: 5,
    ...overrides,
  }
}

export function channel(overrides: Partial<InspectChannel> = {}): InspectChannel {
  return {
    topic: 'wedding:42',
    kind: 'room',
    private: false,
    status: 'joined',
    holders: 2,
    bindings: [
      { type: 'broadcast', event: 'running-late', listeners: 2 },
      { type: 'presence', listeners: 1 },
    ],
    joins: 1,
    joinedAt: T0 - 60_000,
    lastEvent: { type: 'broadcast', name: 'running-late', at: T0 - 4_000 },
    error: undefined,
    ...overrides,
  }
}

export function liveTable(overrides: Partial<InspectLiveTable> = {}): InspectLiveTable {
  return {
    id: 'lt-1',
    schema: 'public',
    table: 'components',
    filter: { project_id: 1 },
    source: 'postgres_changes',
    mode: 'realtime',
    lastSyncedAt: T0 - 2_000,
    stalenessMs: 2_000,
    maxStalenessMs: 30_000,
    rows: 300,
    holders: 2,
    polls: 7,
    failedPolls: 0,
    lastPollAt: T0 - 10_000,
    missedByRealtime: 0,
    error: undefined,
    ...overrides,
  }
}

export function pendingWrite(overrides: Partial<InspectPendingWrite> = {}): InspectPendingWrite {
  return {
    id: 'w-1',
    description: 'update components where {"id":"c-7"}',
    kind: 'update',
    target: 'components',
    rowCount: undefined,
    attempts: 1,
    enqueuedAt: T0 - 90_000,
    state: 'waiting',
    ...overrides,
  }
}

export function deadLetter(overrides: Partial<InspectDeadLetter> = {}): InspectDeadLetter {
  return {
    id: 'd-1',
    description: 'insert components (3 rows)',
    kind: 'insert',
    target: 'components',
    rowCount: 3,
    attempts: 1,
    enqueuedAt: T0 - 120_000,
    reason: { code: 'REJECTED', message: 'duplicate key value violates unique constraint "components_tag_key"', status: 409, pgCode: '23505', at: T0 - 100_000 },
    ...overrides,
  }
}

export function queue(overrides: Partial<InspectQueue> = {}): InspectQueue {
  return {
    id: 'q-main',
    name: 'supasync',
    storage: 'IndexedDB supasync-queue',
    pending: 1,
    failed: 1,
    flushing: false,
    oldestPendingAt: T0 - 90_000,
    pendingWrites: [pendingWrite()],
    deadLetters: [deadLetter()],
    lastError: undefined,
    ...overrides,
  }
}

export function presenceRoom(overrides: Partial<InspectPresenceRoom> = {}): InspectPresenceRoom {
  return {
    topic: 'wedding:42',
    selfKey: 'photographer',
    members: [
      { key: 'photographer', status: 'online', connections: 2, typing: false, self: true, lastSeen: T0 - 30_000 },
      { key: 'caterer', status: 'away', connections: 1, typing: true, self: false, lastSeen: T0 - 5_000 },
    ],
    ...overrides,
  }
}

/** A full snapshot taken at T0; each section replaced by `overrides`. */
export function snapshot(overrides: Partial<InspectSnapshot> = {}): InspectSnapshot {
  return {
    version: 1,
    takenAt: T0,
    connection: connection(),
    channels: [channel()],
    liveTables: [liveTable()],
    queues: [queue()],
    presence: [presenceRoom()],
    ...overrides,
  }
}

/** An empty instance: no channel, table, queue or room. */
export function emptySnapshot(): InspectSnapshot {
  return snapshot({ connection: connection({ channels: 0, leases: 0 }), channels: [], liveTables: [], queues: [], presence: [] })
}

export interface FakeSource extends InspectSource {
  /** Replaces the snapshot and notifies every listener. */
  set(next: InspectSnapshot): void
  /** Notifies every listener without changing the snapshot. */
  notify(): void
  readonly listeners: number
  readonly inspectCalls: number
  readonly inspectActions: InspectActions & { retryDeadLetter: ReturnType<typeof vi.fn>; discardDeadLetter: ReturnType<typeof vi.fn> }
}

/** A source over `initial`; with `actions: false` it has no inspectActions. */
export function fakeSource(initial: InspectSnapshot = snapshot(), options: { actions?: boolean } = {}): FakeSource {
  let current = initial
  let inspectCalls = 0
  const listeners = new Set<() => void>()
  const source = {
    inspect() {
      inspectCalls++
      return current
    },
    subscribeInspect(listener: () => void) {
      // A wrapper per subscription, so the same function subscribed twice counts twice, as it would in core.
      const entry = () => listener()
      listeners.add(entry)
      return () => listeners.delete(entry)
    },
    set(next: InspectSnapshot) {
      current = next
      for (const listener of [...listeners]) listener()
    },
    notify() {
      for (const listener of [...listeners]) listener()
    },
    get listeners() {
      return listeners.size
    },
    get inspectCalls() {
      return inspectCalls
    },
    inspectActions: {
      retryDeadLetter: vi.fn(async (_queueId: string, _entryId: string) => {}),
      discardDeadLetter: vi.fn(async (_queueId: string, _entryId: string) => {}),
    },
  }
  if (options.actions === false) delete (source as Partial<typeof source>).inspectActions
  return source as FakeSource
}

export interface FakePorts extends DevtoolsPorts {
  /** Runs every frame requested so far (not those they request); returns how many ran. */
  runFrames(): number
  /** Runs the repeating timers as if `ms` passed, and moves the clock. */
  advance(ms: number): void
  readonly pendingFrames: number
  readonly framesRequested: number
  readonly timers: number
  time: number
}

/** Ports whose frames and timers run only when the test calls runFrames() / advance(). */
export function fakePorts(start = T0): FakePorts {
  const frames = new Set<() => void>()
  const timers = new Set<{ ms: number; callback: () => void; due: number }>()
  let framesRequested = 0
  const ports: FakePorts = {
    time: start,
    now: () => ports.time,
    requestFrame(callback) {
      framesRequested++
      const entry = () => callback()
      frames.add(entry)
      return () => frames.delete(entry)
    },
    every(ms, callback) {
      const timer = { ms, callback, due: ports.time + ms }
      timers.add(timer)
      return () => timers.delete(timer)
    },
    runFrames() {
      const due = [...frames]
      frames.clear()
      for (const frame of due) frame()
      return due.length
    },
    advance(ms) {
      const end = ports.time + ms
      for (;;) {
        const next = [...timers].sort((a, b) => a.due - b.due)[0]
        if (!next || next.due > end) break
        ports.time = next.due
        next.due += next.ms
        next.callback()
      }
      ports.time = end
    },
    get pendingFrames() {
      return frames.size
    },
    get framesRequested() {
      return framesRequested
    },
    get timers() {
      return timers.size
    },
  }
  return ports
}

/** The panel's shadow root on `host`, which a mount must have created. */
export function shadowOf(host: Element): ShadowRoot {
  if (!host.shadowRoot) throw new Error('no shadow root on the host: the panel did not mount')
  return host.shadowRoot
}

/** Clicks the button with `data-key` = `key` inside the panel. */
export function click(host: Element, key: string): void {
  const buttons = shadowOf(host).querySelectorAll<HTMLElement>('[data-key]')
  for (let index = 0; index < buttons.length; index++) {
    if (buttons[index]!.getAttribute('data-key') === key) {
      buttons[index]!.click()
      return
    }
  }
  throw new Error(`no button with data-key ${key}`)
}

/** The panel's visible text, whitespace collapsed. */
export function text(host: Element): string {
  return (shadowOf(host).querySelector('[data-supasync-devtools-panel]')?.textContent ?? '').replace(/\s+/g, ' ')
}
