import { shallowRef, toValue, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { stableKey, type RoomHandle, type RoomOptions, type RoomStatus } from '@supasync/core'
import { bindStore, notHeld, useClientScope, watchKeyed } from './keyedLease.js'
import type { SupasyncInstance } from './useSupasync.js'

/** What {@link useChannel} returns. */
export interface UseChannelReturn {
  /**
   * The shared channel's status: 'joining' | 'joined' | 'errored' | 'closed'. 'joining' on the server and while
   * hydrating (what the client shows first), 'closed' when the topic is null.
   */
  status: Readonly<ShallowRef<RoomStatus>>
  /**
   * Broadcasts `event` to the room (see `RoomHandle.send`): resolves 'ok', 'timed out' or 'error'. Rejects with a
   * `SupasyncError` while nothing is open (null topic, server, before mount while hydrating).
   */
  send: (event: string, payload: unknown) => Promise<'ok' | 'timed out' | 'error'>
}

/**
 * Holds the shared room `topic` (broadcast, presence) while the calling scope lives: every holder of a topic shares
 * one realtime channel (`sync.channel`), and the last release leaves it after the grace period, so `<KeepAlive>`,
 * a remount or a route change away and back within it cost no leave/join. `topic` and `options` may be refs or
 * getters; they are watched by value, so an equal options object recreated by a template keeps the channel, and a
 * real change switches rooms (the old one is released, and left after the grace period). `null` disables it.
 * Throws (through Vue's error handling) what `sync.channel` throws: an invalid topic, `CONFIG_CONFLICT` for
 * options other holders of the topic disagree with, `CHANNEL_LIMIT`.
 *
 * ```ts
 * const { status, send } = useChannel(() => `wedding:${props.id}`, { broadcast: { ack: true } })
 * await send('running-late', { minutes: 20 })
 * ```
 *
 * @param topic The room's topic, or null to hold none.
 * @param options Options of the room; holders of a topic must agree. Default: none given, so the room is joined
 *   with whatever options another holder opened it with (`{}` if it is new).
 * @param instance The supasync instance to use instead of the plugin's. Default: the plugin's.
 */
export function useChannel(
  topic: MaybeRefOrGetter<string | null | undefined>,
  options?: MaybeRefOrGetter<RoomOptions | undefined>,
  instance?: SupasyncInstance,
): UseChannelReturn {
  const room = useRoom('useChannel', topic, options, instance)
  return {
    status: room.status,
    send: (event, payload) => room.handle()?.send(event, payload) ?? Promise.reject(notHeld('useChannel', 'send')),
  }
}

/**
 * Holds the room of `topic` + `options` (by value) while the scope lives, its status bound into a shallowRef;
 * `listen(handle)` registers listeners on each handle (released with it). Shared by useChannel and useBroadcast.
 */
export function useRoom(
  caller: string,
  topic: MaybeRefOrGetter<string | null | undefined>,
  options: MaybeRefOrGetter<RoomOptions | undefined>,
  instance: SupasyncInstance | undefined,
  listen?: (handle: RoomHandle) => void,
): { status: ShallowRef<RoomStatus>; handle: () => RoomHandle | undefined } {
  const context = useClientScope(caller, instance)
  const status = shallowRef<RoomStatus>(toValue(topic) == null ? 'closed' : 'joining')
  let handle: RoomHandle | undefined
  watchKeyed(
    context,
    () => {
      const name = toValue(topic)
      return name == null ? null : { topic: name, options: toValue(options) }
    },
    (room) => stableKey([room.topic, room.options ?? null]),
    (room) => {
      if (room === null) {
        status.value = 'closed'
        return
      }
      const held = (handle = context.sync.channel(room.topic, room.options))
      listen?.(held)
      const off = bindStore(held.status, (value) => (status.value = value))
      return () => {
        off()
        held.release()
        if (handle === held) handle = undefined
      }
    },
  )
  return { status, handle: () => handle }
}
