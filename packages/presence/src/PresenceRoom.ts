import { SupasyncError, type ReadableStore, type RoomHandle, type RoomStatus } from '@supasync/core'
import type { PresenceDiagnostics, PresenceEngine } from './PresenceEngine.js'
import type { PresenceMember, PresenceState } from './types.js'

const released = (topic: string) =>
  new SupasyncError('RELEASED', `Presence room "${topic}" was already left. Create a new one with createPresence() instead of reusing it.`)

/**
 * One holder's presence room, from {@link createPresence}. Holders of one topic on one supasync instance share
 * the channel, this connection's tracked entry and the member list; each holder's subscriptions are removed by
 * its own `leave()`, and the last `leave()` untracks and releases the channel.
 */
export class PresenceRoom<S extends object = PresenceState> {
  /**
   * Every member (this client's key included, `self: true`): online, away, and offline ones for
   * `offlineRetentionMs`, in the order they were first seen. Same array until something changes.
   */
  readonly members: ReadableStore<readonly PresenceMember<S>[]>
  /** Keys of the other members typing now (this client's own key is left out). */
  readonly typing: ReadableStore<readonly string[]>
  private readonly offs = new Set<() => void>()
  private left = false

  /** @internal Created by the package's factory function, not by `new`. */
  constructor(
    private readonly engine: PresenceEngine<S>,
    private readonly release: () => void,
  ) {
    engine.holders.add(this)
    this.members = this.wrap(engine.members)
    this.typing = this.wrap(engine.typing)
  }

  /** The topic given to `createPresence`. */
  get topic(): string {
    return this.engine.topic
  }

  /** This client's presence key. */
  get key(): string {
    return this.engine.options.key
  }

  /** The shared channel's status: 'joining' | 'joined' | 'errored' | 'closed'. */
  get status(): ReadableStore<RoomStatus> {
    return this.engine.status
  }

  /** The pooled room under this presence room, e.g. for broadcasts on the same topic (see the `channel` option). */
  get channel(): RoomHandle {
    return this.engine.handle
  }

  /** This client's own state as last set (shown at once in `members`; others see it once the track goes out). */
  get state(): S {
    return this.engine.state
  }

  /**
   * Changes this client's state: an object is merged into the current state (shallow), a function replaces it.
   * Updates are coalesced: a burst becomes a few presence calls, and the latest state always goes out.
   * Throws `UNSERIALIZABLE` (state unchanged) when the new state holds a value JSON cannot carry faithfully (BigInt,
   * NaN, Map, Set, a class instance, a cycle…; see `checkJsonSafe` in core): the message names its path.
   */
  update(patch: Partial<S> | ((previous: S) => S)): void {
    if (this.left) throw released(this.topic)
    this.engine.update(patch)
  }

  /**
   * Marks this client as typing (`true`) until `typingTimeoutMs` after the latest call, or stops at once
   * (`false`). Call it on every keystroke: repeated calls cost nothing.
   */
  setTyping(on = true): void {
    if (this.left) throw released(this.topic)
    this.engine.setTyping(on)
  }

  /**
   * Leaves: removes this holder's subscriptions; the last holder of the topic (after the instance's `graceMs`, unless
   * the room is created again meanwhile) announces the leave, untracks this connection, releases the channel and
   * clears every timer. The others show it at once rather than after their `reconnectGraceMs`. Idempotent.
   */
  leave(): void {
    if (this.left) return
    this.left = true
    for (const off of [...this.offs]) off()
    this.engine.holders.delete(this)
    // The last holder's release disposes the engine (untrack, leave) after the grace period.
    this.release()
  }

  /** Counts for leak checks and rate-limit assertions (shared by every holder of the topic). */
  diagnostics(): PresenceDiagnostics {
    return this.engine.diagnostics()
  }

  private wrap<T>(store: ReadableStore<T>): ReadableStore<T> {
    return {
      get: () => store.get(),
      subscribe: (listener) => {
        if (this.left) return () => {}
        const unsubscribe = store.subscribe(listener)
        const off = () => {
          unsubscribe()
          this.offs.delete(off)
        }
        this.offs.add(off)
        return off
      },
    }
  }
}
