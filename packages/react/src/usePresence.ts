import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import { stableKey, type RoomStatus } from '@supasync/core'
import { createPresence, type PresenceMember, type PresenceOptions, type PresenceRoom, type PresenceState } from '@supasync/presence'
import { useSupasync } from './context.js'
import { Holder } from './Holder.js'
import { EMPTY_LIST } from './snapshots.js'
import { useLatest } from './useLatest.js'

/** What {@link usePresence} returns. */
export interface UsePresenceResult<S extends object> {
  /** Every member, this client included (`self: true`); `[]` on the server, before the first effect and when disabled. */
  members: readonly PresenceMember<S>[]
  /** Keys of the other members typing now. */
  typing: readonly string[]
  /** The shared channel's status; 'joining' on the server and before the first effect, 'closed' when disabled. */
  status: RoomStatus
  /** Merges a patch into this client's state (coalesced under the server's rate limit); see `PresenceRoom.update`. */
  update: (patch: Partial<S> | ((previous: S) => S)) => void
  /** Marks this client typing (call it on every keystroke; it expires by itself) or stops it. */
  setTyping: (on?: boolean) => void
}

const noSubscription = () => () => {}

/**
 * Presence on `topic` (see `createPresence` in `@supasync/presence`): who is online, away, offline and typing.
 * Components of one tab share one tracked entry; leaving and coming back within the grace period (StrictMode, a
 * route change) costs no presence call and others never see this client leave. A change of `options.state` is sent
 * as an `update`, not a new subscription; a change of the topic, key or timing options switches rooms. `null`
 * disables it.
 *
 * ```tsx
 * const { members, typing, setTyping } = usePresence('wedding:42', { key: vendorId, state: { name, role } })
 * ```
 */
export function usePresence<S extends object = PresenceState>(topic: string | null, options: PresenceOptions<S> | null): UsePresenceResult<S> {
  const { sync } = useSupasync()
  // The state goes out as updates and onError through a latest-ref: neither is part of the room's identity.
  const { state, onError, ...shared } = options ?? ({} as PresenceOptions<S>)
  const latestOnError = useLatest(onError)
  // A claim taken again later (an Activity shown again, StrictMode) publishes the newest state, not the first render's.
  const latestState = useLatest(state)
  const key = topic === null || options === null ? null : `${topic}\u0000${stableKey(shared)}`
  const holder = useMemo(
    () =>
      key === null || topic === null || options === null
        ? undefined
        : new Holder<PresenceRoom<S>>(
            () =>
              createPresence<S>(sync, topic, {
                ...options,
                state: latestState.current ?? options.state,
                onError: onError && ((error) => (latestOnError.current ?? onError)(error)),
              }),
            (room) => room.leave(),
          ),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key stands for topic and options (state aside)
    [sync, key],
  )
  const subscribeMembers = useMemo(() => holder?.subscriber((room) => room.members) ?? noSubscription, [holder])
  const subscribeTyping = useMemo(() => holder?.subscriber((room) => room.typing) ?? noSubscription, [holder])
  const subscribeStatus = useMemo(() => holder?.subscriber((room) => room.status) ?? noSubscription, [holder])
  const members = useSyncExternalStore(subscribeMembers, () => holder?.current?.members.get() ?? EMPTY_LIST, () => EMPTY_LIST)
  const typing = useSyncExternalStore(subscribeTyping, () => holder?.current?.typing.get() ?? EMPTY_LIST, () => EMPTY_LIST)
  const status = useSyncExternalStore(
    subscribeStatus,
    () => holder?.current?.status.get() ?? (holder ? 'joining' : 'closed'),
    () => (holder ? 'joining' : 'closed'),
  )
  // A state equal by value to the last one sent is not sent again (an inline object is new on every render).
  const stateKey = state === undefined ? undefined : stableKey(state)
  const sentState = useRef<string | undefined>(undefined)
  useEffect(() => {
    const room = holder?.current
    if (!room || state === undefined || stateKey === sentState.current) return
    // The first state went out with createPresence; later ones are updates.
    if (sentState.current !== undefined) room.update(state as Partial<S>)
    sentState.current = stateKey
    // eslint-disable-next-line react-hooks/exhaustive-deps -- stateKey stands for state
  }, [holder, stateKey])
  const update = useCallback((patch: Partial<S> | ((previous: S) => S)) => holder?.current?.update(patch), [holder])
  const setTyping = useCallback((on = true) => holder?.current?.setTyping(on), [holder])
  return { members: members as readonly PresenceMember<S>[], typing, status, update, setTyping }
}
