import type { ChangeHost } from './ChangeHost.js'
import type { InspectHub } from './ChannelRecord.js'
import type { ConnectionStatus } from './ConnectionMonitor.js'
import { SupasyncError } from './errors.js'
import { hostEntry, roomEntry, type BuildClock } from './inspectChannels.js'
import type {
  InspectActions,
  InspectChannel,
  InspectConnection,
  InspectDeadLetterActions,
  InspectEntries,
  InspectKind,
  InspectProvider,
  InspectRegistration,
  InspectSnapshot,
} from './inspectTypes.js'
import type { Room } from './Room.js'
import { toWallTime } from './safeClock.js'

/** What the Inspector reads of its instance, only while it builds a snapshot. */
export interface InspectParts {
  /** The port clock (never backward), ms. */
  now(): number
  /** The wall clock, epoch ms. */
  wallNow(): number
  status(): ConnectionStatus
  /** Counters that only grow (the metrics recorder's). */
  readonly counters: { readonly reconnects: number; readonly heartbeatTimeouts: number }
  readonly heartbeatIntervalMs: number
  readonly maxChannels: number
  rooms(): Iterable<Room>
  hosts(): Iterable<ChangeHost>
}

interface Registration {
  readonly id: string
  readonly kind: InspectKind
  readonly provider: InspectProvider<InspectKind>
  readonly actions: InspectDeadLetterActions | undefined
  entry: InspectEntries[InspectKind] | undefined
  /** changed() was called since the provider last ran: it gets no `previous`. */
  dirty: boolean
}

const KINDS: readonly InspectKind[] = ['liveTable', 'queue', 'presence']
const EMPTY: readonly never[] = Object.freeze([])

/** The same array when every entry is the same object as before (a section's identity survives a rebuild elsewhere). */
function sameEntries(previous: readonly unknown[], next: readonly unknown[]): boolean {
  if (previous.length !== next.length) return false
  for (let index = 0; index < next.length; index++) if (previous[index] !== next[index]) return false
  return true
}

const INERT: InspectRegistration = Object.freeze({ id: '', changed: () => {}, unregister: () => {} })

/**
 * `sync.inspect()` and `sync.subscribeInspect()`: one snapshot of everything the instance holds, built only after a
 * change and then handed out as is. The parts say when something changed (channel records, the connection monitor,
 * registrations); a read while nothing changed is one flag check. Listeners hear of changes once per burst (a
 * microtask, so no timer is ever left behind).
 */
export class Inspector implements InspectHub {
  private dirty = true
  private connectionDirty = true
  private channelsDirty = true
  private snapshot: InspectSnapshot | undefined
  private connection: InspectConnection | undefined
  private channels: readonly InspectChannel[] = EMPTY
  private readonly sections: Record<InspectKind, readonly InspectEntries[InspectKind][]> = { liveTable: EMPTY, queue: EMPTY, presence: EMPTY }
  private readonly registrations: Record<InspectKind, Set<Registration>> = { liveTable: new Set(), queue: new Set(), presence: new Set() }
  private readonly listeners = new Set<() => void>()
  private notifyQueued = false
  private counter = 0
  private closed = false
  /** Dead-letter actions on the registered queues, by their registration id. */
  readonly actions: InspectActions

  constructor(private readonly parts: InspectParts) {
    this.actions = Object.freeze({
      retryDeadLetter: (queueId: string, entryId: string) => this.act(queueId, entryId, 'retry'),
      discardDeadLetter: (queueId: string, entryId: string) => this.act(queueId, entryId, 'discard'),
    })
  }

  channelsChanged(): void {
    this.channelsDirty = true
    this.changed()
  }

  connectionChanged(): void {
    this.connectionDirty = true
    this.changed()
  }

  private changed(): void {
    this.dirty = true
    if (this.notifyQueued || this.listeners.size === 0) return
    this.notifyQueued = true
    queueMicrotask(this.notify)
  }

  private readonly notify = (): void => {
    this.notifyQueued = false
    for (const listener of [...this.listeners]) {
      try {
        listener()
      } catch (error) {
        // A broken listener must not starve the others; it still surfaces.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  inspect(): InspectSnapshot {
    if (!this.dirty && this.snapshot) return this.snapshot
    // Cleared first: a change made while the snapshot is built (by a provider) makes the next read build again.
    this.dirty = false
    const clock: BuildClock = { now: this.parts.now(), wall: this.parts.wallNow() }
    if (this.connectionDirty || !this.connection) {
      this.connectionDirty = false
      this.connection = this.buildConnection(clock)
    }
    if (this.channelsDirty) {
      this.channelsDirty = false
      const channels: InspectChannel[] = []
      for (const room of this.parts.rooms()) channels.push(roomEntry(room, clock))
      for (const host of this.parts.hosts()) channels.push(hostEntry(host, clock))
      if (!sameEntries(this.channels, channels)) this.channels = channels
    }
    try {
      for (const kind of KINDS) this.buildSection(kind, clock.wall)
    } catch (error) {
      // A provider failed (a bug in a package): the next read tries again rather than keep a half-built snapshot.
      this.dirty = true
      throw error
    }
    this.snapshot = {
      version: 1,
      takenAt: clock.wall,
      connection: this.connection,
      channels: this.channels,
      liveTables: this.sections.liveTable as readonly InspectEntries['liveTable'][],
      queues: this.sections.queue as readonly InspectEntries['queue'][],
      presence: this.sections.presence as readonly InspectEntries['presence'][],
    }
    return this.snapshot
  }

  private buildConnection(clock: BuildClock): InspectConnection {
    const status = this.parts.status()
    const { counters } = this.parts
    return {
      state: status.state,
      since: Math.round(toWallTime(status.since, clock.now, clock.wall)),
      rttMs: status.rttMs,
      socketProven: status.socketProven,
      heartbeatAt: status.heartbeatAt === undefined ? undefined : Math.round(toWallTime(status.heartbeatAt, clock.now, clock.wall)),
      heartbeatIntervalMs: this.parts.heartbeatIntervalMs,
      reconnects: counters.reconnects,
      heartbeatTimeouts: counters.heartbeatTimeouts,
      channels: status.channels,
      maxChannels: this.parts.maxChannels,
      leases: status.leases,
    }
  }

  /** Asks every provider of `kind` (previous entry included while it is clean); keeps the array if nothing moved. */
  private buildSection(kind: InspectKind, takenAt: number): void {
    const registrations = this.registrations[kind]
    if (registrations.size === 0) {
      this.sections[kind] = EMPTY
      return
    }
    const entries: InspectEntries[InspectKind][] = []
    for (const registration of registrations) {
      const previous = registration.dirty ? undefined : registration.entry
      registration.dirty = false
      let entry: InspectEntries[InspectKind]
      try {
        entry = registration.provider(takenAt, previous)
      } catch (error) {
        registration.dirty = true
        throw error
      }
      registration.entry = entry
      entries.push(entry)
    }
    if (!sameEntries(this.sections[kind], entries)) this.sections[kind] = entries
  }

  subscribe(listener: () => void): () => void {
    if (typeof listener !== 'function') {
      throw new SupasyncError('INVALID_OPTIONS', `subscribeInspect(listener): listener must be a function, got ${listener === null ? 'null' : typeof listener}.`)
    }
    // A function added twice would be removed by the first unsubscribe: wrap it so each subscription is its own.
    const entry = () => listener()
    this.listeners.add(entry)
    return () => {
      this.listeners.delete(entry)
    }
  }

  register<K extends InspectKind>(kind: K, provider: InspectProvider<K>, actions?: InspectDeadLetterActions): InspectRegistration {
    if (!KINDS.includes(kind)) {
      throw new SupasyncError('INVALID_OPTIONS', `registerInspect(kind, provider): kind must be one of ${KINDS.map((name) => `'${name}'`).join(', ')}, got ${JSON.stringify(kind)}.`)
    }
    if (typeof provider !== 'function') {
      throw new SupasyncError('INVALID_OPTIONS', `registerInspect('${kind}', provider): provider must be a function (takenAt, previous) => entry.`)
    }
    if (actions !== undefined && (kind !== 'queue' || typeof actions.retry !== 'function' || typeof actions.discard !== 'function')) {
      throw new SupasyncError('INVALID_OPTIONS', `registerInspect('${kind}', provider, actions): actions are for queues only, as { retry(entryId), discard(entryId) }.`)
    }
    // A package built on a destroyed instance shows nowhere: its calls do nothing.
    if (this.closed) return INERT
    const registration: Registration = { id: `${kind}-${++this.counter}`, kind, provider: provider as unknown as InspectProvider<InspectKind>, actions, entry: undefined, dirty: true }
    const set = this.registrations[kind]
    set.add(registration)
    this.changed()
    return {
      id: registration.id,
      changed: () => {
        if (!set.has(registration)) return
        registration.dirty = true
        this.changed()
      },
      unregister: () => {
        if (set.delete(registration)) this.changed()
      },
    }
  }

  private act(queueId: string, entryId: string, action: 'retry' | 'discard'): Promise<void> {
    let target: Registration | undefined
    for (const registration of this.registrations.queue) if (registration.id === queueId) target = registration
    const actions = target?.actions
    if (!actions) {
      return Promise.reject(
        new SupasyncError(
          'UNKNOWN_QUEUE',
          `No queue with id ${JSON.stringify(queueId)} is registered with this supasync instance (it was destroyed, or the id comes from another instance's snapshot). Take the id from the current sync.inspect().queues.`,
        ),
      )
    }
    try {
      return Promise.resolve(action === 'retry' ? actions.retry(entryId) : actions.discard(entryId))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  get listenerCount(): number {
    return this.listeners.size
  }

  get registrationCount(): number {
    return this.registrations.liveTable.size + this.registrations.queue.size + this.registrations.presence.size
  }

  /**
   * The instance was destroyed: registrations go (the packages that made them may outlive it), listeners hear of the
   * last change once, now, and are dropped. `inspect()` keeps answering with what is left (nothing).
   */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const kind of KINDS) this.registrations[kind].clear()
    this.dirty = this.connectionDirty = this.channelsDirty = true
    this.notifyQueued = false
    this.notify()
    this.listeners.clear()
  }
}
