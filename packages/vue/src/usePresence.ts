import { onScopeDispose, shallowRef, toRaw, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { stableKey, type RoomStatus, type SupasyncError } from '@supasync/core'
import { createPresence, type PresenceMember, type PresenceOptions, type PresenceRoom, type PresenceState } from '@supasync/presence'
import { bindStore, useClientScope, whenClient } from './keyedLease.js'
import type { SupasyncInstance } from './useSupasync.js'

/** What {@link usePresence} returns. */
export interface UsePresenceReturn<S extends object> {
  /** Every member, this client included (`self: true`); `[]` on the server, while hydrating and when disabled. */
  members: Readonly<ShallowRef<readonly PresenceMember<S>[]>>
  /** Keys of the other members typing now. */
  typing: Readonly<ShallowRef<readonly string[]>>
  /** The shared channel's status; 'joining' on the server and while hydrating, 'closed' when disabled. */
  status: Readonly<ShallowRef<RoomStatus>>
  /**
   * Merges a patch into this client's state, or replaces it with a function's result (coalesced under the server's
   * rate limit; see `PresenceRoom.update`). Does nothing while no room is held.
   */
  update: (patch: Partial<S> | ((previous: S) => S)) => void
  /** Marks this client typing (call it on every keystroke; it expires by itself) or stops it. Does nothing while no room is held. */
  setTyping: (on?: boolean) => void
}

const EMPTY: readonly never[] = Object.freeze([])

/**
 * Presence on `topic` while the calling scope lives (see `createPresence` in `@supasync/presence`): who is online,
 * away, offline and typing. Components of one tab share one tracked entry; leaving and coming back within the grace
 * period (`<KeepAlive>`, a remount, a route change) costs no presence call and others never see this client leave.
 * `topic` and `options` may be refs or getters, watched by value: a change of `options.state` is sent as an
 * `update()` (merged into the state), not a new subscription; a change of the topic, key or timing options switches
 * rooms. `onError` is called through a latest reference. `null` disables it. Throws (through Vue's error handling)
 * what createPresence throws (invalid options, `CONFIG_CONFLICT`).
 *
 * ```ts
 * const { members, typing, setTyping } = usePresence(() => `wedding:${props.id}`, () => ({ key: vendor.id, state: { name: vendor.name, task: task.value } }))
 * ```
 *
 * @param topic The room's topic, or null.
 * @param options `{ key, state, … }` (see `PresenceOptions`), or null.
 * @param instance The supasync instance to use instead of the plugin's. Default: the plugin's.
 */
export function usePresence<S extends object = PresenceState>(
  topic: MaybeRefOrGetter<string | null | undefined>,
  options: MaybeRefOrGetter<PresenceOptions<S> | null | undefined>,
  instance?: SupasyncInstance,
): UsePresenceReturn<S> {
  const context = useClientScope('usePresence', instance)
  const enabled = () => toValue(topic) != null && toValue(options) != null
  const members = shallowRef<readonly PresenceMember<S>[]>(EMPTY)
  const typing = shallowRef<readonly string[]>(EMPTY)
  const status = shallowRef<RoomStatus>(enabled() ? 'joining' : 'closed')
  let room: PresenceRoom<S> | undefined
  let close: (() => void) | undefined
  let roomKey: string | null = null
  let sentState: string | undefined
  // Read by the watcher's getter, used by its callback and by onError (latest reference).
  let latest: { topic: string; options: PresenceOptions<S>; key: string; state: string } | undefined

  const open = (topicName: string, given: PresenceOptions<S>) => {
    const onError = given.onError && ((error: SupasyncError) => (latest?.options.onError ?? given.onError)!(error))
    const held = (room = createPresence<S>(context.sync, topicName, { ...given, onError }))
    const offs = [
      bindStore(held.members, (value) => (members.value = value)),
      bindStore(held.typing, (value) => (typing.value = value)),
      bindStore(held.status, (value) => (status.value = value)),
    ]
    close = () => {
      for (const off of offs) off()
      held.leave()
      if (room === held) room = undefined
    }
  }

  whenClient(context, () => {
    watch(
      () => {
        const name = toValue(topic)
        const given = toValue(options)
        if (name == null || given == null) return (latest = undefined)
        // The room's identity leaves out the state (sent as updates) and onError (a latest reference).
        const { state, onError: _onError, ...shared } = given
        latest = { topic: name, options: toRaw(given), key: stableKey([name, shared]), state: stableKey(state ?? null) }
        return `${latest.key}\u0000${latest.state}`
      },
      () => {
        const next = latest
        if ((next?.key ?? null) !== roomKey) {
          close?.()
          close = undefined
          roomKey = next?.key ?? null
          if (!next) {
            members.value = typing.value = EMPTY
            status.value = 'closed'
            return
          }
          sentState = next.state
          open(next.topic, next.options)
        } else if (room && next && next.state !== sentState) {
          sentState = next.state
          if (next.options.state) room.update(next.options.state as Partial<S>)
        }
      },
      { immediate: true },
    )
    onScopeDispose(() => close?.())
  })

  return {
    members,
    typing,
    status,
    update: (patch) => room?.update(patch),
    setTyping: (on = true) => room?.setTyping(on),
  }
}
