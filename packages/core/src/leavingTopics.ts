import type { RealtimeChannel, RealtimeClient } from '@supabase/supabase-js'

/**
 * The leaves of rooms' channels still in progress, per realtime client and topic. realtime-js lists a channel and hands
 * out its object for the topic until its leave is acknowledged: a room reopened on that topic (with other options,
 * or the other privacy, right after a release) must wait for the leave, and the pool must not mistake the leaving
 * channel for one the app opened itself.
 */
const leaving = new WeakMap<RealtimeClient, Map<string, Promise<void>>>()

/** Removes a room's channel from realtime-js, noting the leave so that {@link leaveOf} and {@link isLeaving} see it. */
export async function leaveTopic(realtime: RealtimeClient, topic: string, channel: RealtimeChannel): Promise<void> {
  let topics = leaving.get(realtime)
  if (!topics) leaving.set(realtime, (topics = new Map()))
  const left = realtime.removeChannel(channel).then(
    () => undefined,
    () => undefined,
  )
  topics.set(topic, left)
  await left
  if (topics.get(topic) === left) topics.delete(topic)
}

/** The leave of `topic` in progress on this client, if any (resolves once it is done, never rejects). */
export function leaveOf(realtime: RealtimeClient, topic: string): Promise<void> | undefined {
  return leaving.get(realtime)?.get(topic)
}

/** Whether a room of this realtime client is leaving `topic` right now (its channel is still listed by realtime-js). */
export function isLeaving(realtime: RealtimeClient, topic: string): boolean {
  return leaving.get(realtime)?.has(topic) ?? false
}
