import { useMemo, useSyncExternalStore } from 'react'
import type { BroadcastMessage, RoomOptions, RoomStatus } from '@supasync/core'
import { useRoomHolder } from './useChannel.js'
import { useLatest } from './useLatest.js'

const noSubscription = () => () => {}

/**
 * Calls `handler` for every broadcast `event` (`'*'` for all) on `topic`. The handler is held through a latest-ref:
 * an inline function that is new on every render is called in its newest version and never resubscribes. Without
 * `options` it joins the room with whatever options another holder gave it (`{}` if it is the first); returns the
 * room's status. `null` disables it.
 *
 * ```tsx
 * useBroadcast('wedding:42', 'running-late', (payload) => toast(`${payload.vendor} is running late`))
 * ```
 */
export function useBroadcast<T = unknown>(
  topic: string | null,
  event: string,
  handler: (payload: T, message: BroadcastMessage<T>) => void,
  options?: RoomOptions,
): RoomStatus {
  const latest = useLatest(handler)
  const holder = useRoomHolder(topic, options)
  const subscribe = useMemo(() => {
    if (!holder) return noSubscription
    return (listener: () => void) => {
      const release = holder.hold()
      const handle = holder.current!
      const off = handle.on<T>(event, (payload, message) => latest.current(payload, message))
      const unsubscribe = handle.status.subscribe(() => listener())
      return () => {
        unsubscribe()
        off()
        release()
      }
    }
  }, [holder, event, latest])
  return useSyncExternalStore(
    subscribe,
    () => holder?.current?.status.get() ?? (holder ? 'joining' : 'closed'),
    () => (holder ? 'joining' : 'closed'),
  )
}
