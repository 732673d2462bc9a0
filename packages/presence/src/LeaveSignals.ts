import type { RealtimeChannel } from '@supabase/supabase-js'

/**
 * The leave signal: how a deliberate `leave()` is told apart from a dropped socket.
 *
 * On the wire both look the same: the connection's entry leaves the server's presence state. The others keep a
 * vanished connection for `reconnectGraceMs` (it may only be reconnecting), which makes a real leave show late. So the
 * last holder's `leave()` broadcasts `{ key, conn, ref }` under {@link LEAVE_EVENT} just before its untrack, on the
 * same socket. A broadcast is no presence call: it costs nothing of the 5-per-30-s presence budget, and there is one
 * per leave. The others then drop that connection at once when it vanishes (or at once if it already has).
 *
 * What a signal can do is deliberately small, because senders cannot be authenticated (anyone who can broadcast on a
 * topic can send one naming anybody's entry): it never hides, adds or changes an entry that is in the server's
 * state. It only waives the reconnect grace of the one connection it names (by connection id, and by the server's
 * ref when both sides know it), if that connection vanishes within {@link LEAVE_SIGNAL_TTL_MS}. A forged signal can
 * therefore at worst show its victim offline early after a real socket drop, until the victim's reconnect tracks it
 * again, which corrects the list like any other presence change.
 *
 * A lost signal (the leaver's socket already down, a private channel without a broadcast write policy, a client
 * without supasync) costs nothing but time: the connection lingers for the grace as before.
 */

/** The reserved broadcast event of the leave signal; listeners of `'*'` on the topic see it too. */
export const LEAVE_EVENT = 'supasync:leave'

/**
 * How long a received signal waits for its connection to vanish from the server's state, in ms. The untrack follows
 * the signal on the same socket, so both normally arrive within milliseconds of each other; 5 s covers a server slow
 * to send the presence diff while keeping a forged signal's window short.
 */
export const LEAVE_SIGNAL_TTL_MS = 5000

/**
 * realtime-js keeps a timer per push until its reply or timeout, and the server does not reply to a broadcast sent
 * without `ack`: a short timeout lets that timer go soon after the leave (the answer is not used), in ms.
 */
const SEND_TIMEOUT_MS = 1000

/** Longest key or id a signal may name; anything longer cannot be one of ours (a uuid, a ref, a user's key). */
const MAX_FIELD_LENGTH = 1024

/** The payload of {@link LEAVE_EVENT}. */
export interface LeaveSignal {
  /** The leaving connection's presence key. */
  key: string
  /** Its per-connection id (the tracked payload's `conn`). */
  conn: string
  /** The server's presence_ref of its entry; '' when the sender does not know it (a track in flight, an old realtime-js). */
  ref: string
}

const field = (value: unknown): value is string => typeof value === 'string' && value.length <= MAX_FIELD_LENGTH

/** Reads a received signal; undefined for anything else (a malformed or foreign payload is ignored). */
export function parseLeaveSignal(payload: unknown): LeaveSignal | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined
  const { key, conn, ref } = payload as Record<string, unknown>
  if (!field(key) || !field(conn) || conn === '' || (ref !== undefined && !field(ref))) return undefined
  return { key, conn, ref: ref ?? '' }
}

/**
 * Sends the signal on a channel that can push now (joined, socket open), before the untrack. Fire and forget: if it
 * is lost, the others fall back to the reconnect grace.
 */
export function sendLeaveSignal(channel: RealtimeChannel, signal: LeaveSignal): void {
  channel.send({ type: 'broadcast', event: LEAVE_EVENT, payload: signal }, { timeout: SEND_TIMEOUT_MS }).catch(() => undefined)
}

/** The entry a receiver lists for a connection, as far as a signal is checked against it. */
interface KnownEntry {
  readonly ref: string
}

/**
 * Received signals still waiting for their connection to vanish: conn → key, ref, expiry. Bounded by the entries
 * this client lists (a signal naming anything else is ignored) and forgotten once the connection is gone, so it
 * needs no timer: expiry is checked when it is used.
 */
export class LeaveSignals {
  private readonly pending = new Map<string, { key: string; ref: string; until: number }>()

  /**
   * Takes a received payload. `find` returns the entry this client lists for that key and connection (undefined when
   * none). Returns the key whose member must be reconciled, or undefined when the signal is ignored: malformed, for
   * this client's own connection, for a connection not listed under that key, or naming an entry the connection no
   * longer has (its ref changed since).
   */
  receive(payload: unknown, selfConn: string, now: number, find: (key: string, conn: string) => KnownEntry | undefined): string | undefined {
    const signal = parseLeaveSignal(payload)
    if (!signal || signal.conn === selfConn) return undefined
    const known = find(signal.key, signal.conn)
    if (!known || !sameEntry(signal.ref, known.ref)) return undefined
    this.prune(now)
    this.pending.set(signal.conn, { key: signal.key, ref: signal.ref, until: now + LEAVE_SIGNAL_TTL_MS })
    return signal.key
  }

  /** The connection's entry was replaced (an update: a new ref); a signal naming the old entry no longer applies. */
  superseded(conn: string, ref: string): void {
    const signal = this.pending.get(conn)
    if (signal && !sameEntry(signal.ref, ref)) this.pending.delete(conn)
  }

  /** Connections announced as leaving, still within their wait: the reducer drops them at once when they vanish. */
  departing(now: number): ReadonlySet<string> | undefined {
    this.prune(now)
    return this.pending.size === 0 ? undefined : new Set(this.pending.keys())
  }

  /** Forgets the signals of connections `listed` no longer finds (dropped, or their member gone). */
  retain(listed: (key: string, conn: string) => boolean): void {
    for (const [conn, signal] of this.pending) if (!listed(signal.key, conn)) this.pending.delete(conn)
  }

  clear(): void {
    this.pending.clear()
  }

  /** Signals waiting now. */
  get size(): number {
    return this.pending.size
  }

  private prune(now: number): void {
    for (const [conn, signal] of this.pending) if (signal.until <= now) this.pending.delete(conn)
  }
}

/** A ref names one entry of a connection; '' (unknown on either side) leaves the connection id alone to decide. */
function sameEntry(a: string, b: string): boolean {
  return a === '' || b === '' || a === b
}
