import type { ChangeHost } from './ChangeHost.js'
import type { ChannelRecord } from './ChannelRecord.js'
import type { SupasyncError } from './errors.js'
import type { InspectBinding, InspectChannel, InspectChannelStatus, InspectError, InspectEvent } from './inspectTypes.js'
import type { Room } from './Room.js'
import { toWallTime } from './safeClock.js'

/** The moment a snapshot is built: port-clock readings (`…At` of the parts) become wall time with it. */
export interface BuildClock {
  /** The port clock now (ms). */
  now: number
  /** The wall clock now (epoch ms). */
  wall: number
}

const wallOf = (at: number, clock: BuildClock) => Math.round(toWallTime(at, clock.now, clock.wall))

/** Code and message only: a SupasyncError's `cause` may be anything (a realtime-js error object). */
export function inspectError(error: SupasyncError<string> | undefined): InspectError | undefined {
  return error === undefined ? undefined : { code: error.code, message: error.message }
}

function lastEvent(record: ChannelRecord, clock: BuildClock): InspectEvent | undefined {
  const type = record.eventType
  if (type === undefined) return undefined
  const spec = record.eventSpec
  const name = spec ? `${record.eventName} ${spec.schema}.${spec.table}` : record.eventName
  return { type, name, at: wallOf(record.eventAt, clock) }
}

function joinedAt(record: ChannelRecord, clock: BuildClock): number | undefined {
  return record.joinedAt === undefined ? undefined : wallOf(record.joinedAt, clock)
}

/** A room's entry: its broadcast events with their listener counts, presence, holders, status. */
export function roomEntry(room: Room, clock: BuildClock): InspectChannel {
  const record = room.record
  const cached = record.current()
  if (cached) return cached
  const bindings: InspectBinding[] = []
  for (const [event, listeners] of room.listeners) bindings.push({ type: 'broadcast', event, listeners: listeners.size })
  if (room.options.presence !== undefined) bindings.push({ type: 'presence', listeners: room.presenceListenerCount })
  const roomStatus = room.status.get()
  // Released by its last holder and not closed yet: the grace period (or an eviction) is about to leave it.
  const status: InspectChannelStatus = roomStatus !== 'closed' && room.holders.size === 0 ? 'leaving' : roomStatus
  return record.keep({
    topic: room.topic,
    kind: 'room',
    private: room.options.private === true,
    status,
    holders: room.holders.size,
    bindings,
    joins: record.joins,
    joinedAt: joinedAt(record, clock),
    lastEvent: lastEvent(record, clock),
    error: inspectError(room.error),
  })
}

/**
 * A changes channel's entry: the bindings its host carries (or is about to carry) with their lease counts. A host in
 * the middle of a make-before-break swap holds two realtime channels for one set of bindings; it shows once, under
 * the topic of the generation that delivers now (`connection.channels` counts both).
 */
export function hostEntry(host: ChangeHost, clock: BuildClock): InspectChannel {
  const record = host.record
  const cached = record.current()
  if (cached) return cached
  const bindings: InspectBinding[] = []
  let holders = 0
  for (const binding of host.desired) {
    const { spec } = binding
    const leases = binding.leaseCount
    holders += leases
    bindings.push({ type: 'postgres_changes', schema: spec.schema, table: spec.table, event: spec.event, filter: spec.filter, leases })
  }
  const generation = host.current ?? host.next
  let status: InspectChannelStatus
  if (host.closed) status = 'closed'
  else if (!generation) status = record.error ? 'errored' : 'joining'
  else status = generation.live ? 'joined' : generation.failed ? 'errored' : 'joining'
  return record.keep({
    topic: generation?.topic ?? `supasync:${host.id}`,
    kind: 'changes',
    private: false,
    status,
    holders,
    bindings,
    joins: record.joins,
    joinedAt: joinedAt(record, clock),
    lastEvent: lastEvent(record, clock),
    error: inspectError(record.error),
  })
}
