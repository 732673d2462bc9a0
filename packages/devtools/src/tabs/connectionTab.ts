import type { InspectConnection, InspectSnapshot } from '@supasync/core'
import { formatAge, formatDuration } from '../format.js'
import { facts, h, pill, type Tone } from '../h.js'
import type { RenderContext } from '../PanelState.js'

/** The tone of each connection state, shared with the header and the toggle button. */
export const CONNECTION_TONE: Readonly<Record<InspectConnection['state'], Tone>> = {
  live: 'good',
  connecting: 'busy',
  degraded: 'warn',
  offline: 'bad',
}

/** A share of `maxChannels` from which the channel count is shown as a warning: the server refuses joins beyond it. */
const CHANNELS_WARN_SHARE = 0.8

/** The Connection tab: the socket's state, liveness and counters. */
export function connectionTab(snapshot: InspectSnapshot, { doc, now }: RenderContext): HTMLElement {
  const connection = snapshot.connection
  const channelTone: Tone = connection.maxChannels > 0 && connection.channels >= connection.maxChannels * CHANNELS_WARN_SHARE ? 'warn' : 'muted'
  return h(
    doc,
    'section',
    { class: 'tab-connection' },
    facts(doc, [
      ['State', [pill(doc, CONNECTION_TONE[connection.state] ?? 'muted', connection.state), ` for ${formatDuration(now - connection.since)}`]],
      ['Socket', connection.socketProven ? 'proven: a heartbeat was answered within two intervals' : 'not proven: no recent heartbeat reply'],
      ['Round trip', formatDuration(connection.rttMs)],
      ['Last heartbeat reply', formatAge(connection.heartbeatAt, now)],
      ['Heartbeat interval', formatDuration(connection.heartbeatIntervalMs)],
      ['Heartbeat timeouts', h(doc, 'span', { class: connection.heartbeatTimeouts > 0 ? 'text-warn' : undefined }, connection.heartbeatTimeouts)],
      ['Reconnects', connection.reconnects],
      ['Channels', h(doc, 'span', { class: channelTone === 'warn' ? 'text-warn' : undefined }, `${connection.channels} of ${connection.maxChannels}`)],
      ['Leases', connection.leases],
      ['Snapshot', formatAge(snapshot.takenAt, now)],
    ]),
  )
}
