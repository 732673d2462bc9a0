import { useCallback, useMemo, useSyncExternalStore } from 'react'
import { SupasyncError, stableKey, type RoomHandle, type RoomOptions, type RoomStatus } from '@supasync/core'
import { useSupasync } from './context.js'
import { Holder } from './Holder.js'

/** What {@link useChannel} returns. */
export interface UseChannelResult {
  /** 'joining' | 'joined' | 'errored' | 'closed'. 'joining' on the server and before the first effect; 'closed' when disabled. */
  status: RoomStatus
  /**
   * Broadcasts on the room (see `RoomHandle.send`): 'ok', 'timed out' or 'error'. The same function for the life of
   * the component and topic. Rejects when the hook is disabled (topic null).
   */
  send: (event: string, payload: unknown) => Promise<'ok' | 'timed out' | 'error'>
}

/** A room claim shared by the hooks that open one (useChannel, useBroadcast). */
export function useRoomHolder(topic: string | null, options: RoomOptions | undefined): Holder<RoomHandle> | undefined {
  const { sync } = useSupasync()
  // Identity by value: an inline options object equal to the last one keeps the room.
  const key = topic === null ? null : `${topic}\u0000${options === undefined ? '' : stableKey(options)}`
  return useMemo(
    () => (key === null || topic === null ? undefined : new Holder(() => sync.channel(topic, options), (handle) => handle.release())),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key stands for topic and options
    [sync, key],
  )
}

const noSubscription = () => () => {}
const CLOSED = (): RoomStatus => 'closed'
const JOINING = (): RoomStatus => 'joining'

/**
 * A shared room (broadcast, presence) on `topic`: every component holding one topic shares one realtime channel,
 * joined when the first mounts and left a grace period after the last unmounts, so StrictMode and a route change
 * away and back cost no leave or join. Changing the topic or the options switches rooms; `null` disables the hook.
 * Components holding one topic must pass equal options (or none: see `useBroadcast`).
 *
 * ```tsx
 * const { status, send } = useChannel('wedding:42', { broadcast: { ack: true } })
 * ```
 */
export function useChannel(topic: string | null, options?: RoomOptions): UseChannelResult {
  const { sync } = useSupasync()
  const holder = useRoomHolder(topic, options)
  const subscribe = useMemo(() => holder?.subscriber((handle) => handle.status) ?? noSubscription, [holder])
  const status = useSyncExternalStore(subscribe, () => holder?.current?.status.get() ?? (holder ? 'joining' : 'closed'), holder ? JOINING : CLOSED)
  const send = useCallback(
    (event: string, payload: unknown) => {
      if (!holder || topic === null) {
        return Promise.reject(new SupasyncError('INVALID_TOPIC', `useChannel(null).send("${event}"): the hook is disabled (no topic); give it a topic before sending.`))
      }
      const held = holder.current
      if (held) return held.send(event, payload)
      // Before the first effect (or after the last): a claim of its own for this send, released at once (the room's
      // grace period keeps the channel for the next one).
      const handle = sync.channel(topic, options)
      return handle.send(event, payload).finally(() => handle.release())
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- holder changes exactly when topic or options do
    [holder, sync],
  )
  return { status, send }
}
