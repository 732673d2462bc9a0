import type { RealtimeClient } from '@supabase/supabase-js'

type HeartbeatListener = (status: string, latency?: number) => void

interface Hub {
  listeners: Set<HeartbeatListener>
  /** The callback we put in realtime-js's slot; if the slot holds something else, the app replaced it. */
  installed: HeartbeatListener | undefined
  /** What the slot held before we installed ourselves: put back when the last listener leaves. */
  previous: HeartbeatListener | undefined
}

/**
 * realtime-js has one heartbeat callback slot. `onHeartbeat(fn)` wraps `fn` with its own token refresh, so
 * chaining through it would refresh the token twice per heartbeat; the hub writes the slot of the socket
 * adapter directly (falling back to `onHeartbeat` if that internal is missing), chains whatever callback was
 * there, and re-installs itself if the app later calls `onHeartbeat` (see {@link ensureHeartbeatHub}).
 */
const hubs = new WeakMap<RealtimeClient, Hub>()

interface AdapterSlot {
  socketAdapter?: { heartbeatCallback?: HeartbeatListener }
}

function install(realtime: RealtimeClient, hub: Hub): void {
  const adapter = (realtime as unknown as AdapterSlot).socketAdapter
  const previous = (adapter ? adapter.heartbeatCallback : realtime.heartbeatCallback) as HeartbeatListener | undefined
  const dispatch: HeartbeatListener = (status, latency) => {
    for (const listener of [...hub.listeners]) listener(status, latency)
    previous?.(status, latency)
  }
  hub.previous = previous
  if (adapter && 'heartbeatCallback' in adapter) {
    adapter.heartbeatCallback = dispatch
    hub.installed = dispatch
  } else {
    realtime.onHeartbeat(dispatch)
    hub.installed = undefined
  }
}

/** Re-installs the dispatcher if the app replaced realtime-js's heartbeat callback since. */
export function ensureHeartbeatHub(realtime: RealtimeClient): void {
  const hub = hubs.get(realtime)
  if (!hub?.installed) return
  const adapter = (realtime as unknown as AdapterSlot).socketAdapter
  if (adapter && adapter.heartbeatCallback !== hub.installed) install(realtime, hub)
}

export function listenToHeartbeats(realtime: RealtimeClient, listener: HeartbeatListener): () => void {
  let hub = hubs.get(realtime)
  if (!hub) {
    hub = { listeners: new Set(), installed: undefined, previous: undefined }
    hubs.set(realtime, hub)
    install(realtime, hub)
  }
  const current = hub
  current.listeners.add(listener)
  return () => {
    if (!current.listeners.delete(listener) || current.listeners.size > 0) return
    // The last supasync instance on this client is gone: give realtime-js its own callback back, so nothing of ours
    // stays hooked into the socket (and a later instance installs itself afresh).
    if (hubs.get(realtime) === current) hubs.delete(realtime)
    const adapter = (realtime as unknown as AdapterSlot).socketAdapter
    if (current.installed && adapter?.heartbeatCallback === current.installed) adapter.heartbeatCallback = current.previous ?? (() => {})
  }
}
