import { toValue, unref, type MaybeRef, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import type { BroadcastMessage, RoomOptions, RoomStatus } from '@supasync/core'
import { useRoom } from './useChannel.js'
import type { SupasyncInstance } from './useSupasync.js'

/** What {@link useBroadcast} returns. */
export interface UseBroadcastReturn {
  /** The shared channel's status ('joining' on the server and while hydrating, 'closed' when the topic is null). */
  status: Readonly<ShallowRef<RoomStatus>>
}

/**
 * Calls `handler` for every broadcast `event` on `topic` while the calling scope lives. The handler is called
 * through a latest reference: pass a ref holding a function to swap it without any resubscription. `event` may be
 * a ref or getter too (`'*'` for every event); changing it re-filters without touching the channel, which is held
 * by topic (and options) exactly as {@link useChannel} holds it. Without `options` the room is joined as another
 * holder opened it (a listen-only component need not repeat the sender's options).
 *
 * ```ts
 * useBroadcast(() => `wedding:${props.id}`, 'running-late', (payload) => toast(payload))
 * ```
 *
 * @param topic The room's topic, or null to listen to none.
 * @param event The broadcast event name, `'*'` for all.
 * @param handler Receives the payload and the message `{ event, payload }`.
 * @param options Options of the room. Default: the room's current options (`{}` if it is new).
 * @param instance The supasync instance to use instead of the plugin's. Default: the plugin's.
 */
export function useBroadcast<P = unknown>(
  topic: MaybeRefOrGetter<string | null | undefined>,
  event: MaybeRefOrGetter<string>,
  handler: MaybeRef<(payload: P, message: BroadcastMessage<P>) => void>,
  options?: MaybeRefOrGetter<RoomOptions | undefined>,
  instance?: SupasyncInstance,
): UseBroadcastReturn {
  const { status } = useRoom('useBroadcast', topic, options, instance, (handle) => {
    // One listener for every event, filtered at delivery: a new event name needs no re-registration.
    handle.on<P>('*', (payload, message) => {
      const wanted = toValue(event)
      if (wanted === '*' || wanted === message.event) unref(handler)(payload, message)
    })
  })
  return { status }
}
