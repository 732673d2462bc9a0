import type { NormalizedSpec } from './changeSpec.js'
import type { SupasyncError } from './errors.js'
import type { InspectChannel, InspectEvent } from './inspectTypes.js'

/** Where channels tell `sync.inspect()` that something it shows changed (the Inspector). */
export interface InspectHub {
  /** A channel came, went, or changed something a snapshot shows. */
  channelsChanged(): void
  /** The connection status or one of its counters changed. */
  connectionChanged(): void
}

/**
 * What `sync.inspect()` shows of one realtime channel (a room, or a host of the changes pool) beyond the channel's
 * own state: its joins, its last event, its last error; plus the entry last built for it and the version it was
 * built at. Every change bumps the version and tells the hub, so a snapshot rebuilds only the channels that changed
 * and a quiet `inspect()` looks at none.
 *
 * Recording an event is on the delivery path: a few field writes, no allocation. The event's name is made only
 * when a snapshot is built (`INSERT public.components` from the spec and the event type).
 */
export class ChannelRecord {
  private version = 0
  private builtAt = -1
  private entry: InspectChannel | undefined
  /** SUBSCRIBED replies so far: the first join, rejoins, re-creations. */
  joins = 0
  /** The last SUBSCRIBED (port clock, ms). */
  joinedAt: number | undefined
  /** Why the server refused or closed it last (changes channels; a room keeps its own); cleared by a join. */
  error: SupasyncError | undefined
  eventType: InspectEvent['type'] | undefined
  /** A broadcast's event, a presence event, a system message's extension, or a change's eventType. */
  eventName = ''
  /** The binding a postgres_changes event came for. */
  eventSpec: NormalizedSpec | undefined
  /** When the last event arrived (port clock, ms). */
  eventAt = 0

  constructor(private readonly hub: InspectHub) {
    hub.channelsChanged()
  }

  /** Something of this channel a snapshot shows changed. */
  touch(): void {
    this.version++
    this.hub.channelsChanged()
  }

  joined(at: number): void {
    this.joins++
    this.joinedAt = at
    this.error = undefined
    this.touch()
  }

  failed(error: SupasyncError): void {
    this.error = error
    this.touch()
  }

  event(type: InspectEvent['type'], name: string, at: number, spec?: NormalizedSpec): void {
    this.eventType = type
    this.eventName = name
    this.eventSpec = spec
    this.eventAt = at
    this.touch()
  }

  /** The entry built since the last change, or undefined when it must be built again. */
  current(): InspectChannel | undefined {
    return this.builtAt === this.version ? this.entry : undefined
  }

  keep(entry: InspectChannel): InspectChannel {
    this.entry = entry
    this.builtAt = this.version
    return entry
  }
}
