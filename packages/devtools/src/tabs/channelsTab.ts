import type { InspectBinding, InspectChannel, InspectChannelStatus, InspectSnapshot } from '@supasync/core'
import { formatAge, plural } from '../format.js'
import { empty, h, pill, table, type Tone } from '../h.js'
import type { RenderContext } from '../PanelState.js'

const STATUS_TONE: Readonly<Record<InspectChannelStatus, Tone>> = {
  joined: 'good',
  joining: 'busy',
  errored: 'bad',
  leaving: 'muted',
  closed: 'muted',
}

/** One binding as a line: what it listens to and how many share it. */
export function bindingText(binding: InspectBinding): string {
  switch (binding.type) {
    case 'postgres_changes':
      return `${binding.event} ${binding.schema}.${binding.table}${binding.filter ? ` where ${binding.filter}` : ''} · ${plural(binding.leases, 'lease')}`
    case 'broadcast':
      return `broadcast '${binding.event}' · ${plural(binding.listeners, 'listener')}`
    case 'presence':
      return `presence · ${plural(binding.listeners, 'listener')}`
    default:
      // A binding type from a newer core: its type is all this panel can name safely.
      return String((binding as { type?: unknown }).type ?? 'unknown binding')
  }
}

function topicCell(doc: Document, channel: InspectChannel): HTMLElement[] {
  return [
    h(doc, 'div', { class: 'strong' }, channel.topic),
    h(doc, 'div', { class: 'sub' }, channel.kind === 'changes' ? 'changes pool' : 'room', channel.private ? ' · private' : ''),
  ]
}

function statusCell(doc: Document, channel: InspectChannel): HTMLElement[] {
  const cell = [pill(doc, STATUS_TONE[channel.status] ?? 'muted', channel.status)]
  if (channel.error) cell.push(h(doc, 'div', { class: 'error' }, `${channel.error.code}: ${channel.error.message}`))
  return cell
}

/** The Channels tab: one row per realtime channel, with its bindings, joins and last event. */
export function channelsTab(snapshot: InspectSnapshot, { doc, now }: RenderContext): HTMLElement {
  const channels = snapshot.channels ?? []
  if (channels.length === 0) return h(doc, 'section', { class: 'tab-channels' }, empty(doc, 'No channels: nothing subscribes to realtime yet.'))
  return h(
    doc,
    'section',
    { class: 'tab-channels' },
    table(doc, 'Channels', ['Topic', 'Status', 'Holders', 'Bindings', 'Joins', 'Last event'], channels, (channel) => [
      topicCell(doc, channel),
      statusCell(doc, channel),
      channel.holders,
      (channel.bindings ?? []).length === 0 ? h(doc, 'span', { class: 'sub' }, 'none') : h(doc, 'ul', { class: 'bindings' }, (channel.bindings ?? []).map((binding) => h(doc, 'li', null, bindingText(binding)))),
      [String(channel.joins), h(doc, 'div', { class: 'sub' }, channel.joinedAt === undefined ? 'never joined' : `joined ${formatAge(channel.joinedAt, now)}`)],
      channel.lastEvent ? [`${channel.lastEvent.type} ${channel.lastEvent.name}`, h(doc, 'div', { class: 'sub' }, formatAge(channel.lastEvent.at, now))] : h(doc, 'span', { class: 'sub' }, 'none yet'),
    ]),
  )
}
