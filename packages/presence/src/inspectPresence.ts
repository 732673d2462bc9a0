import type { InspectPresenceMember, InspectPresenceRoom, ReadableStore, Supasync } from '@supasync/core'
import type { PresenceMember } from './types.js'

/** What the inspection reads of a presence engine. */
interface InspectedPresence {
  readonly topic: string
  readonly options: { readonly key: string }
  readonly members: ReadableStore<readonly PresenceMember<object>[]>
}

/** Who and how present, never what they publish (`state` stays out). */
function member({ key, status, connections, typing, self, lastSeen }: PresenceMember<object>): InspectPresenceMember {
  return { key, status, connections, typing, self, lastSeen }
}

/**
 * Registers a presence room (one engine per topic and instance) with `sync.inspect()` (issue #17): its members by
 * key with their status, connections, typing and last-seen time. The entry is rebuilt only after the member list
 * changed. Returns the function that takes it out again (a no-op when `sync` has no `registerInspect`: a fake).
 */
export function inspectPresence(sync: Supasync, engine: InspectedPresence): () => void {
  if (typeof sync.registerInspect !== 'function') return () => {}
  const registration = sync.registerInspect('presence', (_takenAt, previous): InspectPresenceRoom =>
    previous ?? { topic: engine.topic, selfKey: engine.options.key, members: engine.members.get().map(member) },
  )
  const off = engine.members.subscribe(() => registration.changed())
  return () => {
    off()
    registration.unregister()
  }
}
