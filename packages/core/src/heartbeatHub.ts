import type { RealtimeClient } from '@supabase/supabase-js'

type HeartbeatListener = (status: string, latency?: number) => void

/**
 * realtime-js has one heartbeat callback slot and wraps whatever is put there, so instances cannot each
 * install and later restore their own. One dispatcher per client is installed once (keeping any callback the
 * app had set) and supasync instances add and remove themselves.
 */
const hubs = new WeakMap<RealtimeClient, Set<HeartbeatListener>>()

export function listenToHeartbeats(realtime: RealtimeClient, listener: HeartbeatListener): () => void {
  let listeners = hubs.get(realtime)
  if (!listeners) {
    const set = new Set<HeartbeatListener>()
    listeners = set
    hubs.set(realtime, set)
    const previous = realtime.heartbeatCallback as HeartbeatListener | undefined
    realtime.onHeartbeat((status, latency) => {
      for (const each of [...set]) each(status, latency)
      previous?.(status, latency)
    })
  }
  const set = listeners
  set.add(listener)
  return () => {
    set.delete(listener)
  }
}
