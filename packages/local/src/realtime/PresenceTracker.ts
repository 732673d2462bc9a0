let refCounter = 0
const refSalt = Math.floor(Math.random() * 0x10000)

/** One presence entry as Phoenix.Presence lists it: the tracked payload plus its ref. */
export type PresenceMeta = Record<string, unknown> & { phx_ref: string; phx_ref_prev?: string }

/** `{ key: { metas: [...] } }`, the Phoenix.Presence group format used by presence_state and diffs. */
export type PresenceMap = Record<string, { metas: PresenceMeta[] }>

export interface PresenceDiff {
  joins: PresenceMap
  leaves: PresenceMap
}

/**
 * Phoenix.Tracker's ref layout: 8 bytes of nanosecond time, 2 bytes of node/process hash, 2 bytes of counter,
 * URL-safe base64 without padding: always 16 characters.
 */
const newRef = (): string => {
  const bytes = Buffer.alloc(12)
  bytes.writeBigUInt64BE(process.hrtime.bigint() + BigInt(Date.now()) * 1_000_000n)
  bytes.writeUInt16BE(refSalt, 8)
  bytes.writeUInt16BE((refCounter = (refCounter + 1) & 0xffff), 10)
  return bytes.toString('base64url')
}

const single = (key: string, meta: PresenceMeta): PresenceMap => ({ [key]: { metas: [meta] } })

/**
 * Presence state of every topic, shared by all sockets, like the server's Phoenix.Tracker.
 * One entry per (topic, tracking channel); several channels may track the same key.
 */
export class PresenceTracker {
  private readonly topics = new Map<string, Map<string, { key: string; meta: PresenceMeta }>>()

  /** Track or update; returns the diff every subscriber of the topic should get, or undefined for a no-op. */
  track(topic: string, sessionId: string, key: string, payload: Record<string, unknown>): PresenceDiff | undefined {
    let entries = this.topics.get(topic)
    if (!entries) this.topics.set(topic, (entries = new Map()))
    const previous = entries.get(sessionId)
    if (previous && previous.key === key && samePayload(previous.meta, payload)) return undefined
    const meta: PresenceMeta = { ...payload, phx_ref: newRef() }
    if (previous && previous.key === key) meta.phx_ref_prev = previous.meta.phx_ref
    entries.set(sessionId, { key, meta })
    return { joins: single(key, meta), leaves: previous ? single(previous.key, previous.meta) : {} }
  }

  /** Removes the channel's entry; returns the leave diff, or undefined when it tracked nothing. */
  untrack(topic: string, sessionId: string): PresenceDiff | undefined {
    const entries = this.topics.get(topic)
    const previous = entries?.get(sessionId)
    if (!entries || !previous) return undefined
    entries.delete(sessionId)
    if (entries.size === 0) this.topics.delete(topic)
    return { joins: {}, leaves: single(previous.key, previous.meta) }
  }

  isTracked(topic: string, sessionId: string): boolean {
    return this.topics.get(topic)?.has(sessionId) ?? false
  }

  /** The full state of a topic, sent as presence_state after a join. */
  state(topic: string): PresenceMap {
    const result: PresenceMap = {}
    for (const { key, meta } of this.topics.get(topic)?.values() ?? []) {
      ;(result[key] ??= { metas: [] }).metas.push(meta)
    }
    return result
  }

  /** Number of tracked entries across all topics (for leak checks). */
  get size(): number {
    let total = 0
    for (const entries of this.topics.values()) total += entries.size
    return total
  }
}

function samePayload(meta: PresenceMeta, payload: Record<string, unknown>): boolean {
  const { phx_ref: _ref, phx_ref_prev: _prev, ...rest } = meta
  return JSON.stringify(rest) === JSON.stringify(payload)
}
