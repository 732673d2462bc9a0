import type { InspectPresenceMember, InspectPresenceRoom, InspectSnapshot } from '@supasync/core'
import { formatAge, plural } from '../format.js'
import { empty, h, pill, table, type Tone } from '../h.js'
import type { RenderContext } from '../PanelState.js'

const STATUS_TONE: Readonly<Record<InspectPresenceMember['status'], Tone>> = { online: 'good', away: 'warn', offline: 'muted' }

function room(doc: Document, presence: InspectPresenceRoom, now: number): HTMLElement {
  const members = presence.members ?? []
  const online = members.filter((member) => member.status !== 'offline').length
  return h(
    doc,
    'section',
    { class: 'room', 'data-topic': presence.topic },
    h(doc, 'h3', null, presence.topic, ' ', h(doc, 'span', { class: 'sub' }, `${online} of ${plural(members.length, 'member')} present · you are ${presence.selfKey ?? 'not tracking'}`)),
    members.length === 0
      ? empty(doc, 'No members yet.')
      : // The state members publish is theirs: only who, how present and since when is shown.
        table(doc, `Members of ${presence.topic}`, ['Member', 'Status', 'Connections', 'Typing', 'Last seen'], members, (member) => [
          [member.key, member.self ? h(doc, 'span', { class: 'sub' }, ' (you)') : null],
          pill(doc, STATUS_TONE[member.status] ?? 'muted', member.status),
          member.connections,
          member.typing ? 'typing' : '',
          formatAge(member.lastSeen, now),
        ]),
  )
}

/** The Presence tab: each room's members by key, with status, connections and typing. */
export function presenceTab(snapshot: InspectSnapshot, { doc, now }: RenderContext): HTMLElement {
  const rooms = snapshot.presence ?? []
  if (rooms.length === 0) return h(doc, 'section', { class: 'tab-presence' }, empty(doc, 'No presence rooms: createPresence / usePresence registers them here.'))
  return h(doc, 'section', { class: 'tab-presence' }, rooms.map((presence) => room(doc, presence, now)))
}
