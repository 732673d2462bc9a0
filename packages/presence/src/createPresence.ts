import { SupasyncError, type Supasync } from '@supasync/core'
import { resolvePresenceOptions, sharedOptionsKey, type PresenceOptions } from './options.js'
import { PresenceEngine } from './PresenceEngine.js'
import { PresenceRoom } from './PresenceRoom.js'
import type { PresenceState } from './types.js'

const KIND = 'supasync/presence:engine'

/**
 * Joins the presence room `topic` on a pooled channel of `sync`.
 *
 * ```ts
 * const room = createPresence(sync, 'wedding:42', { key: userId, state: { name, role: 'photographer' } })
 * room.members.subscribe((members) => render(members))   // [{ key, state, status, lastSeen, connections, typing, self }]
 * room.update({ task: 'first dance' })                    // coalesced under the server's 5 calls / 30 s limit
 * room.setTyping(true)                                    // on every keystroke; expires by itself
 * room.leave()
 * ```
 *
 * Several rooms of one topic on one `sync` (two components of one tab) share one channel and one tracked
 * entry: they must agree on `key` and the timing options; their `state`s are merged. The last `leave()` untracks
 * after the instance's grace period (`graceMs`), so a room left and joined again within it (React StrictMode, a
 * route change away and back) costs no presence call and other members never see this client leave.
 */
export function createPresence<S extends object = PresenceState>(sync: Supasync, topic: string, options: PresenceOptions<S>): PresenceRoom<S> {
  // Time and visibility come from the supasync instance unless given: one clock for the whole app (and its tests).
  const ports = { timers: sync.ports.timers, visibility: sync.ports.visibility, ...options.ports }
  const resolved = resolvePresenceOptions({ ...(options as PresenceOptions), ports })
  const optionsKey = sharedOptionsKey(resolved)
  const existing = sync.peekShared<PresenceEngine>(KIND, topic)
  if (existing && existing.optionsKey !== optionsKey) {
    // The same key back at once (a remount with other options): its new entry follows at once, so the others must
    // not see it leave (no leave signal; the old entry lingers through their reconnect grace).
    existing.quietLeave = existing.options.key === resolved.key
    // One only its grace period keeps gives way to new options; a held one does not.
    if (!sync.evictShared(KIND, topic)) {
      existing.quietLeave = false
      throw new SupasyncError(
        'CONFIG_CONFLICT',
        `Presence "${topic}" is already held on this supasync instance with options ${existing.optionsKey}; rooms of one topic share one tracked entry and must pass the same key and timing options.`,
      )
    }
  }
  let created = false
  // PresenceEngine is invariant in S: one engine serves every holder of the topic, whatever state type each declares.
  const lease = sync.share<PresenceEngine<S>>(KIND, topic, () => {
    created = true
    return new PresenceEngine<S>(sync, topic, resolved, optionsKey, { ...(options.state ?? {}) } as S, () => {})
  }, (engine) => engine.dispose())
  if (!created && options.state) lease.value.update(options.state)
  return new PresenceRoom(lease.value, () => lease.release())
}
