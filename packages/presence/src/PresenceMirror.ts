import type { RealtimeChannel } from '@supabase/supabase-js'
import { parseMeta } from './meta.js'
import type { ConnectionMeta, PresenceState } from './types.js'

/**
 * This client's copy of the server's presence state on one channel: key → connection id → entry, and the keys changed
 * since the last reconcile.
 *
 * It is read whole once per (re)join, right after the presence_state sync, and kept up to date from the join and leave
 * events after that. realtime-js's own state is only trusted right after such a sync: versions before 2.119.1 corrupt
 * it on updates (stale entries, lost refs: supabase/supabase-js#2565), so later changes come from the events instead.
 */
export class PresenceMirror<S extends object = PresenceState> {
  private entries = new Map<string, Map<string, ConnectionMeta<S>>>()
  /** The channel the mirror was read from; another one (or a rejoin) means a full read at its next sync. */
  private readFrom: RealtimeChannel | undefined
  private dirty: Set<string> | 'all' = new Set()

  /** `onReplaced(conn, ref)`: a connection's entry was replaced by a newer one with `ref` (an update). */
  constructor(private readonly onReplaced: (conn: string, ref: string) => void) {}

  /** The whole state as last known (what the reducer reconciles against). */
  get presences(): ReadonlyMap<string, ReadonlyMap<string, ConnectionMeta<S>>> {
    return this.entries
  }

  /** True when events of `channel` apply to this copy; false until its first sync after a (re)join was read. */
  follows(channel: RealtimeChannel): boolean {
    return channel === this.readFrom
  }

  /** A new server-side channel: the copy stays as it was until the next sync is read whole. */
  rejoined(): void {
    this.readFrom = undefined
  }

  find(key: string, conn: string): ConnectionMeta<S> | undefined {
    return this.entries.get(key)?.get(conn)
  }

  /** Reads the channel's whole state (right after its presence_state sync). Of duplicates of one connection the newest (`at`) wins. */
  readAll(channel: RealtimeChannel): void {
    const entries = new Map<string, Map<string, ConnectionMeta<S>>>()
    for (const [key, presences] of Object.entries(channel.presenceState())) {
      const connections = new Map<string, ConnectionMeta<S>>()
      for (const raw of presences) {
        const meta = parseMeta<S>(raw)
        const current = meta && connections.get(meta.conn)
        if (meta && (!current || meta.at >= current.at)) connections.set(meta.conn, meta)
      }
      if (connections.size > 0) entries.set(key, connections)
    }
    this.entries = entries
    this.readFrom = channel
    this.dirty = 'all'
  }

  /** Entries of `key` joined (tracked, or updated: an update is the new entry's join plus the old one's leave). */
  joined(key: string, presences: readonly unknown[]): void {
    let connections = this.entries.get(key)
    for (const raw of presences) {
      const meta = parseMeta<S>(raw)
      if (!meta) continue
      if (!connections) this.entries.set(key, (connections = new Map()))
      const current = connections.get(meta.conn)
      if (!current || meta.at >= current.at) {
        connections.set(meta.conn, meta)
        if (current) this.onReplaced(meta.conn, meta.ref)
      }
    }
    this.touch(key)
  }

  /** Entries of `key` left. Only the entry with that ref goes: the old half of an update leaves the new one in place. */
  left(key: string, presences: readonly unknown[]): void {
    const connections = this.entries.get(key)
    for (const raw of presences) {
      const meta = parseMeta<S>(raw)
      const current = meta && connections?.get(meta.conn)
      if (meta && current && (current.ref === meta.ref || (meta.ref === '' && meta.at >= current.at))) connections?.delete(meta.conn)
    }
    if (connections?.size === 0) this.entries.delete(key)
    this.touch(key)
  }

  /** Marks `key` for the next reconcile. */
  touch(key: string): void {
    if (this.dirty !== 'all') this.dirty.add(key)
  }

  /** The keys changed since the last call (`'all'` after a full read), or undefined when none. */
  takeDirty(): ReadonlySet<string> | 'all' | undefined {
    const dirty = this.dirty
    this.dirty = new Set()
    return dirty === 'all' || dirty.size > 0 ? dirty : undefined
  }
}
