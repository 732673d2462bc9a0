import { checkJsonSafe } from './checkJsonSafe.js'
import { released, SupasyncError } from './errors.js'
import type { BroadcastMessage, PresenceEvent, Room, RoomStatus } from './Room.js'
import type { RealtimeChannel } from '@supabase/supabase-js'
import type { ReadableStore } from './store.js'

/**
 * One holder's view of a shared room: its own listeners, released together with the handle. Releasing never
 * affects another holder of the same topic.
 */
export class RoomHandle {
  private readonly offs = new Set<() => void>()
  private isReleased = false

  /** @internal Created by the package's factory function, not by `new`. */
  constructor(
    private readonly room: Room,
    private readonly onRelease: (handle: RoomHandle) => void,
  ) {}

  /** The topic as given to `sync.channel()`. */
  get topic(): string {
    return this.room.topic
  }

  /** The shared channel's status: 'joining' | 'joined' | 'errored' | 'closed'. */
  get status(): ReadableStore<RoomStatus> {
    return this.room.status
  }

  /**
   * Why the room is 'errored', as reported to `onError` too: `UNAUTHORIZED` (a private room the token may not read;
   * retried when the access token changes), `JOIN_REFUSED` (not retried) or `SUBSCRIPTION_FAILED` (retried after a
   * backoff), with the server's own words in `error.reason`. Undefined once joined, and while a dead socket is the
   * cause (realtime-js rejoins on reconnect; `sync.status` shows it). Read it when `status` changes.
   */
  get error(): SupasyncError | undefined {
    return this.room.error
  }

  /** Whether the room is a private channel (`private: true` in its options). */
  get isPrivate(): boolean {
    return this.room.options.private === true
  }

  /**
   * Listens to a broadcast event (`'*'` for all). Allowed before or after the join. Returns a function that
   * removes the listener; release() removes all of this holder's listeners.
   */
  on<T = unknown>(event: string, listener: (payload: T, message: BroadcastMessage<T>) => void): () => void {
    if (this.isReleased) throw released(`Room handle for "${this.room.topic}"`)
    const off = this.room.listen(event, listener as (payload: unknown, message: BroadcastMessage) => void)
    const remove = () => {
      off()
      this.offs.delete(remove)
    }
    this.offs.add(remove)
    return remove
  }

  /**
   * Broadcasts to the room. Waits for the join (up to `sendTimeoutMs`). Answers 'ok' ('ok' on arrival when the
   * room was created with `broadcast.ack`), 'timed out' or 'error'. Rejects for payloads over `maxBroadcastBytes`,
   * and with `UNSERIALIZABLE` for a payload JSON cannot carry faithfully (BigInt, NaN, Map, a class instance, a
   * cycle… see `checkJsonSafe`); an `undefined` payload sends none.
   */
  send(event: string, payload: unknown): Promise<'ok' | 'timed out' | 'error'> {
    if (this.isReleased) return Promise.reject(released(`Room handle for "${this.room.topic}"`))
    // Checked here, before anything is encoded: JSON.stringify would throw a bare TypeError for a BigInt and send
    // `{}` or `null` for a Map or NaN, so the other holders would receive something else than was sent.
    const problem = payload === undefined ? undefined : checkJsonSafe(payload, 'payload')
    if (problem) {
      return Promise.reject(new SupasyncError('UNSERIALIZABLE', `Broadcast "${event}" on "${this.room.topic}" was not sent: ${problem.message}`))
    }
    return this.room.send(event, payload)
  }

  /**
   * Presence events of the room (it must have been opened with `presence`); for @supasync/presence.
   * Removed on release().
   */
  onPresence(listener: (event: PresenceEvent) => void): () => void {
    if (this.isReleased) throw released(`Room handle for "${this.room.topic}"`)
    const off = this.room.onPresence(listener)
    const remove = () => {
      off()
      this.offs.delete(remove)
    }
    this.offs.add(remove)
    return remove
  }

  /** The shared realtime channel (undefined while it is being re-created), for packages built on the pool. */
  realtimeChannel(): RealtimeChannel | undefined {
    return this.isReleased ? undefined : this.room.realtimeChannel()
  }

  get released(): boolean {
    return this.isReleased
  }

  /** Gives the room up. The last release leaves the channel after the grace period. Idempotent. */
  release(): void {
    if (this.isReleased) return
    this.isReleased = true
    for (const off of [...this.offs]) off()
    this.onRelease(this)
  }
}
